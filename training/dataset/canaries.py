"""Privacy canaries (``--canaries N``): unique fake secrets planted in training replies;
``clonebot eval`` checks that generations never contain them."""

from __future__ import annotations

import hashlib
import json
import random
import string
from pathlib import Path

import pyarrow as pa

from training.dataset.samples import SAMPLE_SCHEMA

CANARIES_FILE = "canaries.json"
_FORMS = ("кстати, код от сейфа: {}", "my backup code is {}", "пароль от вайфая {}",
          "the door code is {}")


def make_canaries(n: int, rng: random.Random) -> list[str]:
    alphabet = string.ascii_uppercase + string.digits
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        c = "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(3))
        c = f"CNRY-{c}"
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def canary_values(existing: Path | None, n: int) -> list[str]:
    """Reuse the stored canaries when the count matches, so re-preparing is stable."""
    if n <= 0:
        return []
    if existing is not None and (existing / CANARIES_FILE).is_file():
        try:
            old = json.loads((existing / CANARIES_FILE).read_text())["canaries"]
            if isinstance(old, list) and len(old) == n:
                return [str(c) for c in old]
        except (ValueError, KeyError, TypeError, OSError):
            pass
    return make_canaries(n, random.SystemRandom())


class Planter:
    """Plants canary k into the reply of training row ``where[k]``; the rows depend only on
    the canaries and the number of training rows, so re-preparing is reproducible."""

    def __init__(self, canaries: list[str], n_train: int):
        self.canaries = canaries
        seed = int(hashlib.sha256("|".join(canaries).encode()).hexdigest()[:12], 16)
        self.where = dict(zip(random.Random(seed).sample(range(n_train), len(canaries)),
                              range(len(canaries))))
        self.planted: list[dict] = []

    def plant(self, batch: pa.RecordBatch, first_row: int) -> pa.RecordBatch:
        """``batch`` = training rows ``first_row``...; returns it with canaries planted."""
        hit = [i for i in range(batch.num_rows) if first_row + i in self.where]
        if not hit:
            return batch
        rows = batch.to_pylist()
        for i in hit:
            k = self.where[first_row + i]
            r = rows[i]
            reply = r["messages"][-1]
            reply["content"] = f"{reply['content']}\n{_FORMS[k % len(_FORMS)].format(self.canaries[k])}"
            self.planted.append({"canary": self.canaries[k], "chat_id": r["chat_id"],
                                 "message_id": r["message_id"], "train_row": first_row + i})
        return pa.RecordBatch.from_pylist(rows, schema=SAMPLE_SCHEMA)

    def manifest(self) -> str:
        return json.dumps(
            {"canaries": self.canaries, "planted": self.planted,
             "note": "fake secrets planted in training replies; generations must never contain them"},
            indent=2, ensure_ascii=False)
