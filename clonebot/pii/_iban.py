"""IBANs in any case and grouping ("DE89 3704 ...", "de89-3704-...", "DE 89 3704 ...").

The regex proposes, stdnum's check (country length and mod 97) decides; a run that grabbed
words after the number is shrunk back at its separators until the check holds.
"""

from __future__ import annotations

import re

from clonebot.pii import _checks
from clonebot.pii._candidate import Cand

# groups may run on to the next line ("DE54 1606 1106\n5005 8466 46")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ ]?\d{2}(?:(?:[ .-]|[ ]?\n[ ]?)?[A-Za-z0-9]){10,30}(?![A-Za-z0-9])")
_SEP = re.compile(r"[ .\n-]")


def ibans(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _IBAN.finditer(text):
        s = m.group()
        cut = len(s)
        while cut >= 14:
            compact = _SEP.sub("", s[:cut]).upper()
            if _checks.iban_ok(compact):
                out.append(Cand("iban", m.start(), m.start() + cut, compact[:2], compact))
                break
            cut = max((s.rfind(c, 0, cut) for c in " .-\n"), default=-1)
    return out
