"""Style and clone score by context length: does the clone sound like its owner when it
answers a first message as well as deep in a conversation?

A reply's context is the turns the model saw; its last turn is the message being answered.
"Earlier turns" are the ones before that message: 0 for a friend's first message (how much
of the bot's real traffic starts), up to ``context_turns - 1`` deep in a conversation.
Each bucket gets the style fingerprint and the clone score of its own replies, with the
same too-few rule (a bucket of a handful of replies is named, not judged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from training.eval.clone_score import MIN_CONTEXTS, clone_score
from training.eval.fingerprint import compare

# (key, label, fewest, most earlier turns; None = no upper bound)
BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0", "no earlier turn", 0, 0),
    ("1-2", "1–2 earlier turns", 1, 2),
    ("3-4", "3–4 earlier turns", 3, 4),
    ("5+", "5 or more earlier turns", 5, None),
)


def earlier_turns(context: Sequence[Mapping[str, Any]]) -> int:
    """Turns before the message being answered (the context's last turn)."""
    return max(len(context) - 1, 0)


def bucket_of(context: Sequence[Mapping[str, Any]]) -> str:
    n = earlier_turns(context)
    return next(key for key, _, lo, hi in BUCKETS if n >= lo and (hi is None or n <= hi))


def _style(owner: list[str], clone: list[str]) -> dict[str, Any]:
    fp = compare(owner, clone)
    return {"rates": fp["rates"], "lengths": fp["lengths"],
            "max_rate_difference": fp["max_rate_difference"], "worst_rate": fp["worst_rate"]}


def by_context_length(contexts: Sequence[Sequence[Mapping[str, Any]]], owner: Sequence[str],
                      clone: Sequence[str], *, seed: int = 0,
                      min_contexts: int = MIN_CONTEXTS) -> list[dict[str, Any]]:
    """One entry per bucket that has replies (in bucket order): how many, whether there are
    enough to judge, the fingerprint rates and the clone score."""
    groups: dict[str, list[int]] = {}
    for i, ctx in enumerate(contexts):
        groups.setdefault(bucket_of(ctx), []).append(i)
    out = []
    for key, label, _, _ in BUCKETS:
        idx = groups.get(key)
        if not idx:
            continue
        o, c = [owner[i] for i in idx], [clone[i] for i in idx]
        enough = len(idx) >= min_contexts
        out.append({
            "bucket": key, "label": label, "replies": len(idx), "judged": enough,
            "note": "" if enough else f"{len(idx)} replies: too few to judge "
                                      f"(at least {min_contexts} needed)",
            "style": _style(o, c),
            "clone_score": clone_score(o, c, seed=seed, min_contexts=min_contexts),
        })
    return out
