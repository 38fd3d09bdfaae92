"""Held-out rows of a prepared dataset, and the (context, real reply) pairs eval scores."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clonebot.errors import DatasetError
from clonebot.model.generate import last_turns
from clonebot.prompt_format import CLONE


def load_split(dataset_dir: Path, split: str = "eval") -> Any:
    """One split of a prepared dataset, as a ``datasets.Dataset``."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise DatasetError(f"no prepared dataset at {dataset_dir} (run: clonebot prepare EXPORT)")
    from datasets import load_from_disk

    try:
        dd = load_from_disk(str(dataset_dir))
    except (FileNotFoundError, ValueError, OSError) as e:
        raise DatasetError(f"cannot load the prepared dataset at {dataset_dir}: {e}") from None
    if split not in dd:
        raise DatasetError(f"{dataset_dir} has no {split!r} split")
    return dd[split]


def pick_rows(ds: Any, k: int | None, seed: int = 0) -> list[dict]:
    """``k`` rows spread over the split, the same ones every run (None or 0 = all)."""
    n = len(ds)
    idx = list(range(n))
    if k and k < n:
        idx = sorted(random.Random(seed).sample(idx, k))
    rows = [ds[i] for i in idx]
    good = []
    for r in rows:
        msgs = r.get("messages") or []
        if len(msgs) >= 2 and msgs[-1].get("role") == CLONE and msgs[-1].get("content"):
            good.append(r)
    return good


def reply_items(rows: Iterable[Mapping], keep: int) -> list[tuple[list[dict], str]]:
    """``(context, real reply)`` pairs of dataset rows, the context cut as the bot cuts it
    (``keep``: the adapter's trained context, ``LoadedModel.context_turns``)."""
    return [(last_turns(r["messages"][:-1], keep), r["messages"][-1]["content"]) for r in rows]
