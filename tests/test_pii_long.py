"""One huge message must not make the scrubber quadratic.

`clonebot pii`, prepare and the bot's outgoing check all scrub whatever a message holds;
a 560 KB message of "пароль " took 15.5 s. Here each adversarial pattern is scrubbed at
two sizes, four times apart, and the CPU time may grow about fourfold (linear), never
sixteenfold (quadratic): the bound (8x) is generous for a shared machine. Absolute times
live in bench/bench_pii.py, not here.
"""

from __future__ import annotations

import time

import pytest

from clonebot.pii import PIIFilter

_SMALL, _LARGE = 25_000, 100_000  # characters; at these sizes a quadratic path shows ~15x
_BOUND = 8.0
_FILTER = PIIFilter()


def _cpu(text: str, repeat: int) -> float:
    # this thread's CPU only: process_time also counted threads earlier tests left spinning
    # (torch's OpenMP pool), and once charged one scan 0.7 s it never spent
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        _FILTER.scan(text)
        best = min(best, time.thread_time() - start)
    return best


# each pattern once drove a path whose cost per keyword or per finding was the whole text
@pytest.mark.parametrize("unit", [
    "пароль: ",  # misspelt-keyword overlap check against every keyword found
    "1111 2222 3333 4444 ",  # widening a finding re-merged every finding
    "gfhjkm ",  # a keyword in the other layout searched the whole text before it
    "домофон: 12 ",  # "an apartment named anywhere?" asked per door code
    "код 45К ",  # a mixed code's token searched back over the whole text
    "попробуй Xy12Ab ",  # "a login named anywhere?" asked per tried value
    "поставил Xy!12 ",  # "where it was set?" asked per cue
])
def test_scrubbing_time_grows_linearly(unit):
    small = unit * (_SMALL // len(unit))
    large = unit * (_LARGE // len(unit))
    _FILTER.scan(small[:2000])  # warm up caches and compiled patterns
    ratio = _cpu(large, 2) / max(_cpu(small, 2), 1e-3)
    assert ratio < _BOUND, f"{unit!r}: 4x the text took {ratio:.1f}x the CPU time"


@pytest.mark.parametrize("head,unit", [
    ("https://a.com/", "login/"),  # a login word per path segment: each was tried as the login one
    ("ул. Ленина 5", ", кв 1"),  # an address's parts
])
def test_one_long_token_grows_linearly(head, unit):
    small = head + unit * (_SMALL // len(unit))
    large = head + unit * (_LARGE // len(unit))
    _FILTER.scan(small[:2000])
    ratio = _cpu(large, 2) / max(_cpu(small, 2), 1e-3)
    assert ratio < _BOUND, f"{head!r} + {unit!r}: 4x the text took {ratio:.1f}x the CPU time"
