"""Load a base model + tokenizer, optionally with a LoRA adapter.

The base is held in 4-bit NF4 with double quantization (QLoRA) or in full precision
(plain LoRA): ``train.quantize`` decides for training ("auto": 4-bit on CUDA, none on
CPU), and an adapter's manifest records which it was trained on. Training and inference
share this loader, so the adapter always sits on the same kind of base it was trained on.
Compute dtype: bf16 on GPUs that have it, fp16 on older ones (T4-class), fp32 on CPU
(bitsandbytes >= 0.49 runs NF4 on CPU).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clonebot.config import Settings
from clonebot.errors import ModelError
from clonebot.model.cpu import cpu_threads
from clonebot.model.manifest import check_prompt_format, read_manifest
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


def load_tokenizer(source: str | Path, revision: str | None = None):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(source), revision=revision)
    except Exception as e:  # noqa: BLE001 - hub, file and format errors all mean "can't load"
        raise ModelError(f"cannot load tokenizer from {source}: {_reason(e)}") from None
    if tok.eos_token is None:
        raise ModelError(f"tokenizer of {source} has no EOS token; clonebot needs one to stop")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token  # pads are masked out; any id will do
    return tok


def encode(tokenizer, text: str, *, offsets: bool = False) -> dict:
    """The one way text becomes ids, for training and inference alike (BOS as the model wants)."""
    return tokenizer(
        text,
        add_special_tokens=True,
        return_offsets_mapping=offsets,
        return_attention_mask=False,
    )


def load_base(
    settings: Settings,
    base_model: str | None = None,
    revision: str | None = None,
    *,
    training: bool = False,
    quantize: str | None = None,
) -> tuple[Any, Any, str]:
    """Load the base model and its tokenizer. Returns (model, tokenizer, device).

    ``quantize``: "4bit" or "none"; None resolves ``train.quantize`` for the device."""
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
    try:
        config = AutoConfig.from_pretrained(source, revision=revision)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot load base model {name}: {_reason(e)}") from None
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
        )
    except ImportError as e:
        raise ModelError(f"4-bit loading needs bitsandbytes: {e}") from None
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot load base model {name}: {_reason(e)}") from None
    tokenizer = load_tokenizer(source, revision)
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
        base, revision = manifest["base_model"], manifest.get("revision")
        quantize = trained_quantize(manifest)
    model, tokenizer, device = load_base(settings, base, revision, quantize=quantize)
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
