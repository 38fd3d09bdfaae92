"""E-mail addresses, also as written to dodge bots or said aloud.

"petya(at)mail.ru", "petya [at] gmail [dot] com", "petya собака yandex точка ru",
"petya @ mail.ru", "petya＠mail.ru" (folded to "@" before we get here), "petya(a)mail.ru",
Ukrainian "равлик"/"крапка"; a local part in pieces ("john dot smith", "ivan(dot)petrov",
"kostya . ivanov", "иван точка петров", "olga underscore k"); a domain said in Cyrillic,
with or without its dot ("мейл ру", "гмейл ком", "mail точка ру"); typos ("mail,ru",
"yandex..ru"); an address spelled letter by letter ("i v a n @ m a i l . r u").

A plain "@" with a dotted domain is an address; a spelled-out "at"/"собака" needs a domain
that ends in a known top-level domain or is a known mail provider, so "look at google dot
com" and "моя собака мейл принесла" stay.
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand
from clonebot.pii._layout import to_latin

_OPEN, _CLOSE = r"[(\[{<\"']", r"[)\]}>\"']"
_AT_WORD = r"(?:at|собака|собачка|собаку|sobaka|sobachka|равлик)"
_DOT_WORDS = r"dot|точка|тчк|tochka|крапка|кропка|дот"
_DOT_WORD = rf"(?<![^\W_])(?:{_DOT_WORDS})(?![^\W_])"  # a word of its own, "_dot_" too
# every way of writing "@": plain (spaces allowed), bracketed word, or the bare word
_AT = re.compile(
    rf"[ \t]*@@?[ \t]*|[ \t]*{_OPEN}[ \t]*(?:{_AT_WORD}|@)[ \t]*{_CLOSE}[ \t]*|[ \t]+{_AT_WORD}[ \t]+"
    rf"|[ \t]*[-_]{{1,2}}{_AT_WORD}[-_]{{1,2}}[ \t]*"  # "ivan -at- gmail", "ivan_at_gmail_dot_com"
    r"|(?<=[A-Za-z0-9_])(?:собака|собачка)(?=[A-Za-z0-9])"  # glued: "m.schmidtсобакаinbox.ru"
    r"|(?<=[A-Za-z0-9_])[(\[]a[)\]](?=[A-Za-z0-9])",  # "ivan(a)mail.ru"
    re.I)
_LOCAL = re.compile(r"[\w.+%-]{1,64}$")
# pieces of a local part joined by a spaced, bracketed or spoken dot, underscore or dash
_JOIN_WORDS = (rf"{_DOT_WORDS}|underscore|нижнее\s+подч[её]ркивание|подч[её]ркивание|андерскор|"
               r"dash|hyphen|тире|дефис")
_LOCAL_PIECE = re.compile(
    rf"(?<![\w.+%-])[\w+%-]{{1,64}}(?:[ \t]+\.[ \t]*|[ \t]*{_OPEN}[ \t]*(?:{_JOIN_WORDS}|[._-])[ \t]*{_CLOSE}[ \t]*"
    rf"|[ \t]+(?:{_JOIN_WORDS})[ \t]+)$", re.I)
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_DOT = (rf"(?:[ \t]*\.[ \t]*|[ \t]*{_OPEN}[ \t]*(?:{_DOT_WORD}|\.)[ \t]*{_CLOSE}[ \t]*|[ \t]+{_DOT_WORD}[ \t]+"
        rf"|[ \t]*[-_]{{1,2}}(?:{_DOT_WORDS})[-_]{{1,2}}[ \t]*"
        r"|(?<=[A-Za-z0-9])точка(?=[A-Za-z]))")
_DOMAIN = re.compile(rf"(?:{_LABEL}{_DOT}){{1,8}}(?P<tld>[^\W\d_]{{2,24}})(?![\w-])", re.I)
_DOMAIN_PLAIN = re.compile(rf"(?:{_LABEL}\.){{1,8}}[^\W\d_]{{2,24}}(?![\w-])")
# typed in a hurry: a comma or two dots for the dot ("mail,ru", "yandex..ru")
_DOMAIN_TYPO = re.compile(rf"(?:{_LABEL}(?:,|\.{{1,2}})){{1,4}}(?P<tld>[^\W\d_]{{2,24}})(?![\w-])")
_PROVIDER = re.compile(
    r"(?:g|goo)?mail|gmail|googlemail|yandex|ya|mail|bk|inbox|list|internet|rambler|outlook|hotmail|"
    r"live|yahoo|icloud|me|proton|protonmail|pm|tutanota|zoho|aol|gmx|ukr|i|meta|tut", re.I)
_PROVIDER_ALONE = re.compile(
    r"(?:gmail|googlemail|yandex|outlook|hotmail|yahoo|icloud|protonmail|rambler)(?![\w.-])", re.I)
# mail providers and top-level domains as they are said aloud in Cyrillic, with their spelling
_SPOKEN_PROVIDERS = {
    "мейл": "mail", "мэйл": "mail", "майл": "mail", "маил": "mail", "мыло": "mail",
    "гмейл": "gmail", "гмэйл": "gmail", "гмайл": "gmail", "гмаил": "gmail", "джимейл": "gmail",
    "джимэйл": "gmail", "джимайл": "gmail", "жмейл": "gmail", "гугл": "google", "яндекс": "yandex",
    "яндех": "yandex", "рамблер": "rambler", "инбокс": "inbox", "лист": "list", "бк": "bk",
    "аутлук": "outlook", "хотмейл": "hotmail", "хотмэйл": "hotmail", "яху": "yahoo",
    "айклауд": "icloud", "айклуд": "icloud", "протон": "proton", "протонмейл": "protonmail",
    "укр": "ukr", "мета": "meta", "тут": "tut",
}
_SPOKEN_TLDS = {"ру": "ru", "ком": "com", "нет": "net", "орг": "org", "рф": "рф", "уа": "ua",
                "юа": "ua", "бай": "by", "кз": "kz", "ио": "io", "ми": "me"}
_TLD = frozenset("""com ru net org io ua by kz рф su uk de fr it es pl cz nl eu us ca au me info biz
    dev app ai co edu gov tech online site pro xyz moscow name mail ch at se no fi dk lt lv ee ge am
    uz kg tj md il tr in cn jp kr br mx ar""".split())
_SPOKEN_DOMAIN = re.compile(
    rf"(?P<provider>[^\W\d_]{{2,12}})(?:{_DOT}|[ \t]+)(?P<tld>[^\W\d_]{{2,3}})(?![\w-])", re.I)
_PROVIDER_SAID = re.compile(
    r"(?:gmail|googlemail|yandex|outlook|hotmail|yahoo|icloud|protonmail|rambler|гмейл|гмэйл|джимейл|джимэйл|"
    r"яндекс|рамблер|аутлук|хотмейл|айклауд)(?![\w.-])", re.I)
# "ivan на gmail.com", "ivan1990 на яндексе": a login and the provider it lives at
_ON_PROVIDER = re.compile(
    r"(?<![\w.@+-])([A-Za-z][\w.+-]{2,63})[ \t]+(?:на|в|on)[ \t]+(?:(?P<domain>(?:g|goo)?mail|yandex|outlook|hotmail|"
    r"yahoo|icloud|protonmail|proton|rambler|inbox|bk|list|ukr)[ \t]*\.[ \t]*(?P<tld>[a-z]{2,3})"
    r"|(?:гмейл|джимейл|яндекс|мейл|майл|рамблер|гугл|аутлук|хотмейл)[еу])(?![\w-])", re.I)
_NOT_LOCAL = frozenset("""look looking looked me us him her them it i we you they here there be is are
    was were meet met stay stayed work working home arrive arrived see seen buy bought sign signed
    find found check checked available live posted post read hit open login log account acc spam mail
    email inbox box folder registered register sitting sit""".split())
_ADDRESS_CHARS = re.compile(r"[\d._%+-]")
_SPELLED_DOT = re.compile(_DOT_WORD, re.I)
_DOT_ANY = re.compile(
    rf"\s*[-_]{{0,2}}(?:{_OPEN}\s*)?(?:{_DOT_WORD}|\.|(?<=[a-z0-9])точка(?=[a-z]))(?:\s*{_CLOSE})?[-_]{{0,2}}\s*", re.I)
# "i v a n @ m a i l . r u": one character at a time on both sides
_LETTER_BY_LETTER = re.compile(
    r"(?<![\w.-])[a-z0-9_.+-](?: [a-z0-9_.+-]){1,63} ?@ ?[a-z0-9](?: [a-z0-9.-](?![\w.-])){3,80}", re.I)
# URL credentials ("postgres://user:pass@host") hold a password, not an address
_URL_USER = re.compile(r"[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{0,64}:$", re.I)


# "мой gmail: ivan.petrov1985", "my yahoo is kate_w91": the provider named, the login after it;
# a provider that is more than mail ("гугл", "мейл") only as someone's mailbox ("почта на гугле:
# X", "мой гугл — X", "ящик на мейле: X"), not "google: python3.12"
_PROVIDER_LOGIN = re.compile(
    r"(?<!\w)(?:(?P<provider>gmail|googlemail|yandex|outlook|hotmail|yahoo|icloud|protonmail|proton|rambler|"
    r"гмейл|гмэйл|джимейл|джимэйл|яндекс|рамблер|аутлук|хотмейл|айклауд)"
    r"|(?:мой|моя|my)[ \t]+(?P<own>гугл|google|мейл|мэйл|майл|mail\.ru)"
    r"|(?:почта|почту|ящик|email|mail|мыло)[ \t]+на[ \t]+(?P<on>гугл|мейл|мэйл|майл|mail\.ru))[а-я]{0,2}(?!\w)"
    r"(?:[ \t]*(?:[:=—–-]|\bis\b|\bэто\b)|[ \t]+(?:почта|почту|ящик|mail|email|аккаунт|account)(?:[ \t]*[:=—–-])?)"
    r"[ \t]*(?P<local>[A-Za-z][\w.+-]{2,63})(?![\w@.+-]|\.\w)", re.I)
# "ivan.petrov88 (яндекс)", "alexey.k1987 [gmail]": the login, then its provider in brackets
_LOGIN_PROVIDER = re.compile(
    r"(?<![\w.@+-])(?P<local>[A-Za-z][\w.+-]{2,63})[ \t]*[(\[][ \t]*(?:на[ \t]+)?"
    r"(?P<provider>gmail|googlemail|yandex|outlook|hotmail|yahoo|icloud|protonmail|proton|rambler|mail\.ru|"
    r"гмейл|гмэйл|джимейл|джимэйл|яндекс|рамблер|аутлук|хотмейл|айклауд|гугл|мейл|мэйл|майл)[а-я]{0,2}"
    r"[ \t]*[)\]]", re.I)
# an address typed with the Russian layout on: "шмфтюзуекщм\"ьфшдюкг" is "ivan.petrov@mail.ru"
# ("@" is Shift+2, which that layout types as '"'; the dot's key types "ю"); taken when the
# keys spell a plain address with a known top-level domain
_RUSSIAN_KEYS = re.compile(r"(?<![\w\"@])[а-яё0-9_-]{2,64}[\"@][а-яё0-9-]{2,63}(?![\w\"@])", re.I)
RUSSIAN_KEYS_AT = re.compile(r"[а-яё0-9][\"@][а-яё]")  # a cheap look first (the lowered line)
_PLAIN_ADDRESS = re.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}@(?:[a-z0-9-]{1,63}\.){1,4}(?P<tld>[a-z]{2,6})")


# A provider's name, which _PROVIDER_LOGIN and _ON_PROVIDER cannot match without: looked for
# in the lowered line first (both patterns are re.I, ~4 us a line)
_PROVIDER_CUE = re.compile(r"mail|гугл|google|yandex|outlook|yahoo|icloud|proton|rambler|inbox|bk|list|ukr|гмейл|гмэйл|"
                           r"джимейл|джимэйл|яндекс|мейл|майл|рамблер|гугл|аутлук|хотмейл|айклауд")


def layout_emails(text: str) -> list[Cand]:
    """Addresses typed with the Russian layout on (see _RUSSIAN_KEYS)."""
    out = []
    for m in _RUSSIAN_KEYS.finditer(text):
        latin = to_latin(m.group().lower().replace('"', "@"))
        am = _PLAIN_ADDRESS.fullmatch(latin)
        if am is not None and am.group("tld") in _TLD:
            out.append(Cand("email", m.start(), m.end(), "russian layout", latin))
    return out


def emails(text: str, low: str | None = None) -> list[Cand]:
    """``low``: ``text.lower()``, when the caller has it."""
    out: list[Cand] = []
    for at in _AT.finditer(text):
        lm = _LOCAL.search(text, max(0, at.start() - 64), at.start())
        if not lm:
            continue
        start = lm.start()
        while start < at.start() and text[start] in ".+-%":  # a local part never starts so
            start += 1
        if start == at.start() or _URL_USER.search(text, max(0, start - 100), start) or text.startswith("://", start - 3):
            continue  # "https://ghp_...@github.com/owner/repo": a URL's user, not an address
        local = text[start : at.start()]
        found = _domain(text, at, local)
        if found is not None:
            end, domain = found
            start = _pieces_before(text, start)
            out.append(Cand("email", start, end, "", f"{local}@{domain}".lower()))
    if "@" in text:
        out += _letter_by_letter(text)
    if low is None:
        low = text.lower()
    if _PROVIDER_CUE.search(low) is None:
        return out
    for m in (*_PROVIDER_LOGIN.finditer(text), *_LOGIN_PROVIDER.finditer(text)):
        local = m.group("local")
        if local.lower() not in _NOT_LOCAL and _ADDRESS_CHARS.search(local):
            said = next(v for k, v in m.groupdict().items() if k in ("provider", "own", "on") and v).lower()
            provider = _SPOKEN_PROVIDERS.get(said, said)
            out.append(Cand("email", m.start("local"), m.end("local"), "", f"{local}@{provider}".lower()))
    for m in _ON_PROVIDER.finditer(text):
        local = m.group(1)
        if local.lower() not in _NOT_LOCAL and (m.group("tld") in _TLD if m.group("domain") else
                                               _ADDRESS_CHARS.search(local) is not None):
            out.append(Cand("email", m.start(), m.end(), "", m.group().lower()))
    return out


def _pieces_before(text: str, start: int) -> int:
    """"john dot smith", "ivan(dot)petrov", "kostya . ivanov": earlier pieces of the local part."""
    for _ in range(4):
        m = _LOCAL_PIECE.search(text, max(0, start - 90), start)
        if m is None:
            break
        start = m.start()
    return start


def _domain(text: str, at: re.Match, local: str) -> tuple[int, str] | None:
    """(end, domain) after an "@" in any of its spellings."""
    plain = at.group() == "@"
    dm = _DOMAIN_PLAIN.match(text, at.end()) if plain else None
    if dm is not None:
        return dm.end(), dm.group().lower()
    sign = at.group().strip()
    dm = _DOMAIN.match(text, at.end())
    if dm is not None:
        labels = _DOT_ANY.sub(".", dm.group()).lower().split(".")
        labels[-1] = _SPOKEN_TLDS.get(labels[-1], labels[-1])
        if _obfuscated_ok(sign, local, labels, _SPELLED_DOT.search(dm.group()) is not None):
            return dm.end(), ".".join(labels)
    dm = _SPOKEN_DOMAIN.match(text, at.end())
    if dm is not None:  # "мейл ру", "yandex ru": a known provider, then a TLD, no dot
        provider, tld = dm.group("provider").lower(), dm.group("tld").lower()
        labels = [_SPOKEN_PROVIDERS.get(provider, provider), _SPOKEN_TLDS.get(tld, tld)]
        if (len(labels[0]) > 1 and _PROVIDER.fullmatch(labels[0])
                and _obfuscated_ok(sign, local, labels, _SPELLED_DOT.search(dm.group()) is not None)):
            return dm.end(), ".".join(labels)
    spoken_sign = sign.lower().strip("()[]{}<>\"'-_")
    if spoken_sign != "at" or _ADDRESS_CHARS.search(local):
        dm = _PROVIDER_SAID.match(text, at.end())  # "ivan собака gmail", "ivan_1990 at yandex"
        if dm is not None and not plain:
            return dm.end(), _SPOKEN_PROVIDERS.get(dm.group().lower(), dm.group().lower())
    if plain:
        dm = _DOMAIN_TYPO.match(text, at.end())
        if dm is not None and dm.group("tld").lower() in _TLD:
            return dm.end(), re.sub(r"[.,]+", ".", dm.group().lower())
        dm = _PROVIDER_ALONE.match(text, at.end())  # "ivan@gmail": no TLD typed
        if dm is not None:
            return dm.end(), dm.group().lower()
    return None


def _obfuscated_ok(sign: str, local: str, labels: list[str], spelled_dot: bool) -> bool:
    """A spaced, bracketed or spelled-out "@": the domain must look like a mail domain."""
    if labels[-1] not in _TLD:
        return False
    if sign == "@" or sign[0] in "([{<\"'" or sign.lower() in ("собака", "собачка", "собаку", "равлик"):
        return True  # "petya @ mail.ru", "petya(at)mail.ru": nobody writes prose so
    # "petya at gmail dot com" / "petya собака mail.ru" read like prose: ask for an
    # address-like local part, a known provider or a spelled-out dot
    if local.lower() in _NOT_LOCAL:
        return False
    return bool(spelled_dot or _ADDRESS_CHARS.search(local)
                or _PROVIDER.fullmatch(_SPOKEN_PROVIDERS.get(labels[0], labels[0])) or sign.lower() != "at")


def _letter_by_letter(text: str) -> list[Cand]:
    out = []
    for m in _LETTER_BY_LETTER.finditer(text):
        compact = m.group().replace(" ", "")
        local, _, domain = compact.partition("@")
        tld = domain.rpartition(".")[2].lower()
        if "." in domain and tld in _TLD and local.strip(".+-"):
            out.append(Cand("email", m.start(), m.end(), "", compact.lower()))
    return out
