"""Sampling for the backends that hand us logits (``clonebot.model.sampling``): the nucleus
found without sorting the vocabulary is the sorted one, token for token, so a sampled reply
does not change with the faster search (both backends pick with it)."""

from __future__ import annotations

import numpy as np
import pytest

from clonebot.model import sampling
from clonebot.model.sampling import _nucleus, _nucleus_above, _nucleus_sorted, pick


def _probs(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    x = logits.astype(np.float64) / temperature
    x -= x.max()
    p = np.exp(x)
    return p / p.sum()


def _cases():
    rng = np.random.default_rng(7)
    for i in range(300):
        n = int(rng.choice([49152, 32000, 4096, 300]))
        scale = float(rng.choice([0.5, 2.0, 4.0, 8.0]))
        logits = (rng.normal(size=n) * scale).astype(np.float32)
        logits[rng.integers(0, n, 5)] += float(rng.uniform(0, 20))
        if i % 5 == 0:  # ties among likely tokens (equal logits), as duplicated rows give
            logits[rng.integers(0, n, 40)] = logits.max()
        if i % 7 == 0:  # banned tokens (the no-repeat rule)
            logits[rng.integers(0, n, 50)] = -np.inf
        yield _probs(logits, float(rng.choice([0.3, 0.7, 1.0, 1.5]))), float(
            rng.choice([0.05, 0.5, 0.9, 0.95, 0.99, 0.999999]))


def test_the_nucleus_is_the_sorted_one_token_for_token():
    fast = 0
    for probs, top_p in _cases():
        got, want = _nucleus(probs, top_p), _nucleus_sorted(probs, top_p)
        assert got.dtype == want.dtype and np.array_equal(got, want), (probs.size, top_p)
        assert want.tolist() == _reference(probs, top_p)
        fast += _nucleus_above(probs, top_p) is not None
    assert fast > 250  # the fast path answers most of them; the flattest go the sorted way


def _reference(probs, top_p):
    """The definition: the whole vocabulary sorted, most likely first, equal ones by id."""
    ref = np.argsort(-probs, kind="stable")
    keep = np.cumsum(probs[ref]) - probs[ref] < top_p
    keep[0] = True
    return ref[keep].tolist()


@pytest.mark.parametrize("logits", [
    [1.0, 5.0, 1.0, 5.0] + [-20.0] * 4000,  # ties among the likely tokens
    [3.0] * 10 + [1.0] * 300 + [0.0] * 4000,  # a head's last place shared by more than fit
    [0.0] * 20000,  # all equal
])
def test_equal_tokens_come_by_id_on_both_paths(logits):
    """Ties are common in a flat distribution (float32 logits): equal tokens are ordered by
    id, so the kept set and the order a draw walks do not depend on a partition's whim."""
    probs = _probs(np.array(logits, np.float32))
    for top_p in (0.05, 0.5, 0.9, 0.99, 0.999999):
        want = _reference(probs, top_p)
        assert _nucleus_sorted(probs, top_p).tolist() == want, top_p
        assert _nucleus(probs, top_p).tolist() == want, top_p
        fast = _nucleus_above(probs, top_p)
        assert fast is None or fast.tolist() == want


@pytest.mark.parametrize("top_k", [0, 40])
def test_pick_draws_the_same_tokens_as_with_the_sorted_nucleus(monkeypatch, top_k):
    draws = []
    for search in (None, _nucleus_sorted):
        if search is not None:
            monkeypatch.setattr(sampling, "_nucleus", search)
        rng = np.random.default_rng(1)
        logits = np.random.default_rng(2).normal(size=(200, 49152)).astype(np.float32) * 3
        draws.append([pick(row, rng, temperature=0.8, top_k=top_k, top_p=0.95) for row in logits])
    assert draws[0] == draws[1]
