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


# -- helpers for the prepare tests (plain functions: ``from fixtures_dataset import ...``) ------
@pytest.fixture
def clean_prepare_env(tmp_path, monkeypatch):
    """No stray ./config.toml, no owner/model/workers from the environment."""
    monkeypatch.chdir(tmp_path)
    for k in ("CLONEBOT_MODEL__BASE_MODEL", "CLONEBOT_PREPARE__OWNER_ID", "CLONEBOT_PREPARE__WORKERS"):
        monkeypatch.delenv(k, raising=False)


def leftovers(out: Path) -> list[str]:
    """What a prepare left beside ``out`` (.out.tmp-*, .new, .old, .lock)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def assert_one_line_error(r, out: Path | None, *needles: str) -> str:
    """A CLI result that failed cleanly: exit 1, one ``error:`` line, no traceback; with
    ``out``, nothing there and nothing left beside it."""
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    err = r.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in r.output, err
    for n in needles:
        assert n in err, err
    if out is not None:
        assert not out.exists()
        assert leftovers(out) == []
    return err


def dataset_files(out: Path, stats_keys: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """Every file of a dataset dir; stats.json without its timings (or only ``stats_keys``)."""
    import json

    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.name == "stats.json":
                st = json.loads(data)
                keep = stats_keys or [k for k in st if k not in ("seconds", "created")]
                data = json.dumps({k: st[k] for k in keep}).encode()
            files[str(p.relative_to(out))] = data
    return files
