"""Shared checks for the PII recognizer tests (tests/test_pii_*.py)."""

from __future__ import annotations

from clonebot.pii import PIIFilter

_FILTER = PIIFilter()


def redacted(text: str, value: str) -> bool:
    """Every non-space character of `value` (found in `text`) lies inside some finding:
    the measure bench/pii_quality.py uses."""
    start = text.index(value)
    covered = set()
    for f in _FILTER.scan(text):
        covered.update(range(f.start, f.end))
    return all(i in covered for i in range(start, start + len(value)) if not text[i].isspace())


def kinds(text: str) -> set[str]:
    return {f.kind for f in _FILTER.scan(text)}


def untouched(text: str) -> bool:
    return _FILTER.scan(text) == [] and _FILTER.redact(text) == text


def shown(text: str) -> list[tuple[str, str]]:
    """What the filter found, for assertion messages."""
    return [(f.kind, f.text) for f in _FILTER.scan(text)]
