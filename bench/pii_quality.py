"""PII filter quality on the labelled corpus (tests/pii_corpus/labelled.jsonl).

    python bench/pii_quality.py [-v]

Recall: a labelled span counts as found when every non-space character of it lies inside
some finding (what matters for privacy is that it gets redacted); "kind ok" additionally
needs a finding of the labelled kind to overlap it. Harmless changed: share of harmless
lines on which the filter finds anything (i.e. redact() would change them).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "pii_corpus"

GOAL_OVERALL = 0.99
GOAL_PER_KIND = 0.95
GOAL_HARMLESS = 0.02


def load_corpus() -> tuple[list[dict], list[str]]:
    with (CORPUS / "labelled.jsonl").open(encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    deny = json.loads((CORPUS / "denylist.json").read_text(encoding="utf-8"))
    return recs, deny


def evaluate(recs: list[dict], filt) -> dict:
    total, found, kind_ok = Counter(), Counter(), Counter()
    harmless = changed = 0
    misses: list[tuple[str, str]] = []
    false_pos: list[tuple[str, str]] = []
    for r in recs:
        findings = filt.scan(r["text"])
        if r["harmless"]:
            harmless += 1
            if findings:
                changed += 1
                false_pos.append((r["text"], ", ".join(f"{f.kind}:{f.text!r}" for f in findings)))
            continue
        covered = set()
        for f in findings:
            covered.update(range(f.start, f.end))
        for kind, s, e in r["spans"]:
            total[kind] += 1
            need = [i for i in range(s, e) if not r["text"][i].isspace()]
            if all(i in covered for i in need):
                found[kind] += 1
                if any(f.kind == kind and f.start < e and s < f.end for f in findings):
                    kind_ok[kind] += 1
            else:
                misses.append((kind, r["text"]))
    n = sum(total.values())
    return {
        "per_kind": {k: {"n": total[k], "recall": found[k] / total[k], "kind_ok": kind_ok[k] / total[k]}
                     for k in sorted(total)},
        "spans": n,
        "recall": sum(found.values()) / n if n else 0.0,
        "kind_ok": sum(kind_ok.values()) / n if n else 0.0,
        "harmless": harmless,
        "harmless_changed": changed / harmless if harmless else 0.0,
        "misses": misses,
        "false_positives": false_pos,
    }


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from clonebot.pii import PIIFilter

    recs, deny = load_corpus()
    res = evaluate(recs, PIIFilter(denylist=deny))
    print(f"{'kind':<10} {'n':>5} {'recall':>8} {'kind ok':>8}")
    for k, v in res["per_kind"].items():
        flag = "" if v["recall"] >= GOAL_PER_KIND else "  < goal"
        print(f"{k:<10} {v['n']:>5} {v['recall']:>8.3f} {v['kind_ok']:>8.3f}{flag}")
    print(f"{'overall':<10} {res['spans']:>5} {res['recall']:>8.3f} {res['kind_ok']:>8.3f}"
          f"   (goal >= {GOAL_OVERALL}, per kind >= {GOAL_PER_KIND})")
    print(f"harmless lines changed: {res['harmless_changed'] * 100:.2f}% of {res['harmless']}"
          f"   (goal <= {GOAL_HARMLESS * 100:.0f}%)")
    if "-v" in argv:
        for kind, text in res["misses"]:
            print(f"MISS {kind}: {text}")
        for text, what in res["false_positives"]:
            print(f"FP   {what}  <- {text}")
    ok = (res["recall"] >= GOAL_OVERALL and res["harmless_changed"] <= GOAL_HARMLESS
          and all(v["recall"] >= GOAL_PER_KIND for v in res["per_kind"].values()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
