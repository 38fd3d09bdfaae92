"""A trained LoRA adapter (peft) in llama.cpp's adapter format: a GGUF file of type
"adapter" holding ``<gguf tensor name>.lora_a`` / ``.lora_b`` pairs and ``adapter.lora.alpha``.

Two things differ from peft's layout:

- names: peft's ``model.layers.3.self_attn.q_proj`` is llama.cpp's ``blk.3.attn_q``
  (the ``gguf`` package's tensor-name map says so for each architecture);
- the rotary layout of q and k: transformers rotates the two halves of each head
  (``rotate_half``), llama.cpp's Llama graph rotates adjacent pairs, so llama.cpp's converter
  (``convert_hf_to_gguf.py``, ``LlamaModel.permute``) reorders the output rows of every
  q_proj and k_proj weight, head by head: within a head, row ``h * d/2 + i`` moves to
  ``2 * i + h`` (h = 0, 1 the half, i < d/2). The base GGUF holds its weights reordered so;
  an adapter's delta ``B @ A`` must be too, and reordering the rows of ``B`` does it.
  k uses the key-value head count (grouped-query attention).

Scaling: llama.cpp applies ``alpha / rank`` (rank from each ``lora_a``); peft applies
``lora_alpha / r`` (``/ sqrt(r)`` with rsLoRA, per-module values with rank/alpha
patterns). Where the two differ, the difference is folded into ``B``.

Refused, in one line: an adapter that trains the embeddings or the output layer
(``modules_to_save``, trainable tokens, or a tokenizer larger than the base's vocabulary):
llama.cpp's adapter format holds low-rank deltas of linear layers only. Also DoRA and LoRA
biases, which it has no place for.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from clonebot.errors import ModelError
from clonebot.model.gguf_file import write_gguf
from clonebot.model.gguf_meta import Array, read_metadata

# Model types whose GGUF graph is llama.cpp's "llama" (Mistral converts to it too).
LLAMA_TYPES = ("llama", "mistral")
ADAPTER_WEIGHTS = "adapter_model.safetensors"
# Written into every export; a file from another converter version is made again.
CONVERTER_KEY = "clonebot.converter_version"
CONVERTER_VERSION = 1
_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.default)?\.weight$")


@dataclass(frozen=True)
class BaseShape:
    """What the converter needs to know about the base model."""

    arch: str  # llama.cpp's architecture name
    n_layers: int
    n_head: int
    n_head_kv: int
    vocab_size: int


def shape_from_gguf(path: Path) -> BaseShape:
    import gguf

    meta = read_metadata(path)
    arch = meta.get(gguf.Keys.General.ARCHITECTURE)

    def get(key: str, default=None):
        return meta.get(key.format(arch=arch), default)

    n_head, layers = get(gguf.Keys.Attention.HEAD_COUNT), get(gguf.Keys.LLM.BLOCK_COUNT)
    vocab = get(gguf.Keys.LLM.VOCAB_SIZE)
    if vocab is None and isinstance(meta.get(gguf.Keys.Tokenizer.LIST), Array):
        vocab = meta[gguf.Keys.Tokenizer.LIST].length
    if not isinstance(arch, str) or n_head is None or layers is None or vocab is None:
        raise ModelError(f"{path} does not describe a model (no architecture, heads, layers "
                         "or vocabulary): not a base model GGUF")
    return BaseShape(arch, int(layers), int(n_head),
                     int(get(gguf.Keys.Attention.HEAD_COUNT_KV, n_head)), int(vocab))


def shape_from_config(config) -> BaseShape:
    """From a transformers config of the base model."""
    model_type = getattr(config, "model_type", "?")
    if model_type not in LLAMA_TYPES:
        raise ModelError(f"export gguf knows Llama-architecture models (Llama, Mistral, SmolLM2); "
                         f"the base model is {model_type!r}")
    n_head = config.num_attention_heads
    return BaseShape("llama", config.num_hidden_layers, n_head,
                     getattr(config, "num_key_value_heads", None) or n_head, config.vocab_size)


def converter_version(path: Path) -> int | None:
    """The converter version an adapter GGUF was written by (None: not ours, or unreadable)."""
    try:
        version = read_metadata(path).get(CONVERTER_KEY)
    except ModelError:
        return None
    return int(version) if isinstance(version, int) else None


def permute_rows(w, n_head: int):
    """Reorder the output rows of a q/k projection (or of its LoRA ``B``) from transformers'
    rotary layout to llama.cpp's, head by head (see the module docstring)."""
    rows = w.shape[0]
    return w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _refuse_unsupported(cfg: dict, adapter_dir: Path) -> None:
    where = f"{adapter_dir}/adapter_config.json"
    if str(cfg.get("peft_type", "LORA")).upper() != "LORA":
        raise ModelError(f"{where}: a {cfg.get('peft_type')} adapter; llama.cpp takes LoRA only")
    saved = [m for m in (cfg.get("modules_to_save") or []) if m]
    if saved or cfg.get("trainable_token_indices"):
        what = ", ".join(saved) if saved else "trainable tokens"
        raise ModelError(
            f"the adapter trains whole layers ({what}): a vocabulary extended or embeddings "
            "trained; llama.cpp's adapter format holds LoRA deltas of linear layers only, so "
            "it cannot be exported (train without modules_to_save)")
    if cfg.get("use_dora"):
        raise ModelError(f"{where}: a DoRA adapter; llama.cpp's adapter format has no place "
                         "for its magnitudes")
    if cfg.get("lora_bias") or cfg.get("bias", "none") not in ("none", None):
        raise ModelError(f"{where}: the adapter trains biases; llama.cpp's adapter format "
                         "has no place for them")


def _scale(cfg: dict, module: str, rank: int) -> float:
    """peft's scaling of ``module``: its alpha (pattern or global) over its rank (or
    over sqrt(rank) with rsLoRA)."""
    alpha = float(cfg.get("lora_alpha", 8))
    for pattern, value in (cfg.get("alpha_pattern") or {}).items():
        if re.search(rf"(^|\.){pattern}$", module):
            alpha = float(value)
    return alpha / (math.sqrt(rank) if cfg.get("use_rslora") else rank)


def convert_adapter(adapter_dir: Path, out_path: Path, base: BaseShape, *,
                    tokenizer_size: int | None = None) -> Path:
    """Write ``adapter_dir``'s LoRA as a llama.cpp adapter GGUF at ``out_path`` (temp file,
    then rename). ``tokenizer_size``: tokens in the adapter's tokenizer, checked against the
    base vocabulary."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    adapter_dir = Path(adapter_dir)
    try:
        cfg = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {adapter_dir}/adapter_config.json: {e}") from None
    _refuse_unsupported(cfg, adapter_dir)
    if tokenizer_size is not None and tokenizer_size > base.vocab_size:
        raise ModelError(
            f"the adapter's tokenizer has {tokenizer_size} tokens, the base model's vocabulary "
            f"{base.vocab_size}: a vocabulary extended in training cannot be exported "
            "(llama.cpp's adapter format has no embeddings)")
    if base.arch != "llama":
        raise ModelError(f"export gguf knows Llama-architecture models; the base GGUF is {base.arch!r}")
    try:
        tensors = load_file(str(adapter_dir / ADAPTER_WEIGHTS))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {adapter_dir}/{ADAPTER_WEIGHTS}: {e}") from None

    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        m = _KEY.match(key)
        if m is None:
            if re.search(r"embed|lm_head|wte|modules_to_save|trainable_tokens", key):
                raise ModelError(
                    f"the adapter holds {key}: a vocabulary extended or embeddings trained; "
                    "llama.cpp's adapter format has no embeddings, so it cannot be exported")
            raise ModelError(f"the adapter holds {key}, not a LoRA A/B matrix: cannot export it")
        pairs.setdefault(m["module"], {})[m["ab"]] = value
    if not pairs:
        raise ModelError(f"{adapter_dir}/{ADAPTER_WEIGHTS} holds no LoRA matrices")

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, base.n_layers)
    alpha = float(cfg.get("lora_alpha", 8))
    out: list[tuple[str, np.ndarray]] = []
    for module, ab in sorted(pairs.items()):
        if set(ab) != {"A", "B"}:
            raise ModelError(f"the adapter's {module} lacks its lora_{'B' if 'A' in ab else 'A'}")
        if module.endswith(("embed_tokens", "lm_head")):
            raise ModelError(f"the adapter has LoRA on {module}: embeddings trained; llama.cpp's "
                             "adapter format has no embeddings, so it cannot be exported")
        name = names.get_name(module + ".weight", try_suffixes=(".weight",))
        if name is None:
            raise ModelError(f"the adapter has LoRA on {module}, which llama.cpp's llama graph "
                             "does not have")
        a = ab["A"].astype(np.float32)  # (rank, in)
        b = ab["B"].astype(np.float32)  # (out, rank)
        rank = a.shape[0]
        if b.shape[1] != rank:
            raise ModelError(f"the adapter's {module} has mismatched LoRA shapes {a.shape} / {b.shape}")
        factor = _scale(cfg, module, rank) / (alpha / rank)
        if not math.isclose(factor, 1.0, rel_tol=1e-9):
            b = b * np.float32(factor)
        if module.endswith("q_proj"):
            b = permute_rows(b, base.n_head)
        elif module.endswith("k_proj"):
            b = permute_rows(b, base.n_head_kv)
        stem = name[: -len(".weight")]
        out += [(stem + ".weight.lora_a", np.ascontiguousarray(a)),
                (stem + ".weight.lora_b", np.ascontiguousarray(b))]

    def fill(w) -> None:
        w.add_type(gguf.GGUFType.ADAPTER)
        w.add_string(gguf.Keys.Adapter.TYPE, "lora")
        w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        w.add_name(f"clonebot adapter {adapter_dir.name}")
        w.add_uint32(CONVERTER_KEY, CONVERTER_VERSION)
        for name, data in out:
            w.add_tensor(name, data)

    return write_gguf(out_path, base.arch, fill)
