"""The dataset does not depend on the number of worker processes:
every file byte-identical for 0 (all in one process), 1, 2 and 3 worker processes, fresh,
merged and out-of-order
(training/dataset/workers.py, pipeline.py)."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest

from clonebot.config import load_settings
from fixtures_dataset import dataset_files
from training.dataset import canaries, pipeline, prepare

SAMPLE = Path(__file__).resolve().parents[1] / "exports" / "sample" / "result.json"


@pytest.fixture(autouse=True)
def _small_pieces(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLONEBOT_MODEL__BASE_MODEL", raising=False)
    # Pieces of 7 messages: every chat is sent in many pieces, to different positions of
    # the queues, and pieces of chats interleave across workers.
    monkeypatch.setattr(pipeline, "CHUNK", 7)
    real = canaries.make_canaries
    monkeypatch.setattr(canaries, "make_canaries", lambda n, rng: real(n, random.Random(3)))


def settings(workers: int):
    s = load_settings(None)
    return s.model_copy(update={"prepare": s.prepare.model_copy(
        update={"workers": workers, "include_groups": True})})


files = dataset_files


def shuffled_export(path: Path) -> Path:
    """The sample with message ids out of order in every chat (the sort + dedupe path)."""
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    rng = random.Random(5)
    for chat in data["chats"]["list"]:
        rng.shuffle(chat["messages"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_same_bytes_whatever_the_number_of_workers(tmp_path):
    shuffled = shuffled_export(tmp_path / "shuffled.json")
    results = {}
    for n in (0, 1, 2, 3):
        out = tmp_path / f"w{n}"
        prepare(SAMPLE, out, settings(n), canaries=2)
        fresh = files(out)
        prepare(shuffled, out, settings(n), canaries=2)  # merge: samples rebuilt from records
        unordered = tmp_path / f"u{n}"
        prepare(shuffled, unordered, settings(n))
        results[n] = (fresh, files(out), files(unordered))
    assert json.loads(results[0][0]["stats.json"])["samples"] > 50
    assert results[1] == results[0]
    assert results[2] == results[0]
    assert results[3] == results[0]


def test_workers_are_gone_after_prepare(tmp_path):
    pids = []
    real = pipeline.Pipeline.__exit__

    def spy(self, *exc):
        pids.extend(self.worker_pids)
        return real(self, *exc)

    pipeline.Pipeline.__exit__ = spy
    try:
        prepare(SAMPLE, tmp_path / "ds", settings(2))
    finally:
        pipeline.Pipeline.__exit__ = real
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # joined already: not our child any more


def test_no_worker_processes_here_means_one_process(tmp_path, monkeypatch):
    from training.dataset import workers

    def no_semaphores(*a, **k):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(workers.ProcessWorkers, "__init__", no_semaphores)
    stats = prepare(SAMPLE, tmp_path / "ds", settings(2))
    assert stats["samples"] > 50


def test_how_many_workers_auto_starts(tmp_path, monkeypatch):
    from training.dataset import workers

    small, big = tmp_path / "small.json", tmp_path / "big.json"
    small.write_bytes(b"x" * 100)
    with open(big, "wb") as f:
        f.truncate(workers.SMALL_EXPORT)  # sparse: the size is what counts
    auto = settings("auto")
    for cores, want in ((1, 0), (2, 2), (3, 3), (64, 3)):
        monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid, n=cores: set(range(n)))
        assert workers.workers_for(auto, big) == want, cores
        assert workers.workers_for(auto, small) == 0
    assert workers.workers_for(settings(5), small) == 5
    assert workers.workers_for(settings(0), big) == 0


def _pids_used(monkeypatch) -> list[int]:
    """The worker pids of every Pipeline, as it ends."""
    pids: list[int] = []
    real = pipeline.Pipeline.__exit__

    def spy(self, *exc):
        pids.extend(self.worker_pids)
        return real(self, *exc)

    monkeypatch.setattr(pipeline.Pipeline, "__exit__", spy)
    return pids


def test_workers_started_early_are_the_ones_that_work(tmp_path, monkeypatch):
    # `clonebot prepare` starts its workers before it imports the rest (workers.start_early):
    # the pipeline must use those, not start others, and they must be gone afterwards.
    from training.dataset import workers
    from training.dataset.chat_work import work_settings

    used = _pids_used(monkeypatch)
    s = settings(2)
    with workers.start_early(work_settings(s), 2) as early:
        assert early is not None
        started = sorted(early.pids)
        stats = prepare(SAMPLE, tmp_path / "ds", s, early_workers=early)
    assert sorted(used) == started
    prepare(SAMPLE, tmp_path / "inline", settings(0))
    assert files(tmp_path / "ds") == files(tmp_path / "inline")
    assert stats["samples"] > 50
    for pid in started:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # joined already: not our child any more


def test_workers_started_early_for_other_settings_are_stopped(tmp_path, monkeypatch):
    # Another count, or other PII settings than the build's (a worker scrubs as it was
    # started): those processes are stopped and the right ones started.
    from training.dataset import workers
    from training.dataset.chat_work import work_settings

    used = _pids_used(monkeypatch)
    s = settings(2)
    other = s.model_copy(update={"pii": s.pii.model_copy(update={"scrub": False})})
    for n, wanted in ((3, work_settings(s)), (2, work_settings(other))):
        with workers.start_early(wanted, n) as early:
            started = set(early.pids)
            prepare(SAMPLE, tmp_path / f"ds{n}", s, early_workers=early)
            assert not any(p.is_alive() for p in early.procs)
        assert len(used) == 2 and not started & set(used)
        used.clear()
    assert files(tmp_path / "ds2") == files(tmp_path / "ds3")


def test_cli_prepare_starts_its_workers_before_importing_the_dataset_code(tmp_path):
    # Why start_early exists: the workers' start-up runs beside the reading process's imports.
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from training.dataset import workers\n"
        "real = workers.ProcessWorkers.__init__\n"
        "def spy(self, *a, **k):\n"
        "    print('pyarrow loaded when the workers started:', 'pyarrow' in sys.modules)\n"
        "    return real(self, *a, **k)\n"
        "workers.ProcessWorkers.__init__ = spy\n"
        "from clonebot.cli import main\n"
        f"sys.argv = ['clonebot', 'prepare', {str(SAMPLE)!r}, '--workers', '2', '--out', "
        f"{str(tmp_path / 'ds')!r}]\n"
        "main()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "pyarrow loaded when the workers started: False" in done.stdout
    assert done.stdout.count("pyarrow loaded when the workers started") == 1


def test_workers_do_not_run_the_main_script_again(tmp_path):
    # Spawn re-runs the parent's main script in every child: from the `clonebot` console
    # script, each worker imported the whole CLI for nothing (workers._main_not_rerun).
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "console_script.py"
    script.write_text(
        "import os, sys\n"
        f"open(os.path.join({str(marks)!r}, str(os.getpid())), 'w').close()\n"
        "if __name__ == '__main__':\n"
        "    from clonebot.config import load_settings\n"
        "    from training.dataset import prepare\n"
        "    s = load_settings(None)\n"
        "    s = s.model_copy(update={'prepare': s.prepare.model_copy(update={'workers': 2})})\n"
        f"    stats = prepare({str(SAMPLE)!r}, {str(tmp_path / 'ds')!r}, s)\n"
        "    assert stats['samples'] > 0\n"
        "    print(sys.modules['__main__'].__file__ == __file__)\n", encoding="utf-8")
    import subprocess
    import sys

    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "True"  # the main module is back once the workers started
    assert len(list(marks.iterdir())) == 1  # the parent ran it; no worker did


def test_the_first_worker_forks_the_others_once_it_has_started(tmp_path, monkeypatch):
    # A worker's start-up (the PII patterns) is paid once: the others are forked from the
    # first after it, so they are its children, and they scrub as a spawned worker does.
    from training.dataset import workers
    from training.dataset.chat_work import work_settings

    if not workers._FORKS:
        pytest.skip("workers are forked only where /proc tells their state")
    s = settings(3)
    with workers.start_early(work_settings(s), 3) as early:
        first, *forked = early.pids
        for pid in forked:
            with open(f"/proc/{pid}/stat") as f:
                assert int(f.read().rsplit(")", 1)[1].split()[1]) == first  # ppid
        prepare(SAMPLE, tmp_path / "ds", s, early_workers=early)
        assert len(set(early.pids)) == 3
    prepare(SAMPLE, tmp_path / "inline", settings(0))
    assert files(tmp_path / "ds") == files(tmp_path / "inline")
    deadline = time.monotonic() + 10  # reaped by the first as it ends (or by init if killed)
    while any(os.path.exists(f"/proc/{pid}") for pid in forked) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in forked)
