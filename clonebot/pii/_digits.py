"""Numbers written as digit groups: phones, cards, SNILS/SSN, INN, bank accounts.

A run is digit groups joined by at most 3 of space . - ( ); every kind lives inside runs
and is validated on group-aligned sub-spans (longest first): a checksum (Luhn, SNILS,
INN), phonenumbers' validity, and context words decide. Text is already folded
(``_normalize``): every dash is "-", every space " ".
"""

from __future__ import annotations

import re

import phonenumbers

from clonebot.pii import _checks
from clonebot.pii._candidate import Cand

_RUN = re.compile(r"(?<![A-Za-z0-9_+])\+?(?:\(\d{1,5}\)|\d)(?:[ \t.\-()]{0,3}\d)*+(?![A-Za-z_])")
_GROUP = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
_MAX_DIGITS = 20  # a Russian bank account has 20
_MAX_GROUPS = 6  # "+7 (912) 345-67-89" is 5; cards and SNILS have <= 5
_SPACED_MIN = 4  # "9 0 3 1 2 3 ..." digit by digit: at least this many single digits

_E164 = phonenumbers.PhoneNumberFormat.E164

_CTX_SNILS = re.compile(r"снилс|snils|с\.\s?н\.\s?и\.\s?л\.\s?с|страхов|пенсион|\bssn\b|social security", re.I)
# Russian INN (and as it is said: "иннка", "иннку", "с инном", "иннчик"), Ukrainian ІПН/РНОКПП
# (folded to "ипн"), Kazakh ИИН, Belarusian УНП
_CTX_INN = re.compile(
    r"\b(?:инн(?:[ауеы]|ом|к[аиуеой]\w{0,2}|ик\w{0,2}|чик\w{0,2})?|inn|tin|ипн|рнокпп|иин|iin|унп|unp)\b|\b[иi]\.\s?[нn]\.\s?[нn]\b|\btax|налогов|налогоплат|податк", re.I)
_CTX_ACCOUNT = re.compile(r"сч[её]т|\bр/с|\bр\\с|\bл/с|расч[её]тн|лицев|account|\bacc\b|реквизит", re.I)
_CTX_PHONE = re.compile(
    r"тел|phone|номер|number|звон|call|whats|ватс|ватсап|viber|вайбер|моб|mobile|cell|sms|смс|"
    r"\btg\b|набер|набир|позвон|dial|text me|contact|контакт|связ|reach|домашн|сотов|городск|"
    r"стационар|landline", re.I)
_CTX_NOT_PHONE = re.compile(
    r"инн|inn|снилс|snils|сч[её]т|account|заказ|order|№|#|артикул|арт\.|\bid\b|трек|track|sku|"
    r"код|транзакц|transaction|txn|ticket|тикет|invoice|инвойс|накладн|посылк|parcel|договор|"
    r"contract|полис|policy|\bref|реф|\bcase|кейс|клиент|client|customer|\buid|\bpid|аккаунт|"
    r"баланс|balance|сумм|amount|итого|total|серия|паспорт|passport|isbn|огрн|кпп|бик|окпо|"
    # request, document, part, shipment, booking and model numbers
    r"обращени|заявк|документ|детал|\bpart\b|\bp/n|запчаст|отправлени|брон|booking|reservation|рейс|flight|"
    r"серийн|serial|\bs/n|модел|model|каталог|catalog|\bno\.|\bnr\.|"
    # tickets, receipts, payments, waybills and certificates
    r"ттн|билет|квитанц|receipt|плат[её]ж|payment|поезд|вагон|сертификат|certificate|протокол", re.I)
# "№"/"#"/"no." name an id, unless a phone word stands beside them ("№ телефона", "tel. no.")
_NUMBER_SIGN = frozenset(("№", "#", "no.", "nr."))
_NUMBER_WORDS = frozenset(("номер", "number"))  # a phone's word only when no other kind is named
# a date (ISO or day-first, any of - . /) or a time right after: "2024-05-12 09:30"
_DATE = re.compile(
    r"(?:19|20)\d\d([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|(?<!\d)(?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|1[0-2])\2(?:19|20)\d\d")
_TIME_AFTER = re.compile(r":[0-5]\d")
_UNIT_AFTER = re.compile(
    r"\s*(?:руб|р\.|р\b|₽|\$|€|usd|eur|rub|тыс|млн|шт|km|км|кг|kg|мб|mb|гб|gb|%|год|лет|years?|г\.)",
    re.I)


def _before(rx: re.Pattern, text: str, start: int, width: int = 40) -> bool:
    return rx.search(text, max(0, start - width), start) is not None


def _after(rx: re.Pattern, text: str, end: int, width: int = 30) -> bool:
    return rx.search(text, end, min(len(text), end + width)) is not None


def _near(rx: re.Pattern, text: str, start: int, end: int) -> bool:
    return _before(rx, text, start) or _after(rx, text, end)


def _groups(m: re.Match) -> list[tuple[int, int, str]]:
    """Digit groups of a run; single digits written one by one are one group."""
    raw = [(g.start() + m.start(), g.end() + m.start(), g.group()) for g in _GROUP.finditer(m.group())]
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(raw):
        j = i
        while (j + 1 < len(raw) and len(raw[j][2]) == 1 and len(raw[j + 1][2]) == 1
               and raw[j + 1][0] - raw[j][1] == 1):
            j += 1
        if j - i + 1 >= _SPACED_MIN:
            out.append((raw[i][0], raw[j][1], "".join(g[2] for g in raw[i : j + 1])))
            i = j + 1
        else:
            out.append(raw[i])
            i += 1
    return out


# cards written with separators runs do not take ("4276_1234_5678_9014", "4276/1234/...")
# or in pairs ("42 76 12 34 ..."): Luhn decides
_CARD_ODD = re.compile(
    r"(?<![\d/_*|])(?:\d{4}([_/*|\\])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{2}(?:([ .-])\d{2}(?:\2\d{2}){6,8}))(?![\d/_*|])")


# a card broken over two lines ("4276 9638\n3855 8698"): runs stop at a newline
_CARD_BROKEN = re.compile(r"(?<![\d.,])\d{4}(?:(?:[ ]|[ ]?\n[ ]?)\d{4}){2,3}(?:(?:[ ]|[ ]?\n[ ]?)\d{1,4})?(?![\d.,])")


_MIN_CARD_DIGITS = 15
# The fewest digits anything here has: a phone 7 (typed in two parts 10), a card 15, and
# SNILS, INN and accounts more. A line with fewer (a time, a price, "/p/35252") holds none.
_MIN_DIGITS = 7


def _odd_cards(text: str, n_digits: int) -> list[Cand]:
    out: list[Cand] = []
    if n_digits < _MIN_CARD_DIGITS:
        return out  # every card below has 15 to 19 digits
    for m in _CARD_BROKEN.finditer(text) if "\n" in text else ():
        d = re.sub(r"\D", "", m.group())
        if "\n" in m.group() and 15 <= len(d) <= 19 and d[0] in "23456" and _checks.luhn_ok(d):
            out.append(Cand("card", m.start(), m.end(), "", d))
    for m in _CARD_ODD.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 15 <= len(d) <= 19 and d[0] in "23456" and _checks.luhn_ok(d):
            out.append(Cand("card", m.start(), m.end(), "", d))
    return out


def digit_runs(text: str) -> list[Cand]:
    n_digits = len(_DIGIT.findall(text))
    if n_digits < _MIN_DIGITS:
        return []
    out: list[Cand] = _odd_cards(text, n_digits)
    runs: list[tuple[int, int, str, bool, bool]] = []
    for m in _RUN.finditer(text):
        groups = _groups(m)
        plus = m.group().startswith("+")
        claimed = _counting(m.group()) or _classify_run(text, groups, plus, out)
        runs.append((m.start(), m.end(), "".join(g[2] for g in groups), plus, claimed))
    if len(runs) > 1:
        out.extend(_split_phones(text, runs))
        out.extend(_card_in_parts(text, out))
    if ("/" in text or "\\" in text or "|" in text or not text.isascii()) and _ODD_GAP.search(text):
        out.extend(_odd_runs(text))
    return out


# Digits split by "/", "\", "|" or an emoji ("8/915/623/72/24", "8 968 | 425 | 55 | 03",
# "4276 💳 0530 💳 5250 💳 3057", "+7 943 📞 859 📞 50 📞 15"): read as if the marks were spaces.
# Dates, fractions, paths and ratings are split so too, so only what a checksum or
# phonenumbers confirms is taken, and only phones and cards.
_ODD_MARK = r"(?:[/\\|•·∙]|[\u2190-\u2bff\U0001f000-\U0001faff])"
_ODD_GAP = re.compile(rf"\d[ \t]{{0,2}}{_ODD_MARK}[ \t]{{0,2}}\d")
_ODD_RUN = re.compile(
    rf"(?<![\w/\\|+.,])\+?\d{{1,5}}(?:(?:[ \t]{{0,2}}{_ODD_MARK}[ \t]{{0,2}}|[ \t.-]{{1,2}})\d{{1,5}}){{1,8}}"
    rf"(?![\w/\\|]|[.,]\d)")
_ODD_ONE = re.compile(_ODD_MARK)
_ODD_KINDS = ("phone", "card")


def _odd_runs(text: str) -> list[Cand]:
    # "договор № 77-01/2024-318", "поставки 12/05/2024": a document's number, a date
    runs = [m for m in _ODD_RUN.finditer(text) if _ODD_ONE.search(m.group())
            and not _id_word_before(text, m.start()) and not _DATE.search(text, m.start(), m.end())]
    if not runs:
        return []
    plain = _ODD_ONE.sub(" ", text)  # same length: every offset holds
    found: list[Cand] = []
    for m in runs:
        groups = [(g.start(), g.end(), g.group()) for g in _GROUP.finditer(plain, m.start(), m.end())]
        _classify_run(plain, groups, plain[m.start()] == "+", found)
    return [c for c in found if c.kind in _ODD_KINDS]


def _classify_run(text: str, groups: list, plus: bool, out: list[Cand]) -> bool:
    if sum(len(g[2]) for g in groups) < _MIN_DIGITS:
        return False
    before = len(out)
    i = 0
    while i < len(groups):
        subs = []  # sub-spans starting at group i, longest tried first
        digits = ""
        for j in range(i, min(len(groups), i + _MAX_GROUPS)):
            digits += groups[j][2]
            if len(digits) > _MAX_DIGITS:
                break
            subs.append((j, digits))
        found = None
        for j, d in reversed(subs):
            if len(d) < _MIN_DIGITS:
                break
            found = _classify(text, groups, i, j, d, plus and i == 0)
            if found is not None:
                out.append(found)
                i = j + 1
                break
        if found is None:
            i += 1
    return len(out) > before


def _counting(run: str) -> bool:
    """"1 2 3 4 5 6 7 8 9 10": counting, not a number."""
    groups = _GROUP.findall(run)
    if len(groups) < 5 or any(len(g) > 6 for g in groups):  # nobody counts past a million
        return False
    nums = [int(g) for g in groups]
    return len(nums) >= 5 and all(b == a + 1 for a, b in zip(nums, nums[1:]))


_SPLIT_GAP = re.compile(r"[^\d\n]{1,40}")
# the first part named as the code of a city or an operator: "код города 495, дальше 123-45-67"
# ("код +7 911, а дальше ..." has its "+": a country code is never an id either)
_AREA_CODE = re.compile(r"(?:код\w*[ \t]+(?:город\w*|оператор\w*)|area[ \t]+code)[ \t:—-]*$", re.I)
_SPOKEN_GAP = re.compile(r"[^\W\d]|[,\s]")
_LETTER = re.compile(r"[^\W\d_]")


def _split_phones(text: str, runs: list[tuple[int, int, str, bool, bool]]) -> list[Cand]:
    """A phone typed in two parts with words between ("+7 961, дальше 843-08-17"): the
    first part alone is nothing, together they are valid."""
    out: list[Cand] = []
    for (s1, e1, d1, plus, claimed), (s2, e2, d2, _, _) in zip(runs, runs[1:]):
        if claimed or not _SPLIT_GAP.fullmatch(text, e1, s2) or len(d1) < 3 or len(d2) < 4:
            continue
        area = not plus and _AREA_CODE.search(text, max(0, s1 - 30), s1) is not None
        if not _SPOKEN_GAP.search(text, e1, s2) or (not (plus or area) and _id_word_before(text, s1)):
            continue  # "77-01/2024-318" is one document number, not a phone in two parts
        d = d1 + d2
        dotted = "." in text[s1:e1] or "." in text[s2:e2]  # versions, IP addresses
        if (not dotted and (plus or area or d1[0] in "789") and len(d2) in (4, 7) and 10 <= len(d) <= 12
                and _phone_e164(d, plus)):
            if _LETTER.search(text, e1, s2) is None:  # "+7 (987) - 072 - 29 - 71": one number, marks between
                out.append(Cand("phone", s1, e2, "", d))
            else:
                out += [Cand("phone", s1, e1, "split", d), Cand("phone", s2, e2, "split", d)]
    return out


# a piece of a card: groups of 3+ digits ("8" in "first 8 5106 4327" is a count, not a piece)
_CARD_PIECE = re.compile(r"(?<![\d+])(?<!\d[.,:/])\d{3,}(?:[ -]\d{3,})*(?!\d|[.,:/]\d)")
_CARD_GAP = re.compile(r"[^\n]{1,40}")
_YEARLIKE = re.compile(r"19[5-9]\d|20[0-3]\d")


def _card_in_parts(text: str, found: list[Cand]) -> list[Cand]:
    """A card typed in parts with words between ("first 8 5106 4327 rest 9622 4902",
    "первые 4276 1300, дальше 1234, потом 5678"): the pieces together pass Luhn. A list of
    years or round prices does not count, and one piece must be a pair of groups or more."""
    taken = [(c.start, c.end) for c in found]
    pieces = [m for m in _CARD_PIECE.finditer(text)
              if not any(s < m.end() and m.start() < e for s, e in taken)]
    out: list[Cand] = []
    for i in range(len(pieces) - 1):
        digits = ""
        for j in range(i, len(pieces)):
            if j > i and not _CARD_GAP.fullmatch(text, pieces[j - 1].end(), pieces[j].start()):
                break
            if j > i and len(digits) % 4:
                break  # every piece but the last is whole groups of four
            digits += re.sub(r"\D", "", pieces[j].group())
            if len(digits) > 19:
                break
            chain = pieces[i : j + 1]
            if j > i and 15 <= len(digits) and digits[0] in "23456" and _plausible_card(chain, digits):
                out += [Cand("card", m.start(), m.end(), "split", digits) for m in chain]
                break
    return out


def _plausible_card(chain: list[re.Match], digits: str) -> bool:
    groups = [g for m in chain for g in _GROUP.findall(m.group())]
    if max(len(re.sub(r"\D", "", m.group())) for m in chain) < 8:
        return False  # "2000, 2100, 2200 и 3900": single numbers, no card written in pairs
    if sum(g.endswith("00") for g in groups) >= 3 or sum(bool(_YEARLIKE.fullmatch(g)) for g in groups) >= 3:
        return False  # round prices, years
    return _checks.luhn_ok(digits)


def _classify(text: str, groups: list, i: int, j: int, d: str, plus: bool) -> Cand | None:
    start, end = groups[i][0], groups[j][1]
    n = len(d)
    whole = i == 0 and j == len(groups) - 1
    seps = text[start:end]
    if plus:
        start -= 1  # keep the "+"
    sizes = [len(groups[k][2]) for k in range(i, j + 1)]
    if not plus and 15 <= n <= 19:
        card = _card(start, end, d, sizes, seps)
        if card is not None:
            return card
    if n == 20 and not plus and (d.startswith(("408", "423")) or _near(_CTX_ACCOUNT, text, start, end)):
        return Cand("iban", start, end, "account", d)
    if n == 11 and not plus and _checks.snils_ok(d):
        if sizes == [3, 3, 3, 2] or _near(_CTX_SNILS, text, start, end):
            return Cand("snils", start, end, "", d)
    if n == 9 and not plus and sizes == [3, 2, 4] and "-" in seps and _near(_CTX_SNILS, text, start, end):
        return Cand("snils", start, end, "SSN", d)  # US social security number
    if 9 <= n <= 12 and not plus and _checks.taxpayer_ok(d) and _near(_CTX_INN, text, start, end):
        return Cand("inn", start, end, "", d)
    if 7 <= n <= 15:
        return _phone(text, start, end, d, plus, whole, seps, sizes)
    return None


def _card(start: int, end: int, d: str, sizes: list[int], seps: str) -> Cand | None:
    if "(" in seps or ")" in seps:
        return None
    # cards are written whole or in groups of >= 3 digits; dots only as 4-4-4-4
    if len(sizes) > 1 and (min(sizes[:-1]) < 3 or ("." in seps and sizes != [4, 4, 4, 4])):
        return None
    if len(sizes) > 1 and all(_YEARLIKE.fullmatch(g) for g in _GROUP.findall(seps)):
        return None  # "2019-2020 2021-2022": years, whatever Luhn says
    if d[0] in "23456" and _checks.luhn_ok(d):
        return Cand("card", start, end, "", d)
    return None


def _phone(text: str, start: int, end: int, d: str, plus: bool, whole: bool, seps: str,
           sizes: list[int]) -> Cand | None:
    n = len(d)
    paren = "(" in seps or (start > 0 and text[start - 1] == "(")
    # a national number has no country or trunk prefix ("+7", "8 9xx", "00 44", "375 ...")
    national = not plus and not (n == 11 and d[0] in "78") and not d.startswith(("00", "375", "380"))
    if national:
        # bare national numbers (912..., 050..., 415...) only as a whole run: ISBNs, ids
        # and dates often contain a phone-valid slice; and never beside an id word or a unit
        if not whole or _id_word_before(text, start) or _UNIT_AFTER.match(text, end):
            return None
        if _DATE.search(text, start, end) or _TIME_AFTER.match(text, end):
            return None  # "2024-05-12 09:30": a date and a time
        spaced = any(c in seps for c in " .-()") or paren
        if not (paren or _called_phone(text, start, 30)) and not _phone_grouping(sizes, d):
            return None  # "0 986 452 041", "4713-2200-01": a part number's grouping
        if n == 7:
            # a city number without its area code: only shaped and called a phone
            if not (sizes == [3, 2, 2] and d[0] in "23456789" and _called_phone(text, start, 25)):
                return None
            return Cand("phone", start, end, "local", d)
        if n == 10 and d[0] != "9" and not (spaced or _called_phone(text, start, 30)):
            return None
    elif whole and seps.isdigit() and _id_word_before(text, start) and not _called_phone(text, start, 30):
        return None  # "артикул 79261234567": eleven digits in one piece after an id word
    e164 = _phone_e164(d, plus)
    if e164 is None:
        return None
    if paren and start > 0 and text[start - 1] == "(":
        start -= 1
    if end < len(text) and text[end] == ")" and "(" in text[start:end]:
        end += 1
    return Cand("phone", start, end, "", e164)


def _phone_grouping(sizes: list[int], digits: str) -> bool:
    """National numbers are grouped 3-3-4, 3-3-2-2, 3-7, 1-415-555-...: never a lone first
    digit but a country code, never four digits in the middle, never a year first ("в 2024 150000
    заявок")."""
    if len(sizes) == 1:
        return True
    if sizes[0] == 4 and re.match(r"(?:19|20)\d\d", digits):
        return False
    return (sizes[0] > 1 or digits[0] in "178") and all(size <= 3 for size in sizes[1:-1])


def _id_word_before(text: str, start: int) -> bool:
    """An id word ("заказ", "артикул", "№") shortly before; "№ телефона" is a phone's."""
    lo = max(0, start - 25)
    words = {m.group().lower() for m in _CTX_NOT_PHONE.finditer(text, lo, start)}
    if words and words <= _NUMBER_SIGN:
        return not _called_phone(text, start, 25)
    return bool(words)


def _called_phone(text: str, start: int, width: int = 30) -> bool:
    """A phone word shortly before. "номер"/"number" is one only when no other kind of number
    is named beside it: "номер заказа 7926123456", "order number ..." are ids."""
    lo = max(0, start - width)
    words = list(_CTX_PHONE.finditer(text, lo, start))
    if not words:
        return False
    if any(m.group().lower() not in _NUMBER_WORDS for m in words):
        return True
    ids = [m for m in _CTX_NOT_PHONE.finditer(text, lo, start) if m.group().lower() not in _NUMBER_SIGN]
    return not any(_beside(text, w, i) for w in words for i in ids)


def _beside(text: str, a: re.Match, b: re.Match) -> bool:
    """Two words of one phrase: "номер заказа", "номер вашего заказа", "tracking number"."""
    gap = text[a.end() : b.start()] if a.start() < b.start() else text[b.end() : a.start()]
    return _PHRASE_GAP.fullmatch(gap) is not None


_PHRASE_GAP = re.compile(
    r"\w*(?:[ \t]+(?:(?:вашего|вашей|моего|моей|твоего|твоей|нашего|нашей|your|my|our|the|of|of\s+the|of\s+your)[ \t]+)?"
    r"|[ \t]*[:№#-][ \t]*)?\w*", re.I)


def _phone_e164(digits: str, plus: bool) -> str | None:
    n = len(digits)
    tries: list[tuple[str, str | None]]
    if plus:
        if not 8 <= n <= 15:
            return None
        tries = [("+" + digits, None)]
    elif digits.startswith("00") and n >= 10:
        tries = [("+" + digits[2:], None)]  # international prefix
    elif n == 11 and digits[0] == "8":
        tries = [(digits, "RU")]  # RU also validates KZ (+7 7xx)
        if digits[1] == "0":
            tries.append((digits, "BY"))  # 8 029 ... (Belarus trunk 8 0)
    elif n == 11 and digits[0] in "71":
        tries = [("+" + digits, None)]
    elif n == 12 and digits[:3] in ("375", "380"):
        tries = [("+" + digits, None)]
    elif n == 10 and digits[0] == "0":
        tries = [(digits, "UA")]
    elif n == 11 and digits.startswith("07"):
        tries = [(digits, "GB")]
    elif n == 10 and digits[0] not in "01":
        tries = [(digits, "RU"), (digits, "US")]
    else:
        return None
    for s, region in tries:
        try:
            num = phonenumbers.parse(s, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, _E164)
    return None
