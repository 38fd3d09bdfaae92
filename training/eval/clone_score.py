"""The clone score: can a classifier tell the clone's replies from the owner's?

The style fingerprint compares rates one at a time; a reader notices everything at once.
Here each held-out context gives two texts, the owner's real reply and the clone's reply to
the same context; a character n-gram TF-IDF + logistic regression learns to tell them
apart, and is scored out of fold by cross-validation grouped by context (the two replies to
one context are always on the same side of a split, so the classifier never sees the
owner's reply to a context it is tested on). The score is the ROC AUC of those out-of-fold
predictions: 0.5 = the classifier cannot tell them apart, 1.0 = it always can. Its 95%
interval comes from resampling the contexts (bootstrap; each resample cross-validated
afresh, so the classifier's own variance counts).

The n-grams that give the clone away are the classifier's largest weights, fitted on all
pairs, each way: what the clone writes more than the owner, and what the owner writes that
the clone does not. Each comes with the share of replies it occurs in on both sides.

Few contexts make any AUC meaningless (a dozen pairs: the interval spans most of [0, 1]),
so below ``MIN_CONTEXTS`` nothing is scored and the result says so.

Pure function over strings; scikit-learn and numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MIN_CONTEXTS = 20
FOLDS = 5
BOOTSTRAP = 100
REPEATS = 3
TOP_TELLS = 8
NGRAMS = (1, 4)
# Weak regularisation: the replies are short and few, and a classifier held back too hard
# would call the clone indistinguishable only because it learnt nothing.
C = 10.0
# Reply edges are part of the style ("ends with 🤙" is not "has 🤙"): mark them.
START, END = "\x02", "\x03"
METHOD = (f"character {NGRAMS[0]}-{NGRAMS[1]}-grams (TF-IDF) + logistic regression, "
          f"{FOLDS}-fold cross-validation grouped by context, 95% interval from {BOOTSTRAP} "
          "bootstrap resamples of the contexts")


def shown(ngram: str) -> str:
    """An n-gram as the report shows it: ^ = start of a reply, $ = its end, ␣ = a space,
    ⏎ = a line break."""
    return (ngram.replace(START, "^").replace(END, "$").replace(" ", "␣")
            .replace("\n", "⏎"))


def too_few(n: int, min_contexts: int = MIN_CONTEXTS) -> dict[str, Any]:
    return {"contexts": n, "judged": False, "auc": None, "ci": None,
            "note": f"{n} context{'s' if n != 1 else ''}: too few to judge "
                    f"(the score needs at least {min_contexts})",
            "clone_tells": [], "owner_tells": [], "method": METHOD}


def auc_of(owner_scores: np.ndarray, clone_scores: np.ndarray) -> float:
    """ROC AUC: the chance that a clone reply scores above an owner reply (ties half)."""
    d = clone_scores[:, None] - owner_scores[None, :]
    return float(((d > 0) + 0.5 * (d == 0)).mean())


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Case and emoji are style: no lowercasing, every character kept.
    return TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, lowercase=False,
                           sublinear_tf=True, min_df=2)


def _classifier():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver="liblinear", max_iter=1000)


def cv_auc(x, contexts: np.ndarray, n: int, folds: int, rng: np.random.Generator) -> float:
    """Out-of-fold AUC over ``contexts`` (indices into the n pairs; a bootstrap sample may
    repeat one). Row ``i`` of ``x`` is the owner's reply to context i, row ``n + i`` the
    clone's. A context's copies and both its replies always land in the same fold."""
    distinct = np.unique(contexts)
    fold_of = dict(zip(distinct.tolist(), rng.permutation(len(distinct)) % folds))
    fold = np.array([fold_of[c] for c in contexts.tolist()])
    rows = np.concatenate([contexts, contexts + n])
    y = np.concatenate([np.zeros(len(contexts)), np.ones(len(contexts))])
    fold2 = np.concatenate([fold, fold])
    score = np.empty(len(rows))
    import sklearn

    # Hundreds of small fits: scikit-learn's input checks would cost more than the fits.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        for k in range(folds):
            test = fold2 == k
            clf = _classifier().fit(x[rows[~test]], y[~test])
            score[test] = clf.decision_function(x[rows[test]])
    return auc_of(score[: len(contexts)], score[len(contexts):])


def _tells(x, names: np.ndarray, n: int, top: int) -> tuple[list, list]:
    """Fit on every pair; the largest weights each way, one per distinct set of replies
    (``🤙``, ``␣🤙`` and ``🤙$`` usually mark the same replies: the strongest is kept)."""
    y = np.concatenate([np.zeros(n), np.ones(n)])
    coef = _classifier().fit(x, y).coef_[0]
    present = (x > 0).tocsc()

    def pick(order: np.ndarray) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: list[frozenset] = []
        for j in order:
            rows = frozenset(present[:, j].indices.tolist())
            owner_n = sum(1 for r in rows if r < n)
            clone_n = len(rows) - owner_n
            # A weight can lean on an n-gram both sides use alike (with others): not a tell.
            if (clone_n - owner_n) * coef[j] <= 0:
                continue
            if any(len(rows & s) >= 0.9 * max(len(rows), len(s)) for s in seen):
                continue
            seen.append(rows)
            out.append({"ngram": shown(str(names[j])), "weight": round(float(coef[j]), 3),
                        "owner": owner_n / n, "clone": clone_n / n})
            if len(out) == top:
                break
        return out

    clone_way = np.argsort(-coef, kind="stable")
    owner_way = np.argsort(coef, kind="stable")
    return (pick(clone_way[coef[clone_way] > 0]), pick(owner_way[coef[owner_way] < 0]))


def interval(point: float, draws: Sequence[float], bounds: tuple[float, float] = (0.0, 1.0)
             ) -> list[float]:
    """95% interval: the point estimate +- 1.96 bootstrap standard errors.

    Every resample is cross-validated afresh (the classifier's own variance is part of the
    uncertainty: out-of-fold scores held fixed give an interval too narrow). A resample
    holds ~63% distinct contexts, so its classifiers learn from fewer and score a little
    lower: the spread of the resamples is used, not their percentiles (which that would
    shift), and it errs wide (bench/fidelity_results.md, "the clone score's interval")."""
    se = float(np.std(draws, ddof=1))
    return [max(bounds[0], float(point) - 1.96 * se), min(bounds[1], float(point) + 1.96 * se)]


def _features(owner: Sequence[str], clone: Sequence[str]):
    """TF-IDF rows: owner replies first, then the clone's. The vocabulary and its weights
    come from every reply, labels unseen: the same for every fold, and one pass instead of
    one per fit. (Every text has the edge marks, so some n-gram is always shared.)"""
    vec = _vectorizer()
    texts = [f"{START}{t.strip()}{END}" for t in [*owner, *clone]]
    return vec.fit_transform(texts).tocsr(), vec.get_feature_names_out()


def _check(owner: Sequence[str], *clones: Sequence[str], resamples: int) -> None:
    if resamples < 2:
        raise ValueError("the interval needs at least 2 bootstrap resamples")
    for clone in clones:
        if len(owner) != len(clone):
            raise ValueError(f"{len(owner)} owner replies but {len(clone)} clone replies")


def clone_score(owner: Sequence[str], clone: Sequence[str], *, seed: int = 0,
                min_contexts: int = MIN_CONTEXTS, folds: int = FOLDS,
                resamples: int = BOOTSTRAP, repeats: int = REPEATS,
                top: int = TOP_TELLS) -> dict[str, Any]:
    """``owner[i]`` and ``clone[i]`` answer the same context ``i``. Returns the AUC, its
    interval, and the n-grams that tell the two apart, or why there is no score."""
    _check(owner, clone, resamples=resamples)
    n = len(owner)
    need = max(min_contexts, 2 * folds)
    if n < need:
        return too_few(n, need)
    x, names = _features(owner, clone)
    rng = np.random.default_rng(seed)
    everything = np.arange(n)
    auc = float(np.mean([cv_auc(x, everything, n, folds, rng) for _ in range(repeats)]))
    draws = [cv_auc(x, rng.integers(0, n, n), n, folds, rng) for _ in range(resamples)]
    clone_tells, owner_tells = _tells(x, names, n, top)
    return {"contexts": n, "judged": True, "auc": auc, "ci": interval(auc, draws),
            "note": "", "clone_tells": clone_tells, "owner_tells": owner_tells,
            "method": METHOD}


def score_difference(owner: Sequence[str], new: Sequence[str], current: Sequence[str], *,
                     seed: int = 0, min_contexts: int = MIN_CONTEXTS, folds: int = FOLDS,
                     resamples: int = BOOTSTRAP, repeats: int = REPEATS) -> dict[str, Any]:
    """Two clones' replies to the same contexts, each scored against the owner's: both
    AUCs and the interval of their difference (new - current; above 0 = the new clone is
    easier to tell from its owner). Paired: every resample draws the same contexts and
    folds for both, so what the contexts share cancels out."""
    _check(owner, new, current, resamples=resamples)
    n = len(owner)
    need = max(min_contexts, 2 * folds)
    if n < need:
        return {"contexts": n, "judged": False, "note": too_few(n, need)["note"]}
    (xn, _), (xc, _) = _features(owner, new), _features(owner, current)

    def both(idx: np.ndarray, state: int) -> tuple[float, float]:
        return (cv_auc(xn, idx, n, folds, np.random.default_rng(state)),
                cv_auc(xc, idx, n, folds, np.random.default_rng(state)))

    rng = np.random.default_rng(seed)
    everything = np.arange(n)
    points = np.array([both(everything, int(rng.integers(2**31))) for _ in range(repeats)])
    draws = np.array([both(rng.integers(0, n, n), int(rng.integers(2**31)))
                      for _ in range(resamples)])
    a_new, a_cur = points.mean(axis=0)
    return {"contexts": n, "judged": True, "note": "",
            "new": {"auc": float(a_new), "ci": interval(a_new, draws[:, 0])},
            "current": {"auc": float(a_cur), "ci": interval(a_cur, draws[:, 1])},
            "difference": float(a_new - a_cur),
            "ci": interval(a_new - a_cur, draws[:, 0] - draws[:, 1], bounds=(-1.0, 1.0)),
            "method": METHOD}
