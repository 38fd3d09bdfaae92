"""Load a base model + tokenizer, optionally with a LoRA adapter.

The base is held in 4-bit NF4 with double quantization (QLoRA) or in full precision
(plain LoRA): ``train.quantize`` decides for training ("auto": 4-bit on CUDA, none on
CPU), and an adapter's manifest records which it was trained on. Training and inference
share this loader, so the adapter always sits on the same kind of base it was trained on.
Compute dtype: bf16 on GPUs that have it, fp16 on older ones (T4-class), fp32 on CPU
(bitsandbytes >= 0.49 runs NF4 on CPU).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clonebot.config import Settings
from clonebot.errors import ModelError
from clonebot.model.cpu import cpu_threads
from clonebot.model.manifest import check_prompt_format, check_weights, read_manifest
from clonebot.model.registry import looks_large, resolve_base_model

log = logging.getLogger(__name__)

# "Failed to load CPU gemm_4bit_forward from kernels-community" is a harmless fallback
# notice that bitsandbytes logs on import; keep it off the owner's terminal.
logging.getLogger("bitsandbytes").setLevel(logging.ERROR)

# Above this many parameters a CPU run takes hours per step: refuse unless allowed.
LARGE_PARAMS = 3_000_000_000


@dataclass
class LoadedModel:
    model: Any  # a transformers / peft causal LM
    tokenizer: Any
    manifest: dict | None
    device: str  # "cuda:N" or "cpu"
    # Turns of context the model gets before a reply: the adapter's trained number (its
    # manifest); a base model alone gets prepare.context_turns, what training would use.
    context_turns: int


def local_rank() -> int | None:
    """The process's GPU under torchrun / accelerate launch (DDP), else None."""
    rank = os.environ.get("LOCAL_RANK")
    return int(rank) if rank is not None and rank.lstrip("-").isdigit() else None


def select_device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda:{local_rank() or 0}"
    return "cpu"


def compute_dtype(device: str):
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


QUANTIZE_4BIT = "4bit"
QUANTIZE_NONE = "none"
# What a manifest's hyperparameters say for each (older manifests hold the first only).
_MANIFEST_QUANTIZATION = {QUANTIZE_4BIT: "nf4+double_quant", QUANTIZE_NONE: "none"}


def resolve_quantize(setting: str, device: str) -> str:
    """``train.quantize`` for this device: "auto" is 4-bit on CUDA and none on CPU."""
    if setting == "auto":
        return QUANTIZE_4BIT if device.startswith("cuda") else QUANTIZE_NONE
    return setting


def manifest_quantization(quantize: str) -> str:
    """The ``hyperparameters.quantization`` value a run trained with ``quantize`` records."""
    return _MANIFEST_QUANTIZATION[quantize]


def trained_quantize(manifest: dict) -> str:
    """How the adapter's base was held in training; manifests from before this choice
    existed were all 4-bit."""
    recorded = (manifest.get("hyperparameters") or {}).get("quantization")
    return QUANTIZE_NONE if recorded == _MANIFEST_QUANTIZATION[QUANTIZE_NONE] else QUANTIZE_4BIT


def quantization_config(dtype):
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=dtype,
    )


def quiet() -> None:
    """Silence per-tensor loading bars and advisory warnings; our own progress stays."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    # Deprecation notices about the libraries' own internals are not the owner's to act on.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft|pyarrow)\b")
    hf_logging.disable_progress_bar()
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)


def estimate_params(config: Any) -> int:
    """Rough parameter count from a decoder config (enough to tell 135M from 7B)."""
    h = getattr(config, "hidden_size", 0) or 0
    layers = getattr(config, "num_hidden_layers", 0) or 0
    inter = getattr(config, "intermediate_size", 4 * h) or 4 * h
    vocab = getattr(config, "vocab_size", 0) or 0
    return layers * (4 * h * h + 3 * h * inter) + vocab * h


def _reason(e: Exception) -> str:
    """The first line of a library's error, plus what to do when the hub is out of reach."""
    text = str(e).strip()
    first = text.splitlines()[0] if text else type(e).__name__
    if "huggingface.co" in text or "offline" in text.lower():
        first += (" (not in the local cache and the hub is unreachable: download it once on a"
                  " connected machine, or set model.base_model to a local directory)")
    return first


def _check_size(name: str, config: Any, device: str, settings: Settings) -> None:
    """Refuse a 7B-class model on CPU; ``config=None`` checks the name alone."""
    if not device.startswith("cpu") or settings.model.allow_large_on_cpu:
        return
    n = estimate_params(config) if config is not None else 0
    if looks_large(name) or n > LARGE_PARAMS:
        size = f"~{n / 1e9:.1f}B parameters" if n else "a large model"
        raise ModelError(
            f"{name} is {size} and no CUDA GPU is available: on CPU that takes hours per "
            "step. Use a GPU, a small model (model.base_model = \"smollm2-135m\"), or set "
            "model.allow_large_on_cpu = true to try anyway"
        )


def load_tokenizer(source: str | Path, revision: str | None = None, *, local_only: bool = False):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(source), revision=revision,
                                            local_files_only=local_only)
    except Exception as e:  # noqa: BLE001 - hub, file and format errors all mean "can't load"
        raise ModelError(f"cannot load tokenizer from {source}: {_reason(e)}") from None
    if tok.eos_token is None:
        raise ModelError(f"tokenizer of {source} has no EOS token; clonebot needs one to stop")
    if tok.pad_token is None:
        # Mistral's and Llama's tokenizers have none. Pads are masked out, so any id would do
        # for training, but not EOS: a generated row padded with EOS after it stopped on a
        # turn marker would read as one that stopped by EOS. <unk> is what they have spare.
        spare = tok.unk_token if tok.unk_token not in (None, tok.eos_token) else None
        tok.pad_token = spare or tok.eos_token
    return tok


def generation_pad_id(tokenizer) -> int:
    """The id to pad generated rows with: never EOS, so a row that stopped for another
    reason (a turn marker) is not mistaken for one that stopped by EOS. SmolLM2's own pad
    is its EOS; then its <unk> (or any other id) pads."""
    eos = tokenizer.eos_token_id
    for candidate in (tokenizer.pad_token_id, tokenizer.unk_token_id, 0, 1):
        if candidate is not None and candidate != eos:
            return candidate
    raise AssertionError("unreachable: 0 and 1 cannot both be EOS")


# Per tokenizer: whether it puts BOS first, and a pattern of its special tokens' spellings.
_TOKENIZER_FACTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _facts(tokenizer) -> tuple[bool, re.Pattern | None]:
    try:
        return _TOKENIZER_FACTS[tokenizer]
    except (KeyError, TypeError):
        pass
    bos = tokenizer.bos_token_id
    first = tokenizer("a", add_special_tokens=True)["input_ids"][:1]
    wants_bos = bos is not None and first == [bos]
    names = set(tokenizer.all_special_tokens)
    names.update(t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values()
                 if getattr(t, "special", False))
    names = sorted((n for n in names if n), key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, names))) if names else None
    facts = (wants_bos, pattern)
    try:
        _TOKENIZER_FACTS[tokenizer] = facts
    except TypeError:  # not weak-referenceable: recompute next time
        pass
    return facts


def literal_turns(turns, tokenizer) -> list[dict]:
    """``turns`` with every spelling of one of the tokenizer's special tokens in a message
    broken by a word joiner (U+2060), so it is read as the text it is.

    A friend who types "</s>" or, with Mistral v0.3's tokenizer, "[INST]" would otherwise
    put an EOS or a control token into the model's input (and into what it learns to
    write): the tokenizer parses special tokens anywhere in the text it is given. Training
    and inference both render turns passed through this, so they see the same tokens."""
    _, pattern = _facts(tokenizer)
    if pattern is None:
        return [dict(t) for t in turns]
    return [{**t, "content": pattern.sub(lambda m: m.group()[0] + "\u2060" + m.group()[1:],
                                         t.get("content") or "")} for t in turns]


def encode(tokenizer, text: str, *, offsets: bool = False) -> dict:
    """The one way text becomes ids, for training and inference alike: BOS first if the
    tokenizer puts one there, and never an EOS at the end, even from a tokenizer configured
    with ``add_eos_token`` (a prompt ending in EOS asks the model to say nothing).

    ``offsets``: character offsets per token where the tokenizer has them (fast ones);
    ``offset_mapping`` is absent otherwise."""
    wants_bos, _ = _facts(tokenizer)
    try:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=offsets,
                        return_attention_mask=False)
    except NotImplementedError:  # transformers 4.x slow tokenizers refuse offsets
        enc = tokenizer(text, add_special_tokens=False, return_attention_mask=False)
    out = {"input_ids": list(enc["input_ids"])}
    if offsets and enc.get("offset_mapping") is not None:
        out["offset_mapping"] = [tuple(o) for o in enc["offset_mapping"]]
    if wants_bos:
        out["input_ids"].insert(0, tokenizer.bos_token_id)
        if "offset_mapping" in out:
            out["offset_mapping"].insert(0, (0, 0))
    return out


def token_counts(tokenizer, texts: list[str]) -> list[int]:
    """``len(encode(tokenizer, text)["input_ids"])`` for each text, counted in one batch."""
    if not texts:
        return []
    wants_bos, _ = _facts(tokenizer)
    ids = tokenizer(texts, add_special_tokens=False, return_attention_mask=False)["input_ids"]
    return [len(x) + wants_bos for x in ids]


def base_tokenizer(settings: Settings) -> Any:
    """The base model's tokenizer alone, to count tokens before the model loads (a 7B-class
    name on a CPU is refused first, as ``load_base`` refuses it)."""
    name = settings.model.base_model
    _check_size(name, None, select_device(), settings)
    return load_tokenizer(resolve_base_model(name, settings.paths.cache_dir), settings.model.revision)


def offline_tokenizer(settings: Settings) -> tuple[Any, str] | None:
    """The configured base model's tokenizer and a name for it, if it is on this machine
    (no download): an alias or local directory, the Hugging Face cache, or, for a known
    Mistral-7B id, the same tokenizer built from the mistral-common wheel. None if not."""
    name, revision = settings.model.base_model, settings.model.revision
    return _offline_tokenizer(name, revision, str(settings.paths.cache_dir))


@functools.lru_cache(maxsize=4)
def _offline_tokenizer(name: str, revision: str | None, cache_dir: str) -> tuple[Any, str] | None:
    # Cached: loading Mistral's tokenizer takes ~0.5 s, and a process may prepare many times.
    from clonebot.model.mistral import hub_version, tokenizer_dir

    try:
        source = resolve_base_model(name, Path(cache_dir))
        return load_tokenizer(source, revision, local_only=True), name
    except (ModelError, ImportError, OSError, ValueError):
        pass
    try:
        bundled = tokenizer_dir(name, Path(cache_dir))
        if bundled is not None:
            return load_tokenizer(bundled), f"{name}: Mistral {hub_version(name)}'s tokenizer"
    except (ModelError, ImportError, OSError, ValueError):  # no sentencepiece, a full disk...
        pass
    return None


def load_base(
    settings: Settings,
    base_model: str | None = None,
    revision: str | None = None,
    *,
    training: bool = False,
    quantize: str | None = None,
    tokenizer: Any = None,
    local_only: bool = False,
) -> tuple[Any, Any, str]:
    """Load the base model and its tokenizer. Returns (model, tokenizer, device).

    ``quantize``: "4bit" or "none"; None resolves ``train.quantize`` for the device.
    ``tokenizer``: one already loaded from the same source (not loaded again).
    ``local_only``: from the local cache or a directory, never downloaded."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    quiet()
    name = base_model or settings.model.base_model
    revision = revision if base_model else (revision or settings.model.revision)
    source = resolve_base_model(name, settings.paths.cache_dir)
    device = select_device()
    # Refuse a 7B-class name on CPU before touching the network: no 30 s of hub retries
    # just to say no.
    _check_size(name, None, device, settings)
    offline = {"local_files_only": True} if local_only else {}
    try:
        config = AutoConfig.from_pretrained(source, revision=revision, **offline)
    except Exception as e:  # noqa: BLE001
        hint = (f" (the adapter names it; clonebot downloads only the model.base_model of your "
                f"config: set it to {name!r} to fetch it)" if local_only else "")
        raise ModelError(f"cannot load base model {name}: {_reason(e)}{hint}") from None
    _check_size(name, config, device, settings)

    if device == "cpu":
        torch.set_num_threads(cpu_threads(settings.model.cpu_threads))
    dtype = compute_dtype(device)
    quantize = quantize or resolve_quantize(settings.train.quantize, device)
    device_map = {"": device if device == "cpu" else int(device.split(":")[1])}
    quant = {"quantization_config": quantization_config(dtype)} if quantize == QUANTIZE_4BIT else {}
    try:
        model = AutoModelForCausalLM.from_pretrained(
            source,
            revision=revision,
            device_map=device_map,
            dtype=dtype,
            **quant,
            **offline,
        )
    except ImportError as e:
        raise ModelError(f"4-bit loading needs bitsandbytes: {e}") from None
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot load base model {name}: {_reason(e)}") from None
    tokenizer = tokenizer or load_tokenizer(source, revision, local_only=local_only)
    if training:
        model.config.use_cache = False  # incompatible with gradient checkpointing
        # bitsandbytes repacks CPU weights for a fast inference kernel the first time a
        # layer runs in eval mode (e.g. an eval pass); that kernel has no backward, so
        # later training steps would silently lose gradients. Keep the training layout.
        for module in model.modules():
            if hasattr(module, "support_avx512bf16_for_cpu"):
                module.support_avx512bf16_for_cpu = False
    held = "4-bit NF4" if quantize == QUANTIZE_4BIT else "full precision"
    log.info("loaded %s on %s (%s, compute %s)", name, device, held, dtype)
    return model, tokenizer, device


def load_model(settings: Settings, adapter_dir: Path | str | None = None) -> LoadedModel:
    """Base model (+ the adapter in ``adapter_dir``) ready for generation.

    With an adapter, the base model and revision come from its manifest, and a manifest
    whose prompt format differs from this code's is refused (FormatMismatchError).
    """
    manifest = None
    base, revision, quantize = None, None, None
    if adapter_dir is not None:
        adapter_dir = Path(adapter_dir)
        manifest = read_manifest(adapter_dir)
        check_prompt_format(manifest)
        if not (adapter_dir / "adapter_config.json").is_file():
            raise ModelError(f"{adapter_dir} has no adapter_config.json: not a trained adapter")
        check_weights(adapter_dir, manifest)  # flipped, truncated or missing: said now
        base, revision = manifest["base_model"], manifest.get("revision")
        quantize = trained_quantize(manifest)
    # A base model the manifest names is loaded from this machine only, unless the config
    # names it too: an adapter (a file anyone can hand you) never starts a download.
    local_only = base is not None and base != settings.model.base_model
    model, tokenizer, device = load_base(settings, base, revision, quantize=quantize,
                                         local_only=local_only)
    if adapter_dir is not None:
        from peft import PeftModel

        if (adapter_dir / "tokenizer_config.json").is_file():
            tokenizer = load_tokenizer(adapter_dir)
        if tokenizer.eos_token != manifest["eos_token"]:
            raise ModelError(
                f"adapter was trained with EOS {manifest['eos_token']!r}, "
                f"tokenizer has {tokenizer.eos_token!r}"
            )
        try:
            model = PeftModel.from_pretrained(model, str(adapter_dir))
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"cannot load adapter {adapter_dir}: {_reason(e)}") from None
    model.eval()
    context = manifest["context_turns"] if manifest else settings.prepare.context_turns
    return LoadedModel(model=model, tokenizer=tokenizer, manifest=manifest, device=device,
                       context_turns=context)
