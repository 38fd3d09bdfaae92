"""All recognizers over one line: fold Unicode look-alikes, skip what cannot hold PII,
run the recognizers the line can feed, and map spans back to the original text.

Most chat lines hold no digit, "@", keyword or long token: for them the gates below cost
a few regex scans and no recognizer runs. Keywords are matched on ``text.lower()``
(re.I over Cyrillic is slow).
"""

from __future__ import annotations

import re

from clonebot.pii import _addresses, _birthdates, _geo, _links, _network, _plates
from clonebot.pii._alternatives import by_first_letter
from clonebot.pii._candidate import Cand
from clonebot.pii._codes import keypad_codes
from clonebot.pii._crypto import crypto
from clonebot.pii._digits import digit_runs
from clonebot.pii._documents import bare_passports, passports
from clonebot.pii._emails import RUSSIAN_KEYS_AT, emails, layout_emails
from clonebot.pii._iban import ibans
from clonebot.pii._layout import ANCHOR, ANCHOR_WORDS, relayout
from clonebot.pii._normalize import fold
from clonebot.pii._password_cues import cued, listed_codes, may_hold
from clonebot.pii._passwords import after_login, passwords
from clonebot.pii._secrets import secrets
from clonebot.pii._seeds import may_announce, may_hold_run, seeds
from clonebot.pii._spelled import SPELLED, despell, spelled_words
from clonebot.pii._totp import totp_keys

_DIGIT = re.compile(r"\d")
_TWO_DIGITS = re.compile(r"\d\d")  # digits and lower-casing keep each other's places
# Stems that can start a keyword of each family (matched on the lower-cased line).
_PASSWORD_WORDS = (
    "п[ао]р[оа]?л", "пра[оа]л", "паорл", "пароь", "пас", "п[аеэ]св", "pas", "p[ao]rol", "гасл", "pwd", "pw", "psw",
    "pss", "p/w", "л/п", "l/p", "пв", "пин", "pin", "puk",
    "пук", "код", "kod", "code", "otp", "смс", "sms", "эсэмэс", "verif", "подтвер", "двухфак", "2fa", "totp", "тотп", "cvv", "cvc", "cav2", "cred", "кред", "учётк",
    "учетк", "login", "логин", "username", "юзернейм", "wi[- ]?fi", "вай[- ]?фа", "вафл", "wlan", "wpa",
    "ключ", "key", "домофон", "intercom", "buzzer", "подъезд", "калитк", "шлагбаум", "сейф", "lockbox",
    "combo", "combination", "keypad", "пак", "восстановл", "ворот", "psk",
    # a slip of one letter in the password word, before a colon: "пароьл:", "passw:"
    r"п[а-яё]{3,7}[ \t]*[:=—–-]", r"p[a-z]{3,8}[ \t]*[:=—–-]", "backup", "резервн", "запасн", "цифр", "maiden",
    "девичь", "вопрос", "question", "фраз", "phrase", "слов", "word", "answer", "ответ",
)
_SECRET_WORDS = ("token", "токен", "secret", "секрет", "key", "ключ", "кей", "bearer", "api", "апи", "приват", "authoriz")
_PROVIDER_WORDS = ("gmail", "yandex", "mail", "outlook", "hotmail", "yahoo", "icloud", "proton", "rambler",
                   "яндекс", "мейл", "майл", "гмейл", "джимейл", "рамблер")
_EMAIL_WORDS = ("sobak", r"at[\s)\]}>]", "dot", "тчк", "равлик", "крапк", "кропк") + _PROVIDER_WORDS


# Most lines hold nothing: the cheapest looks first, then one scan for keywords at a word
# start. The families are looked up only when something hits.
# a keyword spelt out ("п а с п о р т", "p.a.s.s") and the layout anchors ("gfcgjhn") open the gate too
_SPELLED_START = r"[a-zа-яё](?P<sep>\.[ \t]?|[ _*/-])[a-zа-яё](?P=sep)[a-zа-яё](?![a-zа-яё])"
# Every alternative opens with one plain character, so re skips to the positions holding one
# ("[-_]at" would be tried at every position): "-at-", "_at_", "(at)", "[at]", "{at}", "<at>", "(a)".
_EMAIL_CUES = (r"собак", "sobak", r"\bat\b", "-at[-_]", "_at[-_]", *(rf"\{o}at[)\]}}>]" for o in "([{<"),
               r"\bdot\b", "точк", "тчк", "равлик", "крапк", "кропк", r"\(a[)\]]", r"\[a[)\]]", "гугл",
               "google") + _PROVIDER_WORDS
_SIGN = re.compile(r"[\d@]")
_ODD_AT = re.compile(r"[(\[]a[)\]]|[-_]at[-_]")  # "ivan(a)mail.ru", "ivan_at_mail_ru"
_KEYWORDS = by_first_letter(
    _PASSWORD_WORDS + _SECRET_WORDS + _EMAIL_WORDS + ANCHOR_WORDS + (_SPELLED_START,))
_KEYWORD_AFTER = re.compile(r"[^a-zа-яё]" + _KEYWORDS)


def _keyword_at_word_start(low: str) -> bool:
    """A keyword after a character that is no letter, or at the line's start (a space put in
    front of it). That character is matched, not looked behind at: re skips over the letters."""
    return _KEYWORD_AFTER.search(" " + low) is not None


def _may_hold(low: str) -> bool:
    """Whether the lower-cased line with no digit and no "@" (``_SIGN``, looked for first) can
    hold PII at all: a URL, a PEM block, an email spelt out, or a keyword (plain `in` first: a
    literal costs less than a regex)."""
    return ("://" in low or ('"' in low and RUSSIAN_KEYS_AT.search(low) is not None) or "-----" in low
            or "собак" in low or "точк" in low
            or (("a)" in low or "a]" in low or "at-" in low or "at_" in low) and _ODD_AT.search(low) is not None)
            or _keyword_at_word_start(low))


def _spelled_marks() -> tuple[str, ...]:
    """``_SPELLED_START`` as one alternative for each mark, each opening with the mark and
    looking behind it for the letter: plain first characters let re skip to the marks (a
    letter class first is tried at every position). The same matches, one character later."""
    letter = "[a-zа-яё]"
    dot = rf"\.(?<={letter}\.)(?P<gap>[ \t]?){letter}\.(?P=gap){letter}(?!{letter})"  # "p.a.s", "p. a. s"
    marks = (" ", "_", r"\*", "/", "-")
    return (dot, *(rf"{m}(?<={letter}{m}){letter}{m}{letter}(?!{letter})" for m in marks))


# one scan for both rewrites before the exact patterns
_REWRITE_GATE = re.compile(by_first_letter(ANCHOR_WORDS + _spelled_marks()))
_SPELLED_KEYWORD = re.compile(by_first_letter(
    _PASSWORD_WORDS + _SECRET_WORDS + ("п[ао]спорт", "passport", "инн", "inn", "снилс", "snils")))
_PASSWORD_RX = re.compile(by_first_letter(_PASSWORD_WORDS))
_SECRET_RX = re.compile(by_first_letter(_SECRET_WORDS + ("-----",)))
_EMAIL_RX = re.compile(by_first_letter(_EMAIL_CUES))
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_+/=.:-][A-Za-z0-9_+/=.:-]{15}")  # a class first: re skips to it
_CRYPTO_TOKEN = re.compile(r"[A-Za-z0-9_+/:-]{25}")
# a phrase has 12+ words; an announced half ("сид, первая половина: ...") has 6
_SEED_SEPARATORS, _SEED_ANNOUNCED_SEPARATORS = 11, 5
_SEED_MIN_CHARS = 6 * 3 + 5


def candidates(text: str, all_coordinates: bool = False) -> list[Cand]:
    """``all_coordinates``: also coordinates typed to four or five decimals (``_geo``)."""
    folded = fold(text)
    t = folded.text
    low = t.lower()
    long_at = _long_at(t)
    sign = _SIGN.search(low) if long_at is None else None  # the first digit or "@"
    hit = long_at is not None or sign is not None or _may_hold(low)
    if not hit and len(t) < _SEED_MIN_CHARS:
        return []  # most chat lines end here
    cands: list[Cand] = []
    rewritten = _rewrite_cues(t, low) if hit and _REWRITE_GATE.search(low) else None
    if rewritten is not None:
        joined, kept = rewritten
        cands = _recognize(joined, joined.lower(), _long_at(joined), True, all_coordinates)
        if kept is not None:
            cands = [c._replace(start=kept[c.start], end=kept[c.end - 1] + 1) for c in cands]
    else:
        # the digit look is answered when the sign look found none, or a digit first
        known = long_at is None and (sign is None or sign.group() != "@")
        digit = (sign is not None) if known else None
        cands = _recognize(t, low, long_at, hit, all_coordinates, digit)
    if folded.kept is None or not cands:
        return cands
    return [c._replace(start=s, end=e) for c in cands for s, e in [folded.span(c.start, c.end)]]


def _long_at(t: str) -> int | None:
    """Where the first run of 16 token characters starts (None: there is none). Every shape
    that needs such a run (provider keys, random strings, wallets) lies in a run that long, so
    it starts there or later: its scans start there too (in a chat line, mostly at its link)."""
    m = _LONG_TOKEN.search(t) if len(t) >= 16 else None
    return None if m is None else m.start()


def _rewrite_cues(t: str, low: str) -> tuple[str, list[int] | None] | None:
    """A keyword spelt out letter by letter ("п а с п о р т") joined, a cue typed in the other
    keyboard layout ("gfhjkm jn gjxns") rewritten: the text the recognizers should read, with
    the original index of each character (None: 1:1), or None when there is nothing to do."""
    kept = None
    if SPELLED.search(t) and any(_SPELLED_KEYWORD.match(w) for w in spelled_words(t)):
        spelled = despell(t)
        t, kept = spelled.text, spelled.kept
        low = t.lower()
    if ANCHOR.search(low):
        t = relayout(t, low) or t
    elif kept is None:
        return None
    return t, kept


def _new_kinds(t: str, low: str, all_coordinates: bool, two_digits: bool) -> list[Cand]:
    """Addresses, dates of birth, coordinates, IP addresses and plates: each holds a digit,
    and each family waits for a word or shape of its own in the lowered line. ``two_digits``:
    whether the line holds two digits in a row."""
    cands: list[Cand] = []
    if _addresses.CUE.search(low):
        cands += _addresses.addresses(t)
    if _birthdates.CUE.search(low):
        cands += _birthdates.birthdates(t)
    if ("." in t or "," in t) and _geo.CUE.search(t) or "°" in t:
        cands += _geo.coordinates(t, all_coordinates)
    if _network.CUE.search(low):
        cands += _network.ip_addresses(t)
    if _plates.may_hold(low, two_digits):
        cands += _plates.plates(t)
    return cands


def _recognize(t: str, low: str, long_at: int | None, hit: bool, all_coordinates: bool,
               digit: bool | None = None) -> list[Cand]:
    """``long_at``: where the first run of 16 token characters starts (``_long_at``); ``digit``:
    whether ``t`` holds a digit, None when not known yet."""
    cands: list[Cand] = []
    long_token = long_at is not None
    if hit:
        if digit is None:
            digit = _DIGIT.search(t) is not None
        pw_word = _PASSWORD_RX.search(low) is not None
        url = "://" in t  # credentials in a URL ("redis://:pass@host") need no keyword
        if "@" in t or _EMAIL_RX.search(low):
            found = emails(t, low)
            cands += found
            cands += [c for c in (after_login(t, e.end) for e in found) if c is not None]
        if '"' in t and RUSSIAN_KEYS_AT.search(low):
            cands += layout_emails(t)
        # a run of 25 (wallets) holds every run of 32 an unlabelled random string needs
        run = _CRYPTO_TOKEN.search(t, long_at) if long_token else None
        if long_token or pw_word or url or _SECRET_RX.search(low):
            cands += secrets(t, low, long_at, run_at=None if run is None else run.start(), digit=digit)
        if pw_word or url:
            cands += passwords(t, keywords=pw_word, digit=digit, low=low)
        if digit:
            if may_hold(low):
                cands += cued(t, low)
            cands += listed_codes(t)
            cands += digit_runs(t)
            cands += passports(t, low)
            cands += bare_passports(t)
            two_digits = _TWO_DIGITS.search(t) is not None
            if two_digits:  # an IBAN's country is followed by two check digits
                cands += ibans(t)
            cands += totp_keys(t, long_at)
            if "#" in t or "*" in t:
                cands += keypad_codes(t)
            cands += _new_kinds(t, low, all_coordinates, two_digits)
        if run is not None:
            cands += crypto(t)
        if "/" in t and (url or _links.CUE.search(low)):  # "://" is one of the cues
            if _links.may_invite(low):
                cands += _links.invites(t)
            if (url or "www." in low) and _links.may_log_in(low):
                cands += _links.login_links(t)
    if len(t) >= _SEED_MIN_CHARS and may_hold_run(t):  # one scan first: the counts below cost more
        separators = t.count(" ") + t.count(",") + t.count("\n") + t.count("-")
        if separators < _SEED_SEPARATORS:  # "word/word/word", "word_word_word", "word.word.word"
            separators += t.count("/") + t.count("_") + t.count(".") + t.count("|") + t.count(";")
        if separators >= _SEED_SEPARATORS or (
                separators >= _SEED_ANNOUNCED_SEPARATORS and may_announce(low)):
            cands += seeds(t)
    return cands
