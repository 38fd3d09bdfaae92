"""Overlapping candidates -> disjoint findings, strongest evidence first."""

from __future__ import annotations

import bisect

from clonebot.pii._candidate import Cand
from clonebot.pii._secrets import SHAPES

# Owner's list and provider-shaped secrets first, plain-context kinds last.
_PRIORITY = {k: i for i, k in enumerate((
    "denylist", "secret", "seed", "crypto", "email", "iban", "card", "snils", "inn",
    "passport", "invite", "ip", "geo", "birthdate", "plate", "password", "phone", "address", "name",
))}
# An unlabelled random-looking string is the weakest evidence: a checksummed crypto address
# or a phone inside it names it better.
_WEAKEST = len(_PRIORITY)


def _rank(c: Cand) -> int:
    return _WEAKEST if c.detail == "random string" else _PRIORITY[c.kind]


def resolve(cands: list[Cand]) -> list[Cand]:
    """Non-overlapping spans in text order. Stronger kinds win; a weaker overlapping span
    that sticks out widens the winner instead of leaving PII half-visible.

    Candidates that overlap nothing outside their own cluster (a run of spans each touching
    the next) are resolved cluster by cluster: what happens in one never reaches another,
    and a message of a hundred thousand findings costs no more than its clusters."""
    cands.sort(key=lambda c: (c.start, -c.end))
    out: list[Cand] = []
    cluster: list[Cand] = []
    reach = -1
    for c in cands:
        if cluster and c.start >= reach:
            out.extend(_resolve_cluster(cluster) if len(cluster) > 1 else cluster)
            cluster = []
        cluster.append(c)
        reach = max(reach, c.end) if len(cluster) > 1 else c.end
    if cluster:
        out.extend(_resolve_cluster(cluster) if len(cluster) > 1 else cluster)
    return out


def _resolve_cluster(cands: list[Cand]) -> list[Cand]:
    cands.sort(key=lambda c: (_rank(c), c.start - c.end, c.start))
    starts: list[int] = []  # taken spans, kept sorted and disjoint
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
        if hit.kind == "secret" and hit.detail in SHAPES and c.kind == "password":
            continue  # a provider's token ends where its shape does: "ключ claude sk-ant-..." keeps "claude"
        if c.start < hit.start or c.end > hit.end:
            taken[hj] = hit._replace(start=min(c.start, hit.start), end=max(c.end, hit.end))
            starts[hj] = taken[hj].start
            _merge(taken, starts, hj)
    return taken


def _merge(taken: list[Cand], starts: list[int], j: int) -> None:
    """Widening taken[j] may make it overlap its neighbours (rare): fold them together, the
    left one of each pair keeping its kind."""
    while j + 1 < len(taken) and taken[j + 1].start < taken[j].end:
        right = taken.pop(j + 1)
        starts.pop(j + 1)
        taken[j] = taken[j]._replace(end=max(taken[j].end, right.end))
    while j > 0 and taken[j].start < taken[j - 1].end:
        cur = taken.pop(j)
        starts.pop(j)
        j -= 1
        taken[j] = taken[j]._replace(end=max(taken[j].end, cur.end))
