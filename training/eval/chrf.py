"""chrF (character n-gram F-score, sacrebleu 2.x definition) of generations vs real replies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

CHRF_ORDER = 6
CHRF_BETA = 2.0


def _char_ngrams(text: str, n: int) -> Counter:
    # chrF ignores whitespace (sacrebleu default): n-grams run over the joined characters.
    s = "".join(text.split())
    return Counter(s[i : i + n] for i in range(len(s) - n + 1))


def chrf_stats(hyp: str, ref: str, order: int = CHRF_ORDER) -> list[int]:
    """``[hyp_count, ref_count, matches]`` per n-gram order 1..order, flattened."""
    out: list[int] = []
    for n in range(1, order + 1):
        h, r = _char_ngrams(hyp, n), _char_ngrams(ref, n)
        out += [sum(h.values()), sum(r.values()), sum((h & r).values())]
    return out


def chrf_from_stats(stats: Sequence[int], beta: float = CHRF_BETA) -> float:
    """chrF (0..100) from summed stats: precision and recall averaged over the orders that
    exist in both texts, then the F-beta of the two (the sacrebleu 2.x definition)."""
    factor = beta**2
    prec_sum = rec_sum = 0.0
    eff = 0
    for i in range(len(stats) // 3):
        n_hyp, n_ref, n_match = stats[3 * i : 3 * i + 3]
        if n_hyp > 0 and n_ref > 0:
            prec_sum += n_match / n_hyp
            rec_sum += n_match / n_ref
            eff += 1
    if eff == 0:
        return 0.0
    p, r = prec_sum / eff, rec_sum / eff
    if p + r == 0:
        return 0.0
    return 100 * (1 + factor) * p * r / (factor * p + r)


def chrf(hyp: str, ref: str, order: int = CHRF_ORDER, beta: float = CHRF_BETA) -> float:
    """Sentence-level chrF between one hypothesis and one reference."""
    return chrf_from_stats(chrf_stats(hyp, ref, order), beta)


def corpus_chrf(
    hyps: Sequence[str], refs: Sequence[str], order: int = CHRF_ORDER, beta: float = CHRF_BETA
) -> float:
    """Corpus chrF: n-gram statistics summed over all pairs first (as sacrebleu does)."""
    if len(hyps) != len(refs):
        raise ValueError("hyps and refs differ in length")
    total = [0] * (3 * order)
    for h, r in zip(hyps, refs):
        total = [a + b for a, b in zip(total, chrf_stats(h, r, order))]
    return chrf_from_stats(total, beta)
