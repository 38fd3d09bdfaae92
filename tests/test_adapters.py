"""Adapter versions: numbering, promote, rollback, atomic markers, and the CLI."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from clonebot import adapters as av
from clonebot import fsutil
from clonebot.cli import cli
from clonebot.cli import adapters as adapters_cli


def _fake_run(runs: Path, when: datetime | None = None, eval_loss: float = 2.0) -> Path:
    path = av.new_version_dir(runs, now=when)
    (path / "adapter_config.json").write_text("{}")
    (path / "clonebot.json").write_text(json.dumps({
        "base_model": "smollm2-135m",
        "created": "2026-11-21T23:30:00+00:00",
        "metrics": {"eval_loss": eval_loss},
    }))
    return path


def test_new_version_dir_numbers_and_never_reuses(tmp_path: Path):
    runs = tmp_path / "runs"
    a = av.new_version_dir(runs, now=datetime(2026, 11, 21, 23, 30))
    b = av.new_version_dir(runs, now=datetime(2026, 11, 21, 23, 30))
    assert a.name == "v001-20261121-2330"
    assert b.name == "v002-20261121-2330"
    # Numbers keep counting past deleted versions' gaps, from the highest in use.
    (runs / "v007-20270101-0000").mkdir()
    assert av.new_version_dir(runs).name.startswith("v008-")


def test_nothing_promoted_yet(tmp_path: Path):
    assert av.current_adapter(tmp_path / "missing") is None
    assert av.list_versions(tmp_path / "missing") == []
    with pytest.raises(av.AdapterError, match="nothing to roll back"):
        av.rollback(tmp_path / "runs")


def test_promote_and_rollback_stack(tmp_path: Path):
    runs = tmp_path / "runs"
    v1, v2, v3 = (_fake_run(runs) for _ in range(3))
    av.promote(runs, v1.name)
    assert av.current_adapter(runs) == v1
    av.promote(runs, "v002")  # unique prefix
    av.promote(runs, v3)  # a path
    assert av.current_adapter(runs) == v3
    # Re-promoting the current one must not push a duplicate onto the stack.
    av.promote(runs, v3.name)
    assert av.history(runs)["stack"] == [v1.name, v2.name]

    assert av.rollback(runs) == v2
    assert av.current_adapter(runs) == v2
    assert av.rollback(runs) == v1
    with pytest.raises(av.AdapterError, match="nothing to roll back"):
        av.rollback(runs)
    assert av.current_adapter(runs) == v1
    log = av.history(runs)["log"]
    assert [e["action"] for e in log] == ["promote"] * 3 + ["rollback"] * 2


def test_rollback_skips_deleted_versions(tmp_path: Path):
    runs = tmp_path / "runs"
    v1, v2, v3 = (_fake_run(runs) for _ in range(3))
    for v in (v1, v2, v3):
        av.promote(runs, v.name)
    import shutil

    shutil.rmtree(v2)
    assert av.rollback(runs) == v1


def test_promote_refuses_unknown_and_non_adapter(tmp_path: Path):
    runs = tmp_path / "runs"
    _fake_run(runs)
    (runs / "junk").mkdir()
    with pytest.raises(av.AdapterError, match="no adapter version v999"):
        av.promote(runs, "v999")
    with pytest.raises(av.AdapterError, match="holds no adapter"):
        av.promote(runs, "junk")
    with pytest.raises(av.AdapterError, match="not inside the runs dir"):
        av.promote(runs, tmp_path)
    assert av.current_adapter(runs) is None  # nothing half-done


def test_markers_written_atomically(tmp_path: Path, monkeypatch):
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    av.promote(runs, v1.name)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "replace", boom)
    with pytest.raises(OSError):
        av.promote(runs, v2.name)
    monkeypatch.undo()
    # The old marker survives intact and no temp files are left behind.
    assert av.current_adapter(runs) == v1
    assert not [p for p in os.listdir(runs) if p.endswith(".tmp")]


def test_list_versions_reads_manifest_and_eval(tmp_path: Path):
    runs = tmp_path / "runs"
    v1 = _fake_run(runs, eval_loss=2.5)
    v2 = _fake_run(runs, eval_loss=2.1)
    (v2 / "eval.json").write_text(json.dumps({"summary": {"chrf": 17.5}}))
    (runs / "not-a-run").mkdir()
    (runs / "v010-broken").mkdir()
    (runs / "v010-broken" / "adapter_config.json").write_text("{}")
    (runs / "v010-broken" / "clonebot.json").write_text("{not json")
    av.promote(runs, v2.name)
    vs = av.list_versions(runs)
    assert [v.name for v in vs] == [v1.name, v2.name, "v010-broken"]
    assert vs[1].current and not vs[0].current
    assert vs[0].metrics == {"eval_loss": 2.5}
    assert vs[1].metrics == {"eval_loss": 2.1, "chrf": 17.5}
    assert vs[0].base_model == "smollm2-135m"
    assert vs[2].metrics == {} and vs[2].base_model is None


@pytest.fixture
def runner_cli():
    adapters_cli.register(cli)
    return CliRunner()


def test_cli_list_use_rollback(tmp_path: Path, runner_cli: CliRunner, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(runs))
    monkeypatch.chdir(tmp_path)  # no stray ./config.toml
    r = runner_cli.invoke(cli, ["adapters", "list"])
    assert r.exit_code == 0 and "no adapter versions yet" in r.output

    v1, v2 = _fake_run(runs, eval_loss=2.5), _fake_run(runs, eval_loss=2.1)
    r = runner_cli.invoke(cli, ["adapters", "use", v1.name])
    assert r.exit_code == 0, r.output
    r = runner_cli.invoke(cli, ["adapters", "use", "v002"])
    assert r.exit_code == 0 and f"current adapter: {v2.name} (was {v1.name})" in r.output

    r = runner_cli.invoke(cli, ["adapters", "list"])
    lines = r.output.splitlines()
    row2 = next(line for line in lines if v2.name in line)
    row1 = next(line for line in lines if v1.name in line)
    assert row2.startswith("*") and not row1.startswith("*")
    assert "eval_loss=2.100" in row2 and "smollm2-135m" in row2 and "2026-11-21" in row2

    r = runner_cli.invoke(cli, ["adapters", "rollback"])
    assert r.exit_code == 0 and f"{v2.name} -> {v1.name}" in r.output
    r = runner_cli.invoke(cli, ["adapters", "rollback"])
    assert r.exit_code == 1 and "error: nothing to roll back" in r.output
    assert "Traceback" not in r.output

    r = runner_cli.invoke(cli, ["adapters", "use", "v404"])
    assert r.exit_code == 1 and "error: no adapter version v404" in r.output


def test_partial_training_dirs_reserve_their_number(tmp_path: Path):
    runs = tmp_path / "runs"
    name = av.new_version_dir(runs, now=datetime(2026, 11, 21, 23, 30), create=False)
    assert name.name == "v001-20261121-2330" and not name.exists()
    (runs / f".{name.name}.partial").mkdir()  # what training.train writes first
    assert av.interrupted_versions(runs) == [name]
    assert av.new_version_dir(runs).name.startswith("v002-")
    assert av.list_versions(runs) == []  # an unfinished run is not a version
