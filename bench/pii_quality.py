"""PII filter quality: our labelled corpus, the independent evasive corpus and issue 26's kinds.

    python bench/pii_quality.py [-v] [--set labelled|dev|holdout|evasive|kinds|all]

labelled  tests/pii_corpus/labelled.jsonl (tidy input, written beside the detector)
dev       tests/pii_evasive/dev.jsonl     (evasive chat input, written apart; tune on this)
holdout   tests/pii_evasive/holdout.jsonl (same corpus, phrasings never seen in dev: do not tune)
evasive   dev, holdout and both together
kinds     tests/pii_kinds/set.jsonl and holdout.jsonl (issue 26: addresses, dates of birth,
          coordinates, invite and login links, IP addresses, car plates, and the blind round's miss
          categories; hand-written, the second batch after the detector work and scored once first)
all       (the default) every set above

Recall: a labelled span counts as found when every non-space character of it lies inside
some finding (what matters for privacy is that it gets redacted); "kind ok" additionally
needs a finding of the labelled kind to overlap it. Harmless changed: share of harmless
lines on which the filter finds anything (i.e. redact() would change them).
Beyond its values: share of PII lines on which a finding also covers text outside every
labelled value (a tool's name before a key, a repository path after a token): shown, not a goal.
Exit code 1 when any printed set misses its goals. -v lists misses and false positives,
and for the evasive and kinds sets counts misses per category.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "pii_corpus"
EVASIVE = ROOT / "tests" / "pii_evasive"
EVASIVE_SETS = ("dev", "holdout")
KINDS_SETS = {"set": ROOT / "tests" / "pii_kinds" / "set.jsonl",  # written before the detector work
              "holdout": ROOT / "tests" / "pii_kinds" / "holdout.jsonl",  # written after it, scored once first
              "holdout2": ROOT / "tests" / "pii_kinds" / "holdout2.jsonl"}  # after the holdout's fixes, alike

# (overall recall, recall of every kind, harmless lines changed at most)
GOALS = {"labelled": (0.99, 0.95, 0.02), "evasive": (0.95, 0.90, 0.01), "kinds": (0.98, 0.90, 0.01)}
GOAL_OVERALL, GOAL_PER_KIND, GOAL_HARMLESS = GOALS["labelled"]


def load_corpus() -> tuple[list[dict], list[str]]:
    with (CORPUS / "labelled.jsonl").open(encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    deny = json.loads((CORPUS / "denylist.json").read_text(encoding="utf-8"))
    return recs, deny


def load_evasive(name: str) -> list[dict]:
    """One evasive set ("dev" or "holdout"); the evasive corpus has no denylist entries."""
    with (EVASIVE / f"{name}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_kinds(name: str = "set") -> list[dict]:
    with KINDS_SETS[name].open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def evaluate(recs: list[dict], filt) -> dict:
    total, found, kind_ok = Counter(), Counter(), Counter()
    harmless = changed = pii_lines = beyond = 0
    misses: list[tuple[str, str, str]] = []
    false_pos: list[tuple[str, str, str]] = []
    for r in recs:
        category = r.get("category", "")
        findings = filt.scan(r["text"])
        if r["harmless"]:
            harmless += 1
            if findings:
                changed += 1
                false_pos.append((r["text"], ", ".join(f"{f.kind}:{f.text!r}" for f in findings), category))
            continue
        covered = set()
        for f in findings:
            covered.update(range(f.start, f.end))
        labelled = {i for _, s, e in r["spans"] for i in range(s, e)}
        pii_lines += 1
        beyond += any(i not in labelled and not r["text"][i].isspace() for i in covered)
        for kind, s, e in r["spans"]:
            total[kind] += 1
            need = [i for i in range(s, e) if not r["text"][i].isspace()]
            if all(i in covered for i in need):
                found[kind] += 1
                if any(f.kind == kind and f.start < e and s < f.end for f in findings):
                    kind_ok[kind] += 1
            else:
                misses.append((kind, r["text"], category))
    n = sum(total.values())
    return {
        "per_kind": {k: {"n": total[k], "recall": found[k] / total[k], "kind_ok": kind_ok[k] / total[k]}
                     for k in sorted(total)},
        "spans": n,
        "recall": sum(found.values()) / n if n else 0.0,
        "kind_ok": sum(kind_ok.values()) / n if n else 0.0,
        "harmless": harmless,
        "harmless_changed": changed / harmless if harmless else 0.0,
        "beyond": beyond / pii_lines if pii_lines else 0.0,
        "misses": misses,
        "false_positives": false_pos,
    }


def meets(res: dict, goals: tuple[float, float, float]) -> bool:
    overall, per_kind, harmless = goals
    return (res["recall"] >= overall and res["harmless_changed"] <= harmless
            and all(v["recall"] >= per_kind for v in res["per_kind"].values()))


def report(title: str, res: dict, goals: tuple[float, float, float], verbose: bool,
           by_category: bool) -> bool:
    overall, per_kind, harmless = goals
    print(f"== {title}")
    print(f"{'kind':<10} {'n':>5} {'recall':>8} {'kind ok':>8}")
    for k, v in res["per_kind"].items():
        flag = "" if v["recall"] >= per_kind else "  < goal"
        print(f"{k:<10} {v['n']:>5} {v['recall']:>8.3f} {v['kind_ok']:>8.3f}{flag}")
    print(f"{'overall':<10} {res['spans']:>5} {res['recall']:>8.3f} {res['kind_ok']:>8.3f}"
          f"   (goal >= {overall}, per kind >= {per_kind})")
    print(f"harmless lines changed: {res['harmless_changed'] * 100:.2f}% of {res['harmless']}"
          f"   (goal <= {harmless * 100:.0f}%)")
    print(f"PII lines redacted beyond their values: {res['beyond'] * 100:.1f}%   (shown, not a goal)")
    if verbose and by_category:
        cats = Counter(cat for _, _, cat in res["misses"])
        cats.update(cat for _, _, cat in res["false_positives"])
        for cat, n in cats.most_common():
            print(f"  {n:>4}  {cat}")
    if verbose:
        for kind, text, _ in res["misses"]:
            print(f"MISS {kind}: {text!r}")
        for text, what, _ in res["false_positives"]:
            print(f"FP   {what}  <- {text!r}")
    ok = meets(res, goals)
    print("goals met" if ok else "GOALS MISSED")
    return ok


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from clonebot.pii import PIIFilter

    verbose = "-v" in argv
    at = argv.index("--set") + 1 if "--set" in argv else None
    which = (argv[at] if at < len(argv) else "") if at is not None else "all"
    if which not in ("labelled", "dev", "holdout", "evasive", "kinds", "all"):
        print(f"unknown set {which!r}: use labelled, dev, holdout, evasive, kinds or all", file=sys.stderr)
        return 2
    ok = True
    if which in ("labelled", "all"):
        recs, deny = load_corpus()
        ok &= report("labelled (tests/pii_corpus)", evaluate(recs, PIIFilter(denylist=deny)),
                     GOALS["labelled"], verbose, by_category=False)
    filt = PIIFilter()
    names = {"labelled": [], "kinds": [], "dev": ["dev"], "holdout": ["holdout"]}.get(which, list(EVASIVE_SETS))
    sets = {name: load_evasive(name) for name in names}
    for name, recs in sets.items():
        ok &= report(f"evasive {name} (tests/pii_evasive/{name}.jsonl)", evaluate(recs, filt),
                     GOALS["evasive"], verbose, by_category=True)
    if len(sets) > 1:
        both = [r for recs in sets.values() for r in recs]
        ok &= report("evasive dev + holdout", evaluate(both, filt), GOALS["evasive"], False, by_category=False)
    if which in ("kinds", "all"):
        for name, path in KINDS_SETS.items():
            recs = load_kinds(name)
            ok &= report(f"issue 26 kinds {name} (tests/pii_kinds/{path.name})", evaluate(recs, filt),
                         GOALS["kinds"], verbose, by_category=True)
            opt_in = evaluate(recs, PIIFilter(all_coordinates=True))
            print(f"with pii.all_coordinates = true: recall {opt_in['recall']:.3f}, harmless lines changed "
                  f"{opt_in['harmless_changed'] * 100:.2f}%")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
