"""Keywords spelt letter by letter: "П.А.С.П.О.Р.Т", "п а с п о р т", "P. A. S. S", "p_a_s_s",
"П-А-Р-О-Л-Ь". People space a word out to get past filters or to stress it; the recognizers
know words. ``despell`` joins every run of three or more single letters set apart by one and
the same mark (a dot with or without a space, a space, a dash, an underscore, a star, a
slash) into one word, and keeps where each character came from, so findings map back onto
the text as it was typed. ``_detect`` reads the joined text only when a run spells a keyword.
"""

from __future__ import annotations

import re

from clonebot.pii._normalize import Folded

# a single letter, a mark, a single letter, the same mark ... (3+ letters; "т.д." stays)
SPELLED = re.compile(r"(?<![^\W_])[^\W\d_](\.[ \t]?|[ _*/-])[^\W\d_](?:\1[^\W\d_])+(?![^\W_])")
_LETTER = re.compile(r"[^\W\d_]")


def despell(text: str) -> Folded | None:
    """`text` with its spelt-out runs joined ("п а с п о р т 4511" -> "паспорт 4511") and
    the original index of each character kept; None when there is no such run."""
    runs = list(SPELLED.finditer(text))
    if not runs:
        return None
    keep: list[int] = []
    pos = 0
    for m in runs:
        keep.extend(range(pos, m.start()))
        keep.extend(letter.start() for letter in _LETTER.finditer(text, m.start(), m.end()))
        pos = m.end()
    keep.extend(range(pos, len(text)))
    return Folded("".join(text[i] for i in keep), keep)


def spelled_words(text: str) -> list[str]:
    """The words the runs spell, lower-cased: what ``_detect`` checks for a keyword."""
    return ["".join(_LETTER.findall(m.group())).lower() for m in SPELLED.finditer(text)]
