"""The labelled corpus meets the issue's goals, and it is what the generator produces."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from clonebot.pii import PIIFilter

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


quality = _load(ROOT / "bench" / "pii_quality.py", "pii_quality")


def test_corpus_size_and_languages():
    recs, deny = quality.load_corpus()
    pii = [r for r in recs if not r["harmless"]]
    harmless = [r for r in recs if r["harmless"]]
    assert len(pii) >= 1000 and len(harmless) >= len(pii)
    assert {r["lang"] for r in pii} == {"ru", "en"} == {r["lang"] for r in harmless}
    kinds = {s[0] for r in pii for s in r["spans"]}
    assert kinds == {"phone", "email", "card", "iban", "snils", "inn", "passport", "crypto",
                     "secret", "password", "seed", "denylist"}
    for r in pii:  # spans point at real text
        for _, s, e in r["spans"]:
            assert 0 <= s < e <= len(r["text"]) and r["text"][s:e].strip()
    assert deny


def test_goals_recall_and_harmless():
    recs, deny = quality.load_corpus()
    res = quality.evaluate(recs, PIIFilter(denylist=deny))
    assert res["recall"] >= quality.GOAL_OVERALL, res["misses"][:10]
    for kind, v in res["per_kind"].items():
        assert v["recall"] >= quality.GOAL_PER_KIND, (kind, v)
    assert res["harmless_changed"] <= quality.GOAL_HARMLESS, res["false_positives"][:10]


def test_evaluate_can_fail():
    """The metric is not vacuous: a filter that finds nothing scores zero."""

    class Nothing:
        def scan(self, text):
            return []

    recs, _ = quality.load_corpus()
    res = quality.evaluate(recs, Nothing())
    assert res["recall"] == 0 and res["harmless_changed"] == 0


def test_committed_corpus_matches_generator():
    gen = _load(ROOT / "tests" / "pii_corpus" / "generate.py", "pii_corpus_generate")
    fresh = gen.build()
    with (ROOT / "tests" / "pii_corpus" / "labelled.jsonl").open(encoding="utf-8") as f:
        committed = [json.loads(line) for line in f]
    assert fresh == committed, "run: python tests/pii_corpus/generate.py"


def test_quality_script_runs():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "pii_quality.py")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "overall" in r.stdout and "harmless lines changed" in r.stdout
