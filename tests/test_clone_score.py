"""The clone score (a discriminator owner vs clone) and the by-context-length view.

The owner here is the fidelity benchmark's styled owner (bench/styled_export.py): replies
drawn from it twice are one distribution, so a fair classifier cannot tell them apart;
the same replies rewritten as a formal assistant would write them are told apart at once.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest

from training.eval import clone_score as cs
from training.eval.context_length import BUCKETS, bucket_of, by_context_length, earlier_turns

_spec = importlib.util.spec_from_file_location(
    "styled_export", Path(__file__).resolve().parents[1] / "bench" / "styled_export.py")
styled = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(styled)


def owner_replies(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [styled.owner_message(rng) for _ in range(n)]


def formal(text: str) -> str:
    """What an assistant-like clone makes of a reply: capitalised, no emoji, a full stop."""
    return text.replace(" 🤙", "").replace(" 😂", "").rstrip(")?").capitalize() + "."


def test_same_style_is_indistinguishable():
    owner, clone = owner_replies(100, 1), owner_replies(100, 2)
    r = cs.clone_score(owner, clone, seed=0, resamples=40)
    assert r["judged"] and r["contexts"] == 100
    lo, hi = r["ci"]
    assert lo < 0.5 < hi and abs(r["auc"] - 0.5) < 0.1
    assert hi - lo < 0.4  # an interval that says something at 100 contexts


def test_a_formal_clone_is_told_apart_and_what_gives_it_away():
    owner = owner_replies(60, 3)
    clone = [formal(t) for t in owner_replies(60, 4)]
    r = cs.clone_score(owner, clone, seed=0, resamples=40)
    assert r["auc"] > 0.95 and r["ci"][0] > 0.85
    clone_way = [t["ngram"] for t in r["clone_tells"]]
    owner_way = [t["ngram"] for t in r["owner_tells"]]
    # The full stop at the end gives the clone away; the owner's emoji is theirs alone.
    assert any(g.endswith(".$") or g == "." for g in clone_way[:3]), clone_way
    assert any("🤙" in g for g in owner_way), owner_way
    dot = next(t for t in r["clone_tells"] if t["ngram"] in (".", ".$"))
    assert dot["owner"] == 0.0 and dot["clone"] == 1.0
    # One entry per set of replies: "🤙", "␣🤙" and "🤙$" mark the same ones.
    assert sum("🤙" in g for g in owner_way) == 1


def test_an_exaggerated_habit_scores_above_chance():
    owner = owner_replies(150, 5)
    rng = random.Random(6)
    clone = [t if t.endswith("🤙") else t.rstrip(")?") + " 🤙" if rng.random() < 0.7 else t
             for t in owner_replies(150, 7)]
    r = cs.clone_score(owner, clone, seed=0, resamples=10)
    assert r["auc"] > 0.6
    assert "🤙" in r["clone_tells"][0]["ngram"]


def test_too_few_contexts_are_not_scored():
    r = cs.clone_score(["ну"] * 12, ["Hello."] * 12)
    assert r["judged"] is False and r["auc"] is None and r["ci"] is None
    assert r["note"] == "12 contexts: too few to judge (the score needs at least 20)"
    assert cs.clone_score([], [])["note"].startswith("0 contexts")
    with pytest.raises(ValueError):
        cs.clone_score(["a"] * 30, ["b"] * 29)


def test_cross_validation_never_splits_a_context(monkeypatch):
    """Both replies to one context, and every bootstrap copy of it, are on the same side of
    each split: the classifier is never tested on a context it was trained on."""
    n = 30
    owner = [f"ответ {i} " + "ы" * i for i in range(n)]
    clone = [f"Ответ {i}. " + "ы" * i for i in range(n)]
    x, _ = cs._features(owner, clone)

    def key(row) -> bytes:
        return row.indices.tobytes() + row.data.tobytes()

    context_of = {key(x[i]): i % n for i in range(2 * n)}
    assert len(context_of) == 2 * n  # every reply's row is unique
    real = cs._classifier
    tested: list[set[int]] = []

    class Spy:
        def fit(self, xt, y):
            self.seen = {context_of[key(xt[i])] for i in range(xt.shape[0])}
            self.clf = real().fit(xt, y)
            return self

        def decision_function(self, xt):
            asked = {context_of[key(xt[i])] for i in range(xt.shape[0])}
            assert not asked & self.seen
            tested.append(asked)
            return self.clf.decision_function(xt)

    monkeypatch.setattr(cs, "_classifier", Spy)
    draw = np.random.default_rng(0).integers(0, n, n)  # a bootstrap draw: some contexts twice
    assert len(set(draw.tolist())) < n
    auc = cs.cv_auc(x, draw, n, 5, np.random.default_rng(1))
    assert 0.0 <= auc <= 1.0
    assert len(tested) == 5 and set().union(*tested) == set(draw.tolist())


def test_paired_difference():
    owner = owner_replies(40, 8)
    in_style, stiff = owner_replies(40, 9), [formal(t) for t in owner_replies(40, 10)]
    same = cs.score_difference(owner, in_style, in_style, resamples=30)
    assert same["difference"] == 0.0 and same["ci"] == [0.0, 0.0]
    worse = cs.score_difference(owner, stiff, in_style, resamples=30)
    assert worse["new"]["auc"] > 0.9 and worse["current"]["auc"] < 0.75
    assert worse["difference"] == pytest.approx(worse["new"]["auc"] - worse["current"]["auc"])
    assert worse["ci"][0] > 0.1
    assert cs.score_difference(owner[:10], stiff[:10], in_style[:10])["judged"] is False


def test_shown_ngrams():
    assert cs.shown("\x02ну ") == "^ну␣" and cs.shown("🤙\x03") == "🤙$" and cs.shown("a\nb") == "a⏎b"


# ----------------------------------------------------------------------------- context length


def _ctx(turns: int) -> list[dict]:
    roles = ["user", "clone"]
    return [{"role": roles[(turns - 1 - i) % 2], "content": f"t{i}"} for i in range(turns)]


def test_buckets_by_earlier_turns():
    assert [earlier_turns(_ctx(k)) for k in (1, 2, 4, 5)] == [0, 1, 3, 4]
    assert [bucket_of(_ctx(k)) for k in range(1, 8)] == ["0", "1-2", "1-2", "3-4", "3-4", "5+", "5+"]
    assert [b[0] for b in BUCKETS] == ["0", "1-2", "3-4", "5+"]


def test_by_context_length_scores_each_bucket_and_names_small_ones():
    owner = owner_replies(70, 11)
    clone = owner_replies(25, 12) + [formal(t) for t in owner_replies(45, 13)]
    contexts = [_ctx(1)] * 25 + [_ctx(4)] * 40 + [_ctx(2)] * 5
    out = by_context_length(contexts, owner, clone, seed=0)
    assert [b["bucket"] for b in out] == ["0", "1-2", "3-4"]  # no "5+": none there
    first, mid, deep = out
    assert first["replies"] == 25 and first["judged"]
    assert deep["replies"] == 40 and deep["judged"]
    # A clone that sounds like its owner on first messages and stiff deep in a conversation.
    assert first["clone_score"]["auc"] < 0.75 < 0.9 < deep["clone_score"]["auc"]
    assert deep["style"]["max_rate_difference"] > first["style"]["max_rate_difference"]
    assert mid["replies"] == 5 and not mid["judged"] and "too few" in mid["note"]
    assert mid["clone_score"]["judged"] is False
