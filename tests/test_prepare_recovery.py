"""Kills, restarts and odd targets: ``prepare`` killed at each named step loses
nothing and the next run finishes or repairs it; damaged datasets, another account's export,
bad --out and --include-chat values get one clean line (training/dataset/output_dir.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from clonebot.cli import cli
from fixtures_dataset import assert_one_line_error, dataset_files, leftovers
import training.commands.prepare

training.commands.prepare.register(cli)
ROOT = Path(__file__).resolve().parents[1]
OWNER, FRIEND = 111, 222


pytestmark = pytest.mark.usefixtures("clean_prepare_env")


def export(path: Path, ids: range, owner: int = OWNER, chat_id: int = 5) -> Path:
    msgs = [{"id": i, "type": "message", "date_unixtime": str(1_700_000_000 + i * 60),
             "from_id": f"user{owner if i % 2 == 0 else FRIEND}", "text": f"line {i}"}
            for i in ids]
    data = {"personal_information": {"user_id": owner},
            "chats": {"list": [{"name": "Friend", "type": "personal_chat", "id": chat_id,
                                "messages": msgs}]}}
    path.write_text(json.dumps(data))
    return path


def run(*args):
    return CliRunner().invoke(cli, ["prepare", *map(str, args)])


def ok(r):
    assert r.exit_code == 0, r.output
    return r


def one_line_error(r, *needles):
    return assert_one_line_error(r, None, *needles)


def message_ids(out: Path) -> list[int]:
    return pq.read_table(out / "messages.parquet").column("message_id").to_pylist()


siblings = leftovers


def content(out: Path) -> dict[str, bytes]:
    """Every file of a dataset; of stats.json what does not depend on the run's history."""
    return dataset_files(out, ("samples", "samples_train", "fingerprint", "messages_total",
                               "owner_ids"))


# -- kills at every named step ----------------------------------------------------------
STEPS = ["records_written", "samples_written", "built", "new_in_place", "old_moved_aside",
         "installed", "cleaned"]


def prepare_killed_at(step: str, exp: Path, out: Path) -> None:
    """``prepare`` in a fresh interpreter that dies (os._exit, like kill -9: no cleanup)
    when it reaches ``step``."""
    code = f"""
import os, sys
import training.dataset.output_dir
def reached(step):
    if step == {step!r}:
        os._exit(137)
training.dataset.output_dir.reached = reached
from clonebot.config import load_settings
from training.dataset import prepare
prepare({str(exp)!r}, {str(out)!r}, load_settings(None))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=out.parent, timeout=120)
    assert p.returncode == 137, p.stderr[-3000:]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The dataset of export A then export B, prepared without interruption."""
    d = tmp_path_factory.mktemp("ref")
    a, b = export(d / "a.json", range(1, 41)), export(d / "b.json", range(30, 81))
    out = d / "ds"
    assert run(a, "--out", out).exit_code == 0
    assert run(b, "--out", out).exit_code == 0
    return a, b, content(out)


@pytest.mark.parametrize("step", STEPS)
def test_killed_merge_loses_nothing_and_the_next_run_finishes_it(step, tmp_path, reference):
    a, b, want = reference
    out = tmp_path / "ds"
    ok(run(a, "--out", out))
    prepare_killed_at(step, b, out)
    # Whatever the kill left, the next run repairs it: same dataset as without the kill,
    # the merged history (messages 1-29 from A) kept, nothing left beside it.
    ok(run(b, "--out", out))
    assert message_ids(out) == list(range(1, 81))
    assert content(out) == want
    assert siblings(out) == []


def test_the_reported_kill_keeps_the_merged_history(tmp_path, reference):
    """Issue 10: killed right after the old dir was moved aside, the next prepare built a
    fresh dataset and silently dropped the history merged before."""
    a, b, _ = reference
    out = tmp_path / "ds"
    ok(run(a, "--out", out))
    prepare_killed_at("old_moved_aside", b, out)
    assert not out.exists() and {".ds.new", ".ds.old"} <= set(siblings(out))
    ok(run(export(tmp_path / "c.json", range(80, 91)), "--out", out))
    assert message_ids(out) == list(range(1, 91))


def test_a_killed_first_prepare_is_finished_by_the_next(tmp_path):
    exp = export(tmp_path / "a.json", range(1, 21))
    out = tmp_path / "ds"
    prepare_killed_at("new_in_place", exp, out)
    assert not out.exists()
    r = ok(run(exp, "--out", out))
    assert message_ids(out) == list(range(1, 21)) and siblings(out) == []
    assert "recovered: finished installing the dataset a killed prepare had built" in r.stdout


def test_stale_tmp_dirs_of_killed_builds_are_removed(tmp_path):
    exp = export(tmp_path / "a.json", range(1, 21))
    out = tmp_path / "ds"
    prepare_killed_at("records_written", exp, out)
    assert [s for s in siblings(out) if ".tmp-" in s]
    ok(run(exp, "--out", out))
    assert siblings(out) == []


def test_a_symlinked_out_updates_the_dataset_it_points_to(tmp_path):
    real = tmp_path / "real" / "ds"
    real.parent.mkdir()
    ok(run(export(tmp_path / "a.json", range(1, 41)), "--out", real))
    link = tmp_path / "link"
    link.symlink_to(real)
    ok(run(export(tmp_path / "b.json", range(30, 81)), "--out", link))
    assert link.is_symlink() and message_ids(link) == list(range(1, 81))
    assert siblings(real) == []


def test_failures_leave_no_lock_or_tmp_behind(tmp_path):
    out = tmp_path / "ds"
    one_line_error(run(export(tmp_path / "a.json", range(1, 21)), "--out", out, "--owner-id", 42),
                   "no text messages from the owner")
    assert not out.exists() and siblings(out) == []


def test_a_second_prepare_on_the_same_dataset_is_refused_while_one_runs(tmp_path):
    import fcntl

    out = tmp_path / "ds"
    lock = tmp_path / ".ds.lock"
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        one_line_error(run(export(tmp_path / "a.json", range(1, 21)), "--out", out),
                       "another `clonebot prepare` is writing")
    assert not out.exists()


# -- damaged datasets ----------------------------------------------------------------------
def test_truncated_parquet_is_named_with_how_to_recover(tmp_path):
    out = tmp_path / "ds"
    ok(run(export(tmp_path / "a.json", range(1, 41)), "--out", out))
    store = out / "messages.parquet"
    store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    before = content(out)
    err = one_line_error(run(export(tmp_path / "b.json", range(30, 81)), "--out", out),
                         "damaged", "messages.parquet is truncated or corrupt", "move", "aside")
    assert "ArrowInvalid" not in err
    assert content(out) == before  # untouched


def test_corrupt_pages_missing_store_and_bad_stats(tmp_path):
    b = export(tmp_path / "b.json", range(30, 81))
    out = tmp_path / "ds"
    ok(run(export(tmp_path / "a.json", range(1, 41)), "--out", out))
    store = out / "messages.parquet"
    raw = bytearray(store.read_bytes())
    raw[8:200] = b"\xff" * 192  # inside the first data page; the footer still reads
    store.write_bytes(bytes(raw))
    one_line_error(run(b, "--out", out), "damaged", "messages.parquet")
    store.unlink()
    one_line_error(run(b, "--out", out), "damaged", "messages.parquet is missing")
    ok(run(export(tmp_path / "c.json", range(1, 41)), "--out", tmp_path / "ds2"))
    (tmp_path / "ds2" / "stats.json").write_text("{not json")
    one_line_error(run(b, "--out", tmp_path / "ds2"), "damaged", "stats.json")


# -- another account's export ---------------------------------------------------------------
def test_another_accounts_export_is_refused_unless_asked_for(tmp_path):
    out = tmp_path / "ds"
    ok(run(export(tmp_path / "a.json", range(1, 41)), "--out", out))
    before = content(out)
    other = export(tmp_path / "o.json", range(1, 41), owner=333, chat_id=6)
    one_line_error(run(other, "--out", out), "user 111", "user 333", "--allow-other-owner")
    assert content(out) == before and siblings(out) == []
    ok(run(other, "--out", out, "--allow-other-owner"))
    st = json.loads((out / "stats.json").read_text())
    assert st["owner_ids"] == [111, 333] and st["owner_id"] == 333 and st["merged"]
    # Once merged on purpose, either owner's next export merges without the flag.
    ok(run(export(tmp_path / "a2.json", range(41, 51)), "--out", out))


# -- arguments --------------------------------------------------------------------------------
def test_workers_flag_values(tmp_path):
    exp = export(tmp_path / "a.json", range(1, 21))
    ok(run(exp, "--out", tmp_path / "o1", "--workers", "auto"))
    ok(run(exp, "--out", tmp_path / "o2", "--workers", "0"))
    for bad in ("²", "-1", "many", "999"):
        r = run(exp, "--out", tmp_path / "o3", "--workers", bad)
        assert r.exit_code == 2 and "not a number of workers" in r.output, r.output


def test_include_chat_values_that_are_not_ascii_numbers(tmp_path):
    exp = export(tmp_path / "a.json", range(1, 21))
    one_line_error(run(exp, "--out", tmp_path / "o1", "--include-chat", "²"),
                   "no text messages", "not_included")
    ok(run(exp, "--out", tmp_path / "o2", "--include-chat", "Friend", "--exclude-chat", "-100"))
    ok(run(exp, "--out", tmp_path / "o3", "--include-chat", "-1000000000005"))  # Bot API form of id 5
    # a basic group's Bot API id is just -id: "-1005" is group 1005, not chat 5
    one_line_error(run(exp, "--out", tmp_path / "o4", "--include-chat", "-1005"), "not_included")


def test_out_where_no_directory_can_be(tmp_path):
    exp = export(tmp_path / "a.json", range(1, 21))
    (tmp_path / "file").write_text("x")
    one_line_error(run(exp, "--out", tmp_path / "file" / "ds"), "--out", "is a file, not a directory")
    one_line_error(run(exp, "--out", tmp_path / "file" / "a" / "ds"), "is a file, not a directory")
    one_line_error(run(exp, "--out", "/proc/clonebot-ds"), "--out")
    one_line_error(run(exp, "--out", "/proc/self/clonebot/ds"), "--out")
    one_line_error(run(exp, "--out", "/"), "--out")
    assert not (tmp_path / "file").is_dir()


# -- worker processes -----------------------------------------------------------------------
@pytest.mark.parametrize("which", [0, 1])  # the first worker, or one it forked
def test_a_dead_worker_is_one_clean_line(tmp_path, monkeypatch, which):
    from training.dataset import workers

    real_send = workers.ProcessWorkers.send

    def send_then_kill_a_worker(pool, *args, **kw):
        real_send(pool, *args, **kw)
        os.kill(pool.pids[which], 9)  # as the kernel's OOM killer would

    monkeypatch.setattr(workers.ProcessWorkers, "send", send_then_kill_a_worker)
    monkeypatch.setenv("CLONEBOT_PREPARE__WORKERS", "2")
    out = tmp_path / "ds"
    exp = export(tmp_path / "a.json", range(1, 401))
    data = json.loads(exp.read_text())  # a second chat: work for the second worker
    data["chats"]["list"].append({**data["chats"]["list"][0], "id": 6, "name": "Other"})
    exp.write_text(json.dumps(data))
    one_line_error(run(exp, "--out", out), "a prepare worker was killed by signal 9", "--workers 0")
    assert not out.exists() and siblings(out) == []


def test_workers_exit_when_prepare_is_killed(tmp_path):
    exp = export(tmp_path / "a.json", range(1, 2001))
    out = tmp_path / "ds"
    pids = tmp_path / "pids"
    code = f"""
import os
from clonebot.config import load_settings
from training.dataset import prepare
from training.dataset.pipeline import Pipeline
real = Pipeline.read_export
def read_then_die(self, *a, **k):
    from training.dataset.workers import ProcessWorkers
    real_send = ProcessWorkers.send
    def send(pool, *args, **kw):
        real_send(pool, *args, **kw)
        open({str(pids)!r}, "w").write(" ".join(map(str, pool.pids)))
        os._exit(137)
    ProcessWorkers.send = send
    return real(self, *a, **k)
Pipeline.read_export = read_then_die
s = load_settings(None)
s = s.model_copy(update={{"prepare": s.prepare.model_copy(update={{"workers": 2}})}})
prepare({str(exp)!r}, {str(out)!r}, s)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=120)
    assert p.returncode == 137, p.stderr[-3000:]
    workers = [int(x) for x in pids.read_text().split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_running(pid) for pid in workers)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


# -- issue 22, item 8 -------------------------------------------------------------------------
def test_nulls_in_the_record_store_are_a_damaged_dataset(tmp_path):
    import pyarrow as pa

    out = tmp_path / "ds"
    ok(run(export(tmp_path / "a.json", range(1, 41)), "--out", out))
    store = out / "messages.parquet"
    t = pq.read_table(store)
    texts = t.column("text").to_pylist()
    texts[3] = None
    pq.write_table(t.set_column(t.schema.get_field_index("text"), "text",
                                pa.array(texts, pa.string())), store)
    before = content(out)
    one_line_error(run(export(tmp_path / "b.json", range(30, 81)), "--out", out),
                   "damaged", "empty (null) values in text")
    assert content(out) == before
    # Without statistics in the footer the rows themselves are checked.
    pq.write_table(pq.read_table(store), store, write_statistics=False)
    one_line_error(run(export(tmp_path / "b.json", range(30, 81)), "--out", out),
                   "damaged", "empty (null) values in text")


@pytest.mark.parametrize("name", ["ds[12]", "*", "d?"])
def test_an_out_with_glob_characters_leaves_other_builds_alone(tmp_path, name):
    """`--out 'ds[12]'` removed `.ds1.tmp-*`, another prepare's build in progress."""
    others = [tmp_path / ".ds1.tmp-abcd1234", tmp_path / ".dx.tmp-abcd1234"]
    for o in others:
        o.mkdir()
        (o / "messages.parquet").write_text("in progress")
    ok(run(export(tmp_path / "a.json", range(1, 21)), "--out", tmp_path / name))
    assert all((o / "messages.parquet").is_file() for o in others)
    assert siblings(tmp_path / name) == []


@pytest.mark.parametrize("owner", ["me", None, [111, "x"], "111"])
def test_stats_that_do_not_name_the_owner_are_a_damaged_dataset(tmp_path, owner):
    """`owner_id: "me"` skipped the other-account check: any export merged silently."""
    out = tmp_path / "ds"
    ok(run(export(tmp_path / "a.json", range(1, 41)), "--out", out))
    st = json.loads((out / "stats.json").read_text())
    st["owner_ids"] = owner if isinstance(owner, list) else [owner]
    st["owner_id"] = owner
    (out / "stats.json").write_text(json.dumps(st))
    before = content(out)
    other = export(tmp_path / "o.json", range(1, 41), owner=333, chat_id=6)
    one_line_error(run(other, "--out", out), "damaged", "does not name its owner")
    assert content(out) == before


def test_a_million_canaries_are_refused_at_once(tmp_path):
    import time

    t0 = time.monotonic()
    one_line_error(run(export(tmp_path / "a.json", range(1, 41)), "--out", tmp_path / "ds",
                       "--canaries", "1000000"), "--canaries 1000000 is more than")
    assert time.monotonic() - t0 < 20  # it used to take minutes before saying so
    from training.dataset.canaries import make_canaries
    import random

    t0 = time.monotonic()
    assert len(set(make_canaries(200_000, random.Random(1)))) == 200_000
    assert time.monotonic() - t0 < 20
