"""Redaction placeholders: the one owner of what they look like, exact or damaged.

The scrubber writes typed placeholders into training data (``<PHONE_1>``, ``<PRIVATE_2>``),
so a model trained on it can write them back, and rarely intact: cut off by the token
limit (``<PHONE_1``, ``<PH``), in another case (``<phone_1>``), without the number
(``<PHONE>``), with other brackets or separators (``[PHONE_1]``, ``< PHONE-1 >``,
``&lt;EMAIL&gt;``, full-width ``＜PHONE_1＞``), with a word added (``<PHONE_NUMBER>``), bare
(``PHONE_1``), or in the style of other scrubbers (``<REDACTED>``, ``[PERSON]``, any
all-caps ``<WORD>``). Any of these in a reply means the model is echoing scrubbed data: it
must never reach a friend. ``placeholder_like`` finds them all; ``PLACEHOLDER_RE`` is the
exact form the scrubber writes. Ordinary text stays clear: ``<3``, ``<b>``, ``>_<``,
``«имя»``, ``(card)``.
"""

from __future__ import annotations

import re
import unicodedata

KINDS = (
    "phone", "email", "card", "iban", "snils", "inn", "passport",
    "crypto", "secret", "password", "seed", "denylist", "name",
    "address", "birthdate", "geo", "invite", "ip", "plate",
)
_NAME_OF = {"denylist": "PRIVATE"}


def placeholder_name(kind: str) -> str:
    """The word in a kind's placeholders: ``phone`` -> ``PHONE`` (``<PHONE_1>``)."""
    return _NAME_OF.get(kind, kind.upper())


_NAMES = tuple(placeholder_name(k) for k in KINDS)
PLACEHOLDER_RE = re.compile(r"<(?:%s)_\d+>" % "|".join(_NAMES))

# The kind words a damaged placeholder may carry: ours, other scrubbers', a few translations.
_WORDS = sorted({n.lower() for n in _NAMES} | {
    "e-mail", "mail", "tel", "telephone", "number", "redacted", "person", "address", "token",
    "телефон", "почта", "карта", "паспорт", "пароль", "имя", "снилс", "инн",
}, key=len, reverse=True)
_WORD = "(?:%s)" % "|".join(map(re.escape, _WORDS))
_TAIL = r"(?:[_-][a-zа-яё]+)?(?:[ _-]?\d+)?"  # _NUMBER, _1, -1, " 1"
_OPEN_ANGLE = r"(?:<|&lt;|‹)"
_CLOSE_ANGLE = r"(?:>|&gt;|›)"
_LOOSE = re.compile("|".join([
    # <PHONE_1>, <phone>, < PHONE-1 >, <phone number>, and unclosed: <PHONE_1 ...
    rf"{_OPEN_ANGLE}\s*{_WORD}{_TAIL}(?:\s+\d+)?\s*{_CLOSE_ANGLE}?(?![\w])",
    # [PHONE_1], {email}: square and curly brackets, closed
    rf"[\[{{]\s*{_WORD}{_TAIL}\s*[\]}}]",
    # (PHONE_1), «PHONE_1»: round brackets and quotes only with a number ("(card)", «имя»)
    rf"[(«]\s*{_WORD}(?:[_-][a-zа-яё]+)?[ _-]?\d+\s*[)»]",
    # bare PHONE_1, phone_number_2
    rf"(?<![\w]){_WORD}(?:_[a-zа-яё]+)?_\d+(?![\w])",
]), re.I)
# Any all-caps word in angle brackets, closed or not: <URL>, <ТЕЛЕФОН_1>, <CREDIT_CARD
_CAPS = re.compile(rf"{_OPEN_ANGLE}\s*[A-ZА-ЯЁ]{{2,}}(?:_[A-ZА-ЯЁ0-9]+)*\s*(?:{_CLOSE_ANGLE}|(?![\w]))")
# A reply cut off inside a placeholder: "call me at <PH", "<pass_", "is <" (not "<3", ":<")
_CUT = re.compile(rf"(?:{_OPEN_ANGLE}\s*([A-Za-zА-Яа-яЁё]+)[_-]?\d*|(?:^|(?<=\s)){_OPEN_ANGLE})\s*$")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def has_placeholder(text: str) -> bool:
    """True if the text holds a placeholder exactly as the scrubber writes them."""
    return PLACEHOLDER_RE.search(text) is not None


def placeholder_like(text: str) -> list[str]:
    """Everything in ``text`` that looks like a redaction placeholder, intact or damaged (see
    the module docstring), in order, each once (as found in the text folded to NFKC)."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    spans = [m.span() for rx in (_LOOSE, _CAPS) for m in rx.finditer(folded)]
    cut = _CUT.search(folded)
    if cut and any(w.startswith((cut.group(1) or "").lower()) for w in _WORDS):
        spans.append(cut.span())
    found: list[str] = []
    end = -1
    for a, b in sorted(spans, key=lambda s: (s[0], -s[1])):  # overlapping finds: the first, longest
        if a >= end:
            found.append(folded[a:b].strip())
            end = b
    return list(dict.fromkeys(found))
