"""CPU threads for model math (torch and llama.cpp), and how idle ones wait.

Both libraries run their threads through OpenMP (torch's own libgomp, llama.cpp's ggml the
system's). By default an OpenMP thread that runs out of work spins for a while before it
sleeps. On a machine with other busy processes (a laptop with a browser, a shared server)
the spinning threads take the cores the working ones need: measured here on 2 busy cores,
llama.cpp with 2 threads ran 12x slower per token than with 1 (bench/bench_backends.py).
``OMP_WAIT_POLICY=PASSIVE`` makes idle threads sleep at once: with it, all cores stay the
right default on a quiet machine and cost little on a busy one. OpenMP reads it when the
library loads, so the CLI sets it before torch or llama.cpp is imported; a value the user
set is kept.
"""

from __future__ import annotations

import os

OPENMP_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


def apply_openmp_defaults() -> None:
    """Set ``OPENMP_DEFAULTS`` where the environment does not (call before importing torch)."""
    for key, value in OPENMP_DEFAULTS.items():
        os.environ.setdefault(key, value)


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
