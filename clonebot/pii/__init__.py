"""PII filter for training data and outgoing replies.

- ``scan(text) -> list[Finding]``; ``redact(text) -> str``.
- ``PIIFilter(denylist=(), names=False)`` with ``.scan(text)`` and
  ``.redact(text, session=None)``; a ``RedactionSession`` keeps placeholders consistent
  within one dialogue (the same value -> the same ``<PHONE_1>``) and counts redactions
  per kind (``session.counts``).

Kinds: phone, email, card, iban, snils, inn, passport, crypto, secret, password, seed,
denylist, name (optional, natasha). Recognizers propose, checksums and context words
decide (``_detect``); a one-regex prefilter skips the ~90% of chat lines that hold no
digit, ``@`` or keyword.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from clonebot.pii import _detect

KINDS = (
    "phone", "email", "card", "iban", "snils", "inn", "passport",
    "crypto", "secret", "password", "seed", "denylist", "name",
)
# Overlaps are resolved by strength of evidence: owner's list and provider-shaped
# secrets first, plain-context kinds last.
_PRIORITY = {k: i for i, k in enumerate((
    "denylist", "secret", "seed", "crypto", "email", "iban", "card", "snils", "inn",
    "passport", "password", "phone", "name",
))}
_PLACEHOLDER_NAME = {"denylist": "PRIVATE"}
PLACEHOLDER_RE = re.compile(r"<(?:%s)_\d+>" % "|".join(
    _PLACEHOLDER_NAME.get(k, k.upper()) for k in KINDS))

# Prefilter, cheapest first (re.I over Cyrillic is slow, so keywords are matched on
# text.lower()). A line with no digit, "@", keyword or long ASCII token can only hold a
# seed phrase (many words), a denylist entry or a name.
_DIGIT_AT = re.compile(r"[\d@]")
_KEYWORD = re.compile(r"парол|пасс|pass|pwd|пин|pin|код|code|otp|cvv|cvc|token|secret|key|-----")
_LONG_ALPHA = re.compile(r"[A-Za-z_+/=-]{20}")  # digit-free tokens; others hit _DIGIT_AT
_SECRET_GATE = re.compile(r"[A-Za-z0-9_+/=.:?&%-]{16}|-----BEGIN")
_CRYPTO_GATE = re.compile(r"[A-Za-z0-9_+/:-]{25}")
_DIGIT = re.compile(r"\d")
_SEED_MIN_SPACES = 11
_SEED_MIN_CHARS = 12 * 3 + 11  # 12 words of >= 3 letters


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str
    detail: str = ""  # e.g. "BTC", "GitHub token", "pin"
    value: str = field(default="", repr=False, compare=False)  # normalised, for placeholders

    def describe(self) -> str:
        """Short masked description for an approval message: "phone +7 912 ***-**-89"."""
        return _describe(self)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text,
                "detail": self.detail, "masked": self.describe()}


@dataclass
class RedactionSession:
    """One dialogue: the same value keeps the same placeholder; counts per kind."""

    counts: Counter = field(default_factory=Counter)
    placeholders: dict[tuple[str, str], str] = field(default_factory=dict)

    def placeholder(self, f: Finding) -> str:
        key = (f.kind, f.value or f.text.casefold())
        ph = self.placeholders.get(key)
        if ph is None:
            n = sum(1 for k in self.placeholders if k[0] == f.kind) + 1
            ph = f"<{_PLACEHOLDER_NAME.get(f.kind, f.kind.upper())}_{n}>"
            self.placeholders[key] = ph
        self.counts[f.kind] += 1
        return ph


class PIIFilter:
    def __init__(self, denylist: Iterable[str] = (), names: bool = False):
        self.denylist = [d.strip() for d in denylist if d and d.strip()]
        self.names = names
        self._deny_rx = None
        if self.denylist:
            parts = sorted({_deny_pattern(d) for d in self.denylist}, key=len, reverse=True)
            self._deny_rx = re.compile("|".join(parts), re.I)
        self._ner = None
        if names:
            from clonebot.pii import names as _names

            self._ner = _names.load()  # raises ConfigError when natasha is missing

    # ------------------------------------------------------------ scan
    def scan(self, text: str) -> list[Finding]:
        cands: list[_detect.Cand] = []
        if self._deny_rx is not None:
            for m in self._deny_rx.finditer(text):
                cands.append(("denylist", m.start(), m.end(), "", _norm_deny(m.group())))
        if self._ner is not None:
            cands.extend(self._ner(text))
        digit_at = _DIGIT_AT.search(text) is not None
        kw = _KEYWORD.search(text.lower()) is not None
        if digit_at or kw or _LONG_ALPHA.search(text):
            if "@" in text:
                cands.extend(_detect.emails(text))
            if _SECRET_GATE.search(text):
                cands.extend(_detect.secrets(text))
            if kw:
                cands.extend(_detect.passwords(text))
            if digit_at and _DIGIT.search(text):
                cands.extend(_detect.digit_runs(text))
                cands.extend(_detect.passports(text))
                cands.extend(_detect.ibans(text))
            if _CRYPTO_GATE.search(text):
                cands.extend(_detect.crypto(text))
        if len(text) >= _SEED_MIN_CHARS and (
            text.count(" ") >= _SEED_MIN_SPACES or text.count(",") + text.count("\n") >= _SEED_MIN_SPACES
        ):
            cands.extend(_detect.seeds(text))
        if not cands:
            return []
        return [Finding(k, s, e, text[s:e], d, v) for k, s, e, d, v in _resolve(cands)]

    # ------------------------------------------------------------ redact
    def redact(self, text: str, session: RedactionSession | None = None) -> str:
        findings = self.scan(text)
        if not findings:
            return text
        if session is None:
            session = RedactionSession()
        parts = []
        pos = 0
        for f in findings:
            parts.append(text[pos : f.start])
            parts.append(session.placeholder(f))
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)




def _deny_pattern(entry: str) -> str:
    # whitespace-insensitive, ё == е; exact otherwise
    out = []
    for tok in re.split(r"(\s+)", entry):
        if not tok:
            continue
        if tok.isspace():
            out.append(r"\s+")
        else:
            out.append("".join("[её]" if c in "еёЕЁ" else re.escape(c) for c in tok))
    return "".join(out)


def _norm_deny(s: str) -> str:
    return " ".join(s.casefold().replace("ё", "е").split())


def _resolve(cands: list[_detect.Cand]) -> list[_detect.Cand]:
    """Non-overlapping spans. Stronger kinds win; a weaker overlapping span that sticks
    out widens the winner instead of leaving PII half-visible."""
    cands.sort(key=lambda c: (_PRIORITY[c[0]], c[1] - c[2], c[1]))
    starts: list[int] = []  # taken spans, kept sorted and disjoint (bisect: no n^2 on 1 MB lines)
    taken: list[list] = []
    for k, s, e, d, v in cands:
        i = bisect.bisect_right(starts, s) - 1
        hj = next((j for j in (i, i + 1)
                   if 0 <= j < len(taken) and s < taken[j][2] and taken[j][1] < e), None)
        if hj is None:
            taken.insert(i + 1, [k, s, e, d, v])
            starts.insert(i + 1, s)
            continue
        hit = taken[hj]
        if s < hit[1] or e > hit[2]:
            hit[1], hit[2] = min(s, hit[1]), max(e, hit[2])
            starts[hj] = hit[1]
            _merge(taken, starts)
    return [tuple(t) for t in taken]


def _merge(taken: list[list], starts: list[int]) -> None:
    """Widening may make neighbours overlap (rare): fold them together."""
    out: list[list] = []
    for t in taken:
        if out and t[1] < out[-1][2]:
            out[-1][2] = max(out[-1][2], t[2])
        else:
            out.append(t)
    taken[:] = out
    starts[:] = [t[1] for t in out]


# ---------------------------------------------------------------- descriptions
def _mask_keep(s: str, head: int, tail: int) -> str:
    """Mask alphanumerics except the first `head` and last `tail` of them."""
    idx = [i for i, c in enumerate(s) if c.isalnum()]
    keep = set(idx[:head]) | set(idx[len(idx) - tail :] if tail else [])
    return "".join(c if (i in keep or not c.isalnum()) else "*" for i, c in enumerate(s))


def _describe(f: Finding) -> str:
    k, t = f.kind, f.text
    if k == "phone":
        import phonenumbers

        try:
            intl = phonenumbers.format_number(
                phonenumbers.parse(f.value or t, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        except phonenumbers.NumberParseException:
            intl = t
        head = intl.split(" ")
        keep = sum(c.isdigit() for c in " ".join(head[:2])) if len(head) > 2 else 2
        return f"phone {_mask_keep(intl, keep, 2)}"
    if k == "email":
        local, _, domain = t.partition("@")
        return f"email {local[:1]}***@{domain}"
    if k == "card":
        d = f.value or re.sub(r"\D", "", t)
        return f"card **** {d[-4:]}"
    if k == "iban":
        return f"iban {t.replace(' ', '')[:4]}…{t[-2:]}"
    if k in ("snils", "inn", "passport"):
        return f"{k} {_mask_keep(t, 0, 2)}"
    if k == "crypto":
        return f"crypto {f.detail} {t[:4]}…{t[-3:]}"
    if k == "secret":
        return f"secret ({f.detail}) {t[:4]}…"
    if k == "password":
        what = {"pin": "PIN", "cvv": "CVV", "code": "code"}.get(f.detail, "password")
        return f"{what} ({len(t)} chars)"
    if k == "seed":
        return f"seed phrase ({len(t.split())} words)"
    if k == "denylist":
        return f"denylist entry ({len(t)} chars)"
    if k == "name":
        return "name " + " ".join(w[:1] + "." for w in t.split())
    return k


_default = PIIFilter()


def scan(text: str) -> list[Finding]:
    return _default.scan(text)


def redact(text: str, session: RedactionSession | None = None) -> str:
    return _default.redact(text, session)


def has_placeholder(text: str) -> bool:
    """True if the text contains one of our placeholders (e.g. a model echoing ``<PHONE_1>``)."""
    return PLACEHOLDER_RE.search(text) is not None
