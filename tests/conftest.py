"""Shared fixtures. Area-specific ones live in ``fixtures_<area>.py`` plugins listed below."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Copies of ../shared/fixtures/telegram-exports (MIT, see SOURCES.md there).
EXPORTS = Path(__file__).resolve().parent / "fixtures" / "telegram-exports"
SAMPLE_EXPORT = ROOT / "exports" / "sample" / "result.json"

# Keep runs deterministic and offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# As the CLI does, before anything imports torch or llama.cpp: idle OpenMP threads spin
# briefly, then sleep (the suite shares its cores with other jobs; threads spinning for
# libgomp's default 3 ms made it several times slower).
from clonebot.model.cpu import apply_openmp_defaults  # noqa: E402

apply_openmp_defaults()

pytest_plugins: list[str] = [
    p.stem for p in sorted(Path(__file__).parent.glob("fixtures_*.py"))
]


@pytest.fixture(scope="session")
def exports_dir() -> Path:
    return EXPORTS


@pytest.fixture(scope="session")
def real_exports() -> list[Path]:
    """Every valid real Telegram export fixture."""
    return sorted(EXPORTS.glob("*.result.json"))


@pytest.fixture(scope="session")
def invalid_export() -> Path:
    return EXPORTS / "tdesktop_issue24961_custom_emoji_INVALID_JSON.fragment.txt"


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    """The real clonebot cache (the converted test model lives there, outside git)."""
    return Path(os.environ.get("CLONEBOT_PATHS__CACHE_DIR", "~/.cache/clonebot")).expanduser()


@pytest.fixture(scope="session")
def test_model_dir(cache_dir: Path) -> Path:
    from clonebot.model.registry import convert_test_model

    return convert_test_model(cache_dir)
