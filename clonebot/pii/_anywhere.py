"""Whether a pattern occurs anywhere in a text, found once per text.

Some recognizers ask it of every value they weigh ("is a booking named anywhere?"): asked
afresh each time, a long message of many values would cost its length once per value. The
answer is kept for the last texts seen (a str keeps its hash, so a hit costs no scan).
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=64)
def anywhere(rx: re.Pattern, text: str) -> bool:
    return rx.search(text) is not None
