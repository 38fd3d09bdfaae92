"""Identity documents: passport numbers (internal, foreign, international) and other ids
written the same way (driver's licence), found only near a word that names them.

People write them in any order: "паспорт 4510 123456", "серия 4510, номер 123456",
"45 10 123456 — это мой паспорт", "загран 75 1234567", "пасп. 4510123456".
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_KEYWORD = re.compile(
    # misspelled and transliterated too: пасспорт, паспарт, паспорд, пашпарт (be), pasport
    r"(?<!\w)(?:п[аa]сс?п[оаo]р[тд]\w*|п[ао][шч]п[ао]рт\w*|пасп\.?|pas+p[oa]rt\w*|загран\w*|zagran\w*|ксив\w*|"
    r"сер[иы][яиюей]|сер\.|seri[jy]?[ae]|ser(?=\.?[ ]?\d\d[ ]?\d\d(?!\d))|passp\.?|reisepass\w*|pasaporte|passeport|paszport|passaporto|\bдул\b|pp(?=\s*(?:no|nr|number|#|№|:))|"
    r"удостоверени\w+\s+личност\w*|id\s*card|(?:id|айди)[\s-]?карт\w*|с/н|водительск\w*|права|вод\.\s*удост\w*|"
    r"driver'?s?\s+licen[cs]e|licen[cs]e\s+(?:no|number))(?!\w)",
    re.I,
)
_NO = r"(?:№|N|No\.?|Nr\.?|#|номер|ном\.|н\.|number|nomer|нумар)"
_EDGE_L, _EDGE_R = r"(?<!\d)(?<!\d\.)", r"(?!\.?\d)"
_SIX = r"(?:\d{6}|\d{3}[ -]\d{3}|\d{2}[ -]\d{2}[ -]\d{2})"
_SEVEN = r"(?:\d{7}|\d{3}[ -]\d{4}|\d{3}[ -]\d{2}[ -]\d{2})"
_NUMBER = re.compile(
    # internal / driver's licence: series 2+2, number 6 ("45 10 123456", "4510, номер 123 456")
    rf"{_EDGE_L}\d{{2}}[ -]?\d{{2}}[ ,;:./\n-]{{0,3}}(?:{_NO}[ :.]{{0,3}})?{_SIX}{_EDGE_R}"
    # digit by digit: "4 5 1 0 1 2 3 4 5 6"
    rf"|{_EDGE_L}\d(?:[ .-]\d){{8,9}}{_EDGE_R}"
    # international ("загран"): 2 + 7 ("75 1234567", "77 859 4446")
    rf"|{_EDGE_L}\d{{2}}[ -]?(?:{_NO}[ :.]{{0,3}})?{_SEVEN}{_EDGE_R}"
    # foreign passports: 1-2 letters (Latin or Cyrillic: "ЕК 123456") + 6-8 digits, or 9 digits
    r"|(?<![A-Za-zА-ЯЁа-яё0-9])[A-Za-zА-ЯЁ]{1,2} ?\d{6,8}(?![A-Za-z0-9])"
    rf"|{_EDGE_L}\d{{9}}{_EDGE_R}",
    re.I,
)
# letters and digits mixed (German "C01X00T47"): upper case only, not a word
_ALNUM = re.compile(r"(?<![A-Za-z0-9])(?=[A-Z0-9]{8,9}(?![A-Za-z0-9]))(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{8,9}")
# series or number named on their own, in any order: "номер 123456 серия 4510"
_PART = re.compile(  # a word or two may stand between: "серия паспорта — 4510"
    rf"(?<!\w)(?:сер[иы][яиюей]|сер\.|series|seri[jy]?[ae])(?:\s+[^\W\d]+){{0,2}}[ :№-]{{0,4}}(\d{{2}} ?\d{{2}})(?!\d)"
    r"(?!\s*(?:год|г\.|year))"  # "серия игр 2019 года": a year
    rf"|(?<!\w){_NO}(?:\s+[^\W\d]+){{0,2}}[ :.-]{{0,4}}(\d{{6,9}}|\d{{3}} \d{{3}})(?!\d)", re.I)
_BEFORE = 45  # "45 10 123456 — это мой паспорт"
_AFTER = 60


def passports(text: str) -> list[Cand]:
    out: list[Cand] = []
    for kw in _KEYWORD.finditer(text):
        lo, hi = max(0, kw.start() - _BEFORE), min(len(text), kw.end() + _AFTER)
        for rx in (_NUMBER, _ALNUM):
            for m in rx.finditer(text, lo, hi):
                out.append(Cand("passport", m.start(), m.end(), "", re.sub(r"\W", "", m.group()).lower()))
        for m in _PART.finditer(text, lo, hi):
            g = 1 if m.group(1) else 2
            out.append(Cand("passport", m.start(g), m.end(g), "", m.group(g).replace(" ", "")))
    return out
