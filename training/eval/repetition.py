"""Repetition in one generation: repeated word n-grams and back-to-back loops."""

from __future__ import annotations

import math
import re

_WORD = re.compile(r"\w+|[^\w\s]+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def repeated_ngram_ratio(text: str, n: int = 3) -> float:
    """Share of word n-grams that repeat an earlier n-gram of the same text (0 = none)."""
    toks = words(text)
    grams = [tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def has_loop(text: str, min_copies: int = 3, min_span: int = 6, max_n: int = 12) -> bool:
    """True when a word n-gram repeats back-to-back at least ``min_copies`` times and over
    at least ``min_span`` words ("ok ok ok" is human; one clause three times is a loop), or
    when a unit of 5+ characters repeats 4 times in a row (loops in unspaced text)."""
    toks = words(text)
    for n in range(1, max_n + 1):
        need = max(min_copies, math.ceil(min_span / n))
        for i in range(len(toks) - n * need + 1):
            unit = toks[i : i + n]
            if all(toks[i + k * n : i + (k + 1) * n] == unit for k in range(1, need)):
                return True
    return bool(re.search(r"(\S{5,}?)\1{3,}", "".join(text.split())))
