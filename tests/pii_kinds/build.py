"""Build set.jsonl, holdout.jsonl and holdout2.jsonl from lines.py, lines_holdout.py and
lines_holdout2.py (issue 26: the new kinds and the miss categories).

    python tests/pii_kinds/build.py          # rewrite the files
    python tests/pii_kinds/build.py --check  # exit 1 when one is stale

Each line of set.jsonl: {"text", "spans": [[kind, start, end], ...], "lang", "harmless",
"category"} — the format of tests/pii_evasive, so bench/pii_quality.py scores it alike.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lines  # noqa: E402
import lines_holdout  # noqa: E402
import lines_holdout2  # noqa: E402

FILES = {HERE / "set.jsonl": lines.LINES, HERE / "holdout.jsonl": lines_holdout.LINES,
         HERE / "holdout2.jsonl": lines_holdout2.LINES}

_MARK = re.compile(r"⟦([a-z]+)\|(.+?)⟧")
KINDS = frozenset(("address", "birthdate", "card", "email", "geo", "inn", "invite", "ip", "passport",
                   "password", "phone", "plate", "secret"))


def render(category: str, line: str) -> dict:
    spans, parts, pos, out_len = [], [], 0, 0
    for m in _MARK.finditer(line):
        kind, value = m.group(1), m.group(2)
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} in {line!r}")
        parts.append(line[pos : m.start()])
        out_len += m.start() - pos
        spans.append([kind, out_len, out_len + len(value)])
        parts.append(value)
        out_len += len(value)
        pos = m.end()
    parts.append(line[pos:])
    text = "".join(parts)
    if "⟦" in text or "⟧" in text:
        raise ValueError(f"unbalanced mark in {line!r}")
    if bool(spans) == category.startswith("negative/"):
        raise ValueError(f"category {category!r} does not match the marks of {line!r}")
    cyr, lat = re.search(r"[а-яё]", text, re.I), re.search(r"[a-z]", text, re.I)
    lang = "mixed" if cyr and lat else "ru" if cyr else "en"
    return {"text": text, "spans": spans, "lang": lang, "harmless": not spans, "category": category}


def dumps(entries: list[tuple[str, str]]) -> str:
    return "".join(json.dumps(render(c, line), ensure_ascii=False) + "\n" for c, line in entries)


def main(argv: list[str]) -> int:
    stale = []
    for out, entries in FILES.items():
        text = dumps(entries)
        if "--check" in argv:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                stale.append(out.name)
            continue
        tmp = out.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {out.name}: {len(entries)} lines")
    if "--check" in argv:
        print(f"stale: {', '.join(stale)} (run tests/pii_kinds/build.py)" if stale else "up to date")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
