"""The names of what became of a suggestion: stored, exported, counted (eval reads these)."""

from __future__ import annotations

from enum import Enum


class Decision(str, Enum):
    SENT = "sent"  # the owner approved it as is (ok), or sent the draft unchanged
    EDITED = "edited"  # the owner sent their own text instead (edit, a reply, a changed draft)
    REJECTED = "rejected"  # discarded (no), or the owner wrote something else in the chat
    REGENERATED = "regenerated"  # replaced by a new candidate (regen)
    EXPIRED = "expired"  # its time ran out, a newer one replaced it, or it could not be delivered

    def __str__(self) -> str:
        return self.value


DECISIONS = tuple(d.value for d in Decision)
