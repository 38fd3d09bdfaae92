"""Car number plates.

Russian plates have a shape of their own: a letter, three digits, two letters and a region
("А123ВС77", "о 456 ра 750", "М 555 ММ 777 RUS"), the letters only those that Latin shares
(А В Е К М Н О Р С Т У Х). Written in Cyrillic that shape is a plate on its own; in Latin
letters (or without the region, or a taxi's "АА123 77") it needs a word that names a car or
a plate nearby ("номер машины A777AA 97"), since product codes look alike ("артикул A123BC").

Other countries' plates are shapes many codes share, so they need that word too: Ukraine
"AA1234BB", Belarus "1234 AB-7", Kazakhstan "123 ABC 02", the UK "AB12 CDE", Germany
"B-MW 1234", and any letters-and-digits plate right after "plate"/"номер машины" ("my car
plate is 7ABC123").
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_CYR = "АВЕКМНОРСТУХ"
_LAT = "ABEKMHOPCTYX"
_L = f"[{_CYR}{_CYR.lower()}{_LAT}{_LAT.lower()}]"
_SP = r"[ \t]?"
_REGION = r"(?:0[1-9]|[1-9]\d|1[0-9]\d|[2-9]\d\d)"
_RU = re.compile(
    rf"(?<![\w-]){_L}{_SP}\d{{3}}{_SP}{_L}{{2}}(?:{_SP}(?P<region>{_REGION})(?:{_SP}RUS)?)?(?![\w-])", re.I)
_RU_TAXI = re.compile(rf"(?<![\w-]){_L}{{2}}{_SP}\d{{3}}[ \t]{_REGION}(?![\w-])", re.I)
_FOREIGN = re.compile(
    r"(?<![\w-])(?:[ABCEHIKMOPTX]{2}[ \t]?\d{4}[ \t]?[ABCEHIKMOPTX]{2}"  # Ukraine
    r"|\d{4}[ \t]?[ABEIKMHOPCTX]{2}-?\d"  # Belarus
    r"|\d{3}[ \t]?[A-Z]{2,3}[ \t]?\d{2}"  # Kazakhstan
    r"|[A-Z]{2}\d{2}[ \t]?[A-Z]{3}"  # United Kingdom
    r"|[A-ZÄÖÜ]{1,3}-[A-Z]{1,2}[ \t]?\d{1,4}[EH]?)(?![\w-])")  # Germany
# right after "plate is", "номер машины:": letters and digits as a plate holds them
_AFTER_WORD = re.compile(
    r"(?:plate|reg(?:istration)?|tag|номер(?:а|ом)?[ \t]+(?:машины|авто|тачки)|госномер\w*|гос\.?[ \t]?номер\w*)"
    r"(?:[ \t]+(?:is|number|no\.?|это))?[ \t]*[:=—–-]?[ \t]*"
    r"(?P<p>(?=[A-ZА-Я0-9 -]{4,10}(?![\w-]))(?=[^\s]*\d)(?=[^\s]*[A-ZА-Я])[A-ZА-Я0-9]{1,8}(?:[ -][A-ZА-Я0-9]{1,4}){0,2})(?![\w-])")
# a word that names a car or its plate
_CAR_WORD = re.compile(
    r"номер|госномер|гос\.?[ \t]?номер|номерн|машин|тачк|авто|такси|фур[аеуы]|грузовик|джип|седан|лад[аеуы]|"
    r"plate|licen[cs]e|reg\b|registration|car\b|vehicle|truck|van\b|taxi|uber", re.I)

# a look first, on the lowered line: a plate's shape (letters against its digits) or its word
CUE = re.compile(
    r"[a-zа-я][ \t]?\d{3}[ \t]?[a-zа-я]{2}|(?<![a-zа-я])[a-zа-я]{2}[ \t]?\d{3}[ \t]\d\d|\d{3,4}[ \t]?[a-z]{2}|"
    r"(?<![a-z])[a-z]{2}(?:\d{2}[ \t]?[a-z]{3}|[ \t]?\d{4}[ \t]?[a-z]{2})|"
    r"[a-z]-[a-z]{1,2}[ \t]?\d|plate|reg|tag|номер[а-я]*[ \t]+(?:машин|авто|тачк)|гос\.?[ \t]?номер")
# What CUE cannot match without, looked for before it (its class-first shapes are tried at every
# letter: ~7 us on a line of prose): two digits in a row, a hyphen between Latin letters, a word.
_LATIN_HYPHEN = re.compile(r"-(?<=[a-z]-)[a-z]")


def may_hold(low: str, two_digits: bool) -> bool:
    """Whether the lowered line holds a plate's shape or word (``CUE``), cheap looks first;
    ``two_digits``: whether it holds two digits in a row (the caller knows)."""
    return ((two_digits or "plate" in low or "reg" in low or "tag" in low or "номер" in low
             or "гос" in low or ("-" in low and _LATIN_HYPHEN.search(low) is not None))
            and CUE.search(low) is not None)


def plates(text: str) -> list[Cand]:
    out: list[Cand] = []
    car = None  # looked up once, when first needed

    def named() -> bool:
        nonlocal car
        if car is None:
            car = _CAR_WORD.search(text) is not None
        return car

    for m in _RU.finditer(text):
        cyrillic = any(c.upper() in _CYR and not c.isascii() for c in m.group())
        if (m.group("region") and cyrillic) or named():
            out.append(_cand(m))
    for rx in (_RU_TAXI, _FOREIGN):
        for m in rx.finditer(text):
            if named():
                out.append(_cand(m))
    for m in _AFTER_WORD.finditer(text):
        out.append(Cand("plate", m.start("p"), m.end("p"), "", re.sub(r"\W", "", m.group("p")).upper()))
    return out


def _cand(m: re.Match) -> Cand:
    return Cand("plate", m.start(), m.end(), "", re.sub(r"\W", "", m.group()).upper().translate(_TO_LATIN))


_TO_LATIN = str.maketrans(_CYR, _LAT)
