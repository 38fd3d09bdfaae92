"""A CPU training step with its batch's rows split over threads, one core each.

Why: on a CPU the ops of a small model's step are too small for torch's intra-op threads.
Each op is split over the cores and ends in a barrier, and threads that sleep between ops
(``OMP_WAIT_POLICY=PASSIVE``, clonebot.model.cpu) take about as long to wake as the op's
half takes to compute: SmolLM2-135M's step, batch 4, took 1.23 s on two such threads and
1.23 s on one. Threads that spin instead are fast on a quiet machine and collapse beside a
busy neighbour (30.7 vs 4.0 s a step). Here each core computes its own rows end to end,
forward and backward, with no barrier until the step's end: torch lets the GIL go while it
computes, and autograd accumulates both threads' gradients into the LoRA weights under its
own locks. The demo's step: 0.66 s idle, 0.90 s beside a busy process (0.97 and 1.52 s for
the whole batch on two threads; docs/benchmarks.md).

The same step: each group of rows computes its loss summed over its learnt tokens and
divided by the whole batch's count (``num_items_in_batch``, which the Trainer counts), so
the groups' losses and gradients add up to the whole batch's. Float sums run in another
order: the loss agrees to float rounding (tests/test_row_threads.py). With two groups the
gradient sum is the same either way round (a + b == b + a), so a run stays deterministic.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from clonebot.threads import in_threads


def row_groups(device: str, threads: int, batch_size: int, model: Any = None) -> int:
    """How many groups of rows a training step runs at once: one per thread on a CPU with
    more than one (``threads``: ``model.cpu_threads`` resolved), at most one per row; 1
    elsewhere (a GPU batches rows itself), and 1 for a ``model`` whose step draws random
    numbers (dropout): threads would draw them from torch's one generator in whatever order
    they ran, and a run (or its resume) would not repeat."""
    if device != "cpu" or (model is not None and draws_random(model)):
        return 1
    return max(1, min(threads, batch_size))


def draws_random(model: Any) -> bool:
    """Whether ``model``'s training forward draws random numbers: a dropout module with p > 0
    (peft's ``lora_dropout`` among them) or attention dropout in its config."""
    import torch

    configs = [getattr(m, "config", None) for m in model.modules()]
    return (any(isinstance(m, torch.nn.modules.dropout._DropoutNd) and m.p > 0 for m in model.modules())
            or any(float(getattr(c, "attention_dropout", 0) or 0) > 0 for c in configs if c is not None))


def threads_per_group(threads: int, groups: int) -> int:
    """torch's intra-op threads for each of ``groups`` groups of rows on ``threads`` cores:
    one on a 2-core machine; a many-core one still gives every core work (16 cores, 4 rows:
    4 each)."""
    return max(1, threads // max(groups, 1))


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``n`` inside (None: left alone), as they were after."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def split_rows(inputs: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """``inputs`` (a collated batch) as ``n`` batches of consecutive rows, as even as they
    go; fewer when the batch has fewer rows. Tensors whose first dimension is the batch's are
    cut; anything else is shared."""
    import torch

    rows = inputs["input_ids"].shape[0]
    n = max(1, min(n, rows))
    bounds = [round(i * rows / n) for i in range(n + 1)]
    return [{k: (v[a:b] if torch.is_tensor(v) and v.dim() > 0 and v.shape[0] == rows else v)
             for k, v in inputs.items()} for a, b in zip(bounds, bounds[1:])]


def run_split(step: Callable[[dict[str, Any]], Any], parts: list[dict[str, Any]]) -> list[Any]:
    """``step(part)`` for every part, each in a thread of its own but the first; the results
    in order. The first error is raised once all have ended."""
    return dealt(step, parts, len(parts))


def dealt(fn: Callable[[Any], Any], items: Sequence[Any], workers: int,
          each: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext) -> list[Any]:
    """``fn(item)`` for every item, dealt in turn over ``workers`` threads (the caller's
    among them), each thread inside ``each()`` (torch's grad modes are per thread); the
    results in the items' order. The first error is raised once all have ended."""
    results: list[Any] = [None] * len(items)
    workers = max(1, min(workers, len(items)))

    def run(w: int) -> None:
        with each():
            for i in range(w, len(items), workers):
                results[i] = fn(items[i])

    in_threads(run, workers)
    return results


def even_chunks(n: int, size: int, workers: int) -> list[tuple[int, int]]:
    """``range(n)`` as consecutive (start, stop) chunks of at most ``size``, as many as
    a multiple of ``workers`` and as even as they go (each worker gets as much)."""
    if n == 0:
        return []
    count = -(-n // max(size, 1))
    count = min(n, -(-count // workers) * workers)
    bounds = [round(i * n / count) for i in range(count + 1)]
    return list(zip(bounds, bounds[1:]))
