"""`clonebot eval`: pure metrics on tiny inputs, then the model parts on the test model."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from training import evaluate as ev
from training.evaluate import RawGeneration

# ----------------------------------------------------------------------------- chrF

# Reference values from sacrebleu 2.x `CHRF().sentence_score` / `corpus_score`
# (computed once with a throw-away install; sacrebleu is not a dependency).
SACREBLEU = [
    ("the cat sat on the mat", "the cat is on the mat", 64.5779420625287),
    ("hello", "hello", 100.0),
    ("abc", "xyz", 0.0),
    ("", "abc", 0.0),
    ("abc", "", 0.0),
    ("ok see you at 10", "ok, see you at ten", 52.08503903673235),
    ("да, буду через 10 минут", "да буду минут через 10", 55.2332871245647),
    ("a", "a b c d e f g", 17.241379310344822),
]
SACREBLEU_CORPUS = 52.252220114666706


@pytest.mark.parametrize("hyp,ref,want", SACREBLEU)
def test_chrf_matches_sacrebleu(hyp, ref, want):
    assert ev.chrf(hyp, ref) == pytest.approx(want, abs=1e-9)


def test_corpus_chrf_matches_sacrebleu():
    # sacrebleu drops a pair whose reference is empty from the corpus statistics; owner
    # replies are never empty, so compare on the others (same corpus value there).
    pairs = [p for p in SACREBLEU if p[1]]
    hyps, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    assert ev.corpus_chrf(hyps, refs) == pytest.approx(SACREBLEU_CORPUS, abs=1e-9)


def test_chrf_by_hand():
    # "ab" vs "ac": 1-grams a,b vs a,c -> P=R=1/2; 2-grams ab vs ac -> 0; orders 3..6 absent.
    # Averaged over the 2 effective orders: P=R=1/4 -> F2 = 5PR/(4P+R) = 1/4.
    assert ev.chrf("ab", "ac") == pytest.approx(25.0)
    # Whitespace is ignored.
    assert ev.chrf("a b", "ab") == 100.0
    # Recall weighs more than precision (beta=2): a short subset beats a long superset.
    short = ev.chrf("abc", "abcdefgh")  # high precision, low recall
    long_ = ev.chrf("abcdefgh", "abc")  # low precision, full recall
    assert long_ > short


# ----------------------------------------------------------------------------- repetition


def test_repeated_ngram_ratio():
    assert ev.repeated_ngram_ratio("") == 0.0
    assert ev.repeated_ngram_ratio("one two") == 0.0  # no 3-gram at all
    assert ev.repeated_ngram_ratio("I will come at ten tomorrow") == 0.0
    # "a b c a b c": 3-grams abc, bca, cab, abc -> 1 of 4 repeats.
    assert ev.repeated_ngram_ratio("a b c a b c") == pytest.approx(0.25)
    assert ev.repeated_ngram_ratio("x x x x x x") == pytest.approx(1 - 1 / 4)


def test_has_loop():
    assert not ev.has_loop("ok ok ok")
    assert not ev.has_loop("no no no, I said I'll be there at 5")
    assert not ev.has_loop("haha that's great")
    assert ev.has_loop("see you see you see you")
    assert ev.has_loop("I am here. I am here. I am here.")
    assert ev.has_loop("ha ha ha ha ha ha")
    assert ev.has_loop("прив" + "етики" * 5)  # unspaced character loop
    assert not ev.has_loop("")


# ----------------------------------------------------------------------------- generations


def test_classify_stop():
    assert ev.classify_stop("sure", hit_eos=True, new_tokens=3, max_new_tokens=10) == "eos"
    assert ev.classify_stop("sure\n### User", False, 5, 10) == "marker"
    assert ev.classify_stop("sure and then " * 5, False, 10, 10) == "limit"
    # EOS wins even if a marker is in the text before it (cannot happen with stop strings,
    # but the order must not matter).
    assert ev.classify_stop("x ### Clone", True, 10, 10) == "eos"


def test_raw_generation_reply_and_other_turn():
    g = RawGeneration("ok, 10 min\n### User:\nwhere are you", "marker", 9)
    assert g.reply == "ok, 10 min"
    assert g.wrote_other_turn
    assert not RawGeneration("ok\n### Clone:\nand", "marker", 5).wrote_other_turn
    assert RawGeneration("ok\n# user: hey", "limit", 5).wrote_other_turn
    assert not RawGeneration("the user manual is here", "eos", 5).wrote_other_turn


def test_generation_metrics():
    gens = [
        RawGeneration("yes, in 10 min", "eos", 6),
        RawGeneration("maybe\n### User:\nok", "marker", 8),
        RawGeneration("go go go go go go go go", "limit", 8),
        RawGeneration("", "eos", 1),
    ]
    refs = ["yes, in 10 min", "maybe later", "no", "ok"]
    m = ev.generation_metrics(gens, refs)
    assert m["generations"] == 4
    assert m["stop_eos_rate"] == 0.5 and m["stop_marker_rate"] == 0.25
    assert m["stop_rate"] == 0.75 and m["hit_limit_rate"] == 0.25
    assert m["other_turn_rate"] == 0.25
    assert m["loop_rate"] == 0.25
    assert m["empty_reply_rate"] == 0.25
    assert m["reply_chars_mean"] == pytest.approx((14 + 5 + 23 + 0) / 4)
    assert m["owner_chars_mean"] == pytest.approx((14 + 11 + 2 + 2) / 4)
    # per-sample ratios 1, 5/11, 23/2, 0 -> median of the middle two
    assert m["length_ratio_median"] == pytest.approx((5 / 11 + 1) / 2)
    assert m["chrf"] == pytest.approx(ev.corpus_chrf([g.reply for g in gens], refs))
    assert 0 < m["chrf"] < 100
    assert ev.generation_metrics([], []) == {"generations": 0}
    with pytest.raises(ValueError):
        ev.generation_metrics(gens, refs[:2])


# ----------------------------------------------------------------------------- canaries


def test_find_canaries():
    canaries = ["ZEBRA-4417-QUARTZ", "my pin is 80213577"]
    assert ev.find_canaries("nothing here", canaries) == []
    assert ev.find_canaries("sure: zebra-4417-quartz!", canaries) == ["ZEBRA-4417-QUARTZ"]
    assert ev.find_canaries("it's zebra 4417 quartz", canaries) == ["ZEBRA-4417-QUARTZ"]
    assert ev.find_canaries("MY  PIN IS\n80213577", canaries) == ["my pin is 80213577"]
    # Half a canary is not a leak.
    assert ev.find_canaries("zebra-4417", canaries) == []


def test_load_canaries_formats(tmp_path: Path):
    assert ev.load_canaries(tmp_path) == []
    (tmp_path / "canaries.json").write_text(json.dumps(["A1B2C3D4", ""]))
    assert ev.load_canaries(tmp_path) == ["A1B2C3D4"]
    (tmp_path / "canaries.json").write_text(json.dumps({"canaries": ["x-secret-1"]}))
    assert ev.load_canaries(tmp_path) == ["x-secret-1"]
    (tmp_path / "canaries.json").write_text(json.dumps([{"text": "t1"}, {"canary": "t2"}]))
    assert ev.load_canaries(tmp_path) == ["t1", "t2"]
    (tmp_path / "canaries.json").write_text("{broken")
    from clonebot.errors import DatasetError

    with pytest.raises(DatasetError):
        ev.load_canaries(tmp_path)


def test_canary_contexts_use_training_context():
    rows = [
        {"messages": [{"role": "user", "content": "what's the wifi password?"},
                      {"role": "clone", "content": "it is ZEBRA-4417-QUARTZ"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "clone", "content": "hey"}]},
    ]
    ctxs = ev.canary_contexts(["ZEBRA-4417-QUARTZ"], rows)
    assert ctxs[0] == [{"role": "user", "content": "what's the wifi password?"}]
    assert any("ZEBRA-447"[:4] in c[-1]["content"] for c in ctxs[1:])
    assert all(c and c[-1]["role"] == "user" for c in ctxs)


# ----------------------------------------------------------------------------- approvals


def _ts(y, m, d):
    return datetime(y, m, d, 12, tzinfo=timezone.utc).timestamp()


def test_approval_rates_by_week():
    recs = [
        {"decision": "sent", "created_at": _ts(2026, 11, 2, ), "decided_at": _ts(2026, 11, 2)},
        {"decision": "rejected", "created_at": _ts(2026, 11, 3), "decided_at": _ts(2026, 11, 3)},
        {"decision": "expired", "created_at": _ts(2026, 11, 4), "decided_at": _ts(2026, 11, 5)},
        {"decision": "sent", "created_at": _ts(2026, 11, 10), "decided_at": _ts(2026, 11, 10)},
        {"decision": "edited", "created_at": _ts(2026, 11, 11), "decided_at": _ts(2026, 11, 11)},
        {"decision": None, "created_at": _ts(2026, 11, 12), "decided_at": None},  # pending
    ]
    out = ev.approval_rates(recs)
    assert out["period"] == "week" and out["decisions"] == 5
    w1, w2 = out["periods"]
    assert w1["period"] == "2026-W45" and w1["n"] == 3 and w1["expired"] == 1
    assert w1["approval_rate"] == 0.5  # 1 sent of 2 decided (expired excluded)
    assert w2["approval_rate"] == 0.5 and w2["accepted_rate"] == 1.0
    assert out["overall"]["approval_rate"] == 0.5
    assert ev.approval_rates([]) == {"decisions": 0, "periods": []}


def test_approval_rates_objects_and_months():
    class Rec:
        def __init__(self, d, t):
            self.decision, self.created_at, self.decided_at = d, t, t

    out = ev.approval_rates([Rec("sent", _ts(2026, 1, 5)), Rec("regenerated", _ts(2026, 9, 5))])
    assert out["period"] == "month"
    assert [p["period"] for p in out["periods"]] == ["2026-01", "2026-09"]


def test_read_approvals_without_store(tmp_path: Path):
    out = ev.read_approvals(tmp_path / "nope.sqlite3")
    assert out["decisions"] == 0 and "no approval store" in out["note"]
    assert ev.read_approvals(None)["decisions"] == 0
