"""CPU threads for model math (torch and llama.cpp), and how idle ones wait.

Both libraries run their threads through OpenMP (torch's own libgomp, llama.cpp's ggml the
system's). By default libgomp's thread that runs out of work spins for ~3 ms before it
sleeps. On a machine with other busy processes (a laptop with a browser, a shared server)
the spinning threads take the cores the working ones need: measured here on 2 busy cores,
llama.cpp with 2 threads ran 12x slower per token than with 1 (bench/bench_backends.py).
Threads that sleep at once (``OMP_WAIT_POLICY=PASSIVE``) cost little on a busy machine but
pay a wake-up at every op's barrier: llama.cpp's token on 2 threads took 25 ms against 9
on one. So clonebot has idle threads spin briefly, then sleep: ``GOMP_SPINCOUNT=300``
(~3 us; a barrier of a small op is served without a wake-up), which measured a little slower
than PASSIVE beside one busy neighbour (a training step 3-8%), faster beside two, and 1.1-3x
faster on a quiet machine (docs/benchmarks.md). OpenMP reads these when the library loads,
so the CLI sets them before torch or llama.cpp is imported; a wait policy the user set is
kept, as is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

OPENMP_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "300"}


def apply_openmp_defaults() -> None:
    """Set ``OPENMP_DEFAULTS`` unless the environment sets a wait policy of its own (either
    variable; call before importing torch)."""
    if not any(key in os.environ for key in OPENMP_DEFAULTS):
        os.environ.update(OPENMP_DEFAULTS)


def threads_wait_briefly() -> bool:
    """Do idle OpenMP threads spin a little before they sleep (libgomp's default, ACTIVE, or
    a spin count)? Only then does a decode on more threads than one pay off for a small
    model: with ``PASSIVE`` alone each barrier is a wake-up."""
    spin = os.environ.get("GOMP_SPINCOUNT", "").strip()
    if spin:
        return spin not in ("0", "0k", "0K")
    return os.environ.get("OMP_WAIT_POLICY", "").strip().upper() != "PASSIVE"


def cpu_threads(configured: int = 0) -> int:
    """Threads for CPU math: ``configured`` (``model.cpu_threads``), else every core.

    Guessing from the load average undercounts badly: our own process's start-up already
    shows up as load, so a lone training run would drop to one thread (2x slower here).
    """
    return configured if configured > 0 else (os.cpu_count() or 1)


# Weights a decode thread should have to itself before another one pays off (see below).
DECODE_BYTES_PER_THREAD = 1 << 30


def decode_threads(configured: int, weights_bytes: int) -> int:
    """Threads for generating one token at a time (llama.cpp's ``n_threads``; a prompt is
    evaluated in batches with ``cpu_threads``): ``configured`` when set, else one per GiB of
    weights, at least one, at most every core.

    Why: a token reads every weight once, split op by op across the threads; each op of a
    small model is microseconds of work, and handing it out (waking the sleeping threads,
    the barrier after it) costs more than it saves. On this project's 2 cores the 90 MB test
    model took 14-16 ms a token on one thread and 20-50 ms on two, quiet or busy, and its
    540 MB f32 copy 26 vs 33 ms (bench/bench_backends.py --matrix); a 4 GB 7B model at Q4
    has enough work per op for four threads or more.
    """
    if configured > 0:
        return configured
    return max(1, min(os.cpu_count() or 1, weights_bytes // DECODE_BYTES_PER_THREAD))


class SpareCores:
    """The cores other processes left idle since the last look (Linux: the machine's busy
    time in ``/proc/stat`` less this process's own CPU time); None elsewhere, and callers
    keep their fixed choice.

    Why: a lone decode on every core is the fastest on a quiet machine (llama.cpp on the
    test model: 9 ms a token on one thread, 7 on two) and ruins a busy one (a spinning
    thread waits at each op's barrier for one the other job keeps off its core: 2-3x
    slower), so the choice is made from what the other processes use now, not once.
    """

    MIN_WINDOW = 0.25  # s: /proc/stat counts in 10 ms ticks per core; shorter windows are noise

    def __init__(self, cores: int, stat_path: str = "/proc/stat",
                 clock: Callable[[], float] = time.monotonic,
                 own_cpu: Callable[[], float] = time.process_time):
        self.cores = cores
        self._stat_path, self._clock, self._own_cpu = stat_path, clock, own_cpu
        try:
            self._tick = 1 / os.sysconf("SC_CLK_TCK")
        except (AttributeError, ValueError, OSError):
            self._tick = 0.01
        self._last = self._sample()
        self._spare: float | None = None

    def _sample(self) -> tuple[float, float, float] | None:
        try:
            with open(self._stat_path, "rb") as f:
                fields = [int(x) for x in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        if len(fields) < 8:
            return None
        # user nice system idle iowait irq softirq steal: busy is all but idle and iowait
        busy = sum(fields) - fields[3] - fields[4]
        return self._clock(), busy * self._tick, self._own_cpu()

    def spare(self) -> float | None:
        """Idle cores (a fraction) over the window since the last look, once it is at
        least ``MIN_WINDOW`` long; until then the last window's figure."""
        if self._last is None:
            return None
        now = self._sample()
        if now is None:
            return None
        wall = now[0] - self._last[0]
        if wall < self.MIN_WINDOW:
            return self._spare
        others = max(0.0, (now[1] - self._last[1]) - (now[2] - self._last[2])) / wall
        self._last = now
        self._spare = max(0.0, self.cores - others)
        return self._spare


def lone_decode_threads(spare: float | None, cores: int, fixed: int) -> int:
    """Threads for a decode that runs alone: the cores other processes leave idle (a core
    three quarters idle counts), at least one; ``fixed`` when that is not known."""
    if spare is None:
        return fixed
    return max(1, min(cores, int(spare + 0.25)))
