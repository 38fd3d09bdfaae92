"""Identity documents: passport numbers (internal, foreign, international) and other ids
written the same way (driver's licence), found only near a word that names them.

People write them in any order: "паспорт 4510 123456", "серия 4510, номер 123456",
"45 10 123456 — это мой паспорт", "загран 75 1234567", "пасп. 4510123456".
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_KEYWORD = re.compile(
    r"(?<!\w)(?:паспорт\w*|пасп\.?|загран\w*|сери[яиюей]|passport\w*|passp\.?|"
    r"удостоверени\w+\s+личност\w*|id\s*card|водительск\w*|права|вод\.\s*удост\w*|"
    r"driver'?s?\s+licen[cs]e|licen[cs]e\s+(?:no|number))(?!\w)",
    re.I,
)
_NO = r"(?:№|N|No\.?|Nr\.?|#|номер|ном\.|н\.|number)"
_NUMBER = re.compile(
    # internal / driver's licence: series 2+2, number 6 ("45 10 123456", "4510, номер 123 456")
    rf"(?<!\d)(?<!\d\.)\d{{2}}[ -]?\d{{2}}[ ,;:.-]{{0,3}}(?:{_NO}[ :.]{{0,3}})?(?:\d{{6}}|\d{{3}}[ -]\d{{3}})(?!\.?\d)"
    # international ("загран"): 2 + 7
    rf"|(?<!\d)(?<!\d\.)\d{{2}}[ -]?(?:{_NO}[ :.]{{0,3}})?\d{{7}}(?!\.?\d)"
    # foreign passports: 1-2 letters + 6-8 digits, or 9 digits
    r"|(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{6,8}(?![A-Za-z0-9])"
    r"|(?<!\d)(?<!\d\.)\d{9}(?!\.?\d)",
    re.I,
)
# series or number named on their own: "серия 4510 ... номер 123456"
_PART = re.compile(rf"(?<!\w)(?:сери[яиюей]|series)[ :№]{{0,3}}(\d{{2}} ?\d{{2}})(?!\d)"
                   rf"|(?<!\w){_NO}[ :.]{{0,3}}(\d{{6,9}})(?!\d)", re.I)
_BEFORE = 45  # "45 10 123456 — это мой паспорт"
_AFTER = 60


def passports(text: str) -> list[Cand]:
    out: list[Cand] = []
    for kw in _KEYWORD.finditer(text):
        lo, hi = max(0, kw.start() - _BEFORE), min(len(text), kw.end() + _AFTER)
        for m in _NUMBER.finditer(text, lo, hi):
            out.append(Cand("passport", m.start(), m.end(), "", re.sub(r"\W", "", m.group()).lower()))
        for m in _PART.finditer(text, kw.start(), hi):
            g = 1 if m.group(1) else 2
            out.append(Cand("passport", m.start(g), m.end(g), "", m.group(g).replace(" ", "")))
    return out
