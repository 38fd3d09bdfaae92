"""How generations behave next to the owner's real replies: stops, other-turn writing,
repetition, length, chrF."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from training.eval.chrf import chrf, corpus_chrf
from training.eval.repetition import has_loop, repeated_ngram_ratio
from training.eval.stops import RawGeneration


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def generation_metrics(gens: Sequence[RawGeneration], refs: Sequence[str]) -> dict[str, Any]:
    """Behaviour of generations vs the owner's real replies (same order)."""
    if len(gens) != len(refs):
        raise ValueError("gens and refs differ in length")
    n = len(gens)
    if n == 0:
        return {"generations": 0}
    replies = [g.reply for g in gens]
    stops = Counter(g.stop for g in gens)
    gen_len = [len(r) for r in replies]
    ref_len = [len(r) for r in refs]
    ratios = [g / r for g, r in zip(gen_len, ref_len) if r > 0]
    return {
        "generations": n,
        "stop_eos_rate": stops["eos"] / n,
        "stop_marker_rate": stops["marker"] / n,
        # Stopped by itself before the limit, either way.
        "stop_rate": (stops["eos"] + stops["marker"]) / n,
        "hit_limit_rate": stops["limit"] / n,
        "other_turn_rate": sum(g.wrote_other_turn for g in gens) / n,
        "empty_reply_rate": sum(not r for r in replies) / n,
        "repeated_3gram_ratio": _mean([repeated_ngram_ratio(r, 3) for r in replies]),
        "loop_rate": sum(has_loop(g.text) for g in gens) / n,
        "reply_chars_mean": _mean(gen_len),
        "owner_chars_mean": _mean(ref_len),
        "length_ratio_median": statistics.median(ratios) if ratios else None,
        "chrf": corpus_chrf(replies, refs),
        "chrf_sentence_mean": _mean([chrf(h, r) for h, r in zip(replies, refs)]),
    }
