"""Harmless look-alikes for the evasive corpus, and the check that they stay harmless.

Generators take a seeded `random.Random` and return a string. `collisions(text)` lists what in a
harmless line could honestly be read as PII (a Luhn-valid card-length run, a valid INN, SNILS,
IBAN or phone number, a checksum-valid BIP-39 run of seed length, a valid crypto address); the
builder redraws a line until it has none, and the test suite checks the committed files.
"""

from __future__ import annotations

import random
import re
import string
import uuid

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.ru import inn as std_inn

from evasive_values import BIP39, BIP39_WORDS, any_valid_number, is_valid_crypto, is_valid_snils


def _digits(rng: random.Random, n: int, first: str = "123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _thousands(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def price_rub(rng: random.Random) -> str:
    n = rng.choice([rng.randint(3, 99) * 10, rng.randint(1, 99) * 100 - 1, rng.randint(10, 999) * 1000,
                    rng.randint(1, 30) * 50000, rng.randint(1, 9) * 1000000 + rng.randint(0, 9) * 50000])
    sep = rng.choice([" ", " ", "\u00a0", ".", ""])
    unit = rng.choice([" руб", " р", "р", " ₽", "₽", " рублей", "", " руб."])
    return _thousands(n, sep) + unit


def price_usd(rng: random.Random) -> str:
    n = rng.choice([rng.randint(1, 99), rng.randint(100, 2999), rng.randint(1000, 99999)])
    cents = rng.choice(["", ".99", ".00", f".{rng.randint(10, 99)}"])
    return rng.choice(["$", "$", "USD ", "", "$ "]) + f"{n:,}" + cents + ("" if rng.random() < 0.8 else " usd")


def price_eur(rng: random.Random) -> str:
    n = rng.randint(1, 2500)
    return rng.choice([f"€{n}", f"{n} €", f"{n},{rng.randint(10, 99)} €", f"EUR {n}", f"{n} евро"])


def salary(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(60, 450)}к", f"{rng.randint(60, 450)} тыс", f"{rng.randint(60, 450)}k",
                       _thousands(rng.randint(60, 450) * 1000, " ")])


def percent(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(1, 60)}%", f"{rng.randint(1, 25)},{rng.randint(1, 9)}%",
                       f"{rng.randint(1, 25)}.{rng.randint(1, 99)} %"])


def rate(rng: random.Random) -> str:
    return f"{rng.randint(78, 105)},{rng.randint(10, 99)}"


def money(rng: random.Random) -> str:
    return _thousands(rng.randint(1000, 2500000), " ") + f",{rng.randint(0, 99):02d}"


def date(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2027)
    return rng.choice([f"{d:02d}.{m:02d}.{y}", f"{d}.{m:02d}", f"{d:02d}.{m:02d}.{y % 100}",
                       f"{d:02d}/{m:02d}/{y}", f"{d}-{m}-{y}", f"{d:02d}.{m:02d}"])


def date_iso(rng: random.Random) -> str:
    return f"{rng.randint(2019, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def time(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(0, 23)}:{rng.choice(['00', '15', '30', '45', '05', '20'])}",
                       f"{rng.randint(7, 22)}.{rng.choice(['00', '30'])}", f"{rng.randint(7, 22)}:{rng.randint(0, 59):02d}"])


def time_en(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(1, 12)}pm", f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])} am",
                       f"{rng.randint(1, 12)}:{rng.choice(['00', '30'])}pm", f"{rng.randint(1, 12)} am"])


def time_range(rng: random.Random) -> str:
    a = rng.randint(7, 12)
    b = rng.randint(16, 23)
    return rng.choice([f"{a}:00-{b}:00", f"с {a} до {b}", f"{a}-{b}", f"{a}:00–{b}:30", f"{a}am-{b - 12}pm"])


def log_time(rng: random.Random) -> str:
    return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d},{rng.randint(0, 999):03d}"


def version(rng: random.Random) -> str:
    v = f"{rng.randint(0, 4)}.{rng.randint(0, 60)}.{rng.randint(0, 30)}"
    return rng.choice([v, "v" + v, v, f"{v}-rc{rng.randint(1, 5)}", f"{v}.post{rng.randint(1, 3)}"])


def pyver(rng: random.Random) -> str:
    return f"3.{rng.randint(8, 13)}.{rng.randint(0, 12)}"


def ios(rng: random.Random) -> str:
    return f"{rng.randint(15, 18)}.{rng.randint(0, 6)}.{rng.randint(1, 3)}"


def chrome_ver(rng: random.Random) -> str:
    return f"{rng.randint(110, 131)}.0.{rng.randint(5000, 6999)}.{rng.randint(10, 250)}"


def build(rng: random.Random) -> str:
    return f"{rng.randint(20, 24)}{rng.choice('ABCDEFG')}{rng.randint(100, 999)}"


def ozon_order(rng: random.Random) -> str:
    return f"{_digits(rng, 8, '0123456789')}-{rng.randint(1, 999):04d}"


def wb_order(rng: random.Random) -> str:
    return _digits(rng, rng.choice([9, 11]), "1234567")


def wb_sku(rng: random.Random) -> str:
    return _digits(rng, rng.choice([8, 9]), "12345")


def track_ru(rng: random.Random) -> str:
    return rng.choice(["RA", "RB", "CP", "LP", "RR", "EE", "UA"]) + _digits(rng, 9, "0123456789") + \
        rng.choice(["RU", "CN", "HK", "DE"])


def track_14(rng: random.Random) -> str:
    return rng.choice(["1", "8", "4", "6"]) + _digits(rng, 13, "0123456789")


def cdek(rng: random.Random) -> str:
    return "1" + _digits(rng, 9, "0123456789")


def ups(rng: random.Random) -> str:
    alnum = string.ascii_uppercase + string.digits
    return "1Z" + "".join(rng.choice(alnum) for _ in range(6)) + f"{rng.randint(1, 99):02d}" + \
        _digits(rng, 8, "0123456789")


def dhl(rng: random.Random) -> str:
    return rng.choice(["1", "0"]) + _digits(rng, 9, "0123456789")


def amazon_order(rng: random.Random) -> str:
    return f"{rng.randint(100, 999)}-{_digits(rng, 7)}-{_digits(rng, 7)}"


def order10(rng: random.Random) -> str:
    """Ten digits that are no phone number (the builder redraws valid ones)."""
    return _digits(rng, 10, "1256")


def order12(rng: random.Random) -> str:
    d = _digits(rng, 12, "123456789")
    return rng.choice([d, f"{d[:4]} {d[4:8]} {d[8:]}", f"{d[:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}"])


def number6(rng: random.Random) -> str:
    return _digits(rng, 6)


def grades(rng: random.Random) -> str:
    return " ".join(rng.choice("2345555544") for _ in range(rng.randint(8, 12)))


def jira(rng: random.Random) -> str:
    return f"{rng.choice(['PROJ', 'CORE', 'BACK', 'MOB', 'OPS', 'DEV'])}-{rng.randint(10, 9999)}"


def ticket_num(rng: random.Random) -> str:
    return rng.choice([_digits(rng, 7), f"{rng.randint(100, 999)}-{rng.randint(100, 999)}",
                       f"INC{_digits(rng, 7, '0')}"])


def invoice(rng: random.Random) -> str:
    return rng.choice([f"СЧ-{rng.randint(2021, 2026)}-{rng.randint(1, 9999):05d}",
                       f"{rng.randint(1, 999)}/{rng.randint(21, 26)}",
                       f"INV-{rng.randint(2021, 2026)}-{rng.randint(1, 99999):05d}",
                       f"№ {rng.randint(1, 9999)} от {date(rng)}"])


def contract(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(1, 999)}-{rng.choice(['П', 'К', 'ДУ', 'A'])}/{rng.randint(2021, 2026)}",
                       f"{rng.randint(10, 99)}/{rng.randint(1000, 9999)}-{rng.randint(20, 26)}"])


def score(rng: random.Random) -> str:
    a, b = rng.randint(0, 7), rng.randint(0, 7)
    return rng.choice([f"{a}:{b}", f"{a}-{b}", f"{a} - {b}", f"{a}:{b} ({rng.randint(0, 3)}:{rng.randint(0, 3)})"])


def height(rng: random.Random) -> str:
    return str(rng.randint(150, 205))


def height_ft(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(5, 6)}'{rng.randint(0, 11)}\"", f"{rng.randint(5, 6)} ft {rng.randint(0, 11)}"])


def weight(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(45, 120)} кг", f"{rng.randint(45, 120)}.{rng.randint(1, 9)}",
                       f"{rng.randint(100, 260)} lbs"])


def km(rng: random.Random) -> str:
    return rng.choice([str(rng.randint(2, 42)), f"{rng.randint(2, 42)},{rng.randint(1, 9)}",
                       _thousands(rng.randint(1000, 250000), " ")])


def duration(rng: random.Random) -> str:
    return f"{rng.randint(0, 3)}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


def steps(rng: random.Random) -> str:
    return rng.choice([_thousands(rng.randint(2000, 30000), " "), str(rng.randint(2000, 30000)),
                       f"{rng.randint(2000, 30000):,}"])


def temp(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(35, 39)},{rng.randint(0, 9)}", f"+{rng.randint(1, 35)}",
                       f"-{rng.randint(1, 30)}", f"{rng.randint(30, 100)}F", f"{rng.randint(-20, 35)}°C"])


def pressure(rng: random.Random) -> str:
    return f"{rng.randint(95, 160)}/{rng.randint(55, 100)}"


def points(rng: random.Random) -> str:
    return str(rng.randint(40, 100))


def elo(rng: random.Random) -> str:
    return str(rng.randint(800, 2800))


def big(rng: random.Random) -> str:
    n = rng.randint(1000, 99000000)
    return rng.choice([_thousands(n, " "), f"{n:,}", f"{n / 1e6:.1f}M", f"{rng.randint(1, 999)}к"])


def count(rng: random.Random) -> str:
    return str(rng.randint(2, 500))


def apt(rng: random.Random) -> str:
    return str(rng.randint(1, 420))


def resolution(rng: random.Random) -> str:
    return rng.choice(["1920x1080", "2560x1440", "3840x2160", "1280x720", "2560×1600", "1080x1920",
                       "3440x1440", "1366x768", "2880 x 1800", "1170x2532"])


def coords(rng: random.Random) -> str:
    lat = rng.uniform(40, 60)
    lon = rng.uniform(20, 60)
    return rng.choice([f"{lat:.4f}, {lon:.4f}", f"{lat:.6f},{lon:.6f}", f"{lat:.5f} {lon:.5f}",
                       f"N{lat:.4f} E{lon:.4f}"])


def isbn(rng: random.Random) -> str:
    body = "978" + rng.choice(["5", "0", "1", "3"]) + _digits(rng, 8, "0123456789")
    check = (10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
    full = body + str(check)
    return rng.choice([full, f"{full[:3]}-{full[3]}-{full[4:7]}-{full[7:12]}-{full[12]}"])


def ean13(rng: random.Random) -> str:
    body = rng.choice(["460", "461", "400", "590"]) + _digits(rng, 9, "0123456789")
    check = (10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def hexcolor(rng: random.Random) -> str:
    h = "".join(rng.choice("0123456789abcdef") for _ in range(6))
    return "#" + (h.upper() if rng.random() < 0.4 else h)


def commit(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(40))


def short_commit(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([7, 7, 8, 10, 12])))


def hex32(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(32))


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def sha256(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


def container_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(12))


def pr(rng: random.Random) -> str:
    return str(rng.randint(10, 4000))


def ip_private(rng: random.Random) -> str:
    return rng.choice([f"192.168.{rng.randint(0, 2)}.{rng.randint(1, 254)}", f"10.0.{rng.randint(0, 9)}.{rng.randint(1, 254)}",
                       "127.0.0.1", f"172.16.{rng.randint(0, 31)}.{rng.randint(1, 254)}"])


def port(rng: random.Random) -> str:
    return str(rng.choice([8080, 5432, 6379, 3000, 8000, 443, 22, 2222, 27017, 9090]))


def num16_bad(rng: random.Random) -> str:
    while True:
        n = _digits(rng, 16)
        if not luhn.is_valid(n):
            return rng.choice([n, " ".join(n[i:i + 4] for i in range(0, 16, 4))])


def last4(rng: random.Random) -> str:
    return f"{rng.randint(0, 9999):04d}"


def promo(rng: random.Random) -> str:
    return rng.choice(["LETO25", "WELCOME10", "SALE2024", "BLACKFRIDAY", "OZON300", "FREESHIP",
                       "VESNA15", "NEWYEAR", "SPRING20", "SKIDKA500"])


def errcode(rng: random.Random) -> str:
    return rng.choice(["404", "500", "502", "403", "0x80070005", "E11000", "ERR_CONNECTION_RESET", "1603",
                       "P0420", "429", "CE-34878-0"])


def citycode(rng: random.Random) -> str:
    return rng.choice(["495", "812", "343", "383", "861", "846"])


def region(rng: random.Random) -> str:
    return rng.choice(["77", "78", "50", "177", "199", "66", "23", "799"])


def zip_code(rng: random.Random) -> str:
    return rng.choice(["1", "6", "4", "3"]) + _digits(rng, 5, "0123456789")


def unix_ts(rng: random.Random) -> str:
    return str(rng.randint(1600000000, 1799999999))


def flight(rng: random.Random) -> str:
    return rng.choice(["SU", "S7", "U6", "DP", "LH", "TK", "EK", "FV"]) + " " * rng.randint(0, 1) + \
        str(rng.randint(10, 2999))


def swift(rng: random.Random) -> str:
    return rng.choice(["SABRRUMM", "TICSRUMM", "ALFARUMM", "DEUTDEFF", "COBADEFFXXX", "BNPAFRPP", "CHASUS33"])


def bic_ru(rng: random.Random) -> str:
    return "0445" + _digits(rng, 5, "0123456789")


def room(rng: random.Random) -> str:
    return str(rng.randint(100, 1299))


def duration_min(rng: random.Random) -> str:
    return str(rng.choice([5, 10, 15, 20, 30, 40, 45, 90]))


SHOPPING = ["milk", "bread", "butter", "cheese", "apple", "banana", "egg", "sugar", "salt", "pepper",
            "rice", "tomato", "potato", "onion", "garlic", "lemon", "orange", "coffee", "juice", "water",
            "chicken", "beef", "fish", "soap", "oil", "honey", "cabbage", "salad", "sauce", "soup", "corn",
            "bean", "cereal", "cream", "cake", "candy", "wine", "ketchup", "napkin", "tissue", "foil",
            "mango", "grape", "cherry", "pear", "kiwi", "avocado", "ginger", "olive", "mushroom",
            "noodle", "bacon", "sausage", "tuna", "shrimp", "jelly"]
assert all(w in BIP39_WORDS for w in SHOPPING)


def shopping(rng: random.Random) -> str:
    """A shopping list made only of BIP-39 words, in the shapes people type lists."""
    words = rng.sample(SHOPPING, rng.randint(4, 14))
    if rng.random() < 0.3:
        words[0] = words[0].capitalize()
    sep = rng.choice([", ", ", ", " ", ",", "\n", ", ", " / "])
    return sep.join(words)


_MNEMONIC_LENGTHS = (12, 15, 18, 21, 24)
# what people put between the digits of one number: spaces, NBSP, thin space, dots, brackets, dashes
_SEPARATORS = " \u00a0\u2009\\-.()\u2011\u2012\u2013\u2014\u2212"
_WORD_RUN = re.compile(r"[A-Za-z]+(?:[\s,;/\-]+[A-Za-z]+)*")
_DIGIT_RUN = re.compile(rf"\+?\d(?:[\d{_SEPARATORS}]*\d)?")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{25,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_IBAN_START = re.compile(rf"(?<![A-Za-z0-9])[A-Za-z]{{2}}[{_SEPARATORS}]?\d{{2}}(?:[{_SEPARATORS}]?[A-Za-z0-9]){{10,32}}")


def _phone_like(d: str, plus: bool) -> bool:
    return any_valid_number([("+" + d, None)] if plus else [(d, "RU"), (d, "US")])


def collisions(text: str) -> list[str]:
    """What in `text` a careful reader could take for PII of one of our kinds."""
    found = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        d = re.sub(r"\D", "", run)
        for part in {d, *re.sub(r"[^\d ]", " ", run).split()}:
            if 13 <= len(part) <= 19 and luhn.is_valid(part):
                found.append(f"luhn:{part}")
            if len(part) in (10, 12) and std_inn.is_valid(part):
                found.append(f"inn:{part}")
            if len(part) == 11 and is_valid_snils(part):
                found.append(f"snils:{part}")
            if 10 <= len(part) <= 12 and _phone_like(part, run.startswith("+")):
                found.append(f"phone:{part}")
    found += [f"email:{m.group()}" for m in _EMAIL.finditer(text)]
    for m in _TOKEN.finditer(text):
        if is_valid_crypto(m.group()):
            found.append(f"token:{m.group()}")
    for m in _IBAN_START.finditer(text):
        compact = re.sub(rf"[{_SEPARATORS}]", "", m.group()).upper()
        if any(std_iban.is_valid(compact[:n]) for n in range(15, len(compact) + 1)):
            found.append(f"iban:{m.group()}")
    for m in _WORD_RUN.finditer(text):
        words = re.findall(r"[A-Za-z]+", m.group().lower())
        for n in _MNEMONIC_LENGTHS:
            for i in range(len(words) - n + 1):
                window = words[i:i + n]
                if all(w in BIP39_WORDS for w in window) and BIP39.check(" ".join(window)):
                    found.append("seed:" + " ".join(window))
    return found
