"""Shared dataset fixtures (auto-loaded by conftest): the bundled sample, prepared once."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE_EXPORT = Path(__file__).resolve().parents[1] / "exports" / "sample" / "result.json"


@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``exports/sample/result.json`` prepared with default settings (Mistral's ``</s>``
    EOS unless that tokenizer is cached). ``datasets.load_from_disk(path)`` works; read,
    don't modify (it is shared by the whole session)."""
    from clonebot.config import load_settings
    from training.dataset import prepare

    out = tmp_path_factory.mktemp("sample-dataset") / "dataset"
    prepare(SAMPLE_EXPORT, out, load_settings(None))
    return out
