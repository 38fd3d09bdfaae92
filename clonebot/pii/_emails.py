"""E-mail addresses, also as written to dodge bots.

"petya(at)mail.ru", "petya [at] gmail [dot] com", "petya собака yandex точка ru",
"petya @ mail.ru", "petya＠mail.ru" (folded to "@" before we get here). A plain "@" with
a dotted domain is an address; a spelled-out "at"/"собака" needs a domain that ends in a
known top-level domain or is a known mail provider, so "look at google dot com" stays.
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_OPEN, _CLOSE = r"[(\[{<\"']", r"[)\]}>\"']"
_AT_WORD = r"(?:at|собака|собачка|sobaka|sobachka)"
_DOT_WORD = r"\b(?:dot|точка|тчк|tochka)\b"
# every way of writing "@": plain (spaces allowed), bracketed word, or the bare word
_AT = re.compile(
    rf"[ \t]*@[ \t]*|[ \t]*{_OPEN}[ \t]*(?:{_AT_WORD}|@)[ \t]*{_CLOSE}[ \t]*|[ \t]+{_AT_WORD}[ \t]+"
    r"|(?<=[A-Za-z0-9_])(?:собака|собачка)(?=[A-Za-z0-9])",  # glued: "m.schmidtсобакаinbox.ru"
    re.I)
_LOCAL = re.compile(r"[\w.+%-]{1,64}$")
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_DOT = (rf"(?:[ \t]*\.[ \t]*|[ \t]*{_OPEN}[ \t]*(?:{_DOT_WORD}|\.)[ \t]*{_CLOSE}[ \t]*|[ \t]+{_DOT_WORD}[ \t]+"
        r"|(?<=[A-Za-z0-9])точка(?=[A-Za-z]))")
_DOMAIN = re.compile(rf"(?:{_LABEL}{_DOT}){{1,8}}(?P<tld>[^\W\d_]{{2,24}})(?![\w-])", re.I)
_DOMAIN_PLAIN = re.compile(rf"(?:{_LABEL}\.){{1,8}}[^\W\d_]{{2,24}}(?![\w-])")
_PROVIDER = re.compile(
    r"(?:g|goo)?mail|gmail|googlemail|yandex|ya|mail|bk|inbox|list|internet|rambler|outlook|hotmail|"
    r"live|yahoo|icloud|me|proton|protonmail|pm|tutanota|zoho|aol|gmx|ukr|i|meta|tut", re.I)
_PROVIDER_ALONE = re.compile(
    r"(?:gmail|googlemail|yandex|outlook|hotmail|yahoo|icloud|protonmail|rambler)(?![\w.-])", re.I)
_TLD = frozenset("""com ru net org io ua by kz рф su uk de fr it es pl cz nl eu us ca au me info biz
    dev app ai co edu gov tech online site pro xyz moscow name mail ch at se no fi dk lt lv ee ge am
    uz kg tj md il tr in cn jp kr br mx ar""".split())
_NOT_LOCAL = frozenset("""look looking looked me us him her them it i we you they here there be is are
    was were meet met stay stayed work working home arrive arrived see seen buy bought sign signed
    find found check checked available live posted post read hit open login log account""".split())
_ADDRESS_CHARS = re.compile(r"[\d._%+-]")
_SPELLED_DOT = re.compile(_DOT_WORD, re.I)
_DOT_ANY = re.compile(rf"\s*(?:{_OPEN}\s*)?(?:{_DOT_WORD}|\.|(?<=[a-z0-9])точка(?=[a-z]))(?:\s*{_CLOSE})?\s*", re.I)


def emails(text: str) -> list[Cand]:
    out: list[Cand] = []
    for at in _AT.finditer(text):
        lm = _LOCAL.search(text, max(0, at.start() - 64), at.start())
        if not lm:
            continue
        start = lm.start()
        while start < at.start() and text[start] in ".+-%":  # a local part never starts so
            start += 1
        if start == at.start():
            continue
        local = text[start : at.start()]
        found = _domain(text, at, local)
        if found is not None:
            end, domain = found
            out.append(Cand("email", start, end, "", f"{local}@{domain}".lower()))
    return out


def _domain(text: str, at: re.Match, local: str) -> tuple[int, str] | None:
    """(end, domain) after an "@" in any of its spellings."""
    plain = at.group() == "@"
    dm = _DOMAIN_PLAIN.match(text, at.end()) if plain else None
    if dm is not None:
        return dm.end(), dm.group().lower()
    dm = _DOMAIN.match(text, at.end())
    if dm is not None:
        domain = _DOT_ANY.sub(".", dm.group()).lower()
        spelled_dot = _SPELLED_DOT.search(dm.group()) is not None
        if _obfuscated_ok(at.group().strip(), local, domain, spelled_dot):
            return dm.end(), domain
        return None
    dm = _PROVIDER_ALONE.match(text, at.end()) if plain else None  # "ivan@gmail": no TLD typed
    return (dm.end(), dm.group().lower()) if dm else None


def _obfuscated_ok(sign: str, local: str, domain: str, spelled_dot: bool) -> bool:
    """A spaced, bracketed or spelled-out "@": the domain must look like a mail domain."""
    labels = domain.split(".")
    if labels[-1] not in _TLD:
        return False
    if sign == "@" or sign[0] in "([{<\"'" or sign.lower() in ("собака", "собачка"):
        return True  # "petya @ mail.ru", "petya(at)mail.ru": nobody writes prose so
    # "petya at gmail dot com" / "petya собака mail.ru" read like prose: ask for an
    # address-like local part, a known provider or a spelled-out dot
    if local.lower() in _NOT_LOCAL:
        return False
    return bool(spelled_dot or _ADDRESS_CHARS.search(local) or _PROVIDER.fullmatch(labels[0])
                or sign.lower() != "at")
