"""Passwords and codes with no password or code word beside them, only a cue.

- what was done with it: "у меня везде одинаковый X", "поставил X на всё", "I use X
  everywhere", "same one everywhere: X";
- a default account and its password: "admin / X", "root:X";
- a code by its purpose: "Use 382 910 to verify", "введи 4821 для входа";
- a code handed over or received: "вот он: 66 12 09", "here it is: 482193", "прислали 482193";
- tried at a login: "попробуй Barsik2015, должно пустить", "typed Zx91!pq and it won't let me in";
- what to log in with: "логинься с X", "заходи под X", "log in with X", "use X to sign in";
- what it opens, at the start of a line: "от ноута: Kotenok_07", "from the wifi: Xy7!kq9";
- a Wi-Fi network and its password: "TP-Link_4A2C / Rf7tPq2x";
- a message that is nothing but recovery codes: "4829-1733 9921-0042 5510-8837 ...".

With no keyword the value itself must look like a password (letters with digits or
symbols; with "поставил" a symbol too, unless it says where: "на всё", "на вход") or like a
one-time code (six digits, or four to eight before a purpose), so "поставил Windows 11",
"I use Python3 everywhere", "вот он: 150 рублей" stay.
"""

from __future__ import annotations

import re

from clonebot.pii._anywhere import anywhere
from clonebot.pii._candidate import Cand
from clonebot.pii._passwords import _STOP, _extract
from clonebot.pii._wifi import looks_like_ssid

_HINT = re.compile(
    r"везде|everywhere|одинаков|same|постав|установ|задал|admin|админ|root|guest|verif|confirm|подтвер|"
    r"вход|войти|зайти|log\s?in|sign\s?in|auth|авториз|вот\s+он|here\s+(?:it\s+is|you\s+go)|держи|лови|"
    r"прислали|пришл|пришёл|пришел|got|received|sent|"
    r"попроб|пробу|вв[её]л|введ|ввод|вбе|вби|try|tried|enter|typed|type|от\s|для\s|from\s|for\s|/|"
    r"логин|залогин|заход|зайди|войди|входи|use\s|using")

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

# ------------------------------------------------------------------ tried at a login
_TRIED = re.compile(
    r"(?<!\w)(?:попробуй\w{0,2}|пробуй\w{0,2}|попробовал\w?|пробовал\w?|вв[её]л\w?|введи\w{0,2}|вводи\w{0,2}|"
    r"вбей\w{0,2}|вбил\w?|try|tried|enter|entered|typed|type\s+in)(?!\w)[ \t]*[:\-—]?[ \t]*", re.I)
# the login the attempt is about: "должно пустить", "не пускает", "get you in"
_LOGIN_OUTCOME = re.compile(
    r"пуст|пуска|войд|войти|зайд|зайти|заход|вход|подой|подош|подход|разблок|логин|неверн|не\s+тот|"
    r"get\s+(?:you\s+)?in|let\s+(?:you|me|us)\s+in|log\s?in|sign\s?in|unlock|works?\b|wrong|incorrect|"
    r"access|denied", re.I)
# a line that opens with what the value is for: "от ноута: X", "from the wifi - X"
_FOR_WHAT = re.compile(
    r"(?:^|(?<=[\n.!?;]))[ \t>*-]*(?:от|для|from|for)[ \t]+(?:(?:the|my|моего|моей|нашего|нашей)[ \t]+)?"
    r"[^\W\d][\w-]{1,20}(?:[ \t]+[^\W\d][\w-]{1,20})?[ \t]*(?::|—|–|-(?=[ \t]))[ \t]*(?=\S)", re.I)
_VERSION = re.compile(r"v?\d+(?:\.\d+)+[a-z]*\.?", re.I)  # "try v2.3.1"
_AMOUNT = re.compile(r"\d+(?:[.,]\d+)?[^\W\d]{1,5}\.?")  # "10min", "15км": a number and a unit
# possessive: what follows the name is a space or "/", neither of which the name holds
_SSID_PAIR = re.compile(r"(?<![^\s(«\"'])([^\s/]{4,40}+)[ \t]*/[ \t]*([^\s,;/]{6,64})")


def _tried_value(val: str) -> bool:
    """Tried at a login, one digit is enough with mixed case: "Sunflower7"."""
    if _looks_set(val):
        return True
    return (_shaped(val + "0", symbol_needed=False) and any(c.isdigit() for c in val)
            and any(c.isupper() for c in val) and any(c.islower() for c in val))


def _looks_set(val: str) -> bool:
    """A password's shape, not an amount: letters with 2+ digits or a symbol."""
    return _shaped(val, symbol_needed=False) and not _AMOUNT.fullmatch(val) and not _VERSION.fullmatch(val)


# ------------------------------------------------------------------ a login verb and what to log in with
# "логинься с X", "заходи под X", "войди с паролем X", "log in with X", "sign in using X"
_LOGIN_WITH = re.compile(
    r"(?<!\w)(?:(?:за)?логин\w{0,6}|заход\w{0,4}|зайд\w{0,4}|войд\w{0,4}|входи\w{0,4}|авториз\w{0,8}|"
    r"log\s?in(?:\s+to)?|sign\s?in|log\s+(?:on|into))(?!\w)[ \t]+"
    r"(?:с|со|под|через|по|with|using|via|as)[ \t]*[:\-—]?[ \t]+"
    r"(?:(?:паролем|пасом|password|pass)[ \t]*[:\-—]?[ \t]*)?", re.I)
# "use X to sign in", "используй X для входа"
_USE_TO_LOGIN = re.compile(
    r"(?<!\w)(?:use|используй\w{0,2}|юзай)[ \t]+(\S{6,64})[ \t]+(?:to|for|для|чтобы)[ \t]+"
    r"(?:log\s?in|sign\s?in|log\s+(?:on|into)|get\s+in|вход\w*|войти|зайти|логин\w*|авториз\w*)", re.I)


def _credential(val: str) -> bool:
    """What a login verb takes: letters with two digits, or a digit and a symbol that is not a
    name's hyphen or dot ("Vasya!77", "kx8#Lm2q"), not a way in ("Google", "VPN2", "cli-v2")."""
    return _looks_set(val) and any(c.isdigit() for c in val) and (
        sum(c.isdigit() for c in val) >= 2 or re.search(r"[^\w.-]|_", val) is not None)


# ------------------------------------------------------------------ a bare list of recovery codes
_LIST_CODE = r"(?:\d{4}[- ]\d{4}|(?=[a-z]*\d)[a-z0-9]{4}-[a-z0-9]{4}|\d{8,10})"
_CODE_LIST = re.compile(
    rf"[ \t]*(?:(?:\d{{1,2}}[.)][ \t]*)?{_LIST_CODE}[ \t]*[\s,;]+[ \t]*){{3,}}(?:\d{{1,2}}[.)][ \t]*)?{_LIST_CODE}[\s.,;]*")
_LISTED = re.compile(rf"(?<![\w-]){_LIST_CODE}(?![\w-])")
_MIN_LISTED = 4


def listed_codes(text: str) -> list[Cand]:
    """A message of four or more codes and nothing else is a recovery list, unless its pairs
    are ranges of years or hours ("2019-2020 2020-2021 ...", "0900-1300 1400-1800")."""
    if _CODE_LIST.fullmatch(text) is None:
        return []
    codes = list(_LISTED.finditer(text))
    if len(codes) < _MIN_LISTED or all(_range(m.group()) for m in codes):
        return []
    return [Cand("password", m.start(), m.end(), "code", m.group()) for m in codes]


def _range(code: str) -> bool:
    parts = re.split(r"[- ]", code)
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return False
    a, b = int(parts[0]), int(parts[1])
    return a < b and (_YEAR.fullmatch(parts[0]) is not None or (a <= 2400 and b <= 2400))


def _ends_value(text: str, end: int) -> bool:
    """The value closes its clause: "от ноута: X" and not "от дома: X минут пешком"."""
    return _VALUE_END.match(text, end) is not None


_VALUE_END = re.compile(r"[ \t]*(?:$|[\n.,;!?)]|\(|—|-[ \t])")


def may_hold(low: str) -> bool:
    """A cheap first look (on the lower-cased line) before the patterns below."""
    return _HINT.search(low) is not None


# A literal each pattern cannot match without, looked for in the lower-cased line before the
# pattern runs (re.I over Cyrillic costs several times a plain scan of the lowered line).
_SAME_CUE = re.compile(r"везде|every|вс|один|same")
_SET_CUE = re.compile(r"постав|установ|задал|set|changed")
_TRIED_CUE = re.compile(r"проб|вв|вб|try|tried|enter|typ")
_LOGIN_CUE = re.compile(r"логин|заход|зайд|войд|входи|авториз|log|sign")  # _LOGIN_WITH
_USE_CUE = re.compile(r"use|использ|юзай")  # _USE_TO_LOGIN
_DEFAULT_CUE = re.compile(r"admin|root|guest|user|sa|postgres|pi|ubuntu|test|demo|support|operator|админ")
_FOR_CUE = re.compile(r"от|для|from|for")  # _FOR_WHAT
_PURPOSE_CUE = re.compile(r"verif|confirm|log|sign|auth|подтвер|вход|войти|зайти|авториз|reset|сброс")
_HANDED_CUE = re.compile(r"вот|here|держи|лови|присл|пришл|пришёл|пришел|got|received|sent")


def cued(text: str, low: str | None = None) -> list[Cand]:
    """``low``: ``text.lower()`` (the caller may have it already)."""
    if low is None:
        low = text.lower()
    out: list[Cand] = []
    for rx, symbol_needed, cue in ((_SAME, False, _SAME_CUE), (_SET, True, _SET_CUE)):
        for m in rx.finditer(text) if cue.search(low) else ():
            found = _near_cue(text, m, symbol_needed and not anywhere(_WHERE, text))
            if found is not None:
                out.append(Cand("password", found[0], found[1], "pw", text[found[0] : found[1]]))
    # every _DEFAULT_LOGIN has a ":", "|" or "/" after the name
    if (":" in text or "|" in text or "/" in text) and _DEFAULT_CUE.search(low):
        for m in _DEFAULT_LOGIN.finditer(text):
            v = _extract(text, m.start(1), tail=False)
            if v is not None and _shaped(text[v[0] : v[1]], symbol_needed=False) and not _FILE.search(text[v[0] : v[1]]):
                out.append(Cand("password", v[0], v[1], "pw", text[v[0] : v[1]]))
    for m in _TRIED.finditer(text) if _TRIED_CUE.search(low) else ():
        v = _extract(text, m.end(), tail=False)
        if v is not None and _tried_value(text[v[0] : v[1]].rstrip(".!?")) and anywhere(_LOGIN_OUTCOME, text):
            out.append(Cand("password", v[0], v[1], "pw", text[v[0] : v[1]]))
    logins = (*(_LOGIN_WITH.finditer(text) if _LOGIN_CUE.search(low) else ()),
              *(_USE_TO_LOGIN.finditer(text) if _USE_CUE.search(low) else ()))
    for m in logins:
        v = _extract(text, m.end() if m.re is _LOGIN_WITH else m.start(1), tail=False)
        if v is not None and _credential(text[v[0] : v[1]].rstrip(".!?")):
            out.append(Cand("password", v[0], v[1], "pw", text[v[0] : v[1]]))
    for m in _FOR_WHAT.finditer(text) if _FOR_CUE.search(low) else ():
        v = _extract(text, m.end(), tail=False)
        if v is not None and _looks_set(text[v[0] : v[1]].rstrip(".!?")) and _ends_value(text, v[1]):
            out.append(Cand("password", v[0], v[1], "pw", text[v[0] : v[1]]))
    for m in _SSID_PAIR.finditer(text) if "/" in text else ():
        if looks_like_ssid(m.group(1)) and _shaped(m.group(2), symbol_needed=False):
            out.append(Cand("password", m.start(2), m.end(2), "pw", m.group(2)))
    for rx, cue in ((_PURPOSE, _PURPOSE_CUE), (_HANDED, _HANDED_CUE)):
        for m in rx.finditer(text) if cue.search(low) else ():
            digits = re.sub(r"\D", "", m.group(1))
            if _YEAR.fullmatch(digits) or digits.endswith("000"):
                continue  # "enter 2024 to confirm the year", "держи 100000"
            out.append(Cand("password", m.start(1), m.end(1), "code", m.group(1)))
    return out
