"""Adapter versions: numbering, promote, rollback, resolve(), crash-safe promotion, damaged
files, and the `adapters` CLI."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from clonebot import fsutil, versions
from clonebot.cli import cli
from clonebot.cli import adapters as adapters_cli
from clonebot.cli import chat as chat_cli
from clonebot.errors import AdapterError, ModelError, OutputError
from clonebot.model.manifest import read_manifest
from fixtures_versions import fake_run


class Killed(BaseException):
    """A simulated kill -9: no `except Exception` handler sees it."""


def _fake_run(runs: Path, when: datetime | None = None, eval_loss: float = 2.0) -> Path:
    path = versions.new_version_dir(runs, now=when)
    return fake_run(path, created="2026-11-21T23:30:00+00:00", metrics={"eval_loss": eval_loss})


def _temps(runs: Path) -> list[Path]:
    return [p for p in runs.rglob("*") if p.name.endswith(".tmp")]


def test_new_version_dir_numbers_and_never_reuses(tmp_path: Path):
    runs = tmp_path / "runs"
    a = versions.new_version_dir(runs, now=datetime(2026, 11, 21, 23, 30))
    b = versions.new_version_dir(runs, now=datetime(2026, 11, 21, 23, 30))
    assert a.name == "v001-20261121-2330"
    assert b.name == "v002-20261121-2330"
    # Numbers keep counting past deleted versions' gaps, from the highest in use.
    (runs / "v007-20270101-0000").mkdir()
    assert versions.new_version_dir(runs).name.startswith("v008-")


def test_nothing_promoted_yet(tmp_path: Path):
    assert versions.current_adapter(tmp_path / "missing") is None
    assert versions.promoted_version(tmp_path / "missing") is None
    assert versions.list_versions(tmp_path / "missing") == []
    with pytest.raises(AdapterError, match="nothing to roll back"):
        versions.rollback(tmp_path / "runs")
    with pytest.raises(AdapterError, match="none promoted.*--adapter"):
        versions.resolve(tmp_path / "runs")


def test_promote_and_rollback_stack(tmp_path: Path):
    runs = tmp_path / "runs"
    v1, v2, v3 = (_fake_run(runs) for _ in range(3))
    versions.promote(runs, v1.name)
    assert versions.current_adapter(runs) == v1
    versions.promote(runs, "v002")  # unique prefix
    versions.promote(runs, v3)  # a path
    assert versions.current_adapter(runs) == v3
    # Re-promoting the current one must not push a duplicate onto the stack.
    versions.promote(runs, v3.name)
    assert versions.history(runs)["stack"] == [v1.name, v2.name]

    assert versions.rollback(runs) == v2
    assert versions.current_adapter(runs) == v2
    assert versions.rollback(runs) == v1
    with pytest.raises(AdapterError, match="nothing to roll back"):
        versions.rollback(runs)
    assert versions.current_adapter(runs) == v1
    log = versions.history(runs)["log"]
    assert [e["action"] for e in log] == ["promote"] * 3 + ["rollback"] * 2


def test_rollback_skips_deleted_and_damaged_versions(tmp_path: Path):
    runs = tmp_path / "runs"
    v1, v2, v3, v4 = (_fake_run(runs) for _ in range(4))
    for v in (v1, v2, v3, v4):
        versions.promote(runs, v.name)
    shutil.rmtree(v3)
    (v2 / "clonebot.json").write_text('{"base_model": 123}')
    assert versions.rollback(runs) == v1


def test_promote_refuses_unknown_non_adapter_and_damaged(tmp_path: Path):
    runs = tmp_path / "runs"
    _fake_run(runs)
    (runs / "junk").mkdir()
    damaged = fake_run(runs / "v005-damaged")
    (damaged / "clonebot.json").write_text('{"prompt_format": "v1"}')
    with pytest.raises(AdapterError, match="no adapter version v999"):
        versions.promote(runs, "v999")
    with pytest.raises(AdapterError, match="holds no adapter"):
        versions.promote(runs, "junk")
    with pytest.raises(AdapterError, match="not inside the runs dir"):
        versions.promote(runs, tmp_path)
    with pytest.raises(ModelError, match="damaged"):
        versions.promote(runs, damaged.name)
    assert versions.current_adapter(runs) is None  # nothing half-done
    assert not (runs / "HISTORY.json").exists()


def test_markers_written_atomically(tmp_path: Path, monkeypatch):
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "replace", boom)
    with pytest.raises(OSError):
        versions.promote(runs, v2.name)
    monkeypatch.undo()
    # The old marker survives intact and no temp files are left behind.
    assert versions.current_adapter(runs) == v1
    assert not _temps(runs)


def test_list_versions_reads_manifest_and_eval(tmp_path: Path):
    runs = tmp_path / "runs"
    v1 = _fake_run(runs, eval_loss=2.5)
    v2 = _fake_run(runs, eval_loss=2.1)
    (v2 / "eval.json").write_text(json.dumps({"summary": {"chrf": 17.5}}))
    (runs / "not-a-run").mkdir()
    broken = fake_run(runs / "v010-broken")
    (broken / "clonebot.json").write_text("{not json")
    versions.promote(runs, v2.name)
    vs = versions.list_versions(runs)
    assert [v.name for v in vs] == [v1.name, v2.name, "v010-broken"]
    assert vs[1].current and not vs[0].current
    assert vs[0].metrics == {"eval_loss": 2.5}
    assert vs[1].metrics == {"eval_loss": 2.1, "chrf": 17.5}
    assert vs[0].base_model == "smollm2-135m" and vs[0].problem is None
    assert vs[2].metrics == {} and vs[2].base_model is None and "cannot read" in vs[2].problem


def test_partial_training_dirs_reserve_their_number(tmp_path: Path):
    runs = tmp_path / "runs"
    name = versions.new_version_dir(runs, now=datetime(2026, 11, 21, 23, 30), create=False)
    assert name.name == "v001-20261121-2330" and not name.exists()
    versions.partial_dir(name).mkdir()  # what training.train writes first
    assert versions.interrupted_versions(runs) == [name]
    assert versions.new_version_dir(runs).name.startswith("v002-")
    assert versions.list_versions(runs) == []  # an unfinished run is not a version


# ----------------------------------------------------------------------------- resolve()


def test_resolve_explicit_path_name_prefix_or_promoted(tmp_path: Path, monkeypatch):
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    elsewhere = fake_run(tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    assert versions.resolve(runs, elsewhere) == elsewhere
    assert versions.resolve(runs, "demo") == Path("demo")  # a dir here wins over a name
    assert versions.resolve(runs, v2.name) == v2
    assert versions.resolve(runs, "v001") == v1
    versions.promote(runs, v2.name)
    assert versions.resolve(runs) == v2
    with pytest.raises(AdapterError, match="adapter directory not found: nowhere/run"):
        versions.resolve(runs, "nowhere/run")
    with pytest.raises(AdapterError, match="no adapter version v404"):
        versions.resolve(runs, "v404")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AdapterError, match="holds no adapter"):
        versions.resolve(runs, tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(AdapterError, match="not a directory"):
        versions.resolve(runs, tmp_path / "file")


@pytest.mark.parametrize("content, why", [
    ("v009-gone\n", "not in"),
    ("junk\n", "holds no adapter"),
    ("../../etc\n", "damaged"),
    (b"\xff\xfe\x00", "cannot read"),
])
def test_resolve_refuses_a_current_that_points_nowhere(tmp_path: Path, content, why):
    runs = tmp_path / "runs"
    _fake_run(runs)
    (runs / "junk").mkdir()
    marker = runs / "CURRENT"
    marker.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(AdapterError, match=why) as e:
        versions.resolve(runs)
    assert "clonebot adapters use VERSION" in str(e.value)
    assert versions.current_adapter(runs) is None  # the lenient form, for a running bot


# ----------------------------------------------------------------------------- kills


def _steps_of_a_promotion(tmp_path: Path, monkeypatch) -> list[str]:
    seen: list[str] = []
    runs = tmp_path / "probe"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    monkeypatch.setattr(versions, "_step", seen.append)
    versions.promote(runs, v2.name, record={"action": "promoted"})
    monkeypatch.undo()
    return seen


@contextlib.contextmanager
def killed_at(module, step: str):
    """Run the block with ``module``'s named ``step`` killing it; expects the kill."""
    original = module._step

    def step_hook(name: str) -> None:
        if name == step:
            raise Killed(name)

    module._step = step_hook
    try:
        with pytest.raises(Killed):
            yield
    finally:
        module._step = original


def _assert_consistent(runs: Path, current: Path, stack: list[str]) -> None:
    assert (runs / "CURRENT").read_text().strip() == current.name
    hist = json.loads((runs / "HISTORY.json").read_text())
    assert hist["pending"] is None and hist["stack"] == stack
    assert hist["log"][-1]["version"] == current.name
    assert versions.resolve(runs) == current
    assert not _temps(runs)


def test_every_step_of_a_promotion_is_covered(tmp_path: Path, monkeypatch):
    assert _steps_of_a_promotion(tmp_path, monkeypatch) == ["journal", "record", "current", "history"]


@pytest.mark.parametrize("step", ["journal", "record", "current", "history"])
def test_promotion_killed_at_any_step_is_finished_by_the_next_start(tmp_path: Path, monkeypatch,
                                                                    step: str):
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    with killed_at(versions, step):
        versions.promote(runs, v2.name, reason="retrain: better", record={"action": "promoted"})
    # A kill inside the next atomic write leaves its temp file behind.
    (runs / ".CURRENT.abcd1234.tmp").write_text("v00")
    (v2 / ".retrain.json.abcd1234.tmp").write_text("{")
    # Once the journal is written the promotion counts: readers already see it...
    assert versions.resolve(runs) == v2
    # ...and the next start (any writer, or `adapters list`) finishes it.
    versions.repair(runs)
    _assert_consistent(runs, v2, [v1.name])
    assert json.loads((v2 / "retrain.json").read_text()) == {"action": "promoted"}
    assert [e["action"] for e in versions.history(runs)["log"]] == ["promote", "promote"]


def test_promotion_killed_inside_the_first_write_changes_nothing(tmp_path: Path, monkeypatch):
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    before = (runs / "HISTORY.json").read_text()

    def killed(src, dst):
        raise Killed

    monkeypatch.setattr(fsutil.os, "replace", killed)
    with pytest.raises(Killed):
        versions.promote(runs, v2.name, record={"action": "promoted"})
    monkeypatch.undo()
    (runs / ".HISTORY.json.abcd1234.tmp").write_text("{")
    versions.repair(runs)
    _assert_consistent(runs, v1, [])
    assert (runs / "HISTORY.json").read_text() == before and not (v2 / "retrain.json").exists()


@pytest.mark.parametrize("step", ["journal", "current", "history"])
def test_rollback_killed_at_any_step_is_finished(tmp_path: Path, monkeypatch, step: str):
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    versions.promote(runs, v2.name)
    with killed_at(versions, step):
        versions.rollback(runs)
    versions.repair(runs)
    _assert_consistent(runs, v1, [])


def test_current_changed_by_hand_after_a_kill_wins(tmp_path: Path, monkeypatch):
    runs = tmp_path / "runs"
    v1, v2, v3 = _fake_run(runs), _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    with killed_at(versions, "journal"):
        versions.promote(runs, v2.name, record={"action": "promoted", "reason": "better"})
    (runs / "CURRENT").write_text(v3.name + "\n")  # the owner fixed it by hand meanwhile
    assert versions.resolve(runs) == v3
    versions.repair(runs)
    assert versions.resolve(runs) == v3 and versions.history(runs)["pending"] is None
    assert versions.history(runs)["log"][-1]["action"] == "dropped"
    assert json.loads((v2 / "retrain.json").read_text())["action"] == "kept"


# ----------------------------------------------------------------------------- damaged files


TAMPERED_MANIFESTS = {
    "prompt_format is a string": {"prompt_format": "v1"},
    "base_model is a number": {"base_model": 123},
    "metrics is a string": {"metrics": "abc"},
    "created is a number": {"created": 20260101},
    "eos_token missing": {"eos_token": None},
}


def _tamper(run: Path, how: str) -> None:
    path = run / "clonebot.json"
    if how == "not an object":
        path.write_text("[1, 2]")
    elif how == "not JSON":
        path.write_text("{\"base_model\": ")
    elif how == "not UTF-8":
        path.write_bytes(b"\xff\xfe{}")
    elif how == "keys missing":
        path.write_text("{}")
    else:
        data = json.loads(path.read_text())
        data.update(TAMPERED_MANIFESTS[how])
        path.write_text(json.dumps({k: v for k, v in data.items() if v is not None}))


TAMPERINGS = [*TAMPERED_MANIFESTS, "not an object", "not JSON", "not UTF-8", "keys missing"]


@pytest.mark.parametrize("how", TAMPERINGS)
def test_a_tampered_manifest_is_one_error(tmp_path: Path, how: str):
    run = fake_run(tmp_path / "run")
    _tamper(run, how)
    with pytest.raises(ModelError) as e:
        read_manifest(run)
    assert str(e.value).startswith(f"{run / 'clonebot.json'}") or "cannot read" in str(e.value)


@pytest.fixture
def clonebot_cli(tmp_path: Path, monkeypatch):
    """``(runs_dir, invoke)``: the CLI with paths.runs_dir under tmp_path."""
    adapters_cli.register(cli)
    chat_cli.register(cli)
    runs = tmp_path / "runs"
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(runs))
    monkeypatch.setenv("CLONEBOT_GENERATE__BACKEND", "openai")  # no model is loaded
    monkeypatch.chdir(tmp_path)  # no stray ./config.toml
    return runs, lambda *args, stdin="": CliRunner().invoke(cli, list(args), input=stdin)


def _one_clean_error(r) -> str:
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output and r.exception is None or isinstance(r.exception, SystemExit)
    errors = [line for line in r.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, r.output
    return errors[0]


@pytest.mark.parametrize("how", TAMPERINGS)
def test_cli_with_a_tampered_manifest(clonebot_cli, how: str):
    runs, invoke = clonebot_cli
    good, bad = _fake_run(runs, eval_loss=2.5), _fake_run(runs)
    versions.promote(runs, good.name)
    versions.promote(runs, bad.name)
    _tamper(bad, how)

    r = invoke("adapters", "list")
    assert r.exit_code == 1 and "Traceback" not in r.output
    rows = r.output.splitlines()
    assert any(line.startswith("!") and bad.name in line for line in rows)
    assert any(good.name in line and "eval_loss=2.500" in line for line in rows)
    assert bad.name in _one_clean_error(r)

    assert "clonebot.json" in _one_clean_error(invoke("chat", stdin="hi\n"))
    assert "clonebot.json" in _one_clean_error(invoke("chat", "--adapter", str(bad), stdin="hi\n"))
    assert "clonebot.json" in _one_clean_error(invoke("adapters", "use", bad.name))
    r = invoke("adapters", "rollback")  # back to the good one
    assert r.exit_code == 0 and f"-> {good.name}" in r.output


HISTORIES = ['[]', '{"stack": 5}', '{"stack": "abc"}', '{"log": "x"}', '{"stack": [1, 2]}',
             '{"stack": ["../../etc"]}', '{"pending": 3}', '{"stack": [], "extra": 1}', '{"st',
             '']


@pytest.mark.parametrize("text", HISTORIES)
def test_cli_with_a_damaged_history(clonebot_cli, text: str):
    runs, invoke = clonebot_cli
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    (runs / "HISTORY.json").write_text(text)

    for args in (("adapters", "use", v2.name), ("adapters", "rollback")):
        assert "HISTORY.json is damaged" in _one_clean_error(invoke(*args))
    r = invoke("adapters", "list")
    assert "HISTORY.json is damaged" in _one_clean_error(r)
    assert any(line.startswith("*") and v1.name in line for line in r.output.splitlines())
    # Nothing the owner had is overwritten; CURRENT still says which adapter runs.
    assert (runs / "HISTORY.json").read_text() == text
    assert versions.resolve(runs) == v1


@pytest.mark.parametrize("content", ["v009-gone\n", "junk\n", "../x\n"])
def test_cli_with_a_current_pointing_nowhere(clonebot_cli, content: str):
    runs, invoke = clonebot_cli
    v1 = _fake_run(runs)
    (runs / "junk").mkdir()
    (runs / "CURRENT").write_text(content)
    assert "CURRENT" in _one_clean_error(invoke("chat", stdin="hi\n"))
    r = invoke("adapters", "list")
    assert "CURRENT" in _one_clean_error(r) and v1.name in r.output
    r = invoke("adapters", "use", v1.name)  # the way out
    assert r.exit_code == 0, r.output
    assert versions.resolve(runs) == v1


def test_cli_list_use_rollback(clonebot_cli):
    runs, invoke = clonebot_cli
    r = invoke("adapters", "list")
    assert r.exit_code == 0 and "no adapter versions yet" in r.output

    v1, v2 = _fake_run(runs, eval_loss=2.5), _fake_run(runs, eval_loss=2.1)
    r = invoke("adapters", "use", v1.name)
    assert r.exit_code == 0, r.output
    r = invoke("adapters", "use", "v002")
    assert r.exit_code == 0 and f"current adapter: {v2.name} (was {v1.name})" in r.output

    r = invoke("adapters", "list")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    row2 = next(line for line in lines if v2.name in line)
    row1 = next(line for line in lines if v1.name in line)
    assert row2.startswith("*") and not row1.startswith("*")
    assert "eval_loss=2.100" in row2 and "smollm2-135m" in row2 and "2026-11-21" in row2

    r = invoke("adapters", "rollback")
    assert r.exit_code == 0 and f"{v2.name} -> {v1.name}" in r.output
    assert "nothing to roll back" in _one_clean_error(invoke("adapters", "rollback"))
    assert "no adapter version v404" in _one_clean_error(invoke("adapters", "use", "v404"))


def test_cli_list_finishes_an_interrupted_promotion(clonebot_cli, monkeypatch):
    runs, invoke = clonebot_cli
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    with killed_at(versions, "current"):
        versions.promote(runs, v2.name)
    r = invoke("adapters", "list")
    assert r.exit_code == 0, r.output
    _assert_consistent(runs, v2, [v1.name])


def test_runs_dir_under_a_file_is_one_error(clonebot_cli, tmp_path: Path):
    _, invoke = clonebot_cli
    (tmp_path / "file").write_text("x")
    r = invoke("adapters", "use", "v001", "--runs-dir", str(tmp_path / "file" / "runs"))
    assert "no adapter version v001" in _one_clean_error(r)
    with pytest.raises(OutputError, match="cannot use the runs dir .*Not a directory"):
        versions.new_version_dir(tmp_path / "file" / "runs")
    os.stat(tmp_path / "file")  # untouched
