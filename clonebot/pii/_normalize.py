"""Unicode look-alikes folded to ASCII, with offsets back into the original text.

People (and keyboards) write ``+7 903 123‑45‑67`` with non-breaking hyphens, ``8 903
123—45—67`` with dashes, ``4276 1234`` with NBSP or thin spaces, ``petya＠mail.ru`` with a
full-width at, and paste zero-width characters into the middle of a number. Recognizers
only know ASCII separators, so every line is folded first:

- any space (Zs) -> " ", any dash (Pd, minus signs) -> "-";
- characters whose NFKC form is one character (full-width forms, superscript and circled
  digits, mathematical letters) -> that character; other scripts' decimal digits -> 0-9;
- Ukrainian and Belarusian letters take their Russian look-alikes (і ї -> и, є -> е,
  ґ -> г, ў -> у): "мій інн", "серія", "сэрыя" reach the same keywords as Russian;
- letters that re.I takes for ordinary ones but ``str.lower`` keeps apart (Turkish ı and İ,
  the old Cyrillic letter forms U+1C80-U+1C88) take those ordinary letters: keywords are
  looked for in the lowered line, and "fırst" or "ᲀосстановл" must reach them;
- invisible characters (zero-width space/joiners, soft hyphen, BOM) are dropped, and so are
  the marks that dress a character as an emoji: keycap digits ("8️⃣9️⃣1️⃣…") are digits.

All but the last keep every character at its index, so offsets stay valid; when something
is dropped, ``Folded.span`` maps a span back.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# and the marks that make a character an emoji: variation selectors, the keycap frame
# ("8️⃣" is "8", U+FE0F, U+20E3), skin tones
_INVISIBLE = ("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
              "\ufe0e\ufe0f\u20e3\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
# ASCII and the Russian alphabet fold to themselves: most lines skip the table
_PLAIN = re.compile(r"[^\x00-\x7f\u0410-\u044f\u0401\u0451]")
_EAST_SLAVIC = dict(zip("іїєґўІЇЄҐЎ", "ииегуИИЕГУ"))
_CASE_TWINS = dict(zip("ıİ\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88", "iIвдосттъѣꙋ"))
_DASHES = "\u2212\u2043\ufe63\uff0d\u2796"  # minus signs and the like outside Pd


class _FoldTable(dict):
    """str.translate table filled on first sight of each character (then a C dict hit)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        cat = unicodedata.category(ch)
        if ch in _INVISIBLE:
            out = ch  # dropped later, with an offset map
        elif ch in _EAST_SLAVIC:
            out = _EAST_SLAVIC[ch]
        elif ch in _CASE_TWINS:
            out = _CASE_TWINS[ch]
        elif cat == "Zs":
            out = " "
        elif cat == "Pd" or ch in _DASHES:
            out = "-"
        else:
            nfkc = unicodedata.normalize("NFKC", ch)
            if len(nfkc) == 1 and nfkc.isascii():
                out = nfkc
            elif unicodedata.decimal(ch, None) is not None:
                out = str(unicodedata.decimal(ch))
            else:
                out = ch
        self[code] = out
        return out


_TABLE = _FoldTable()


class Folded(NamedTuple):
    text: str  # what recognizers read
    # original index of each folded character, and the original length last (None: 1:1)
    kept: list[int] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span in the original text; it runs on over the invisible marks after its last
        character (the keycap frame of "8️⃣": half a keycap is no use to anyone)."""
        if self.kept is None:
            return start, end
        return self.kept[start], self.kept[end]


# a NamedTuple's own __new__ is a Python call: made straight, a line with nothing to fold (most)
# costs ~0.1 us less
_as_is = tuple.__new__


def fold(text: str) -> Folded:
    if text.isascii() or _PLAIN.search(text) is None:
        return _as_is(Folded, (text, None))
    folded = text.translate(_TABLE)
    if _INVISIBLE_RE.search(folded) is None:
        return Folded(folded, None)
    kept = [i for i, c in enumerate(folded) if c not in _INVISIBLE]
    out = "".join(folded[i] for i in kept)
    kept.append(len(folded))
    return Folded(out, kept)
