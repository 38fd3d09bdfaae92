"""When a WhatsApp line was written: its header's timestamp, read the way the whole file
writes it.

A header is ``DATE, TIME - `` (Android) or ``[DATE, TIME] `` (iOS), in the phone's locale
(CLDR patterns, so every axis varies): the date's field order (D/M/Y, M/D/Y, Y/M/D), its
separator (``/ . -``, sometimes with spaces: ``2021. 12. 30.``), 2- or 4-digit years
(Buddhist ``2565 BE``, Japanese era ``R4``), the date before or after the time, a comma
(``,`` ``،``) or a word (``à``, ``um``, ``klo``) between them, ``:`` or ``.`` in the time,
seconds or not, and a 12-hour marker before or after it (``PM``, ``p. m.``, ``вечера``,
``午後``, ``م``...) behind a plain, no-break or narrow no-break space. Digits may be
Arabic-Indic; bidi marks sit anywhere.

One line cannot tell ``05/06/23`` from ``06/05/23``, nor an unknown marker's half of the
day, so the format is decided over the whole file (``StampStats`` collects, ``decide()``
chooses): the field order under which every date is a real date, then the one under which
dates go forward in file order, then the shortest span (a wrong order turns days into
months); 12-hour markers from a table, and a marker the table does not know from the order
of the lines (within one day, morning lines come before evening ones).

Times are the phone's wall clock, read as UTC (the export has no zone): only differences
matter downstream, and the same export always gives the same numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

# Marks that carry no text: bidi marks and embeddings, BOM, zero-width joiners.
MARKS = ("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
         "\u200b\u200c\u200d\u061c")
_MARKS_RE = re.compile(f"[{MARKS}]")
_SPACES_RE = re.compile("[\u00a0\u202f\u2009\u2007\u3000]")

# Any decimal digit (Arabic-Indic, Devanagari, Thai...) -> ASCII.
_DIGITS = {c: str(unicodedata.decimal(chr(c))) for c in range(0x660, 0x1100)
           if unicodedata.category(chr(c)) == "Nd"}
_DIGITS.update({c: str(c - 0xFF10) for c in range(0xFF10, 0xFF1A)})  # full-width

_F = r"(?:[RHST]\d{1,2}|\d{1,4})"  # a year may be an era year: R4 = Reiwa 4
_D = (rf"(?P<a>{_F})\s?(?P<ds>[./-])\s?(?P<b>\d{{1,2}})\s?(?P=ds)\s?(?P<c>{_F})\.?")
_T = r"(?P<h>\d{1,2})(?P<ts>[:.])(?P<mi>\d{2})(?:(?P=ts)(?P<s>\d{2}))?"
# Around date and time: a marker, a comma, a word ("à", "um"), never a colon or bracket.
_P = r"[^\d:\[\]]{0,20}?"
_DATE_TIME = re.compile(rf"(?P<p1>{_P}){_D}(?P<p2>{_P}){_T}(?P<p3>{_P})")
_TIME_DATE = re.compile(rf"(?P<p1>{_P}){_T}(?P<p2>{_P}){_D}(?P<p3>{_P})")
_NOT_MARKER = re.compile(r"[\s.,،，、]|\bb\.?\s?e\b\.?", re.I)  # separators, Buddhist "BE"

# 12-hour markers, lowercased without spaces and dots ("p. m." -> "pm").
AM = frozenset({
    "am", "a", "vorm", "ص", "午前", "上午", "오전", "πμ", "утра", "ночи", "ранку", "ночі",
    "sa", "sáng", "pagi", "subuh", "dopoledne", "rano", "öö", "fm", "ap", "vm",
    "ق.ظ", "पूर्वाह्न", "পূর্বাহ্ণ", "ก่อนเที่ยง", "午前中",
    # day periods some locales write instead of AM/PM
    "inthemorning", "midnight", "delamañana", "delamadrugada", "morgens", "vormittags",
    "damanhã", "damadrugada", "dumatin", "minuit",
})
PM = frozenset({
    "pm", "p", "nachm", "م", "午後", "下午", "오후", "μμ", "вечера", "дня", "вечора",
    "ch", "chiều", "tối", "siang", "sore", "malam", "odpoledne", "ös", "em", "ip", "nm",
    "ب.ظ", "अपराह्न", "অপরাহ্ণ", "หลังเที่ยง",
    "intheafternoon", "intheevening", "noon", "delatarde", "delmediodía", "nachmittags",
    "abends", "mittags", "datarde", "dusoir", "del'après-midi", "del’après-midi", "midi",
})
# "At night" reaches both sides of midnight: 9 at night is 21:00, 2 at night is 02:00.
NIGHT = frozenset({"atnight", "delanoche", "nachts", "danoite", "delanuit"})
# Words between date and time that are not markers ("à 21:41", "klo 21.41", "um 21:41").
_CONNECTORS = ("alas", "às", "à", "a", "um", "klo", "kl", "at", "в", "о", "o", "alle", "om", "op",
               "saat", "lúc", "pukul", "kello")
ORDERS = ("DMY", "MDY", "YMD")
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Stamp:
    """A header's timestamp as written: the three date fields, the time, the marker key."""

    a: str
    b: str
    c: str
    sep: str
    hour: int
    minute: int
    second: int | None
    marker: str  # normalised leftover text: "pm", "вечера", "" (none)


def clean(text: str) -> str:
    """Digits to ASCII, marks dropped, exotic spaces to spaces."""
    if not text.isascii():
        text = _SPACES_RE.sub(" ", _MARKS_RE.sub("", text)).translate(_DIGITS)
    return text


def parse_stamp(raw: str) -> Stamp | None:
    """The parts of a header's timestamp, or None if ``raw`` is not one."""
    s = clean(raw).strip()
    if not 6 <= len(s) <= 60:
        return None
    m = _DATE_TIME.fullmatch(s) or _TIME_DATE.fullmatch(s)
    if m is None:
        return None
    minute = int(m["mi"])
    sec = m["s"]
    if minute > 59 or (sec is not None and int(sec) > 59):
        return None
    marker = _NOT_MARKER.sub("", (m["p1"] + " " + m["p2"] + " " + m["p3"])).casefold()
    return Stamp(m["a"], m["b"], m["c"], m["ds"], int(m["h"]), minute,
                 None if sec is None else int(sec), marker)


def _year(f: str) -> int | None:
    if f[0] in "RHST":
        base = {"R": 2018, "H": 1988, "S": 1925, "T": 1911}[f[0]]
        return base + int(f[1:])
    if len(f) <= 2:
        return 2000 + int(f)
    if len(f) == 4:
        y = int(f)
        if y > 2400:  # Buddhist era (Thai): 2565 BE = 2022
            y -= 543
        return y if y >= 1970 else None
    return None


def day_number(st: Stamp, order: str) -> int | None:
    """Days since 1970-01-01 under a field order, or None if that is not a real date."""
    try:
        if order == "DMY":
            if not st.a.isdigit() or len(st.a) > 2:
                return None
            y, m, d = _year(st.c), int(st.b), int(st.a)
        elif order == "MDY":
            if not st.a.isdigit() or len(st.a) > 2:
                return None
            y, m, d = _year(st.c), int(st.a), int(st.b)
        else:  # YMD
            if not st.c.isdigit() or len(st.c) > 2:
                return None
            y, m, d = _year(st.a), int(st.b), int(st.c)
        if y is None:
            return None
        return date(y, m, d).toordinal() - _EPOCH
    except ValueError:
        return None


def _strip_connector(key: str) -> str:
    for c in _CONNECTORS:
        if key.startswith(c) and key[len(c):] in AM | PM:
            return key[len(c):]
    return key


@dataclass
class StampStats:
    """What the first pass over a file learns about its timestamps."""

    headers: int = 0
    invalid: Counter = field(default_factory=Counter)  # order -> dates that are not dates
    backwards: Counter = field(default_factory=Counter)  # order -> steps back in time
    first: dict = field(default_factory=dict)
    last: dict = field(default_factory=dict)
    lowest: dict = field(default_factory=dict)
    highest: dict = field(default_factory=dict)
    seps: Counter = field(default_factory=Counter)
    markers: Counter = field(default_factory=Counter)  # marker key -> lines
    max_hour: dict = field(default_factory=dict)  # marker key -> highest hour seen with it
    turns: Counter = field(default_factory=Counter)  # (key, next key) on the same date
    _prev_date: tuple | None = None
    _prev_marker: str | None = None

    def add(self, st: Stamp) -> None:
        self.headers += 1
        self.seps[st.sep] += 1
        self.markers[st.marker] += 1
        if st.hour > self.max_hour.get(st.marker, -1):
            self.max_hour[st.marker] = st.hour
        for order in ORDERS:
            n = day_number(st, order)
            if n is None:
                self.invalid[order] += 1
                continue
            prev = self.last.get(order)
            if prev is not None and n < prev:
                self.backwards[order] += 1
            self.first.setdefault(order, n)
            self.last[order] = n
            if n < self.lowest.get(order, n + 1):
                self.lowest[order] = n
            if n > self.highest.get(order, n - 1):
                self.highest[order] = n
        here = (st.a, st.b, st.c)
        if self._prev_date == here and self._prev_marker != st.marker:
            self.turns[(self._prev_marker, st.marker)] += 1
        self._prev_date = here
        self._prev_marker = st.marker

    def decide(self) -> "Clock":
        return Clock(self._order(), self._halves())

    def _order(self) -> str:
        def score(order: str) -> tuple:
            span = self.highest.get(order, 0) - self.lowest.get(order, 0)
            return (self.invalid[order], self.backwards[order], span)

        best = min(score(o) for o in ORDERS)
        tied = [o for o in ORDERS if score(o) == best]
        if len(tied) == 1:
            return tied[0]
        # Dates this file cannot tell apart (all fields <= 12, one date...): the locale's habit.
        english_12h = any(k in ("am", "pm") for k in self.markers)
        slash = self.seps.most_common(1)[0][0] == "/" if self.seps else False
        for o in (("MDY", "DMY", "YMD") if english_12h and slash else ("DMY", "MDY", "YMD")):
            if o in tied:
                return o
        return tied[0]  # pragma: no cover - ORDERS covers every tie

    def _halves(self) -> dict[str, str]:
        """Marker key -> "am" | "pm" | "night" | "" (a 24-hour clock: hours as written)."""
        halves: dict[str, str] = {}
        unknown = []
        for key in self.markers:
            k = _strip_connector(key)
            if key == "" or self.max_hour.get(key, 0) > 12:
                halves[key] = ""  # no marker, or a word that is not one ("à 21:41")
            elif k in AM:
                halves[key] = "am"
            elif k in PM:
                halves[key] = "pm"
            elif k in NIGHT:
                halves[key] = "night"
            else:
                unknown.append(key)
        if not unknown:
            return halves
        known = {h for h in halves.values() if h in ("am", "pm")}
        if len(unknown) == 1 and len(known) == 1:
            halves[unknown[0]] = "pm" if known == {"am"} else "am"
        elif len(unknown) == 2 and not known:
            x, y = unknown
            forward, back = self.turns[(x, y)], self.turns[(y, x)]
            if forward != back:  # the half that comes first within a day is the morning
                halves[x], halves[y] = ("am", "pm") if forward > back else ("pm", "am")
        for key in unknown:
            halves.setdefault(key, "")  # cannot tell: as written (differences still hold)
        return halves


@dataclass(frozen=True)
class Clock:
    """The decided format of one file: field order and what each marker means."""

    order: str
    halves: dict

    def seconds(self, st: Stamp) -> int | None:
        """Unix seconds of a stamp (wall clock as UTC), None if it is not a real time."""
        day = day_number(st, self.order)
        if day is None:
            return None
        h = st.hour
        half = self.halves.get(st.marker, "")
        if half:
            if h > 12:
                return None
            pm = half == "pm" or (half == "night" and 6 <= h < 12)
            h = (0 if h == 12 else h) + (12 if pm else 0)
        elif h > 23:
            return None
        return day * 86400 + h * 3600 + st.minute * 60 + (st.second or 0)
