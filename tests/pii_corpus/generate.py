"""Generate the labelled PII corpus: ``python tests/pii_corpus/generate.py``.

Writes ``labelled.jsonl`` (one record a line: text, spans [[kind, start, end], ...], lang,
harmless) and ``denylist.json``. Deterministic (fixed seed) so the committed files can be
checked against a fresh run. Every PII value is valid by construction (checksums computed
here, phones checked with phonenumbers); every harmless line is hard: digits, keywords and
near-misses (Luhn-invalid cards, invalid phones, bad IBAN check digits...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import string
import sys
from pathlib import Path

import phonenumbers
from mnemonic import Mnemonic
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.ru import inn as std_inn

HERE = Path(__file__).resolve().parent
OUT = HERE / "labelled.jsonl"
DENY_OUT = HERE / "denylist.json"
SEED = 20261121

DENYLIST = ["ул. Ленина, д. 5, кв. 12", "Бобруйская 17", "Tverskaya 7-41", "Маша Иванова", "codename Bluebird"]

R = random.Random(SEED)
WORDLIST = Mnemonic("english").wordlist
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ALNUM = string.ascii_letters + string.digits


def rdig(n: int) -> str:
    return "".join(R.choice(string.digits) for _ in range(n))


def rstr(alphabet: str, n: int) -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


# ------------------------------------------------------------------ value makers
def _valid_number(region: str, national_prefix_digits: str, length: int) -> phonenumbers.PhoneNumber:
    while True:
        s = national_prefix_digits + rdig(length - len(national_prefix_digits))
        n = phonenumbers.parse("+" + str(phonenumbers.country_code_for_region(region)) + s)
        if phonenumbers.is_valid_number(n) and phonenumbers.region_code_for_number(n) == region:
            return n


def ru_mobile() -> str:
    while True:
        d = "9" + rdig(9)
        if phonenumbers.is_valid_number(phonenumbers.parse("+7" + d)):
            return d


def ru_landline() -> str:
    while True:
        d = R.choice(["495", "499", "812", "343", "383", "846"]) + rdig(7)
        if phonenumbers.is_valid_number(phonenumbers.parse("+7" + d)):
            return d


def phone() -> str:
    f = R.randrange(16)
    d = ru_mobile()
    a, b, c, e, g = d[:3], d[3:6], d[6:8], d[8:], d[3:]
    if f == 0:
        return f"8 ({a}) {b}-{c}-{e}"
    if f == 1:
        return f"+7 {a} {g}"
    if f == 2:
        return f"8{d}"
    if f == 3:
        return f"+7 ({a}) {b}-{c}-{e}"
    if f == 4:
        return f"+7{d}"
    if f == 5:
        return f"8-{a}-{b}-{c}-{e}"
    if f == 6:
        return f"8 {a} {b} {c} {e}"
    if f == 7:
        return f"+7-{a}-{b}-{c}-{e}"
    if f == 8:
        l = ru_landline()
        return R.choice([f"8 ({l[:3]}) {l[3:6]}-{l[6:8]}-{l[8:]}", f"+7 {l[:3]} {l[3:6]} {l[6:8]} {l[8:]}"])
    if f == 9:
        n = _valid_number("KZ", "70", 10)
        nn = str(n.national_number)
        return R.choice([f"+7 {nn[:3]} {nn[3:6]} {nn[6:]}", f"8 {nn[:3]} {nn[3:6]} {nn[6:8]} {nn[8:]}"])
    if f == 10:
        n = _valid_number("UA", R.choice(["50", "67", "93", "44"]), 9)
        nn = str(n.national_number)
        return R.choice([f"+380 {nn[:2]} {nn[2:5]} {nn[5:]}", f"0{nn[:2]} {nn[2:5]} {nn[5:7]} {nn[7:]}", f"+380{nn}"])
    if f == 11:
        n = _valid_number("BY", R.choice(["29", "33", "44"]), 9)
        nn = str(n.national_number)
        return R.choice([f"+375 {nn[:2]} {nn[2:5]}-{nn[5:7]}-{nn[7:]}", f"8 0{nn[:2]} {nn[2:5]}-{nn[5:7]}-{nn[7:]}", f"+375{nn}"])
    if f == 12:
        return f"{a} {b}-{c}-{e}" if R.random() < 0.5 else f"({a}) {b}-{c}-{e}"
    # international
    region = R.choice(["US", "GB", "DE", "FR", "IT", "ES", "TR", "GE", "AM", "UZ", "IL", "PL", "CN", "IN", "FI", "RS"])
    ex = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    while True:
        nat = str(ex.national_number)
        nat = nat[:-4] + rdig(4)
        n = phonenumbers.parse(f"+{ex.country_code}{nat}")
        if phonenumbers.is_valid_number(n):
            break
    fmt = R.choice([phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164])
    return phonenumbers.format_number(n, fmt)


def email() -> str:
    first = R.choice(["ivan", "maria", "alex", "petrov", "olga", "john.smith", "k.ivanova", "dev", "anna_k", "sergey1987", "m.kuznetsov", "info"])
    tag = R.choice(["", "", "", "+shop", ".work", str(R.randrange(1, 999))])
    dom = R.choice(["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "outlook.com", "example.org", "company.co.uk", "uni.edu", "почта.рф", "proton.me"])
    e = f"{first}{tag}@{dom}"
    return e.upper() if R.random() < 0.05 else e


def card() -> str:
    prefix, length = R.choice([("4276", 16), ("4279", 16), ("5469", 16), ("2202", 16), ("2200", 16), ("5536", 16), ("4111", 16), ("6011", 16), ("37", 15), ("34", 15), ("6762", 18), ("2204", 16)])
    body = prefix + rdig(length - len(prefix) - 1)
    d = body + luhn.calc_check_digit(body)
    f = R.randrange(4)
    if length == 15:
        return [f"{d[:4]} {d[4:10]} {d[10:]}", d, f"{d[:4]}-{d[4:10]}-{d[10:]}", d][f]
    groups = [d[i : i + 4] for i in range(0, len(d), 4)]
    return [" ".join(groups), "-".join(groups), d, " ".join(groups)][f]


def iban() -> str:
    c = R.randrange(7)
    if c == 0:
        cc, bban = "DE", rdig(18)
    elif c == 1:
        cc, bban = "GB", R.choice(["NWBK", "BARC", "HBUK"]) + rdig(14)
    elif c == 2:
        cc, bban = "NL", R.choice(["ABNA", "INGB", "RABO"]) + rdig(10)
    elif c == 3:
        cc, bban = "KZ", rdig(3) + rstr(string.ascii_uppercase + string.digits, 13)
    elif c == 4:
        cc, bban = "UA", rdig(6) + rdig(19)
    elif c == 5:
        cc, bban = "CH", rdig(5) + rdig(12)
    else:
        cc, bban = "PL", rdig(24)
    num = cc + "00" + bban
    num = cc + std_iban.calc_check_digits(num) + bban
    assert std_iban.is_valid(num), num
    if R.random() < 0.6:
        return " ".join(num[i : i + 4] for i in range(0, len(num), 4))
    return num


def snils_digits() -> str:
    while True:
        body = rdig(9)
        if int(body) <= 1001998:
            continue
        s = sum(int(ch) * (9 - i) for i, ch in enumerate(body))
        if s > 101:
            s %= 101
        chk = 0 if s in (100, 101) else s
        return body + f"{chk:02d}"


def snils_fmt() -> str:
    d = snils_digits()
    return R.choice([f"{d[:3]}-{d[3:6]}-{d[6:9]} {d[9:]}", f"{d[:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}", f"{d[:3]} {d[3:6]} {d[6:9]} {d[9:]}"])


def inn_value() -> str:
    if R.random() < 0.5:
        b = R.choice(["77", "78", "50", "66", "54"]) + rdig(7)
        return b + std_inn.calc_company_check_digit(b)
    b = R.choice(["77", "78", "50", "66", "54"]) + rdig(8)
    return b + std_inn.calc_personal_check_digits(b)


def passport_value() -> str:
    s = rdig(4)
    n = rdig(6)
    return R.choice([f"{s} {n}", f"{s[:2]} {s[2:]} {n}", f"{s}{n}", f"{s} № {n}", f"{s} №{n}"])


def b58encode(b: bytes) -> str:
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def b58check(payload: bytes) -> str:
    return b58encode(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _convertbits(data, frm, to):
    acc = bits = 0
    ret = []
    for v in data:
        acc = (acc << frm) | v
        bits += frm
        while bits >= to:
            bits -= to
            ret.append((acc >> bits) & ((1 << to) - 1))
    if bits:
        ret.append((acc << (to - bits)) & ((1 << to) - 1))
    return ret


def bech32_addr(witver: int, prog: bytes) -> str:
    hrp = "bc"
    const = 1 if witver == 0 else 0x2BC830A3
    data = [witver] + _convertbits(prog, 8, 5)
    hx = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]
    pm = _polymod(hx + data + [0] * 6) ^ const
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in data + chk)


def crypto() -> str:
    c = R.randrange(8)
    rb = lambda n: bytes(R.randrange(256) for _ in range(n))  # noqa: E731
    if c == 0:
        return b58check(b"\x00" + rb(20))
    if c == 1:
        return b58check(b"\x05" + rb(20))
    if c == 2:
        return bech32_addr(0, rb(20))
    if c == 3:
        return bech32_addr(1, rb(32))
    if c == 4:
        h = rb(20).hex()
        return "0x" + (h if R.random() < 0.5 else "".join(ch.upper() if R.random() < 0.5 else ch for ch in h))
    if c == 5:
        return b58check(b"\x41" + rb(20))
    if c == 6:
        body = bytes([R.choice([0x11, 0x51]), 0]) + rb(32)
        raw = body + binascii.crc_hqx(body, 0).to_bytes(2, "big")
        return base64.urlsafe_b64encode(raw).decode()
    return "0:" + rb(32).hex()


def _b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def secret() -> tuple[str, str]:
    """(value, template) -- template has {X} where the value goes."""
    c = R.randrange(14)
    if c == 0:
        return f"{R.randrange(10**8, 10**10)}:AA{rstr(ALNUM + '_-', 33)}", R.choice(["токен бота {X}", "bot token: {X}", "вот токен {X} не свети"])
    if c == 1:
        return "ghp_" + rstr(ALNUM, 36), R.choice(["мой гитхаб токен {X}", "use {X} for the CI", "GH_TOKEN={X}"])
    if c == 2:
        return "github_pat_" + rstr(ALNUM, 22) + "_" + rstr(ALNUM, 59), R.choice(["pat: {X}", "держи {X}"])
    if c == 3:
        return "sk-proj-" + rstr(ALNUM + "_-", 48) + "T3BlbkFJ" + rstr(ALNUM, 20), R.choice(["openai key {X}", "ключ от апи: {X}", "OPENAI_API_KEY={X}"])
    if c == 4:
        return "sk-" + rstr(ALNUM, 48), R.choice(["вот ключ {X}", "the key is {X}"])
    if c == 5:
        return "AKIA" + rstr(string.ascii_uppercase + string.digits, 16), R.choice(["aws access key {X}", "AWS_ACCESS_KEY_ID={X}", "ключ AWS {X}"])
    if c == 6:
        return f"xoxb-{rdig(12)}-{rdig(13)}-{rstr(ALNUM, 24)}", R.choice(["slack bot token {X}", "слак: {X}"])
    if c == 7:
        return "glpat-" + rstr(ALNUM + "_-", 20), R.choice(["gitlab token {X}", "токен гитлаба {X}"])
    if c == 8:
        h = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        p = _b64url(json.dumps({"sub": rdig(7), "name": "Ivan", "iat": R.randrange(10**9, 2 * 10**9)}).encode())
        return f"{h}.{p}.{_b64url(bytes(R.randrange(256) for _ in range(32)))}", R.choice(["Authorization: Bearer {X}", "jwt {X}", "вот jwt: {X}"])
    if c == 9:
        kind = R.choice(["RSA ", "OPENSSH ", "EC ", ""])
        body = " ".join(rstr(ALNUM + "+/", 64) for _ in range(R.randrange(2, 5)))
        return f"-----BEGIN {kind}PRIVATE KEY----- {body} -----END {kind}PRIVATE KEY-----", R.choice(["ключ: {X}", "{X}", "here is the key {X} thanks"])
    if c == 10:
        return rstr(ALNUM, R.randrange(24, 40)), R.choice(["https://api.example.com/v1/items?user=5&token={X}", "https://site.ru/reset?key={X}&lang=ru", "http://10.0.0.2/admin?password={X}", "ссылка https://x.io/cb?access_token={X}"])
    if c == 11:
        return "AIza" + rstr(ALNUM + "_-", 35), R.choice(["google maps key {X}", "ключ гугла {X}"])
    if c == 12:
        return "sk_live_" + rstr(ALNUM, 24), R.choice(["stripe {X}", "STRIPE_SECRET={X}"])
    return rstr(ALNUM, R.randrange(20, 41)), R.choice(["api_key = {X}", "SECRET_KEY={X}", "client_secret: {X}", "token: {X}"])


PW_VALUES = ["Qwerty123!", "hunter2", "correcthorse", "Zx9#kLm2", "P@ssw0rd", "12345678", "Sunshine2024", "kotik_777", "Masha1990", "tr0ub4dor&3", "qwerty", "letmein", "iloveyou88", "Dragon!42", "vfif2001", "NoMoreSecrets", "pa55word", "Spring-2025"]


def password() -> tuple[str, str]:
    c = R.randrange(5)
    if c == 0:  # passwords
        v = R.choice(PW_VALUES)
        t = R.choice([
            "пароль: {X}", "пароль {X}", "пароль от вайфая {X}", "пароль от вайфая: {X}", "мой пароль — {X}",
            "пароль от почты {X}, не забудь", "Пароль = {X}", "логин ivan, пароль {X}", "пасс {X}",
            "password: {X}", "my password is {X}", "the wifi password is {X}", "password for wifi is {X}",
            "pwd: {X}", "passcode {X}", "new password: {X} (change it)", "Пароль от админки: {X}",
            "кодовое слово: {X}", "пароль к роутеру {X}", "password {X}",
        ])
        if v.isalpha() and v.islower() and t.endswith("{X}") and ":" not in t and "—" not in t and " is " not in t and "=" not in t and not t.startswith(("пароль", "пасс", "логин", "кодовое", "Пароль")):
            v = R.choice(["Qwerty123!", "hunter2", "Zx9#kLm2"])
        return v, t
    if c == 1:  # PINs
        v = rdig(4) if R.random() < 0.85 else rdig(6)
        return v, R.choice(["пин {X}", "пин-код {X}", "пин от карты {X}", "PIN: {X}", "pin code is {X}", "pin code {X}", "мой пин {X}", "пин код: {X}", "PIN {X}", "pin is {X}"])
    if c == 2:  # door / sms codes
        v = R.choice([rdig(4), rdig(4) + "#", rdig(3) + "К" + rdig(4), rdig(6), rdig(5)])
        return v, R.choice(["код от домофона {X}", "код домофона {X}", "код от подъезда: {X}", "код от сейфа {X}", "код подтверждения {X}",
                            "код из смс {X}", "door code {X}", "the gate code is {X}", "verification code: {X}", "your code is {X}",
                            "код от двери {X}", "код от калитки — {X}", "alarm code {X}", "код доступа {X}"])
    if c == 3:  # CVV
        return rdig(3), R.choice(["cvv {X}", "CVC: {X}", "cvv2 {X}", "CVV код {X}"])
    v = R.choice(PW_VALUES)
    return v, R.choice(["пароль такой: {X}", "password was {X}", "пароль это {X}", "пароль будет {X}", "пароль от wifi: {X}"])


def seed_phrase() -> str:
    m = Mnemonic("english")
    entropy = bytes(R.randrange(256) for _ in range(R.choice([16, 20, 24, 28, 32])))
    words = m.to_mnemonic(entropy).split()  # generate() uses os.urandom: not reproducible
    f = R.randrange(5)
    if f == 0:
        return ", ".join(words)
    if f == 1:
        return " ".join(f"{i + 1}. {w}" for i, w in enumerate(words))
    if f == 2:
        return " ".join(words).upper()
    if f == 3:
        return " ".join(f"{i + 1}) {w}" for i, w in enumerate(words))
    return " ".join(words)


# ------------------------------------------------------------------ PII templates
def ctx(lang: str) -> tuple[str, str]:
    """Chatty prefix/suffix around the PII."""
    if lang == "ru":
        return R.choice(["", "", "слушай, ", "короче ", "вот, ", "Запиши: ", "ок, "]), R.choice(["", "", " если что", ", спасибо!", " 👍", ")", " — это срочно"])
    return R.choice(["", "", "hey, ", "ok so ", "btw ", "Note: "]), R.choice(["", "", " thanks!", " if needed", " :)", "."])


PHONE_T = {
    "ru": ["мой номер {X}", "звони на {X}", "тел. {X}", "телефон {X} (после 18:00)", "набери {X}, это мама", "{X} — это Саша", "вот номер курьера: {X}", "WhatsApp {X}"],
    "en": ["my number is {X}", "call me at {X}", "phone: {X}", "text {X} after 6pm", "reach her on {X}", "{X} is the office line", "WhatsApp {X}"],
}
EMAIL_T = {
    "ru": ["пиши на {X}", "почта {X}", "мой имейл: {X}", "скинь резюме на {X}", "e-mail {X} (рабочий)", "<{X}>"],
    "en": ["email me at {X}", "my email is {X}", "send it to {X}", "contact: {X}", "cc {X} please"],
}
CARD_T = {
    "ru": ["карта {X}", "кидай на карту {X}", "номер карты: {X}", "вот карта {X} сбер", "переведи на {X} до пятницы"],
    "en": ["card number {X}", "my card is {X}", "pay to {X}", "visa {X} exp 12/27"],
}
IBAN_T = {
    "ru": ["IBAN {X}", "реквизиты: IBAN {X}", "счёт {X}", "переведи на {X}"],
    "en": ["IBAN: {X}", "my iban is {X}", "wire to {X}", "account {X} EUR"],
}
SNILS_T = {
    "ru": ["СНИЛС {X}", "мой снилс: {X}", "снилс {X}, паспорт принесу", "номер СНИЛС — {X}", "{X} это мой снилс"],
    "en": ["SNILS {X}", "my SNILS is {X}"],
}
INN_T = {
    "ru": ["ИНН {X}", "инн: {X}", "мой ИНН {X}", "ИНН организации {X}", "ИНН/КПП {X}/773601001", "инн {X}, проверь"],
    "en": ["INN {X}", "tax ID (INN) {X}", "company INN: {X}"],
}
PASSPORT_T = {
    "ru": ["паспорт {X}", "паспорт: {X}", "серия и номер паспорта {X}", "паспортные данные {X}, выдан 2015", "мой паспорт {X}"],
    "en": ["passport {X}", "my passport no. is {X}", "passport number: {X}"],
}
CRYPTO_T = {
    "ru": ["кидай на {X}", "мой кошелёк {X}", "адрес: {X}", "USDT TRC20 {X}", "вот адрес {X} проверь"],
    "en": ["send to {X}", "my wallet: {X}", "address {X}", "deposit address {X} pls"],
}
SEED_T = {
    "ru": ["сид фраза: {X}", "мнемоника {X}", "{X}", "вот сид {X} спрячь"],
    "en": ["seed: {X}", "my recovery phrase is {X}", "{X}", "backup words {X}"],
}
DENY_T = {
    "ru": ["я живу: {X}", "адрес {X}, код домофона не работает", "встретимся на {X}", "это {X}", "приходи {X}"],
    "en": ["I live at {X}", "address: {X}", "meet at {X}", "that's {X}"],
}


def deny_value() -> str:
    v = R.choice(DENYLIST)
    f = R.randrange(4)
    if f == 1:
        v = v.lower()
    elif f == 2:
        v = v.upper()
    elif f == 3:
        v = v.replace(" ", "  ", 1)
    return v


def fill(template: str, value: str, kind: str, lang: str) -> dict:
    pre, post = ctx(lang)
    i = template.index("{X}")
    text = pre + template[:i] + value + template[i + 3 :] + post
    s = len(pre) + i
    return {"text": text, "spans": [[kind, s, s + len(value)]], "lang": lang, "harmless": False}


def pii_records() -> list[dict]:
    recs: list[dict] = []
    simple = [
        ("phone", phone, PHONE_T, 150),
        ("email", email, EMAIL_T, 90),
        ("card", card, CARD_T, 90),
        ("iban", iban, IBAN_T, 70),
        ("snils", snils_fmt, SNILS_T, 70),
        ("inn", inn_value, INN_T, 70),
        ("passport", passport_value, PASSPORT_T, 70),
        ("crypto", crypto, CRYPTO_T, 110),
        ("seed", seed_phrase, SEED_T, 60),
        ("denylist", deny_value, DENY_T, 50),
    ]
    for kind, make, temps, n in simple:
        for k in range(n):
            lang = "ru" if k % 3 else "en"
            recs.append(fill(R.choice(temps[lang]), make(), kind, lang))
    for k in range(140):
        v, t = secret()
        recs.append(fill(t, v, "secret", "en" if k % 2 else "ru"))
    for k in range(130):
        v, t = password()
        lang = "ru" if any("а" <= c <= "я" for c in t.lower()) else "en"
        recs.append(fill(t, v, "password", lang))
    # lines with two kinds at once
    for k in range(60):
        p, e = phone(), email()
        text = f"тел {p}, почта {e}" if k % 2 else f"phone {p} / email {e}"
        s1 = text.index(p)
        s2 = text.index(e)
        recs.append({"text": text, "spans": [["phone", s1, s1 + len(p)], ["email", s2, s2 + len(e)]], "lang": "ru" if k % 2 else "en", "harmless": False})
    for k in range(30):
        c, pin = card(), rdig(4)
        text = f"карта {c} пин {pin}"
        recs.append({"text": text, "spans": [["card", 6, 6 + len(c)], ["password", len(text) - 4, len(text)]], "lang": "ru", "harmless": False})
    return recs


# ------------------------------------------------------------------ hard harmless lines
def luhn_invalid_16() -> str:
    while True:
        d = R.choice(["4276", "5469", "2202", "4111"]) + rdig(12)
        if not luhn.is_valid(d):
            return " ".join(d[i : i + 4] for i in range(0, 16, 4)) if R.random() < 0.5 else d


def invalid_phone() -> str:
    return R.choice([
        f"+7 {R.choice(['0', '1', '2'])}{rdig(2)} {rdig(3)} {rdig(2)} {rdig(2)}",
        f"8 (000) {rdig(3)}-{rdig(2)}-{rdig(2)}",
        f"8 912 {rdig(3)} {rdig(2)}",
        f"+7 999 {rdig(2)} {rdig(2)}",
        f"8 (1{rdig(2)}) {rdig(3)}-{rdig(2)}-{rdig(2)}",
        f"+380 {rdig(2)} {rdig(3)}",
    ])


def bad_iban() -> str:
    good = iban().replace(" ", "")
    chk = int(good[2:4])
    bad = good[:2] + f"{(chk + R.randrange(1, 90)) % 97 + 2:02d}"[-2:] + good[4:]
    if std_iban.is_valid(bad):
        bad = good[:2] + "00" + good[4:]
    return bad


HARMLESS = {
    "ru": [
        lambda: f"встречаемся в {R.randrange(7, 23)}:{R.choice(['00', '15', '30', '45'])}",
        lambda: f"буду к {R.randrange(7, 23)}.{R.choice(['00', '30'])}, пробки",
        lambda: f"стоит {R.randrange(1, 999)} {rdig(3)} руб",
        lambda: f"цена {R.randrange(1, 99)} 990 ₽, скидка {R.randrange(5, 50)}%",
        lambda: f"заказ №{rdig(R.choice([6, 7, 8]))} пришёл",
        lambda: f"номер заказа {rdig(3)}-{rdig(3)}-{rdig(3)}",
        lambda: f"трек RA{rdig(9)}RU",
        lambda: f"трек-номер {R.choice(['1', '2', '3', '4', '5', '6'])}{rdig(13)}",
        lambda: f"родился {R.randrange(1, 29):02d}.{R.randrange(1, 13):02d}.{R.randrange(1950, 2020)}",
        lambda: f"дедлайн {R.randrange(2020, 2030)}-{R.randrange(1, 13):02d}-{R.randrange(1, 29):02d} в 18:00",
        lambda: f"обновил до версии {R.randrange(1, 20)}.{R.randrange(0, 30)}.{R.randrange(0, 200)}",
        lambda: f"счёт {R.randrange(0, 7)}:{R.randrange(0, 7)}, играем дальше",
        lambda: f"выиграли {R.randrange(15, 30)}-{R.randrange(10, 25)}",
        lambda: f"позвони на {invalid_phone()} — не работает",
        lambda: f"номер карты {luhn_invalid_16()} не подходит",
        lambda: "забыл пароль от почты, как сбросить?",
        lambda: R.choice(["пароль не подходит, попробую позже", "надо сменить пароль", "пароль сложный, не запомню", "какой пароль от вайфая?", "пароль неверный", "пароль от вайфая на роутере", "введи пароль ещё раз"]),
        lambda: f"код ошибки {R.choice(['404', '500', '0x80070005', '1603'])}",
        lambda: f"код региона {R.randrange(1, 199)}",
        lambda: R.choice(["пингвин", "закрепи сообщение", "спина болит", "пинать мяч", "у него кодекс чести", "промокод SALE2024 не работает", "код ревью завтра"]),
        lambda: f"осталось {R.randrange(2, 60)} минут",
        lambda: f"{R.randrange(1, 30)} км до дома, {R.randrange(1, 100)} л бензина",
        lambda: f"артикул {rdig(10)}",
        lambda: f"id {rdig(9)}",
        lambda: f"чат -100{rdig(10)}",
        lambda: f"координаты {R.randrange(40, 70)}.{rdig(4)}, {R.randrange(20, 140)}.{rdig(4)}",
        lambda: f"сервер 192.168.{R.randrange(0, 255)}.{R.randrange(1, 255)}",
        lambda: f"разрешение 1920x1080, {R.randrange(30, 144)} fps",
        lambda: f"в {R.randrange(2000, 2025)} году было {R.randrange(10, 99)} {rdig(3)} человек",
        lambda: f"ISBN 978-5-{rdig(2)}-{rdig(6)}-{rdig(1)}",
        lambda: f"IBAN {bad_iban()} не проходит проверку",
        lambda: f"коммит {rdig(1)}{''.join(R.choice('0123456789abcdef') for _ in range(39))}",
        lambda: f"поезд {rdig(3)}А, вагон {R.randrange(1, 20)}, место {R.randrange(1, 54)}",
        lambda: f"температура {R.randrange(-30, 40)}°C, давление 7{rdig(2)} мм",
        lambda: f"{R.randrange(1, 10)} из 10, рекомендую",
        lambda: f"курс {R.randrange(60, 110)},{rdig(2)} за доллар",
        lambda: f"итого {R.randrange(1, 9)} {rdig(3)} {rdig(3)} рублей",
        lambda: f"квартира {R.randrange(1, 300)}, этаж {R.randrange(1, 25)}, подъезд {R.randrange(1, 10)}",
        lambda: f"паспорт забыл дома, вернусь в {R.randrange(10, 20)}:00",
        lambda: f"серия {R.randrange(1, 9)} сезона {R.randrange(1, 5)} огонь",
        lambda: f"uuid {''.join(R.choice('0123456789abcdef') for _ in range(8))}-{rdig(4)}-4{rdig(3)}-a{rdig(3)}-{rdig(12)}",
    ],
    "en": [
        lambda: f"see you at {R.randrange(1, 12)}:{R.choice(['00', '15', '30', '45'])} pm",
        lambda: f"it costs ${R.randrange(1, 9)},{rdig(3)}.{rdig(2)}",
        lambda: f"order #{rdig(R.choice([6, 7, 8]))} shipped",
        lambda: f"order number {rdig(3)}-{rdig(7)}-{rdig(7)}",
        lambda: f"meeting on {R.randrange(1, 13):02d}/{R.randrange(1, 29):02d}/{R.randrange(2020, 2030)}",
        lambda: f"upgraded to v{R.randrange(1, 20)}.{R.randrange(0, 30)}.{R.randrange(0, 200)}",
        lambda: f"Python 3.{R.randrange(8, 14)}.{R.randrange(0, 12)} works",
        lambda: f"final score {R.randrange(80, 130)}-{R.randrange(80, 130)}",
        lambda: f"call {invalid_phone()} — wrong number",
        lambda: f"card {luhn_invalid_16()} was declined",
        lambda: R.choice(["I forgot my password again", "the password is too short", "password reset link expired", "my password is wrong", "change your password please", "what is the wifi password?", "password manager is great", "the password is correct now"]),
        lambda: R.choice(["pin this message", "pinned the thread", "the code is broken", "code review at 3", "error code 500", "zip code 10001", "HTTP status code 404", "area code 212 is NYC", "the code is on GitHub"]),
        lambda: f"room {R.randrange(100, 999)}, floor {R.randrange(1, 30)}",
        lambda: f"{R.randrange(2, 60)} minutes left",
        lambda: f"tracking 1Z{rdig(16)}",
        lambda: f"user id {rdig(9)}",
        lambda: f"lat {R.randrange(40, 70)}.{rdig(5)} lon -{R.randrange(20, 140)}.{rdig(5)}",
        lambda: f"bought {R.randrange(2, 50)} shares at {R.randrange(10, 500)}.{rdig(2)}",
        lambda: f"ISBN 978-0-{rdig(3)}-{rdig(5)}-{rdig(1)}",
        lambda: f"sha {''.join(R.choice('0123456789abcdef') for _ in range(40))}",
        lambda: f"ticket JIRA-{rdig(4)} is done",
        lambda: f"{R.randrange(1, 100)}% done, ETA {R.randrange(1, 12)}h",
        lambda: f"population {R.randrange(1, 999)},{rdig(3)},{rdig(3)}",
        lambda: R.choice([
            "I think we can all go to the beach this weekend if the weather is good",
            "what about you, do you want to come with us to the movie tomorrow night",
            "just give me a minute, I will call you back when the meeting is over",
            "all good here, the kids are fine and the dog is happy, thanks for asking",
            "can you pick up some milk, bread and coffee on the way home please",
        ]),
        lambda: " ".join(R.choice(WORDLIST) for _ in range(R.randrange(4, 11))),
        lambda: f"IP 10.{R.randrange(0, 255)}.{R.randrange(0, 255)}.{R.randrange(1, 255)} is down",
        lambda: f"{R.randrange(1, 12)}/{R.randrange(1, 12)} people agreed",
    ],
}


def harmless_records(n: int) -> list[dict]:
    recs = []
    for k in range(n):
        lang = "ru" if k % 5 < 3 else "en"
        pre, post = ctx(lang)
        text = pre + R.choice(HARMLESS[lang])() + post
        recs.append({"text": text, "spans": [], "lang": lang, "harmless": True})
    return recs


def build() -> list[dict]:
    R.seed(SEED)
    pii = pii_records()
    harmless = harmless_records(len(pii) + 200)
    return pii + harmless


def main() -> int:
    recs = build()
    with OUT.open("w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    DENY_OUT.write_text(json.dumps(DENYLIST, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n_pii = sum(not r["harmless"] for r in recs)
    print(f"wrote {OUT.name}: {n_pii} PII lines, {len(recs) - n_pii} harmless lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
