"""Overlapping candidates -> disjoint findings, strongest evidence first."""

from __future__ import annotations

import bisect

from clonebot.pii._candidate import Cand

# Owner's list and provider-shaped secrets first, plain-context kinds last.
_PRIORITY = {k: i for i, k in enumerate((
    "denylist", "secret", "seed", "crypto", "email", "iban", "card", "snils", "inn",
    "passport", "password", "phone", "name",
))}
# An unlabelled random-looking string is the weakest evidence: a checksummed crypto address
# or a phone inside it names it better.
_WEAKEST = len(_PRIORITY)


def _rank(c: Cand) -> int:
    return _WEAKEST if c.detail == "random string" else _PRIORITY[c.kind]


def resolve(cands: list[Cand]) -> list[Cand]:
    """Non-overlapping spans in text order. Stronger kinds win; a weaker overlapping span
    that sticks out widens the winner instead of leaving PII half-visible."""
    cands.sort(key=lambda c: (_rank(c), c.start - c.end, c.start))
    starts: list[int] = []  # taken spans, kept sorted and disjoint (bisect: no n^2 on 1 MB lines)
    taken: list[Cand] = []
    for c in cands:
        i = bisect.bisect_right(starts, c.start) - 1
        hj = next((j for j in (i, i + 1)
                   if 0 <= j < len(taken) and c.start < taken[j].end and taken[j].start < c.end), None)
        if hj is None:
            taken.insert(i + 1, c)
            starts.insert(i + 1, c.start)
            continue
        hit = taken[hj]
        if c.start < hit.start or c.end > hit.end:
            taken[hj] = hit._replace(start=min(c.start, hit.start), end=max(c.end, hit.end))
            starts[hj] = taken[hj].start
            _merge(taken, starts)
    return taken


def _merge(taken: list[Cand], starts: list[int]) -> None:
    """Widening may make neighbours overlap (rare): fold them together."""
    out: list[Cand] = []
    for t in taken:
        if out and t.start < out[-1].end:
            out[-1] = out[-1]._replace(end=max(out[-1].end, t.end))
        else:
            out.append(t)
    taken[:] = out
    starts[:] = [t.start for t in out]
