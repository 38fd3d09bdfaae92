"""PII filter for training data and outgoing replies.

- ``scan(text) -> list[Finding]``; ``redact(text) -> str``.
- ``PIIFilter(denylist=(), names=False, all_coordinates=False)`` with ``.scan(text)`` and
  ``.redact(text, session=None)``; a ``RedactionSession`` keeps placeholders consistent
  within one dialogue (the same value -> the same ``<PHONE_1>``) and counts redactions
  per kind (``session.counts``).

Kinds: phone, email, card, iban, snils, inn, passport, crypto, secret, password, seed, denylist,
name (optional, natasha), address, birthdate, geo, invite, ip, plate. One recognizer family per
module (``_digits``, ``_documents``, ``_emails``, ``_iban``, ``_crypto``, ``_secrets``,
``_passwords`` with ``_codes`` for digit codes and ``_password_cues`` for passwords with no
keyword, ``_totp``, ``_seeds``, ``_addresses``, ``_birthdates``, ``_geo``, ``_links`` (invites and
login links), ``_network`` (IP addresses), ``_plates``; ``_wifi`` tells a network's name from its
password, ``_connect`` says what ties a value to its keyword, ``_anywhere`` answers whole-text
questions once per text, ``_alternatives`` gathers a look's words under their first letters):
patterns propose, checksums and context words decide. ``_detect`` folds Unicode look-alikes
(``_normalize``), joins keywords spelt letter by letter (``_spelled``), rewrites cues typed in the
other keyboard layout (``_layout``), and gates the recognizers so that the ~90% of chat lines with
no digit, "@", keyword or long token cost a few regex scans; ``_resolve`` makes the spans
disjoint.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from clonebot.pii import _detect
from clonebot.pii._candidate import Cand
from clonebot.pii._describe import describe
from clonebot.pii._resolve import resolve
from clonebot.pii.placeholders import (  # noqa: F401 - re-exported
    KINDS, PLACEHOLDER_RE, has_placeholder, placeholder_like, placeholder_name,
)


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
        return describe(self.kind, self.text, self.detail, self.value)

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
            ph = f"<{placeholder_name(f.kind)}_{n}>"
            self.placeholders[key] = ph
        self.counts[f.kind] += 1
        return ph


class PIIFilter:
    """``all_coordinates``: also coordinates typed to four or five decimals, not only the
    six-decimal pins map apps copy (off by default: those are mostly meeting places)."""

    def __init__(self, denylist: Iterable[str] = (), names: bool = False, all_coordinates: bool = False):
        self.denylist = [d.strip() for d in denylist if d and d.strip()]
        self.names = names
        self.all_coordinates = all_coordinates
        self._deny_rx = None
        if self.denylist:
            parts = sorted({_deny_pattern(d) for d in self.denylist}, key=len, reverse=True)
            self._deny_rx = re.compile("|".join(parts), re.I)
        self._ner = None
        if names:
            from clonebot.pii.names import load  # natasha is optional: import it only when asked

            self._ner = load()  # raises ConfigError when natasha is missing

    # ------------------------------------------------------------ scan
    def scan(self, text: str) -> list[Finding]:
        cands: list[Cand] = []
        if self._deny_rx is not None:
            for m in self._deny_rx.finditer(text):
                cands.append(Cand("denylist", m.start(), m.end(), "", _norm_deny(m.group())))
        if self._ner is not None:
            cands.extend(self._ner(text))
        cands.extend(_detect.candidates(text, self.all_coordinates))
        if not cands:
            return []
        return [Finding(c.kind, c.start, c.end, text[c.start : c.end], c.detail, c.value)
                for c in resolve(cands)]

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


_default = PIIFilter()


def scan(text: str) -> list[Finding]:
    return _default.scan(text)


def redact(text: str, session: RedactionSession | None = None) -> str:
    return _default.redact(text, session)

