"""bench/bench_prepare.py's timeline: a sampled run cut into its start, reading and tail."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_prepare", ROOT / "bench" / "bench_prepare.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_phases_cut_a_run_where_the_workers_come_and_go(bench):
    root, w1, w2, tracker = 10, 11, 12, 13
    samples = [
        (0.0, {root: 0.0}),
        (0.5, {root: 0.45}),
        (1.0, {root: 0.9, tracker: 0.01, w1: 0.0, w2: 0.0}),  # the workers are spawned
        (3.0, {root: 2.3, tracker: 0.01, w1: 1.3, w2: 1.2}),
        (5.0, {root: 3.7, tracker: 0.01, w1: 2.8, w2: 2.9}),  # their last sample
        (5.5, {root: 4.2, tracker: 0.01}),
        (6.0, {root: 4.7, tracker: 0.01}),
    ]
    start, reading, tail = bench.phases(samples, root, wall=6.1, cpu_total=10.5, cores=2)
    assert [p["phase"] for p in (start, reading, tail)] == ["start", "reading", "tail"]
    assert start["wall"] == 1.0 and start["root"] == 0.9 and start["workers"] == 0.0
    assert start["idle"] == pytest.approx(1.1)
    assert reading["wall"] == 4.0 and reading["root"] == pytest.approx(2.8)
    assert reading["workers"] == pytest.approx(5.7)  # the tracker is no worker
    assert tail["wall"] == pytest.approx(1.1) and tail["workers"] == 0.0
    # the run's CPU less what the samples gave the start and the reading: the reader's
    # last 0.1 s after its last sample, and the tracker's 0.01
    assert tail["root"] == pytest.approx(10.5 - 3.7 - 5.7)
    assert tail["idle"] == pytest.approx(2 * 1.1 - tail["root"])


def test_phases_of_a_run_without_workers_is_all_start(bench):
    samples = [(0.0, {1: 0.0}), (1.0, {1: 0.95}), (2.0, {1: 1.9})]
    start, reading, tail = bench.phases(samples, 1, wall=2.05, cpu_total=1.98, cores=2)
    assert start["wall"] == 2.05 and reading["wall"] == 0.0 and tail["wall"] == 0.0


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_timeline_samples_each_process_of_a_tree(bench):
    """The sampler follows a parent and the child it starts, CPU time of each."""
    code = ("import subprocess, sys, time\n"
            "c = subprocess.Popen([sys.executable, '-c', 'import time\\nt=time.process_time()\\n"
            "while time.process_time() - t < 0.3: pass'])\n"
            "c.wait()\n")
    p = subprocess.Popen([sys.executable, "-c", code])
    sampler = bench.Timeline(p.pid, every=0.02)
    sampler.start()
    p.wait()
    time.sleep(0.05)
    sampler.done.set()
    sampler.join()
    pids = set().union(*(cpu.keys() for _, cpu in sampler.samples))
    assert p.pid in pids and len(pids) == 2
    child = (pids - {p.pid}).pop()
    assert max(cpu.get(child, 0.0) for _, cpu in sampler.samples) >= 0.2
    assert [t for t, _ in sampler.samples] == sorted(t for t, _ in sampler.samples)
