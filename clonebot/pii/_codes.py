"""PINs, CVVs, one-time and door codes after their keyword: digits, not words.

The first number after the keyword that reads as a code, in the same clause: past amounts
and counts ("Списание 1500р. Код 4821", "OTP for INR 2,500 is 448201"), not times, years or
prices; a code on the line after its keyword ("pin\n4912"); a mixed code only where a code is
expected ("домофон 45к7689"). A door's own number (an apartment dialled on the intercom) and
booking references are no secret. Recovery codes: every code after "backup codes", on the
keyword's line and on the lines below while they hold codes only.
"""

from __future__ import annotations

import re

from clonebot.pii._anywhere import anywhere
from clonebot.pii._candidate import Cand
from clonebot.pii._connect import ARROW, STRONG_CONNECT

MAX_GAP = 60  # characters between a keyword and its value

# what makes a "код/code" a secret one (before or after the keyword)
_CODE_GOOD = re.compile(
    r"домофон|подъезд|двер|калитк|ворот|сейф|замк|замок|сигнализ|подтвержд|смс|sms|доступ|безопасн|"
    r"верифик|провер|вход|карты|охран|квартир|одноразов|логин|банк|госуслуг|телеграм|"
    r"door|gate|entry|alarm|safe|lock|verif|confirm|security|access|one[- ]time|2fa|two[- ]factor|"
    r"login|sign[- ]?in|auth|bank|telegram|steam|your|my|мой|твой|ваш|оборот|сзади|back\s+of|"
    r"телефон|phone|ноут|laptop|планшет|сим|sim|калитк|шлагбаум|combo|keypad",
    re.I,
)
_CODE_BAD = re.compile(
    r"ошибк|error|status|статус|регион|region|zip|area|город|товар|product|http|promo|промо|source|"
    r"исход|qr|bar|штрих|country|стран|postal|почтов|review|ревью|программ|python|java|snippet|"
    r"github|repo|репо|commit|коммит|модул|module|функц|function|line|строк|style|стил|цвет|color|"
    r"colour|hex|ascii|unicode|юникод|morse|морзе|dress|дресс|genetic|генетич|cheat|чит|qr|"
    r"подразделени|оквэд|окато|октмо|бик|кпп|огрн|тн\s*вэд|hs\s*code|sku|iata|икао|icao|isbn|"
    r"заказ|order|купон|coupon|скидк|скидо|discount|филиал|branch|операци|transaction|отделени|магазин|"
    r"store|shop|артикул|item|валют|currency|рейс|flight|тариф|курс|course|предмет|subject|"
    r"специальн|группы|group|readme|example|пример|sample|demo|skin|скин|игр|game",
)  # searched in lower case: re.I over Cyrillic costs ~3x
DIGITS = re.compile(  # "4821", "512 774", "3 9 1 7", "3.9.1.7", "3 - 9 - 1 - 7"
    r"(?<![\d:.,/+])(?:\d(?:(?:\.| ?- ?)\d){3,7}(?![.\d])|\d{1,8}(?:[ -]\d{1,8}){0,7}(?!\d))")
NOT_A_CODE_AFTER = re.compile(
    r"[ \t]*(?:[:.,/]\d|%|руб|р\.|р\b|₽|\$|€|usd|eur|rub|тыс|k\b|к\b|мин|min|сек|sec|час|hour|"
    r"год|лет|year|line|строк|раз|times|шт|pcs|km|км|кг|kg|gb|гб|mb|мб|px|dpi|char|символ|знак|сообщен|"
    r"message|штук|человек|people|users|подписчик)",
    re.I)
_YEAR = re.compile(r"19[5-9]\d|20[0-4]\d")
_YEAR_BEFORE = re.compile(r"(?:\b(?:в|во|с|до|к|по|in|since|from|until|of|by)|году|year)\s*$", re.I)
DOOR_TAIL = re.compile(r"[#*](?:\d{1,6}[#*]?)?")
DIGIT_KINDS = ("cvv", "pin", "code", "door")
_BACKUP_CODE = re.compile(
    r"(?<![\w-])(?=[\w-]*\d|[A-Za-z0-9]{4}-[A-Za-z0-9]{4})[A-Za-z0-9]{3,12}(?:-[A-Za-z0-9]{3,12}){0,5}"
    r"(?:[ ][A-Za-z0-9]{3,12}(?=[\s,;.]|$))?(?![\w-])")
# a line that holds nothing but codes (a list under "backup codes:")
_CODES_LINE = re.compile(
    r"[ \t>•*-]*(?:\d{1,2}[.)][ \t]*)?(?=[\w-]*\d)[A-Za-z0-9-]{4,40}(?:[ \t,;]+[A-Za-z0-9-]{3,40})*[ \t.,;]*"
    r"(?:[—–-][ \t].*)?")  # "... — keep them safe"


_MAX_CODE_LINES = 20


def backup_codes(text: str, k: re.Match) -> list[Cand]:
    """"backup codes: 4829 1733, 9921 0042": every code up to the end of the line, and on
    the lines below while they hold codes only."""
    end = text.find("\n", k.end())
    end = len(text) if end == -1 else end
    for _ in range(_MAX_CODE_LINES):
        nxt = text.find("\n", end + 1)
        nxt = len(text) if nxt == -1 else nxt
        if end >= len(text) or not _CODES_LINE.fullmatch(text, end + 1, nxt):
            break
        end = nxt
    return [Cand("password", m.start(), m.end(), "code", m.group())
            for m in _BACKUP_CODE.finditer(text, k.end(), min(end, k.end() + 600))]


def sms_code(text: str, k: re.Match) -> list[Cand]:
    """A message word alone names a code only for 4+ digits not sent to or from a number
    ("смс на 900", "пришла смс от 9000")."""
    found = digit_value(text, k, "sms") if code_context_ok(text, k) else None
    if found is None or _NOT_AN_SMS_CODE.search(text, k.end(), found[0]):
        return []
    return [Cand("password", found[0], found[1], "code", text[found[0] : found[1]])]


_NOT_AN_SMS_CODE = re.compile(
    r"(?<!\w)(?:номер\w*|number|тел\w*|phone)(?!\w)|(?<!\w)(?:на|с|со|от|до|to|from)[ \t]*$", re.I)


def code_context_ok(text: str, k: re.Match) -> bool:
    before = text[max(0, k.start() - 25) : k.start()][-15:]
    before = _SENTENCE_END.split(before)[-1]  # "Оплата в магазине. Код 8812": the shop is another sentence
    after = _SENTENCE_END.split(text[k.end() : k.end() + 30])[0]  # "OTP is 883201. Order total ..."
    return not _CODE_BAD.search(f"{before} {k.group()} {after[:20]}".lower())


_SENTENCE_END = re.compile(r"[.!?]\s|\n")


# ------------------------------------------------------------------ PIN, CVV, codes
def digit_value(text: str, k: re.Match, kind: str) -> tuple[int, int] | None:
    """The code after a keyword: the first number that reads as one, past amounts and
    counts ("Списание 1500р. Код 4821", "OTP for INR 2,500 is 448201")."""
    limit = min(len(text), k.end() + MAX_GAP)
    good = _CODE_GOOD.search(text, max(0, k.start() - 25), min(len(text), k.end() + 25)) is not None
    since = k.end()  # words are counted from the keyword or the amount passed last
    for m in DIGITS.finditer(text, k.end(), limit):
        gap = text[k.end() : m.start()]
        if _COUNTRY_CODE.search(gap):
            return None  # "код +7 911, а дальше 409-74-99": the code of a country, then a phone
        words = len(re.findall(r"[^\W\d]+", text[since : m.start()]))
        if not _NEXT_LINE.fullmatch(gap) and (_GAP_BREAK.search(gap) or words > (
                _MAX_WORDS_CONNECTED if _CONNECTED.search(gap) else _MAX_WORDS)):
            return None  # the number belongs to another sentence or clause
        found = _digit_candidate(text, k, kind, m, gap, good)
        if found is not None:
            return found
        since = m.end()
    return None


_COUNTRY_CODE = re.compile(r"\+[ \t]?\d")
# words between a keyword and its code; more when they end in "is" or a colon ("the pin for
# the garage door is 7719", "код от калитки на даче у родителей: 4471")
_MAX_WORDS, _MAX_WORDS_CONNECTED = 4, 9
_CONNECTED = re.compile(rf"(?:(?<!\w)(?:is|это|будет|was)|[:=—–]|{ARROW})[ \t]*$", re.I)
# a clause or sentence ends ("..." and "р." do not end one); "пин:\n4912" goes on
_GAP_BREAK = re.compile(r"(?<![.рp])[!?;]\s|(?<![.рp])\.(?!\.)\s|\n|\b(?:но|а|and|but|или|or)\b", re.I)
_NEXT_LINE = re.compile(r"[ \t]*[:=—–-]?[ \t]*\r?\n[ \t>]*")
# booking references ("confirmation code K7XQ2P for the hotel") are nobody's secret
_BOOKING = re.compile(
    r"hotel|отел[ьеяю]|гостиниц|хостел|hostel|airbnb|брон[ьиеяю]|бронир|booking|reservation|pnr|locator|"
    r"check-?in|flight|рейс|airline|авиа|билет|ticket", re.I)
# "к"/"k" after an intercom code is its key sign, not "thousand"
_KEY_SIGN = re.compile(r"[кКkK](?!\w)")
_DOOR_CONTEXT = re.compile(r"домофон|подъезд|двер|калитк|ворот|шлагбаум|door|gate|intercom|buzzer", re.I)
# an apartment dialled on the intercom ("набери на домофоне 127, это квартира")
_APARTMENT = re.compile(r"квартир|(?<!\w)кв\.|apartment|(?<!\w)apt|(?<!\w)flat(?!\w)|набер|набир|dial", re.I)


def _digit_candidate(text: str, k: re.Match, kind: str, m: re.Match, gap: str, good: bool) -> tuple[int, int] | None:
    """`good`: a word that makes a code a secret one stands around the keyword."""
    s, e = m.start(), m.end()
    if (s > 0 and text[s - 1].isalpha()) or (e < len(text) and text[e].isalpha()):
        key_sign = _KEY_SIGN.match(text, e) is not None and (
            (e - s >= 4 and _DOOR_CONTEXT.search(text, max(0, k.start() - 25), min(len(text), k.end() + 25)))
            or (kind in ("door", "code") and not gap.strip(" \t:=-—–")))  # "код 12К": right after the keyword
        if NOT_A_CODE_AFTER.match(text, e) and not key_sign:
            return None  # "5000р", "10min": an amount; "1379к" at a door is its code
        # "45К6789", "A7F3K2": a mixed code is taken whole, but only where a code is expected
        # (in a window: a slice or a search back from here would cost the whole text per keyword)
        s = _TOKEN_END.search(text, max(0, s - _TOKEN_REACH), s).start()
        e = _TOKEN_START.match(text, e, e + _TOKEN_REACH).end()
        value = text[s:e].rstrip(".,!?)")
        e = s + len(value)
        short = (kind == "code" or kind == "door" and not _PLACE.match(k.group())) and _SHORT_DOOR.fullmatch(
            value) is not None and not anywhere(_APARTMENT, text)
        ok = (short or 4 <= len(value) <= 16 and (good or _strong_gap(gap))) and not anywhere(_BOOKING, text)
        return (s, e) if ok and sum(c.isdigit() for c in value) >= 2 else None
    door = DOOR_TAIL.match(text, e)  # "45#1234", "1234#"
    if door:
        e = door.end()
    keyed = door is not None
    if kind in ("door", "code") and s > 0 and text[s - 1] in "#*":
        s -= 1  # "домофон: *7731": the key pressed first
        keyed = True
    digits = re.sub(r"\D", "", text[s:e])
    groups = m.group().replace("-", " ").split()
    if len(groups) > 1 and max(len(g) for g in groups) > 4:
        return None  # "пин 1234 5678 9012" is not one code (that is a card)
    if NOT_A_CODE_AFTER.match(text, e) or (_YEAR.fullmatch(m.group()) and _YEAR_BEFORE.search(gap)):
        return None  # "пин сбросил в 2023": a year
    n = len(digits)
    if kind == "cvv":
        ok = 3 <= n <= 4
    elif kind == "pin":
        ok = 4 <= n <= 8 or (n == 3 and _strong_gap(gap))
    elif kind == "door":  # a door's own number is short: "подъезд 3", "домофон 127 (квартира)"
        ok = (4 <= n <= 8 or (n >= 2 and (keyed or _strong_gap(gap)))) and not (
            n <= 3 and anywhere(_APARTMENT, text))
    elif kind == "sms":  # a message word alone: 4+ digits ("подтверждения оплаты 970: 9313")
        ok = 4 <= n <= 10 and not (n > 8 and not good) and not (_YEAR.fullmatch(m.group()) and not good)
    else:  # code: 4+ digits, or fewer with a code-ish word ("код домофона 45")
        ok = 4 <= n <= 10 or (good and n >= 3) or (good and n >= 2 and _strong_gap(gap))
        if _YEAR.fullmatch(m.group()) and not (good or _strong_gap(gap)):
            ok = False  # "code 2024 is better": a bare code word before a year
        if n > 10 or (n > 8 and not good):
            ok = False
    if not ok:
        return None
    return s, e


# the rest of a token a code's digits sit in, at most this far each way ("45К6789", "A7F3K2")
_TOKEN_END = re.compile(r"[^\s,;]*$")
_TOKEN_START = re.compile(r"[^\s,;]*")
_TOKEN_REACH = 32


# a door code of a few digits and one letter key ("56В", "12К", "3К7"); a building's own
# number looks the same ("дом 12К"), so only right after a door or code keyword
_SHORT_DOOR = re.compile(r"(?=(?:\D*\d){2,4}\D*$)\d{1,4}[^\W\d_]\d{0,3}")
# an entrance or a gate has a number of its own ("подъезд 12А"): its code needs the word "код"
_PLACE = re.compile(r"подъезд|ворот", re.I)
# keys pressed around the digits ("#45*", "*2471#"): a keypad code wherever a door is named
# (with no door, "*100#" is a USSD request)
_KEYPAD = re.compile(r"(?<![\w#*])[#*]\d{2,6}[#*](?![\w#*])")


def keypad_codes(text: str) -> list[Cand]:
    if _DOOR_CONTEXT.search(text) is None:
        return []
    return [Cand("password", m.start(), m.end(), "code", m.group()) for m in _KEYPAD.finditer(text)]


def _strong_gap(gap: str) -> bool:
    return STRONG_CONNECT.search(gap) is not None
