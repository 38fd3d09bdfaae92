"""A cue typed in the other keyboard layout: "gfhjkm jn gjxns: X" is "пароль от почты: X"
typed with the English layout on, "зфыыцщкв ащк еру тфы: X" is "password for the nas: X"
typed with the Russian one.

Both layouts put one character on each key, so ``to_cyrillic``/``to_latin`` map a string
character by character and keep every offset. The anchors are our own keywords as the other
layout types them (made by the same mapping, not listed by hand). Around an anchor,
``relayout`` rewrites the cue: the keyword and the plain words next to it, up to a colon, a
dash or the first token that is not a word in that layout (the value, "Kedr_2018"). The
recognizers then read the cue as it was meant and the value as it was typed.
"""

from __future__ import annotations

import re

# ЙЦУКЕН over QWERTY, key by key (the letters on the punctuation keys too: х ъ ж э б ю ё)
_LATIN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_CYRILLIC_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_CYRILLIC = str.maketrans(_LATIN_KEYS + _LATIN_KEYS.upper().replace("[", "{").replace("]", "}")
                             .replace(";", ":").replace("'", '"').replace(",", "<").replace(".", ">")
                             .replace("`", "~"),
                             _CYRILLIC_KEYS + _CYRILLIC_KEYS.upper())
_TO_LATIN = str.maketrans(_CYRILLIC_KEYS + _CYRILLIC_KEYS.upper(),
                          _LATIN_KEYS + _LATIN_KEYS.upper().replace("[", "{").replace("]", "}")
                          .replace(";", ":").replace("'", '"').replace(",", "<").replace(".", ">")
                          .replace("`", "~"))


def to_cyrillic(s: str) -> str:
    """What the Russian layout types on the keys of `s` (typed on the English one)."""
    return s.translate(_TO_CYRILLIC)


def to_latin(s: str) -> str:
    """What the English layout types on the keys of `s` (typed on the Russian one)."""
    return s.translate(_TO_LATIN)


# Keywords worth a rewrite: the words that introduce a password, a document or a code.
_RUSSIAN_CUES = ("пароль", "парол", "паспорт", "загран", "пинкод", "пин-код", "логин", "снилс", "инн", "токен",
                 "код от", "код под", "код из", "код домофон")
_ENGLISH_CUES = ("password", "passwd", "passport", "passcode", "pincode", "login", "pin code", "token", "secret")
# a word in each layout: its letters, and inside it the punctuation keys that carry letters
_WORD = {"latin": re.compile(r"[A-Za-z](?:[A-Za-z\[\];',.`{}\"<>~]*[A-Za-z\[\];'`{}\"~])?"),
         "cyrillic": re.compile(r"[А-Яа-яЁё]+")}
_LATIN_ANCHOR_WORDS = tuple(re.escape(to_latin(w)) for w in _RUSSIAN_CUES)
_CYRILLIC_ANCHOR_WORDS = tuple(re.escape(to_cyrillic(w)) for w in _ENGLISH_CUES)
ANCHOR_WORDS = _LATIN_ANCHOR_WORDS + _CYRILLIC_ANCHOR_WORDS  # escaped, one by one: for a gate's scan
_LATIN_ANCHORS = "|".join(_LATIN_ANCHOR_WORDS)
_CYRILLIC_ANCHORS = "|".join(_CYRILLIC_ANCHOR_WORDS)
ANCHOR = re.compile(rf"(?<![\w@./])(?:(?P<latin>{_LATIN_ANCHORS})|(?P<cyrillic>{_CYRILLIC_ANCHORS}))")
_GAP = re.compile(r"[ \t]+")
# a cue word ends at a space or the line's end ("Dom_4455", "kedr2018" are values, not words)
_ALONE = re.compile(r"(?=[ \t:=,!?]|$)")
_CUE_WORDS = 8  # "gfhjkm jn exgfy pfgbcb yf ujcecke[f[" : the keyword and what it is for
_BEFORE_WORDS = 2  # "vjq gfhjkm", "ьн зфыыцщкв"
# the word just before a position, looked for in a window (not the whole text before it: a
# line of a thousand anchors would cost a million steps)
_WORD_BEFORE = re.compile(r"(?:^|(?<=[ \t]))(\S+)[ \t]+$")
_WORD_REACH = 64


def relayout(text: str, low: str) -> str | None:
    """`text` with every anchored cue rewritten into the layout it was meant in (same length),
    or None when `low` (the lower-cased text) holds no anchor."""
    chars = None
    for anchor in ANCHOR.finditer(low):
        script = anchor.lastgroup
        convert = to_cyrillic if script == "latin" else to_latin
        word = _WORD[script]
        first = word.match(text, anchor.start())
        if first is None:
            continue
        spans = [first.span()]
        pos = first.end()
        for _ in range(_CUE_WORDS):  # forward, until the connector or the value
            gap = _GAP.match(text, pos)
            w = word.match(text, gap.end()) if gap else None
            if w is None or not _ALONE.match(text, w.end()):
                break
            spans.append(w.span())
            pos = w.end()
            if text[pos : pos + 1] in (":", "="):
                break  # the connector: the value follows as typed
        start = anchor.start()
        for _ in range(_BEFORE_WORDS):  # back over the words that lead to it ("мой")
            m = _WORD_BEFORE.search(text, max(0, start - _WORD_REACH), start)
            if m is None or word.fullmatch(m.group(1)) is None:
                break
            spans.append(m.span(1))
            start = m.start(1)
        if chars is None:
            chars = list(text)
        for s, e in spans:
            chars[s:e] = convert(text[s:e])
    return None if chars is None else "".join(chars)


