"""PII quality corpora: the labelled set (tidy input), the evasive set (dev/holdout) and
the kinds sets (tests/pii_kinds).

The labelled set must meet its goals and match its generator. The evasive set must be well
formed, valid where a kind has a checksum, split into dev/holdout by template, reproducible
from build.py, and the filter must meet the evasive goals on it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from clonebot.pii import KINDS, PIIFilter

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


quality = _load(ROOT / "bench" / "pii_quality.py", "pii_quality")
evasive_build = _load(ROOT / "tests" / "pii_evasive" / "build.py", "pii_evasive_build")
values = evasive_build.ev
harmless_values = evasive_build.hv


# ------------------------------------------------------------------ labelled corpus

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
    assert quality.meets(res, quality.GOALS["labelled"]), (res["misses"][:10], res["false_positives"][:10])


def test_evaluate_can_fail():
    """The metric is not vacuous: a filter that finds nothing scores zero, one that flags
    everything changes every harmless line."""

    class Nothing:
        def scan(self, text):
            return []

    class Everything:
        def scan(self, text):
            return [type("F", (), {"kind": "secret", "start": 0, "end": len(text), "text": text})()]

    for recs in (quality.load_corpus()[0], _evasive()):
        res = quality.evaluate(recs, Nothing())
        assert res["recall"] == 0 and res["harmless_changed"] == 0
        assert not quality.meets(res, quality.GOALS["evasive"])
        res = quality.evaluate(recs, Everything())
        assert res["recall"] == 1 and res["harmless_changed"] == 1
        assert not quality.meets(res, quality.GOALS["evasive"])


def test_committed_corpus_matches_generator():
    gen = _load(ROOT / "tests" / "pii_corpus" / "generate.py", "pii_corpus_generate")
    fresh = gen.build()
    with (ROOT / "tests" / "pii_corpus" / "labelled.jsonl").open(encoding="utf-8") as f:
        committed = [json.loads(line) for line in f]
    assert fresh == committed, "run: python tests/pii_corpus/generate.py"


def test_quality_script_runs():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "pii_quality.py"), "--set", "labelled"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "overall" in r.stdout and "harmless lines changed" in r.stdout


def test_quality_script_reports_evasive_sets_and_exit_code():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "pii_quality.py"), "--set", "evasive", "-v"],
                       capture_output=True, text=True, timeout=120)
    for title in ("evasive dev", "evasive holdout", "evasive dev + holdout"):
        assert f"== {title}" in r.stdout
    filt = PIIFilter()
    met = all(quality.meets(quality.evaluate(recs, filt), quality.GOALS["evasive"])
              for recs in (quality.load_evasive("dev"), quality.load_evasive("holdout"), _evasive()))
    assert r.returncode == (0 if met else 1), r.stdout[-2000:] + r.stderr
    bad = subprocess.run([sys.executable, str(ROOT / "bench" / "pii_quality.py"), "--set", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown set" in bad.stderr and "Traceback" not in bad.stderr


# ------------------------------------------------------------------ evasive corpus

SCORED_KINDS = ("phone", "email", "card", "iban", "inn", "passport", "password", "secret", "seed", "crypto")


def _evasive() -> list[dict]:
    return quality.load_evasive("dev") + quality.load_evasive("holdout")


def test_evasive_records_are_well_formed():
    for r in _evasive():
        assert set(r) == {"text", "spans", "lang", "harmless", "category"}, r
        assert r["lang"] in ("ru", "en", "mixed") and isinstance(r["text"], str) and r["text"].strip()
        assert r["harmless"] == (not r["spans"]), r
        if r["harmless"]:
            assert r["category"].startswith("negative/"), r
            continue
        assert r["category"] == "multi" or r["category"].split("/")[0] in KINDS, r
        for kind, s, e in r["spans"]:
            value = r["text"][s:e]
            assert kind in KINDS and 0 <= s < e <= len(r["text"]), r
            assert value == value.strip() and value, r


def test_evasive_sizes_languages_and_split():
    dev, holdout = quality.load_evasive("dev"), quality.load_evasive("holdout")
    recs = dev + holdout
    pii = [r for r in recs if not r["harmless"]]
    assert len(pii) >= 700 and len(recs) - len(pii) >= 700
    lines_per_kind = Counter(k for r in pii for k in {s[0] for s in r["spans"]})
    for kind in SCORED_KINDS:
        assert lines_per_kind[kind] >= 40, (kind, lines_per_kind)
    assert lines_per_kind["snils"] >= 20
    langs = Counter(r["lang"] for r in recs)
    assert langs["ru"] >= 0.3 * len(recs) and langs["en"] >= 0.3 * len(recs) and langs["mixed"] >= 50
    for harmless in (True, False):  # both languages on both sides
        assert {r["lang"] for r in recs if r["harmless"] is harmless} == {"ru", "en", "mixed"}
    assert 0.33 <= len(holdout) / len(recs) <= 0.45
    for part in (dev, holdout):  # every scored kind is in both parts
        assert {s[0] for r in part for s in r["spans"]} >= set(SCORED_KINDS) | {"snils"}


def _seed_words(value: str) -> list[str]:
    return re.findall(r"[a-z]+", value.lower())


def test_evasive_values_are_valid():
    """Checksummed kinds pass their checksum; seeds are valid unless announced as not."""
    checkers = {"card": values.is_valid_card, "iban": values.is_valid_iban, "inn": values.is_valid_inn,
                "snils": values.is_valid_snils, "crypto": values.is_valid_crypto}
    checked = Counter()
    for r in _evasive():
        spans = [(kind, r["text"][s:e]) for kind, s, e in r["spans"]]
        by_kind: dict[str, list[str]] = {}
        for kind, value in spans:
            by_kind.setdefault(kind, []).append(value)
        for kind, value in spans:
            if kind in checkers and r["category"] != "card/split":
                assert checkers[kind](value), (kind, value, r["text"])
                checked[kind] += 1
            if kind == "phone" and r["category"] != "phone/split":
                assert values.is_valid_phone(value, r["category"]), (value, r["text"])
                checked[kind] += 1
        if r["category"] == "card/split":
            assert values.is_valid_card(" ".join(by_kind["card"])), r["text"]
        if "seed" in by_kind:
            words = _seed_words(" ".join(by_kind["seed"]))
            if r["category"] == "seed/typo":
                assert sum(w not in values.BIP39_WORDS for w in words) == 1, r["text"]
            elif r["category"] == "seed/announced-invalid":
                assert set(words) <= values.BIP39_WORDS and not values.is_valid_seed(words), r["text"]
            else:
                assert values.is_valid_seed(words), r["text"]
            checked["seed"] += 1
    assert all(checked[k] >= 40 for k in ("card", "iban", "inn", "crypto", "phone", "seed")), checked


def test_evasive_harmless_lines_read_as_harmless():
    """No harmless line carries a value that passes a checksum or phone check, except the few
    deliberate look-alikes README.md lists."""
    deliberate = evasive_build.deliberate_lookalikes()
    assert len(deliberate) <= 5
    for r in _evasive():
        if r["harmless"] and r["text"] not in deliberate:
            assert not harmless_values.collisions(r["text"]), (r["text"], harmless_values.collisions(r["text"]))


def test_collisions_catch_real_pii():
    """The harmless guard is not vacuous: it flags what the PII side generates."""
    import random

    rng = random.Random(5)
    for make in (values.card, values.inn, values.snils, values.iban, values.crypto, values.ru_phone,
                 values.email):
        for _ in range(30):
            value, tag = make(rng)
            if tag not in ("email/plain", "email/upper") and make is values.email:
                continue  # the guard looks for plain e-mails only: harmless lines are hand-written
            assert harmless_values.collisions(f"вот {value} ок"), value
    for count in (12, 15, 18, 21, 24):
        assert harmless_values.collisions("list: " + ", ".join(values.seed_words(rng, count)))


def _skeleton(r: dict) -> tuple[str, str]:
    text = r["text"]
    for kind, s, e in sorted(r["spans"], key=lambda span: -span[1]):
        text = text[:s] + f"<{kind}>" + text[e:]
    return r["category"], text


def test_evasive_dev_and_holdout_share_no_template():
    rows = evasive_build.build()
    dev = {tid for split, tid, _ in rows if split == "dev"}
    holdout = {tid for split, tid, _ in rows if split == "holdout"}
    assert dev and holdout and not dev & holdout
    # the same, seen from the files alone: a PII line with its values masked is one phrasing
    dev_skeletons = {_skeleton(r) for r in quality.load_evasive("dev") if not r["harmless"]}
    holdout_skeletons = {_skeleton(r) for r in quality.load_evasive("holdout") if not r["harmless"]}
    assert not dev_skeletons & holdout_skeletons, sorted(dev_skeletons & holdout_skeletons)[:5]


def test_evasive_templates_are_unique():
    lines = [t for _, _, block in evasive_build.PII_GROUPS for t in evasive_build.templates(block)]
    lines += [t.removeprefix("!") for _, block in evasive_build.HARMLESS_GROUPS
              for t in evasive_build.templates(block)]
    assert len(lines) == len(set(lines)), [t for t, n in Counter(lines).items() if n > 1]


def test_evasive_build_reproduces_committed_files():
    fresh = evasive_build.split_records(evasive_build.build())
    for name, recs in fresh.items():
        committed = evasive_build.FILES[name].read_text(encoding="utf-8")
        assert evasive_build.dumps(recs) == committed, "run: python tests/pii_evasive/build.py"


def test_evasive_goals():
    """Issue 11's goals on evasive input: recall >= 0.95 overall, >= 0.9 per kind, <= 1 % of
    harmless lines changed."""
    res = quality.evaluate(_evasive(), PIIFilter())
    per_kind = {k: round(v["recall"], 3) for k, v in res["per_kind"].items()}
    overall, kind_goal, harmless_goal = quality.GOALS["evasive"]
    assert res["recall"] >= overall, (round(res["recall"], 3), per_kind, res["misses"][:10])
    assert all(r >= kind_goal for r in per_kind.values()), per_kind
    assert res["harmless_changed"] <= harmless_goal, res["false_positives"][:10]


# ------------------------------------------------------------------ issue 26 kinds

def test_kinds_sets_are_built_from_their_lines():
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "pii_kinds" / "build.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_kinds_sets_are_well_formed_and_balanced():
    for name in quality.KINDS_SETS:
        recs = quality.load_kinds(name)
        for r in recs:
            assert r["harmless"] == (not r["spans"]) == r["category"].startswith("negative/"), r
            for kind, s, e in r["spans"]:
                assert kind in KINDS and r["text"][s:e] == r["text"][s:e].strip() != "", r
        langs = Counter(r["lang"] for r in recs)
        assert langs["ru"] and langs["en"], (name, langs)
        assert sum(r["harmless"] for r in recs) >= 0.3 * len(recs), name
    new = Counter(k for r in quality.load_kinds("set") for k, _, _ in r["spans"])
    for kind in ("address", "birthdate", "geo", "invite", "ip", "plate"):
        assert new[kind] >= 9, new


def test_kinds_goals():
    """Issue 26's goals: claimed kinds >= 0.98, each new kind >= 0.9, <= 1 % harmless changed."""
    for name in quality.KINDS_SETS:
        res = quality.evaluate(quality.load_kinds(name), PIIFilter())
        assert quality.meets(res, quality.GOALS["kinds"]), (name, res["misses"][:10], res["false_positives"][:10])
