"""What ties a value to its keyword strongly enough to take a plain word: a colon, "=", an
arrow ("пароль 👉 sobaka777", "pass => X", "пин → 4821", "wifi ➡️ X", its U+FE0F folded away).
"""

from __future__ import annotations

import re

# -> => and every arrow of Unicode's arrow blocks (and dingbats), the pointing hands and 🔜
ARROW = (r"(?:-{1,2}>|={1,2}>|—>|[\u2190-\u21ff\u2794-\u27bf\u27f0-\u27ff\u2900-\u297f\u2b00-\u2b2f"
         r"\U0001f446-\U0001f449\U0001f51c\U0001f800-\U0001f8ff])")
STRONG_CONNECT = re.compile(rf"[:=]|{ARROW}")
