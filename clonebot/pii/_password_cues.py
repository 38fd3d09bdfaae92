"""Passwords and codes with no password or code word beside them, only a cue.

- what was done with it: "у меня везде одинаковый X", "поставил X на всё", "I use X
  everywhere", "same one everywhere: X";
- a default account and its password: "admin / X", "root:X";
- a code by its purpose: "Use 382 910 to verify", "введи 4821 для входа";
- a code handed over or received: "вот он: 66 12 09", "here it is: 482193", "прислали 482193".

With no keyword the value itself must look like a password (letters with digits or
symbols; with "поставил" a symbol too, unless it says where: "на всё", "на вход") or like a
one-time code (six digits, or four to eight before a purpose), so "поставил Windows 11",
"I use Python3 everywhere", "вот он: 150 рублей" stay.
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand
from clonebot.pii._passwords import _STOP, _extract

_HINT = re.compile(
    r"везде|everywhere|одинаков|same|постав|установ|задал|admin|админ|root|guest|verif|confirm|подтвер|"
    r"вход|войти|зайти|log\s?in|sign\s?in|auth|авториз|вот\s+он|here\s+(?:it\s+is|you\s+go)|держи|лови|"
    r"прислали|пришл|пришёл|пришел|got|received|sent")

# ------------------------------------------------------------------ what was done with it
_SAME = re.compile(
    r"(?<!\w)(?:везде|everywhere|for\s+everything|на\s+вс[её]м?(?!\w)|одинаков\w*|один\s+и\s+тот\s+же|"
    r"same\s+one)(?!\w)", re.I)
_EVERYWHERE = re.compile(r"везде|everywhere|for\s+everything|на\s+вс", re.I)
_SET = re.compile(
    r"(?<!\w)(?:постав\w*|установ\w*|задал\w*|set\s+(?:it\s+)?to|changed\s+it\s+to)(?!\w)", re.I)
# where a password is set, which makes "поставил X" one
_WHERE = re.compile(
    r"на\s+(?:вс[её]|вход|телефон|ноут|комп|акк|почту|вайфай|wi-?fi|роутер|блокировк|экран|разблокировк)|"
    r"везде|everywhere|for\s+everything", re.I)
_CANDIDATE = re.compile(r"(?<![^\s,;:(«\"'])[^\s,;]{6,64}")
_CHECKSUM = re.compile(r"[0-9a-fA-F]{16,}")  # "md5 fa94f1... у обоих одинаковый"
# product names are letters and a version: "Windows10", "iPhone15", "Python311"
_PRODUCT = re.compile(
    r"(?:windows|win|iphone|ios|android|python|macos|ubuntu|debian|galaxy|pixel|redmi|xiaomi|ps|xbox|rtx|gtx|"
    r"office|excel|node|java|php|gpt|mp)\d", re.I)


def _shaped(val: str, symbol_needed: bool) -> bool:
    """Looks like a password with no keyword to say so: a letter, and 2+ digits or a symbol."""
    if not 6 <= len(val) <= 64 or val.lower() in _STOP or _PRODUCT.match(val) or _CHECKSUM.fullmatch(val):
        return False
    if not re.search(r"[^\W\d_]", val):
        return False
    symbol = re.search(r"[^\w]|_", val) is not None
    if symbol_needed:
        return symbol and any(c.isdigit() for c in val)
    return symbol or sum(c.isdigit() for c in val) >= 2


def _near_cue(text: str, cue: re.Match, symbol_needed: bool) -> tuple[int, int] | None:
    """The password-looking token closest after the cue (or just before "everywhere": "I use X
    everywhere"; "X у обоих одинаковый" compares things)."""
    spans = [(cue.end(), min(len(text), cue.end() + 50))]
    if _EVERYWHERE.match(cue.group()):
        spans.append((max(0, cue.start() - 30), cue.start()))
    for lo, hi in spans:
        for m in _CANDIDATE.finditer(text, lo, hi):
            v = _extract(text, m.start(), tail=False)
            if v is not None and _shaped(text[v[0] : v[1]].rstrip(".!?"), symbol_needed):
                return v
    return None


# ------------------------------------------------------------------ default accounts
_DEFAULT_LOGIN = re.compile(
    r"(?<![\w@./'\"=-])(?:admin|administrator|root|guest|user|sa|postgres|pi|ubuntu|test|demo|support|operator|"
    r"админ)(?:[ \t]*[:|]|[ \t]+/|/[ \t])[ \t]*([^\s/,;]{4,64})", re.I)  # "root/build_1" is a path
_FILE = re.compile(r"\.[A-Za-z]{1,5}$")  # "test/model.bin" is a path

# ------------------------------------------------------------------ codes
_CODE_DIGITS = r"(\d{3}[ -]\d{3}|\d{2}[ -]\d{2}[ -]\d{2}|\d{4,8})"
_PURPOSE = re.compile(
    rf"(?<![\w.,:/]){_CODE_DIGITS}(?![\w.,:/])[ \t]*(?:[-—:]|\bis\b)?[ \t]*(?:to|for|для|чтобы)[ \t]+"
    r"(?:[\w-]+[ \t]+){0,3}?(?:verif\w*|confirm\w*|log\s?in|sign\s?in|auth\w*|подтвер\w*|вход\w*|войти|"
    r"зайти|авториз\w*|reset|сброс\w*)", re.I)
_HANDED = re.compile(
    r"(?<!\w)(?:вот\s+(?:он|она|оно|код)|here\s+(?:it\s+is|you\s+go)|держи|лови|прислали|пришл[оаи]|пришёл|пришел|"
    r"got|received|they\s+sent(?:\s+me)?)[ \t]*[:\-—,]?[ \t]*"
    r"(\d{6}|\d{3}[ -]\d{3}|\d{2}[ -]\d{2}[ -]\d{2})(?=[ \t]*(?:$|[.!,;)]))", re.I)
_YEAR = re.compile(r"19\d\d|20\d\d")


def may_hold(low: str) -> bool:
    """A cheap first look (on the lower-cased line) before the patterns below."""
    return _HINT.search(low) is not None


def cued(text: str) -> list[Cand]:
    out: list[Cand] = []
    for rx, symbol_needed in ((_SAME, False), (_SET, True)):
        for cue in rx.finditer(text):
            found = _near_cue(text, cue, symbol_needed and _WHERE.search(text) is None)
            if found is not None:
                out.append(Cand("password", found[0], found[1], "pw", text[found[0] : found[1]]))
    for m in _DEFAULT_LOGIN.finditer(text):
        v = _extract(text, m.start(1), tail=False)
        if v is not None and _shaped(text[v[0] : v[1]], symbol_needed=False) and not _FILE.search(text[v[0] : v[1]]):
            out.append(Cand("password", v[0], v[1], "pw", text[v[0] : v[1]]))
    for rx in (_PURPOSE, _HANDED):
        for m in rx.finditer(text):
            digits = re.sub(r"\D", "", m.group(1))
            if _YEAR.fullmatch(digits) or digits.endswith("000"):
                continue  # "enter 2024 to confirm the year", "держи 100000"
            out.append(Cand("password", m.start(1), m.end(1), "code", m.group(1)))
    return out
