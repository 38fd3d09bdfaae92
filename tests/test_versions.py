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
    # issue 22: what training never records (it records absolute paths, ids, the alias)
    "base_model reaches up": {"base_model": "../../etc"},
    "base_model is relative": {"base_model": "models/../x"},
    "weights are not hashes": {"weights": {"adapter_model.safetensors": "abc"}},
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


# ----------------------------------------------------------------------------- issue 22

WEIGHTS = "adapter_model.safetensors"


def _damage(run: Path, how: str) -> None:
    w = run / WEIGHTS
    data = bytearray(w.read_bytes())
    if how == "flipped":
        data[-3] ^= 0xFF  # a byte of a tensor: the file still parses
    elif how == "truncated":
        data = data[: len(data) - 4]
    elif how == "missing":
        w.unlink()
        return
    w.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flipped", "truncated", "missing"])
def test_damaged_weights_are_marked_listed_and_never_promoted(clonebot_cli, how: str):
    runs, invoke = clonebot_cli
    good, bad = _fake_run(runs, eval_loss=2.5), _fake_run(runs)
    versions.promote(runs, good.name)
    _damage(bad, how)
    r = invoke("adapters", "list")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert any(line.startswith("!") and bad.name in line for line in r.output.splitlines())
    err = _one_clean_error(r)
    assert bad.name in err and WEIGHTS in err
    assert WEIGHTS in _one_clean_error(invoke("adapters", "use", bad.name))
    assert versions.resolve(runs) == good


def test_rollback_skips_a_version_whose_weights_were_damaged(tmp_path: Path):
    runs = tmp_path / "runs"
    v1, v2, v3 = _fake_run(runs), _fake_run(runs), _fake_run(runs)
    for v in (v1, v2, v3):
        versions.promote(runs, v.name)
    _damage(v2, "flipped")
    assert versions.rollback(runs) == v1


def test_weights_are_checked_before_a_model_is_loaded(tmp_path: Path, monkeypatch):
    import clonebot.model.load as load
    from clonebot.config import Settings

    def no_loading(*a, **k):
        raise AssertionError("the base model was loaded")

    monkeypatch.setattr(load, "load_base", no_loading)
    run = fake_run(tmp_path / "run")
    _damage(run, "flipped")
    with pytest.raises(ModelError, match="not the file training wrote"):
        load.load_model(Settings(), run)


def test_a_run_from_before_weight_hashes_is_checked_for_truncation(tmp_path: Path):
    from clonebot.model.manifest import check_weights

    run = fake_run(tmp_path / "run", weights=None)
    check_weights(run, read_manifest(run))  # whole: fine
    _damage(run, "truncated")
    with pytest.raises(ModelError, match="truncated"):
        check_weights(run, read_manifest(run))


def test_a_version_linked_outside_the_runs_dir_is_refused(clonebot_cli, tmp_path: Path):
    runs, invoke = clonebot_cli
    v1 = _fake_run(runs)
    elsewhere = fake_run(tmp_path / "elsewhere" / "v002-20261122-1000")
    (runs / "v002-20261122-1000").symlink_to(elsewhere, target_is_directory=True)
    r = invoke("adapters", "list")
    assert r.exit_code == 1 and "outside the runs dir" in _one_clean_error(r)
    assert any(line.startswith("!") and "v002" in line for line in r.output.splitlines())
    assert "outside the runs dir" in _one_clean_error(invoke("adapters", "use", "v002"))
    (runs / "CURRENT").write_text("v002-20261122-1000\n")
    with pytest.raises(AdapterError, match="outside the runs dir"):
        versions.resolve(runs)
    assert versions.promote(runs, v1.name) == v1


def test_a_manifest_nested_100k_deep_is_one_error(clonebot_cli):
    runs, invoke = clonebot_cli
    good, bad = _fake_run(runs), _fake_run(runs)
    (bad / "clonebot.json").write_text("[" * 100_000 + "]" * 100_000)
    r = invoke("adapters", "list")
    assert "RecursionError" not in r.output and "nests too deep" in _one_clean_error(r)
    assert any(line.startswith("!") and bad.name in line for line in r.output.splitlines())


def _cli_in_a_process(runs: Path, *args: str, timeout: float = 60):
    import subprocess
    import sys

    env = {**os.environ, "CLONEBOT_PATHS__RUNS_DIR": str(runs)}
    return subprocess.run([sys.executable, "-m", "clonebot", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=runs.parent)


def test_a_huge_current_is_refused_at_once(tmp_path: Path):
    import time

    runs = tmp_path / "runs"
    v1 = _fake_run(runs)
    with open(runs / "CURRENT", "wb") as f:  # 300 MB, sparse: it cost 26 s and a traceback
        f.truncate(300 << 20)
    t0 = time.monotonic()
    with pytest.raises(AdapterError, match="CURRENT"):
        versions.resolve(runs)
    assert time.monotonic() - t0 < 2
    p = _cli_in_a_process(runs, "adapters", "list")
    assert p.returncode == 1 and "Traceback" not in p.stderr and "CURRENT" in p.stderr
    assert versions.promote(runs, v1.name) == v1  # the way out


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero"])
@pytest.mark.parametrize("name", ["HISTORY.json", "CURRENT", "clonebot.json"])
def test_state_files_that_would_block_or_never_end(tmp_path: Path, kind: str, name: str):
    """HISTORY.json as a FIFO (or a link to /dev/zero) hung `adapters list`."""
    runs = tmp_path / "runs"
    v1, v2 = _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    target = (v2 if name == "clonebot.json" else runs) / name
    target.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    for args in (("adapters", "list"), ("adapters", "rollback"), ("adapters", "use", v2.name)):
        p = _cli_in_a_process(runs, *args)  # a hang is a TimeoutExpired
        assert "Traceback" not in p.stderr, (args, p.stderr)
        if args[1] == "use" and name == "CURRENT":  # the way out: a new CURRENT
            assert p.returncode == 0 and versions.resolve(runs) == v2, p.stderr
            continue
        errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error: ")]
        assert p.returncode == 1 and errors, (args, p.stderr)
        if args[1] != "rollback":  # (there may be nothing to roll back to anyway)
            assert "not a regular file" in "\n".join(errors), (args, p.stderr)


def test_adapters_use_and_rollback_on_a_full_disk(small_disk, monkeypatch):
    """At 0 bytes free: one line naming the disk and the space needed, CURRENT and
    HISTORY.json as they were, no temp files (a traceback before)."""
    from fixtures_disk import fill

    disk = small_disk("2m")
    runs = (disk or Path(os.environ.get("TMPDIR", "/tmp"))) / "runs"
    if disk is None:  # no tmpfs here: the writes fail as on a full disk
        runs = Path(str(runs) + f"-{os.getpid()}")
    v1, v2, v3 = _fake_run(runs), _fake_run(runs), _fake_run(runs)
    versions.promote(runs, v1.name)
    versions.promote(runs, v2.name)
    before = {n: (runs / n).read_bytes() for n in ("CURRENT", "HISTORY.json")}
    if disk is not None:
        fill(disk)
    else:
        def enospc(*a, **k):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(fsutil.os, "fsync", enospc)
    runner = CliRunner()
    adapters_cli.register(cli)
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(runs))
    for args in (("adapters", "use", v3.name), ("adapters", "rollback")):
        r = runner.invoke(cli, list(args))
        err = _one_clean_error(r)
        assert "no space left on" in err and "needs about" in err, err
        assert "CURRENT and HISTORY.json are unchanged" in err
        assert {n: (runs / n).read_bytes() for n in before} == before
        assert not _temps(runs)
    assert versions.resolve(runs) == v2
    if disk is not None:
        os.unlink(disk / ".filler")
    else:
        monkeypatch.undo()
        monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(runs))
    assert runner.invoke(cli, ["adapters", "use", v3.name]).exit_code == 0
    assert versions.resolve(runs) == v3
    if disk is None:
        shutil.rmtree(runs)


def test_a_base_model_the_config_does_not_name_is_never_downloaded(tmp_path: Path, monkeypatch):
    """A manifest is a file anyone can hand over: its hub id is loaded from this machine
    only; the configured model.base_model may still be fetched."""
    import transformers

    import clonebot.model.load as load
    from clonebot.config import Settings

    seen = []

    def config_from(source, **kw):
        seen.append((source, kw.get("local_files_only", False)))
        raise OSError("not here")

    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", config_from)
    monkeypatch.setattr(load, "_check_size", lambda *a: None)
    run = fake_run(tmp_path / "run", base_model="someone/a-model")
    with pytest.raises(ModelError, match="set it to 'someone/a-model'"):
        load.load_model(Settings(), run)
    s = Settings()
    s.model.base_model = "someone/a-model"
    with pytest.raises(ModelError, match="cannot load base model"):
        load.load_model(s, run)
    assert seen == [("someone/a-model", True), ("someone/a-model", False)]


def test_training_records_a_local_base_model_as_an_absolute_path(tmp_path: Path, monkeypatch):
    from clonebot.model.manifest import recorded_base_model

    (tmp_path / "models" / "m").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert recorded_base_model("models/m") == str(tmp_path / "models" / "m")
    assert recorded_base_model("mistralai/Mistral-7B-v0.1") == "mistralai/Mistral-7B-v0.1"
    assert recorded_base_model("smollm2-135m") == "smollm2-135m"
