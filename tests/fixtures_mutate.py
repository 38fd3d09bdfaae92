"""Real exports with a few bytes deleted, inserted or changed, for the tests that read a
broken file two ways and compare what each gives."""

from __future__ import annotations

import random
from pathlib import Path

FIX = Path(__file__).resolve().parent / "fixtures" / "telegram-exports"


def small_exports(limit: int = 100_000) -> list[bytes]:
    """The fixture exports under ``limit`` bytes."""
    return [p.read_bytes() for p in sorted(FIX.glob("*.json")) if p.stat().st_size < limit]


def mutated(rnd: random.Random, sources: list[bytes], inserts: list[bytes],
            delete: float = 0.35, insert: float = 0.7) -> bytes:
    """One of ``sources`` with 1-3 edits: a run of 1-5 bytes deleted (``delete`` of the
    edits), one of ``inserts`` put in (up to ``insert``), or one byte changed."""
    data = bytearray(rnd.choice(sources))
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(data))
        op = rnd.random()
        if op < delete:
            del data[i:i + rnd.randint(1, 5)]
        elif op < insert:
            data[i:i] = rnd.choice(inserts)
        else:
            data[i] = rnd.randrange(256)
    return bytes(data)
