"""Identity documents: passport numbers (internal, foreign, international) and other ids
written the same way (driver's licence), found only near a word that names them.

People write them in any order: "паспорт 4510 123456", "серия 4510, номер 123456",
"45 10 123456 — это мой паспорт", "загран 75 1234567", "пасп. 4510123456".

With no keyword (``bare_passports``) only the internal passport's exact shape is one: series
"45 12" or "4512", a space, six digits; the series a region code and a year of issue
(97-99, 00 up to this year); nothing around that makes it money, a date, a phone or another
id ("перевёл 4512 345678 рублей", "заказ 4512 345678", "тел 4512 345678").
"""

from __future__ import annotations

import datetime
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


# without re.I, for the lower-cased line (re.I over Cyrillic costs ~3x): only its offsets are used
_KEYWORD_LOW = re.compile(_KEYWORD.pattern)


def passports(text: str, low: str | None = None) -> list[Cand]:
    """``low``: ``text.lower()``, when the caller has it."""
    out: list[Cand] = []
    if low is None:
        low = text.lower()
    keywords = _KEYWORD_LOW.finditer(low) if len(low) == len(text) else _KEYWORD.finditer(text)
    for kw in keywords:
        lo, hi = max(0, kw.start() - _BEFORE), min(len(text), kw.end() + _AFTER)
        found: list[Cand] = []
        for rx in (_NUMBER, _ALNUM):
            for m in rx.finditer(text, lo, hi):
                found.append(Cand("passport", m.start(), m.end(), "", re.sub(r"\W", "", m.group()).lower()))
        numbers = bool(found)
        for m in _PART.finditer(text, lo, hi):
            g = 1 if m.group(1) else 2
            numbers |= g == 2
            found.append(Cand("passport", m.start(g), m.end(g), "", m.group(g).replace(" ", "")))
        if numbers or not _SERIES_ONLY.fullmatch(kw.group()):
            out += found  # "тесты серии 2024 прошли": a series word and four digits name no passport
    return out


_SERIES_ONLY = re.compile(r"сер[иы][яиюей]|сер\.|seri[jy]?[ae]|ser", re.I)


# the edges are checked after a match: lookarounds here would run at every digit of every line
_BARE = re.compile(r"(\d\d) ?(\d\d) (\d{6})(?!\d)")
_BARE_LEFT = re.compile(r"[\w.,/:+#№-]")
_BARE_RIGHT = re.compile(r"[\w/:%]|[.,-]\d")
_THIS_YEAR = datetime.date.today().year % 100
# "2024 100000", "1000 500000": a year or round figures, not a series and number
_ROUND = re.compile(r"^(?:19|20)\d\d |^\d\d00 |000$")
# what makes ten digits something else: money, a count, another id, a phone, a date or time
_NOT_A_PASSPORT_BEFORE = re.compile(
    r"руб|р\.|₽|\$|€|£|usd|eur|rub|сумм|итого|total|amount|баланс|balance|перев[её]|оплат|плат[её]ж|paid|pay|"
    r"сч[её]т|account|заказ|order|трек|track|номер|number|№|#|\bid\b|артикул|sku|договор|contract|накладн|"
    r"заявк|обращени|тикет|ticket|полис|policy|инн|inn|снилс|snils|огрн|кпп|бик|тел|phone|моб|mobile|звон|call|"
    r"карт|card|код|code|пин|pin|парол|password|серийн|serial|штрих|barcode|isbn|год|year|"
    r"(?<!\w)(?:г|с|по|from|to|до|until)\.?[ \t]*$|\d[ \t]*$", re.I)
_NOT_A_PASSPORT_AFTER = re.compile(
    r"[ \t]*(?:руб|р\.|р\b|₽|\$|€|usd|eur|rub|тыс|млн|шт|ед\.|экз|копи|человек|people|раз|times|км|km|кг|kg|%|"
    r"просмотр|views|подписчик|followers|лайк|likes|units|pcs|items|"
    r"год|лет|year|\d)", re.I)


def bare_passports(text: str) -> list[Cand]:
    """"45 12 345678" / "4512 345678" with no keyword: the exact shape, nothing else meant."""
    out: list[Cand] = []
    if _BARE.search(text) is None:
        return out  # most lines: one scan, no iterator
    for m in _BARE.finditer(text):
        if (m.start() and _BARE_LEFT.match(text, m.start() - 1)) or _BARE_RIGHT.match(text, m.end()):
            continue
        region, year = int(m.group(1)), int(m.group(2))
        if region == 0 or not (year >= 97 or year <= _THIS_YEAR) or _ROUND.search(m.group()):
            continue
        before = text[max(0, m.start() - 25) : m.start()]
        if _NOT_A_PASSPORT_BEFORE.search(before.split("\n")[-1]) or _NOT_A_PASSPORT_AFTER.match(text, m.end()):
            continue
        out.append(Cand("passport", m.start(), m.end(), "", m.group(1) + m.group(2) + m.group(3)))
    return out
