"""Two-factor (TOTP) setup keys: base32, 16 to 64 characters, as authenticator apps show
them ("JBSWY3DPEHPK3PXP", "jbsw y3dp ehpk 3pxp ...", spaced in groups of four).

Grouped in fours the shape speaks for itself once digits (base32 has only 2-7) sit in
several groups: "this that with from" has none. Written in one piece, the key needs a word
that names it ("2fa", "totp", "authenticator", "ключ настройки"), since an upper-case run of
letters and 2-7 can be anything.
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_GROUPED = re.compile(r"(?<![\w-])(?:[a-z2-7]{4}(?:[ ][a-z2-7]{4}){3,15}|[A-Z2-7]{4}(?:[ ][A-Z2-7]{4}){3,15})(?![\w-])")
_SOLID = re.compile(r"(?<![\w-])(?:[A-Z2-7]{16,64}|[a-z2-7]{16,64})(?![\w-])")
_NAMED = re.compile(
    r"2fa|two[- ]factor|totp|тотп|authenticator|аутентификатор|otp|setup\s+key|secret\s+key|"
    r"ключ\w{0,3}\s+(?:настройки|для\s+(?:2fa|аутентификатора|приложения))|двухфактор|2фа|google\s+auth|гугл\s+аутентиф",
    re.I)
# What the two shapes cannot match without, looked for first: a group of four between two spaces
# (from the space: re skips to those), and a run of 16 token characters (the caller's ``long_at``)
_GROUP_LOOK = re.compile(r" (?<=[A-Za-z2-7]{4} )[A-Za-z2-7]{4} ")
_MIN_DIGIT_GROUPS = 2
_NAMED_BEFORE = 60


def totp_keys(text: str, long_at: int | None) -> list[Cand]:
    """``long_at``: where the text's first run of 16 token characters starts (None: it has
    none, ``_detect._LONG_TOKEN``): a key in one piece is such a run."""
    out: list[Cand] = []
    for m in _GROUPED.finditer(text) if _GROUP_LOOK.search(text) is not None else ():
        groups = m.group().split()
        with_digits = sum(any(c.isdigit() for c in g) for g in groups)
        with_letters = sum(any(c.isalpha() for c in g) for g in groups)
        if 2 * with_letters < len(groups):
            continue  # "card 4276 2656 2425": digit groups are numbers
        if with_digits >= _MIN_DIGIT_GROUPS or _named_before(text, m.start()):
            out.append(Cand("password", m.start(), m.end(), "totp", "".join(groups).upper()))
    for m in _SOLID.finditer(text, long_at) if long_at is not None else ():
        val = m.group()
        if any(c.isdigit() for c in val) and not val.isdigit() and _named_before(text, m.start()):
            out.append(Cand("password", m.start(), m.end(), "totp", val.upper()))
    return out


def _named_before(text: str, start: int) -> bool:
    return _NAMED.search(text, max(0, start - _NAMED_BEFORE), start) is not None
