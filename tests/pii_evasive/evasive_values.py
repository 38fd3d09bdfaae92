"""Valid PII values (and their checkers) for the evasive corpus.

Every generator takes a seeded `random.Random` and returns `(value, format_tag)`; the value is
what a person would paste or type (grouping, separators, case), the tag names the format.
Checksummed kinds are valid by construction and re-checked by the `is_valid_*` functions,
which decode the value again (the test suite runs them over the committed files).

Written apart from clonebot/pii: nothing here imports or mirrors the detector.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import string

import phonenumbers
from mnemonic import Mnemonic
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.ru import inn as std_inn

BIP39 = Mnemonic("english")
BIP39_WORDS = frozenset(BIP39.wordlist)

NBSP = "\u00a0"
NB_HYPHEN = "\u2011"
EN_DASH = "\u2013"
EM_DASH = "\u2014"
THIN = "\u2009"


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _rand_digits(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _group(s: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(s[i:i + size])
        i += size
    if i < len(s):
        out.append(s[i:])
    return sep.join(p for p in out if p)


# ------------------------------------------------------------------ phones

_RU_MOBILE = ["903", "905", "906", "909", "910", "915", "916", "917", "919", "925", "926", "929",
              "960", "961", "963", "965", "977", "985", "991", "995", "999", "921", "911", "981"]
_RU_CITY = ["495", "499", "812", "343", "383", "846"]


def _ru_national(rng: random.Random, mobile: bool = True) -> str:
    while True:
        code = rng.choice(_RU_MOBILE if mobile else _RU_CITY)
        nat = code + _rand_digits(rng, 7, "123456789")
        if phonenumbers.is_valid_number(phonenumbers.parse(nat, "RU")):
            return nat


def ru_phone(rng: random.Random) -> tuple[str, str]:
    """A Russian number, written one of the many ways people write it."""
    nat = _ru_national(rng, mobile=rng.random() < 0.88)
    a, b, c, d = nat[:3], nat[3:6], nat[6:8], nat[8:]
    style = rng.choice(["ten-digits", "ten-digits", "plus7", "eight", "unicode-dash", "unicode-dash",
                        "nbsp", "spaced-digits", "brackets", "dots", "mixed-sep", "eight-compact",
                        "plus7-compact", "brackets-compact"])
    if style == "ten-digits":
        return rng.choice([nat, f"{a} {b} {c} {d}", f"{a}-{b}-{c}-{d}", f"{a} {b}{c}{d}",
                           f"{a}{b} {c} {d}"]), "phone/ten-digits"
    if style == "plus7":
        return rng.choice([f"+7 {a} {b}-{c}-{d}", f"+7 {a} {b} {c} {d}", f"+7-{a}-{b}-{c}-{d}",
                           f"+7 {a} {b}{c}{d}", f"+7{a} {b} {c}{d}"]), "phone/plus7"
    if style == "eight":
        return rng.choice([f"8 {a} {b}-{c}-{d}", f"8-{a}-{b}-{c}-{d}", f"8 {a} {b} {c} {d}",
                           f"8 ({a}) {b} {c} {d}"]), "phone/eight"
    if style == "eight-compact":
        return f"8{nat}", "phone/eight"
    if style == "plus7-compact":
        return rng.choice([f"+7{nat}", f"7{nat}"]), "phone/plus7"
    if style == "unicode-dash":
        dash = rng.choice([NB_HYPHEN, EN_DASH, EM_DASH, "\u2012", "\u2212"])
        lead = rng.choice(["+7 ", "8 ", "+7" + NBSP, ""])
        return f"{lead}{a} {b}{dash}{c}{dash}{d}", "phone/unicode-dash"
    if style == "nbsp":
        lead = rng.choice(["+7", "8"])
        return NBSP.join([lead, a, b, c, d]) if rng.random() < 0.5 else \
            f"{lead}{NBSP}({a}){NBSP}{b}-{c}-{d}", "phone/nbsp"
    if style == "spaced-digits":
        lead = rng.choice(["8", "+7", ""])
        return " ".join(lead + nat) if lead != "+7" else "+7 " + " ".join(nat), "phone/spaced-digits"
    if style == "brackets":
        return rng.choice([f"+7 ({a}) {b}-{c}-{d}", f"8({a}){b}-{c}-{d}", f"({a}) {b}-{c}-{d}",
                           f"8 ({a}) {b}{c}{d}"]), "phone/brackets"
    if style == "brackets-compact":
        return rng.choice([f"8({a}){b}{c}{d}", f"+7({a}){b}{c}{d}"]), "phone/brackets"
    if style == "dots":
        return rng.choice([f"{a}.{b}.{c}.{d}", f"8.{a}.{b}.{c}.{d}", f"+7.{a}.{b}.{c}{d}"]), "phone/dots"
    return rng.choice([f"+7 {a}-{b} {c}-{d}", f"8 {a}{b}-{c}{d}", f"8-{a} {b}.{c}.{d}",
                       f"+7 {a}{b} {c}{d}"]), "phone/mixed-sep"


# (region, prefix with +, national digits length, a few leading national digits)
_INTL = [("US", "+1", ["212", "415", "646", "917", "305", "312", "617", "206", "713", "404"]),
         ("GB", "+44", ["7911", "7700", "7400", "7722", "20"]),
         ("DE", "+49", ["151", "160", "170", "176", "30", "89"]),
         ("FR", "+33", ["6", "7", "1"]),
         ("UA", "+380", ["50", "67", "63", "93", "97"]),
         ("BY", "+375", ["29", "33", "44", "25"]),
         ("KZ", "+7", ["701", "705", "707", "747", "777"]),
         ("ES", "+34", ["6", "7"]),
         ("IT", "+39", ["3"]),
         ("GE", "+995", ["5"]),
         ("AM", "+374", ["9", "77"]),
         ("IL", "+972", ["5"]),
         ("TR", "+90", ["5"]),
         ("PL", "+48", ["5", "6", "7"])]


def _intl_national(rng: random.Random, region: str, starts: list[str]) -> str:
    for _ in range(5000):
        start = rng.choice(starts)
        for length in (9, 10, 11, 8):
            nat = start + _rand_digits(rng, length - len(start), "23456789")
            fictional = region == "US" and nat[3:6] == "555"
            if not fictional and phonenumbers.is_valid_number(phonenumbers.parse(nat, region)):
                return nat
    raise RuntimeError(region)


def intl_phone(rng: random.Random) -> tuple[str, str]:
    """A foreign number: US formats, EU and CIS international formats."""
    region, plus, starts = _INTL[0] if rng.random() < 0.3 else rng.choice(_INTL)
    nat = _intl_national(rng, region, starts)
    num = phonenumbers.parse(nat, region)
    if region == "US":
        a, b, c = nat[:3], nat[3:6], nat[6:]
        return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}",
                           f"1-{a}-{b}-{c}", f"+1 ({a}) {b}-{c}", f"{a} {b} {c}", nat]), "phone/us"
    style = rng.random()
    if style < 0.45:
        text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    elif style < 0.65:
        text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    elif style < 0.8:
        text = "00" + plus[1:] + " " + nat
    elif style < 0.9 and len(nat) == 10:
        text = plus + " " + _group(nat, [3, 3, 2, 2], "-")
    else:
        text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        text = text.replace(" ", NBSP)
    return text, "phone/intl"


def is_valid_phone(text: str, category: str) -> bool:
    d = digits(text)
    plus = text.lstrip().startswith("+")
    candidates = []
    if plus:
        candidates.append(("+" + d, None))
    if d.startswith("00"):
        candidates.append(("+" + d[2:], None))
    if category == "phone/us":
        candidates.append((d, "US"))
    candidates += [(d, "RU"), ("+" + d, None)]
    return any_valid_number(candidates)


def any_valid_number(candidates: list[tuple[str, str | None]]) -> bool:
    """Whether any (number, default region) reads as a valid phone number to libphonenumber."""
    for number, region in candidates:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


# ------------------------------------------------------------------ e-mails

_USERS = ["petya.ivanov", "k.smirnova88", "alex_kuz", "john.doe1987", "m.schmidt", "olga-petrova",
          "vasya2005", "lena.sokolova", "dmitry.v", "sveta_k", "mike.obrien", "annie.w",
          "kostya.dev", "natasha1990", "i.volkov", "tanya.moroz", "sergey.b77", "jess.parker",
          "d.novikova", "max.orlov", "katya_belka", "r.gallagher", "ivan.pet", "yulia.ch",
          "artem_zaitsev", "pavel.kolesov", "nik.fedorov", "s.lebedeva", "tom.h", "mariia.k"]
_DOMAINS = ["mail.ru", "yandex.ru", "ya.ru", "gmail.com", "outlook.com", "bk.ru", "inbox.ru",
            "list.ru", "rambler.ru", "icloud.com", "proton.me", "hotmail.co.uk", "gmx.de",
            "yahoo.com", "acme-corp.com", "hse.ru", "spbu.ru", "tinkoff.ru", "yandex.kz", "ukr.net"]


def email(rng: random.Random) -> tuple[str, str]:
    user, domain = rng.choice(_USERS), rng.choice(_DOMAINS)
    host, _, tld = domain.rpartition(".")
    style = rng.choice(["plain", "plain", "upper", "at-parens", "at-brackets", "at-words",
                        "sobaka", "sobaka", "spaced-at", "fullwidth", "at-curly", "mixed-obfuscation"])
    if style == "plain":
        return f"{user}@{domain}", "email/plain"
    if style == "upper":
        return rng.choice([f"{user}@{domain}".upper(), f"{user.capitalize()}@{domain.capitalize()}"]), \
            "email/upper"
    if style == "at-parens":
        return rng.choice([f"{user}(at){domain}", f"{user}(at){host}(dot){tld}",
                           f"{user} (at) {host} (dot) {tld}", f"{user}(собака){domain}"]), "email/at-parens"
    if style == "at-brackets":
        return rng.choice([f"{user} [at] {host} [dot] {tld}", f"{user}[at]{domain}",
                           f"{user}[@]{domain}", f"{user} [at] {domain}"]), "email/at-brackets"
    if style == "at-curly":
        return rng.choice([f"{user}{{at}}{domain}", f"{user}<at>{host}<dot>{tld}"]), "email/at-brackets"
    if style == "at-words":
        return rng.choice([f"{user} at {host} dot {tld}", f"{user} AT {host} DOT {tld}",
                           f"{user} at {domain}"]), "email/at-words"
    if style == "sobaka":
        return rng.choice([f"{user} собака {host} точка {tld}", f"{user} собака {domain}",
                           f"{user} собачка {host} точка {tld}", f"{user}собака{domain}",
                           f"{user} собака {host}.{tld}"]), "email/sobaka"
    if style == "spaced-at":
        return rng.choice([f"{user} @ {domain}", f"{user} @{domain}", f"{user}@ {domain}",
                           f"{user}@{host} .{tld}", f"{user} @ {host}. {tld}"]), "email/spaced-at"
    if style == "fullwidth":
        return rng.choice([f"{user}\uff20{domain}", f"{user}\uff20{host}\uff0e{tld}",
                           f"{user} \uff20 {domain}"]), "email/fullwidth"
    return rng.choice([f"{user} (собака) {host} (точка) {tld}", f"{user} at {host}.{tld}",
                       f"{user}@{host} dot {tld}", f"{user.upper()} at {domain.upper()}"]), "email/mixed"


# ------------------------------------------------------------------ cards

_CARD_PREFIXES = [("4276", 16), ("4279", 16), ("4377", 16), ("4154", 16), ("4817", 16),
                  ("5536", 16), ("5469", 16), ("5228", 16), ("5106", 16), ("2200", 16),
                  ("2202", 16), ("2204", 16), ("2221", 16), ("4111", 16), ("6250", 16),
                  ("4000", 16), ("5555", 16)]


def _luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + _rand_digits(rng, length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def card(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.14:
        num = _luhn_number(rng, rng.choice(["34", "37"]), 15)
        sep = rng.choice([" ", "-", "", NBSP])
        return _group(num, [4, 6, 5], sep), "card/amex"
    prefix, length = rng.choice(_CARD_PREFIXES)
    num = _luhn_number(rng, prefix, length)
    style = rng.choice(["spaces", "spaces", "plain", "dots", "dashes", "nbsp", "odd-grouping",
                        "thin-space", "double-space"])
    if style == "spaces":
        return _group(num, [4, 4, 4, 4], " "), "card/spaces"
    if style == "plain":
        return num, "card/plain"
    if style == "dots":
        return _group(num, [4, 4, 4, 4], "."), "card/dots"
    if style == "dashes":
        return _group(num, [4, 4, 4, 4], rng.choice(["-", "-", EN_DASH, NB_HYPHEN])), "card/dashes"
    if style == "nbsp":
        return _group(num, [4, 4, 4, 4], NBSP), "card/nbsp"
    if style == "thin-space":
        return _group(num, [4, 4, 4, 4], THIN), "card/nbsp"
    if style == "double-space":
        return _group(num, [4, 4, 4, 4], "  "), "card/odd-grouping"
    return _group(num, rng.choice([[4, 4, 8], [8, 8], [4, 12], [4, 4, 4, 2, 2], [6, 10]]), " "), \
        "card/odd-grouping"


def is_valid_card(text: str) -> bool:
    d = digits(text)
    return 13 <= len(d) <= 19 and luhn.is_valid(d)


# ------------------------------------------------------------------ IBAN

# country -> BBAN structure as (count, class) with n digits, a upper letters, c alphanumerics
_IBAN_BBAN = {
    "DE": "18n", "FR": "10n11c2n", "GB": "4a14n", "ES": "20n", "IT": "1a10n12c", "NL": "4a10n",
    "CH": "5n12c", "AT": "16n", "BE": "12n", "PL": "24n", "KZ": "3n13c", "UA": "6n19c",
    "BY": "4c4n16c", "TR": "5n1n16c", "AE": "3n16n", "GE": "2a16n", "LT": "16n", "PT": "21n",
    "IE": "4a14n", "NO": "11n", "DK": "14n", "CZ": "20n", "SE": "20n", "FI": "14n", "LV": "4a13c",
    "EE": "16n", "CY": "8n16c",
}


def _bban(rng: random.Random, structure: str) -> str:
    out = []
    for count, cls in re.findall(r"(\d+)([nac])", structure):
        for _ in range(int(count)):
            if cls == "n":
                out.append(rng.choice(string.digits))
            elif cls == "a":
                out.append(rng.choice(string.ascii_uppercase))
            else:  # alphanumeric fields are mostly digits in real accounts
                out.append(rng.choice(string.digits * 12 + string.ascii_uppercase))
    return "".join(out)


def _iban_check(country: str, bban: str) -> str:
    moved = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in moved))
    return f"{98 - num % 97:02d}"


def _compact_iban(rng: random.Random, country: str) -> str:
    for _ in range(20000):
        bban = _bban(rng, _IBAN_BBAN[country])
        value = country + _iban_check(country, bban) + bban
        if std_iban.is_valid(value):
            return value
    raise RuntimeError(country)


def iban(rng: random.Random) -> tuple[str, str]:
    country = rng.choice(list(_IBAN_BBAN))
    value = _compact_iban(rng, country)
    grouped = _group(value, [4] * 9, " ")
    style = rng.choice(["grouped", "grouped", "compact", "lower", "dashes", "cc-spaced",
                        "nbsp", "odd-grouping"])
    if style == "grouped":
        return grouped, "iban/grouped"
    if style == "compact":
        return value, "iban/compact"
    if style == "lower":
        return rng.choice([grouped.lower(), value.lower()]), "iban/lower"
    if style == "dashes":
        text = _group(value, [4] * 9, "-")
        return (text.lower() if rng.random() < 0.5 else text), "iban/dashes"
    if style == "cc-spaced":
        return rng.choice([f"{value[:2]} {value[2:4]} {_group(value[4:], [4] * 8, ' ')}",
                           f"{value[:2]} {value[2:]}", f"{value[:4]} {value[4:]}"]), "iban/cc-spaced"
    if style == "nbsp":
        return _group(value, [4] * 9, NBSP), "iban/nbsp"
    return _group(value, rng.choice([[2, 2, 6, 20], [4, 8, 20], [6, 6, 6, 6, 6]]), " "), "iban/odd-grouping"


def is_valid_iban(text: str) -> bool:
    return std_iban.is_valid(re.sub(r"[\s\-\u2011\u2013]", "", text).upper())


# ------------------------------------------------------------------ INN, SNILS

def _inn10(rng: random.Random) -> str:
    body = _rand_digits(rng, 9, "1234567")
    return body + std_inn.calc_company_check_digit(body)


def _inn12(rng: random.Random) -> str:
    body = _rand_digits(rng, 10, "1234567")
    return body + std_inn.calc_personal_check_digits(body)


def inn(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.35:
        value, tag = _inn10(rng), "inn/10"
    else:
        value, tag = _inn12(rng), "inn/12"
    style = rng.random()
    if style < 0.55:
        return value, tag
    if style < 0.75:
        return _group(value, [4] * 3, " "), "inn/grouped"
    if style < 0.85:
        return _group(value, [3] * 4, rng.choice([" ", "-"])), "inn/grouped"
    if style < 0.93:
        return _group(value, [2, 2, 6, 2], " "), "inn/grouped"
    return _group(value, [4] * 3, NBSP), "inn/grouped"


def is_valid_inn(text: str) -> bool:
    return std_inn.is_valid(digits(text))


def snils_check(body: str) -> str:
    total = sum(int(c) * (9 - i) for i, c in enumerate(body))
    if total < 100:
        return f"{total:02d}"
    if total in (100, 101):
        return "00"
    rest = total % 101
    return "00" if rest == 100 else f"{rest:02d}"


def snils(rng: random.Random) -> tuple[str, str]:
    body = _rand_digits(rng, 9, "123456789")
    value = body + snils_check(body)
    a, b, c, d = value[:3], value[3:6], value[6:9], value[9:]
    style = rng.random()
    if style < 0.4:
        return f"{a}-{b}-{c} {d}", "snils/standard"
    if style < 0.6:
        return value, "snils/plain"
    if style < 0.8:
        return rng.choice([f"{a} {b} {c} {d}", f"{a}-{b}-{c}-{d}", f"{a}{b}{c} {d}"]), "snils/spaced"
    return rng.choice([f"{a}{EN_DASH}{b}{EN_DASH}{c} {d}", f"{a}.{b}.{c} {d}", f"{a}-{b}-{c}{NBSP}{d}"]), \
        "snils/odd-sep"


def is_valid_snils(text: str) -> bool:
    d = digits(text)
    return len(d) == 11 and snils_check(d[:9]) == d[9:]


# ------------------------------------------------------------------ passports

def passport_series(rng: random.Random) -> str:
    region = rng.choice(["45", "46", "40", "50", "60", "65", "03", "52", "92", "71", "04", "18"])
    return region + f"{rng.randint(0, 24):02d}"


def passport_number(rng: random.Random) -> str:
    return _rand_digits(rng, 6, "1234567")


def passport_ru(rng: random.Random) -> tuple[str, str]:
    s, n = passport_series(rng), passport_number(rng)
    return rng.choice([f"{s} {n}", f"{s[:2]} {s[2:]} {n}", f"{s}{n}", f"{s} №{n}", f"{s}-{n}",
                       f"{s[:2]} {s[2:]} № {n}", f"{s[:2]}{NBSP}{s[2:]}{NBSP}{n}"]), "passport/ru"


def passport_foreign_ru(rng: random.Random) -> tuple[str, str]:
    series = rng.choice(["75", "76", "72", "73", "65", "53", "77"])
    num = _rand_digits(rng, 7, "123456789")
    return rng.choice([f"{series} {num}", f"{series}{num}", f"{series} №{num}",
                       f"{series} {num[:3]} {num[3:]}"]), "passport/zagran"


def passport_other(rng: random.Random) -> tuple[str, str]:
    style = rng.choice(["us", "de", "ua", "kz", "by", "uk"])
    if style == "us":
        return _rand_digits(rng, 9, "5"), "passport/foreign"
    if style == "de":
        return "C" + "".join(rng.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(8)), "passport/foreign"
    if style == "ua":
        return rng.choice(["FE", "FA", "EK", "FB"]) + _rand_digits(rng, 6), "passport/foreign"
    if style == "kz":
        return "N" + _rand_digits(rng, 8, "0123"), "passport/foreign"
    if style == "by":
        return rng.choice(["MP", "MC", "HB", "AB"]) + _rand_digits(rng, 7, "1234"), "passport/foreign"
    return _rand_digits(rng, 9, "1235"), "passport/foreign"


# ------------------------------------------------------------------ passwords and codes

_PW_WORDS = ["kotik", "sunshine", "masha", "dragon", "zenit", "barsik", "spartak", "qwerty", "monkey",
             "lenochka", "summer", "football", "princess", "shadow", "matrix", "bublik", "tigr",
             "solnyshko", "pupsik", "marina", "dinamo", "hockey", "batman", "lucky"]
_PW_RU = ["кошка", "Барсик", "лето", "солнышко", "зайка", "пирожок", "Москва", "ромашка"]


def password(rng: random.Random) -> tuple[str, str]:
    style = rng.random()
    word = rng.choice(_PW_WORDS)
    if style < 0.3:
        pw = rng.choice([word.capitalize(), word]) + str(rng.choice([rng.randint(1, 99),
                                                                       rng.randint(1975, 2015)]))
        pw += rng.choice(["", "", "!", "$", "_", "#"])
    elif style < 0.5:
        alphabet = string.ascii_letters + string.digits + "!@#$%&*_-"
        pw = "".join(rng.choice(alphabet) for _ in range(rng.randint(9, 16)))
        if not any(c.isdigit() for c in pw):
            pw += str(rng.randint(0, 9))
    elif style < 0.62:
        pw = rng.choice(["zaq1xsw2", "1q2w3e4r5t", "qazwsxedc", "Qwerty123!", "P@ssw0rd2024",
                         "iloveyou88", "zxcvbnm1", "asdfgh12"]) + rng.choice(["", str(rng.randint(1, 9))])
    elif style < 0.74:
        pw = rng.choice(_PW_RU) + str(rng.randint(10, 2020))
    elif style < 0.84:
        pw = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(8)) + \
            rng.choice(["", "!", "."])
    elif style < 0.92:
        pw = word[0].upper() + word[1:] + "_" + rng.choice(_PW_WORDS) + str(rng.randint(1, 99))
    else:
        leet = str.maketrans({"a": "@", "o": "0", "e": "3", "i": "1", "s": "$"})
        pw = (word + str(rng.randint(10, 99))).translate(leet)
    return pw, "password/word"


def wifi_password(rng: random.Random) -> tuple[str, str]:
    style = rng.random()
    if style < 0.35:
        return _rand_digits(rng, rng.choice([8, 10]), "123456789"), "password/wifi"
    if style < 0.7:
        return password(rng)[0], "password/wifi"
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(10)), "password/wifi"


def code(rng: random.Random, length: int | None = None) -> str:
    return _rand_digits(rng, length or rng.choice([4, 4, 5, 6, 6, 6]), "123456789")


def split_code(rng: random.Random) -> str:
    c = code(rng, 6)
    return rng.choice([f"{c[:3]} {c[3:]}", f"{c[:3]}-{c[3:]}", f"{c[:2]} {c[2:4]} {c[4:]}"])


def spaced_code(rng: random.Random) -> str:
    return " ".join(code(rng, rng.choice([4, 4, 6])))


_SECRET_WORDS = ["барсик", "Кукушка", "апельсин", "пингвин", "Тапочки", "бегемот", "marshmallow",
                 "pineapple", "Grandma Rose", "blue whale", "ёжик в тумане", "крокодил гена",
                 "Mustang", "зелёный чай", "tangerine", "pumpkin pie"]


def secret_word(rng: random.Random) -> str:
    return rng.choice(_SECRET_WORDS)


def backup_code(rng: random.Random) -> str:
    """Recovery codes as services print them: 4-4 digits, 4-4 letters and digits, or 8 digits."""
    alnum = string.ascii_lowercase + string.digits
    style = rng.random()
    if style < 0.4:
        return f"{_rand_digits(rng, 4)}-{_rand_digits(rng, 4)}"
    if style < 0.7:
        return "".join(rng.choice(alnum) for _ in range(4)) + "-" + "".join(rng.choice(alnum) for _ in range(4))
    return f"{_rand_digits(rng, 4, '123456789')} {_rand_digits(rng, 4)}"


# ------------------------------------------------------------------ API keys and tokens

_ALNUM = string.ascii_letters + string.digits
_B64URL = _ALNUM + "-_"
_B64 = _ALNUM + "+/"


def _rs(rng: random.Random, alphabet: str, n: int) -> str:
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        # real tokens mix cases and digits; make sure ours do too
        if any(c.isdigit() for c in s) and any(c.isupper() for c in s) == any(c.isupper() for c in alphabet):
            return s


def _b64url_nopad(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt(rng: random.Random) -> str:
    header = _b64url_nopad(b'{"alg":"HS256","typ":"JWT"}')
    sub = rng.randint(10000, 9999999)
    payload = _b64url_nopad(f'{{"sub":"{sub}","iat":{rng.randint(1700000000, 1760000000)},'
                            f'"role":"user"}}'.encode())
    return f"{header}.{payload}.{_rs(rng, _B64URL, 43)}"


def telegram_bot_token(rng: random.Random) -> str:
    return f"{rng.randint(10 ** 8, 8 * 10 ** 9)}:AA{_rs(rng, _B64URL, 33)}"


def discord_token(rng: random.Random) -> str:
    user_id = str(rng.randint(10 ** 17, 13 * 10 ** 17))
    return f"{_b64url_nopad(user_id.encode())}.{_rs(rng, _B64URL, 6)}.{_rs(rng, _B64URL, 38)}"


def pem_line(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ" + _rs(rng, _B64, 14)
    return _rs(rng, _B64, 64)


_SECRET_MAKERS = {
    "huggingface": lambda r: "hf_" + _rs(r, _ALNUM, 34),
    "npm": lambda r: "npm_" + _rs(r, _ALNUM, 36),
    "yandex-oauth": lambda r: "y0_AgAAAAA" + _rs(r, _B64URL, 49),
    "sendgrid": lambda r: "SG." + _rs(r, _B64URL, 22) + "." + _rs(r, _B64URL, 43),
    "discord": discord_token,
    "stripe": lambda r: r.choice(["sk_live_", "rk_live_"]) + _rs(r, _ALNUM, r.choice([24, 99])),
    "google": lambda r: "AIza" + _rs(r, _B64URL, 35),
    "github": lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + _rs(r, _ALNUM, 36),
    "github-pat": lambda r: "github_pat_11" + _rs(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20)
    + "_" + _rs(r, _ALNUM, 59),
    "openai": lambda r: r.choice(["sk-proj-", "sk-"]) + _rs(r, _B64URL, r.choice([48, 64, 120])),
    "anthropic": lambda r: "sk-ant-api03-" + _rs(r, _B64URL, 93) + "AA",
    "aws-secret": lambda r: _rs(r, _B64, 40),
    "aws-key-id": lambda r: "AKIA" + _rs(r, string.ascii_uppercase + "234567", 16),
    "hex40": lambda r: "".join(r.choice("0123456789abcdef") for _ in range(40)),
    "hex32": lambda r: "".join(r.choice("0123456789abcdef") for _ in range(32)),
    "pem": pem_line,
    "jwt": jwt,
    "telegram-bot": telegram_bot_token,
    "slack": lambda r: "xoxb-" + str(r.randint(10 ** 10, 10 ** 12)) + "-" + str(r.randint(10 ** 10, 10 ** 12))
    + "-" + _rs(r, _ALNUM, 24),
    "gitlab": lambda r: "glpat-" + _rs(r, _B64URL, 20),
    "digitalocean": lambda r: "dop_v1_" + "".join(r.choice("0123456789abcdef") for _ in range(64)),
    "shopify": lambda r: "shpat_" + "".join(r.choice("0123456789abcdef") for _ in range(32)),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + _rs(r, _B64URL, 60),
    "private-hex64": lambda r: "".join(r.choice("0123456789abcdef") for _ in range(64)),
    "twilio": lambda r: "SK" + "".join(r.choice("0123456789abcdef") for _ in range(32)),
    "mailgun": lambda r: "key-" + "".join(r.choice("0123456789abcdef") for _ in range(32)),
}
SECRET_FLAVOURS = tuple(_SECRET_MAKERS)


def secret(rng: random.Random, flavour: str) -> str:
    return _SECRET_MAKERS[flavour](rng)


# ------------------------------------------------------------------ seed phrases

def seed_words(rng: random.Random, count: int, valid: bool = True) -> list[str]:
    """A BIP-39 mnemonic of `count` words; valid=False gives list words failing the checksum."""
    strength = {12: 128, 15: 160, 18: 192, 21: 224, 24: 256}[count]
    while True:
        if valid:
            entropy = bytes(rng.getrandbits(8) for _ in range(strength // 8))
            return BIP39.to_mnemonic(entropy).split()
        words = [rng.choice(BIP39.wordlist) for _ in range(count)]
        if not BIP39.check(" ".join(words)):
            return words


def typo(rng: random.Random, word: str) -> str:
    """One typo of the kind thumbs make: a dropped, doubled or swapped letter."""
    while True:
        i = rng.randrange(1, len(word))
        kind = rng.choice(["drop", "double", "swap"])
        if kind == "drop":
            out = word[:i] + word[i + 1:]
        elif kind == "double":
            out = word[:i] + word[i] + word[i:]
        else:
            out = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
        if out != word and out not in BIP39_WORDS:
            return out


def is_valid_seed(words: list[str]) -> bool:
    return len(words) in (12, 15, 18, 21, 24) and BIP39.check(" ".join(words))


# ------------------------------------------------------------------ crypto addresses

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + _B58.index(c)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def _dsha(raw: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(raw).digest()).digest()


def b58check(version: bytes, payload: bytes) -> str:
    raw = version + payload
    return b58encode(raw + _dsha(raw)[:4])


def b58check_version(text: str) -> bytes | None:
    """The version bytes of a base58check string, None if the checksum fails."""
    try:
        raw = b58decode(text)
    except ValueError:
        return None
    if len(raw) < 5 or _dsha(raw[:-4])[:4] != raw[-4:]:
        return None
    return raw[:-4]


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_5bit(raw: bytes) -> list[int]:
    acc = bits = 0
    out = []
    for b in raw:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def segwit_address(hrp: str, version: int, program: bytes) -> str:
    data = [version] + _to_5bit(program)
    const = 1 if version == 0 else _BECH32M
    poly = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def segwit_valid(text: str) -> bool:
    text = text.lower()
    hrp, _, data = text.rpartition("1")
    if not hrp or any(c not in _BECH32 for c in data) or len(data) < 7:
        return False
    values = [_BECH32.index(c) for c in data]
    const = 1 if values[0] == 0 else _BECH32M
    return _polymod(_hrp_expand(hrp) + values) == const


_KECCAK_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
_KECCAK_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
               [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M64 = (1 << 64) - 1


def _rol(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _M64 if n else v


def _keccak_f(a: list[int]) -> list[int]:
    for rc in _KECCAK_RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rol(a[x + 5 * y], _KECCAK_ROT[x][y])
        a = [b[i] ^ (~b[(i % 5 + 1) % 5 + 5 * (i // 5)] & _M64 & b[(i % 5 + 2) % 5 + 5 * (i // 5)])
             for i in range(25)]
        a[0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum and Monero use it (not NIST SHA3-256: different padding)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\0" * ((-len(data) - 1) % rate)
    padded[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        state = _keccak_f(state)
    return b"".join(state[i].to_bytes(8, "little") for i in range(4))


def eip55(hex40: str) -> str:
    digest = keccak256(hex40.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c
                          for i, c in enumerate(hex40))


def _crc16_xmodem(raw: bytes) -> int:
    crc = 0
    for b in raw:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _xmr_b58(raw: bytes) -> str:
    sizes = {8: 11, 5: 7}
    out = ""
    for off in range(0, len(raw), 8):
        block = raw[off:off + 8]
        n = int.from_bytes(block, "big")
        chunk = ""
        while n:
            n, r = divmod(n, 58)
            chunk = _B58[r] + chunk
        out += chunk.rjust(sizes[len(block)], "1")
    return out


def _xmr_unb58(text: str) -> bytes:
    out = b""
    for off in range(0, len(text), 11):
        chunk = text[off:off + 11]
        n = 0
        for c in chunk:
            n = n * 58 + _B58.index(c)
        out += n.to_bytes({11: 8, 7: 5}[len(chunk)], "big")
    return out


COINS = ("btc", "eth", "tron", "ton", "sol", "ltc", "doge", "xmr")


def crypto(rng: random.Random, coin: str | None = None) -> tuple[str, str]:
    """An address of `coin` (any coin when None), with a valid checksum where the coin has one."""
    coin = coin or rng.choice(COINS + ("btc", "eth", "sol"))
    rand = lambda n: bytes(rng.getrandbits(8) for _ in range(n))  # noqa: E731
    if coin == "btc":
        style = rng.choice(["legacy", "p2sh", "segwit", "segwit", "taproot"])
        if style == "legacy":
            return b58check(b"\x00", rand(20)), "crypto/btc"
        if style == "p2sh":
            return b58check(b"\x05", rand(20)), "crypto/btc"
        if style == "segwit":
            return segwit_address("bc", 0, rand(rng.choice([20, 20, 32]))), "crypto/btc-segwit"
        return segwit_address("bc", 1, rand(32)), "crypto/btc-taproot"
    if coin == "eth":
        hex40 = rand(20).hex()
        return (eip55(hex40) if rng.random() < 0.75 else "0x" + hex40), "crypto/eth"
    if coin == "tron":
        return b58check(b"\x41", rand(20)), "crypto/tron"
    if coin == "ton":
        body = bytes([rng.choice([0x11, 0x51]), 0]) + rand(32)
        crc = _crc16_xmodem(body).to_bytes(2, "big")
        return base64.urlsafe_b64encode(body + crc).decode(), "crypto/ton"
    if coin == "sol":
        return b58encode(rand(32)), "crypto/sol"
    if coin == "ltc":
        style = rng.choice(["L", "M", "ltc1"])
        if style == "ltc1":
            return segwit_address("ltc", 0, rand(20)), "crypto/ltc"
        return b58check(b"\x30" if style == "L" else b"\x32", rand(20)), "crypto/ltc"
    if coin == "doge":
        return b58check(b"\x1e", rand(20)), "crypto/doge"
    data = b"\x12" + rand(64)
    return _xmr_b58(data + keccak256(data)[:4]), "crypto/xmr"


def is_valid_crypto(text: str) -> bool:
    if text.startswith("0x"):
        hex40 = text[2:]
        if len(hex40) != 40 or not all(c in string.hexdigits for c in hex40):
            return False
        return hex40 in (hex40.lower(), hex40.upper()) or eip55(hex40.lower()) == text
    if text[:3].lower() in ("bc1", "ltc"):
        return segwit_valid(text)
    if text[:2] in ("EQ", "UQ") and len(text) == 48:
        raw = base64.urlsafe_b64decode(text)
        return _crc16_xmodem(raw[:34]).to_bytes(2, "big") == raw[34:]
    if text.startswith("4") and len(text) == 95:
        raw = _xmr_unb58(text)
        return keccak256(raw[:65])[:4] == raw[65:]
    version = b58check_version(text)
    if version is not None:
        return version[:1] in (b"\x00", b"\x05", b"\x41", b"\x30", b"\x32", b"\x1e") and len(version) == 21
    try:  # Solana: a bare base58 ed25519 public key, no checksum to check
        return len(b58decode(text)) == 32
    except ValueError:
        return False


# ------------------------------------------------------------------ issue 11: context-only values

_PW_NOUNS = ["сковородка", "черепаха", "подсолнух", "табуретка", "кукуруза", "балалайка", "снегирь",
             "абрикос", "велосипед", "мармелад", "карандаш", "колокольчик", "одуванчик", "пельмень"]


def cyrillic_word_password(rng: random.Random) -> str:
    """A plain Russian noun used as a password ("пароль — сковородка")."""
    return rng.choice(_PW_NOUNS)


def shaped_password(rng: random.Random) -> str:
    """A password that looks like one on its own: letters with digits or a symbol."""
    pw, _ = password(rng)
    while sum(c.isdigit() for c in pw) < 2 and not any(not c.isalnum() for c in pw):
        pw, _ = password(rng)
    return pw


def url_password(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([10, 16, 24, 32])))


def door_code(rng: random.Random) -> str:
    """Intercom and gate codes as typed: "45к7689", "В1234", "5931#", "12#3456"."""
    style = rng.random()
    if style < 0.3:
        return f"{_rand_digits(rng, 2, '123456789')}{rng.choice('кКkK')}{_rand_digits(rng, 4)}"
    if style < 0.5:
        return rng.choice("ВBАAК") + _rand_digits(rng, 4, "123456789")
    if style < 0.75:
        return _rand_digits(rng, 4, "123456789") + "#"
    return f"{_rand_digits(rng, 2, '123456789')}#{_rand_digits(rng, 4)}"


_BASE32 = string.ascii_uppercase + "234567"


def totp_key(rng: random.Random) -> str:
    """A TOTP setup key: base32, 16 or 32 characters, whole or in groups of four, either case."""
    key = "".join(rng.choice(_BASE32) for _ in range(rng.choice([16, 32])))
    while sum(c.isdigit() for c in key) < 3 or not any(c.isdigit() for c in key[:8]):
        key = "".join(rng.choice(_BASE32) for _ in range(len(key)))
    if rng.random() < 0.6:
        key = " ".join(key[i:i + 4] for i in range(0, len(key), 4))
    return key.lower() if rng.random() < 0.5 else key


def backup_list(rng: random.Random) -> str:
    """A printed list of recovery codes: three to six, on one line or one a line."""
    codes = [backup_code(rng) for _ in range(rng.randint(3, 6))]
    return rng.choice([" ", "  ", "\n"]).join(codes)  # one span: its separators hold no comma


_SSIDS = ["Keenetic-{h}", "TP-Link_{H}", "MGTS_GPON_{H}", "Beeline_{H}", "RT-WiFi-{h}", "Tenda_{H}",
          "ASUS_{H}_5G", "HUAWEI-{H}", "Xiaomi_{H}", "DIR-615-{H}"]


def ssid(rng: random.Random) -> str:
    """A router's network name (not PII): a brand and a hex tail."""
    hexd = "".join(rng.choice("0123456789ABCDEF") for _ in range(4))
    while not any(c.isalpha() for c in hexd):
        hexd = "".join(rng.choice("0123456789ABCDEF") for _ in range(4))
    return rng.choice(_SSIDS).format(H=hexd, h=str(rng.randint(1000, 9999)))
