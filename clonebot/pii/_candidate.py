"""What a recognizer proposes: a typed span of the text it was given."""

from __future__ import annotations

from typing import NamedTuple


class Cand(NamedTuple):
    kind: str  # one of clonebot.pii.KINDS
    start: int
    end: int
    detail: str = ""  # e.g. "BTC", "GitHub token", "pin"
    value: str = ""  # normalised value: the same value gets the same placeholder
