"""Mistral fixtures: the tiny Mistral test models (Mistral-7B v0.1's / v0.3's own tokenizer
on a 2-layer random-init Mistral of the real architecture), built once into the cache dir.

``mistral_tokenizer`` gives each real Mistral tokenizer in turn; ``tokenizer`` (in
fixtures_model.py) includes them among every kind of tokenizer token-level tests run on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_MISTRALS = ("tiny-mistral-v1", "tiny-mistral-v3")


@pytest.fixture(scope="session")
def mistral_dirs(cache_dir: Path) -> dict[str, Path]:
    """alias -> the built model dir (config.json, weights, tokenizer)."""
    from clonebot.model.mistral import build_tiny

    return {alias: build_tiny(alias, cache_dir) for alias in TINY_MISTRALS}


@pytest.fixture(scope="session")
def mistral_tokenizers(mistral_dirs) -> dict[str, object]:
    from clonebot.model.load import load_tokenizer

    return {alias: load_tokenizer(path) for alias, path in mistral_dirs.items()}


@pytest.fixture(params=TINY_MISTRALS)
def mistral_tokenizer(request, mistral_tokenizers):
    return mistral_tokenizers[request.param]
