"""How many CPU threads the model math gets (clonebot/model/cpu.py)."""

import os

import pytest

from clonebot.model.cpu import SpareCores, cpu_threads, decode_threads, lone_decode_threads

GiB = 1 << 30


@pytest.mark.parametrize("cores, weights, want", [
    (2, 90 << 20, 1),          # the test model at Q4_1: one thread, however many cores
    (16, 540 << 20, 1),        # its f32 copy
    (2, int(4.1 * GiB), 2),    # Mistral-7B Q4_K_M on 2 cores: all of them
    (8, int(4.1 * GiB), 4),    # on 8 cores: one per GiB
    (8, 20 * GiB, 8),          # never more than the cores
])
def test_decode_threads_follow_the_weights(monkeypatch, cores, weights, want):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert decode_threads(0, weights) == want
    assert cpu_threads(0) == cores  # prompts (batches) still use every core


def test_a_configured_thread_count_is_used_as_is(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert decode_threads(3, 90 << 20) == 3 and cpu_threads(3) == 3


class _Machine:
    """A /proc/stat and this process's CPU clock, advanced by hand."""

    def __init__(self, path):
        self.path, self.t, self.busy_ticks, self.own = path, 100.0, 0, 0.0
        self._write()

    def _write(self):
        # user nice system idle iowait irq softirq steal guest guest_nice
        self.path.write_text(f"cpu  {self.busy_ticks} 0 0 999999 5 0 0 0 0 0\ncpu0 1 2 3\n")

    def run(self, seconds, own_cores, other_cores):
        self.t += seconds
        self.own += seconds * own_cores
        self.busy_ticks += round(seconds * (own_cores + other_cores) * 100)
        self._write()


def _spare(tmp_path, cores=2):
    m = _Machine(tmp_path / "stat")
    return m, SpareCores(cores, stat_path=str(m.path), clock=lambda: m.t, own_cpu=lambda: m.own)


def test_spare_cores_are_what_other_processes_leave_idle(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sysconf", lambda name: 100)
    m, spare = _spare(tmp_path)
    m.run(1.0, own_cores=2, other_cores=0)  # our own two spinning threads are not "others"
    assert spare.spare() == pytest.approx(2.0)
    m.run(1.0, own_cores=1, other_cores=1)  # a job beside us takes a core
    assert spare.spare() == pytest.approx(1.0)
    m.run(0.1, own_cores=1, other_cores=0)  # too short a window: the last figure stands ...
    assert spare.spare() == pytest.approx(1.0)
    m.run(0.2, own_cores=1, other_cores=0)  # ... until the window is long enough
    assert spare.spare() == pytest.approx(2.0)
    m.run(1.0, own_cores=0, other_cores=3)  # more busy elsewhere than there are cores
    assert spare.spare() == 0.0


def test_without_proc_stat_nothing_is_known(tmp_path):
    spare = SpareCores(2, stat_path=str(tmp_path / "missing"))
    assert spare.spare() is None
    (tmp_path / "odd").write_text("cpu  1 2\n")
    assert SpareCores(2, stat_path=str(tmp_path / "odd")).spare() is None


@pytest.mark.parametrize("spare, cores, want", [
    (2.0, 2, 2),     # a quiet machine: every core
    (1.8, 2, 2),     # a core 80% idle still counts
    (1.7, 2, 1),     # a job beside us: one
    (0.0, 2, 1),     # never none
    (5.5, 8, 5),
    (None, 2, 1),    # not known (not Linux): the fixed count
])
def test_a_lone_decode_takes_the_spare_cores(spare, cores, want):
    assert lone_decode_threads(spare, cores, fixed=1) == want


def test_spare_cores_read_the_real_machine():
    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat here")
    spare = SpareCores(os.cpu_count() or 1)
    spare._last = (spare._last[0] - 1.0,) + spare._last[1:]  # a window long enough
    got = spare.spare()
    assert got is not None and 0.0 <= got <= spare.cores


def _wait_env(monkeypatch, env: dict) -> None:
    """The OpenMP wait variables exactly as ``env`` has them (the others unset)."""
    for key in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize("env, want", [
    ({}, {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "300"}),  # a brief spin, then sleep
    ({"OMP_WAIT_POLICY": "ACTIVE"}, {"OMP_WAIT_POLICY": "ACTIVE"}),  # the owner's, as is
    ({"GOMP_SPINCOUNT": "0"}, {"GOMP_SPINCOUNT": "0"}),
])
def test_openmp_defaults_leave_a_wait_policy_of_the_owners_alone(monkeypatch, env, want):
    from clonebot.model.cpu import apply_openmp_defaults

    _wait_env(monkeypatch, env)
    apply_openmp_defaults()
    assert {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in os.environ} == want


@pytest.mark.parametrize("env, brief", [
    ({"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "300"}, True),
    ({"OMP_WAIT_POLICY": "PASSIVE"}, False),  # every barrier a wake-up: more threads lose
    ({"GOMP_SPINCOUNT": "0"}, False),
    ({"OMP_WAIT_POLICY": "active"}, True),
    ({}, True),  # libgomp's default spins
])
def test_more_decode_threads_only_when_idle_threads_spin(monkeypatch, env, brief):
    from clonebot.model.cpu import threads_wait_briefly

    _wait_env(monkeypatch, env)
    assert threads_wait_briefly() is brief
