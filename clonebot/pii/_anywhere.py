"""Whether a pattern occurs anywhere in a text, found once per text.

Some recognizers ask it of every value they weigh ("is a booking named anywhere?"): asked
afresh each time, a long message of many values would cost its length once per value. The
answers for the text last asked about are kept (per thread), keyed by the text's identity and
hash, not by the text itself: no huge message is held after its scan.
"""

from __future__ import annotations

import re
import threading

_local = threading.local()


def anywhere(rx: re.Pattern, text: str) -> bool:
    key = (id(text), hash(text))  # a str keeps its hash: after the first ask, no scan
    memo = getattr(_local, "memo", None)
    if memo is None or memo[0] != key:
        memo = _local.memo = (key, {})
    answers = memo[1]
    found = answers.get(rx)
    if found is None:
        found = answers[rx] = rx.search(text) is not None
    return found
