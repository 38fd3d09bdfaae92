"""PII filter (stub with the final API; the PII issue replaces the insides).

- ``scan(text) -> list[Finding]``; ``redact(text) -> str``.
- ``PIIFilter(denylist=(), names=False)`` with ``.scan(text)`` and
  ``.redact(text, session=None)``; a ``RedactionSession`` keeps placeholders consistent
  within one dialogue and counts redactions per kind (``session.counts``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str


@dataclass
class RedactionSession:
    counts: Counter = field(default_factory=Counter)
    placeholders: dict[str, str] = field(default_factory=dict)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


class PIIFilter:
    def __init__(self, denylist: Iterable[str] = (), names: bool = False):
        self.denylist = [d for d in denylist if d]
        self.names = names

    def scan(self, text: str) -> list[Finding]:
        out = [Finding("email", m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text)]
        return sorted(out, key=lambda f: f.start)

    def redact(self, text: str, session: RedactionSession | None = None) -> str:
        findings = self.scan(text)
        for f in reversed(findings):
            if session is not None:
                session.counts[f.kind] += 1
            text = text[: f.start] + f"<{f.kind.upper()}>" + text[f.end :]
        return text


_default = PIIFilter()


def scan(text: str) -> list[Finding]:
    return _default.scan(text)


def redact(text: str) -> str:
    return _default.redact(text)
