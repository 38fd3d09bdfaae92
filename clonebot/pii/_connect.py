"""What ties a value to its keyword strongly enough to take a plain word: a colon, "=", an
arrow ("пароль 👉 sobaka777", "pass => X", "пин → 4821", "wifi ➡️ X", its U+FE0F folded away).
"""

from __future__ import annotations

import re

ARROW = r"(?:-{1,2}>|={1,2}>|[\u2190-\u21ff\u2794-\u27bf\u2b05-\u2b07\U0001f446-\U0001f449])"
STRONG_CONNECT = re.compile(rf"[:=]|{ARROW}")
