"""Style fingerprint: does the clone write like the owner?

``profile(texts)`` measures one set of replies: length in words and characters (as
distributions), emoji use (overall and per emoji), lowercase share, how replies close,
question rate, script mix (Cyrillic / Latin / both), first words and frequent phrases.
``compare(owner, clone)`` puts the owner's held-out replies beside the clone's generations
for the same contexts: every figure as a rate on both sides with its difference and the
sampling noise of that difference, and the length distributions with their
Kolmogorov-Smirnov distance. Which emojis, openings and phrases are listed comes from both
sides (the owner's habits and any the clone invents), so an exaggeration shows as well as
a loss.

Pure functions over strings; no model, no I/O.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import regex

# An emoji is a grapheme cluster holding a pictographic code point (ZWJ sequences, skin
# tones and keycaps stay one emoji) or a pair of regional indicators (a flag).
_GRAPHEME = regex.compile(r"\X")
_PICTOGRAPHIC = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}{2}")
_WORD = regex.compile(r"\w+")
_CYRILLIC = regex.compile(r"\p{Script=Cyrillic}")
_LATIN = regex.compile(r"\p{Script=Latin}")
_VARIATION_SELECTOR = "\ufe0f"

CLOSINGS = {"emoji": "ends with an emoji", ")": "ends with )", "(": "ends with (",
            "?": "ends with ?", "!": "ends with !", ".": "ends with .", "…": "ends with …",
            "other": "ends with other punctuation", "word": "ends with a word",
            "empty": "empty reply"}
SCRIPTS = {"cyrillic": "Cyrillic only", "latin": "Latin only", "both": "Cyrillic and Latin",
           "no letters": "no letters"}
WORD_BINS = ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 6), (7, 10), (11, 20), (21, None))
CHAR_BINS = ((0, 5), (6, 10), (11, 20), (21, 40), (41, 80), (81, 160), (161, None))
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)

# What counts as a habit worth listing: at least this share of one side's replies.
MIN_SHARE = 0.03
TOP_EMOJIS = 5
TOP_OPENINGS = 5
TOP_PHRASES = 8
# How far a clone rate may sit from the owner's before eval flags it.
TOLERANCE = 0.1


def emojis(text: str) -> list[str]:
    """The emojis of ``text`` in order (one per grapheme cluster, without U+FE0F)."""
    return [g.replace(_VARIATION_SELECTOR, "") for g in _GRAPHEME.findall(text)
            if _PICTOGRAPHIC.search(g)]


def words(text: str) -> list[str]:
    """Lowercased words (letters and digits; emoji and punctuation are not words)."""
    return [w.lower() for w in _WORD.findall(text)]


def closing(text: str) -> str:
    """How a reply ends: ``emoji``, a smiley bracket, ``?``, ``!``, ``.``, ``…``, ``other``
    punctuation, a ``word`` (letter or digit), or ``empty``. "))" and "?!" count by their
    last character; "..." is ``…``."""
    t = text.rstrip()
    if not t:
        return "empty"
    last = _GRAPHEME.findall(t)[-1]
    if _PICTOGRAPHIC.search(last):
        return "emoji"
    if t.endswith("...") or last == "…":
        return "…"
    if last in (")", "(", "?", "!", "."):
        return last
    if _WORD.fullmatch(last):
        return "word"
    return "other"


def script(text: str) -> str:
    cyr, lat = bool(_CYRILLIC.search(text)), bool(_LATIN.search(text))
    if cyr and lat:
        return "both"
    return "cyrillic" if cyr else "latin" if lat else "no letters"


def is_lowercase(text: str) -> bool | None:
    """True if the reply has cased letters and none is uppercase; None without letters."""
    cased = [c for c in text if c.isupper() or c.islower()]
    if not cased:
        return None
    return not any(c.isupper() for c in cased)


def opening(text: str) -> str | None:
    w = words(text)
    return w[0] if w else None


def phrases(text: str) -> set[str]:
    """Word 1- and 2-grams of a reply (each counted once per reply)."""
    w = words(text)
    return set(w) | {f"{a} {b}" for a, b in zip(w, w[1:])}


def _quantile(sorted_xs: Sequence[float], q: float) -> float:
    # Linear interpolation between closest ranks (numpy's default).
    pos = (len(sorted_xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def _bin_label(lo: int, hi: int | None) -> str:
    return f"{lo}+" if hi is None else str(lo) if lo == hi else f"{lo}-{hi}"


def distribution(xs: Sequence[int], bins: Sequence[tuple[int, int | None]]) -> dict[str, Any]:
    """Mean, quantiles and a histogram (shares per bin) of ``xs``."""
    if not xs:
        return {"n": 0, "mean": None, "quantiles": {}, "histogram": {}}
    s = sorted(xs)
    hist = {_bin_label(lo, hi): sum(1 for x in xs if x >= lo and (hi is None or x <= hi)) / len(xs)
            for lo, hi in bins}
    return {"n": len(xs), "mean": statistics.fmean(xs),
            "quantiles": {f"p{round(100 * q)}": _quantile(s, q) for q in QUANTILES},
            "histogram": hist}


def ks_distance(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical
    CDFs (0 = same distribution, 1 = disjoint)."""
    if not a or not b:
        return None
    xs = sorted(set(a) | set(b))
    sa, sb = sorted(a), sorted(b)
    gap, i, j = 0.0, 0, 0
    for x in xs:
        while i < len(sa) and sa[i] <= x:
            i += 1
        while j < len(sb) and sb[j] <= x:
            j += 1
        gap = max(gap, abs(i / len(sa) - j / len(sb)))
    return gap


def _shares(counter: Counter, n: int) -> dict[str, float]:
    return {k: v / n for k, v in counter.most_common()} if n else {}


def profile(texts: Iterable[str]) -> dict[str, Any]:
    """Style figures of one set of replies (shares are of all replies unless noted)."""
    texts = [t.strip() for t in texts]
    n = len(texts)
    lower = [v for v in (is_lowercase(t) for t in texts) if v is not None]
    emoji_counts = Counter(e for t in texts for e in set(emojis(t)))
    emoji_closings = Counter(emojis(t)[-1] for t in texts if closing(t) == "emoji")
    return {
        "replies": n,
        "words": distribution([len(words(t)) for t in texts], WORD_BINS),
        "chars": distribution([len(t) for t in texts], CHAR_BINS),
        "emoji_rate": sum(1 for t in texts if emojis(t)) / n if n else None,
        "emojis_per_reply": sum(len(emojis(t)) for t in texts) / n if n else None,
        "emojis": _shares(emoji_counts, n),
        "closing_emojis": _shares(emoji_closings, n),
        # Of the replies that have cased letters at all.
        "lowercase_share": sum(lower) / len(lower) if lower else None,
        "lowercase_of": len(lower),
        "closing": _shares(Counter(closing(t) for t in texts), n),
        "question_rate": sum(1 for t in texts if "?" in t) / n if n else None,
        "scripts": _shares(Counter(script(t) for t in texts), n),
        "openings": _shares(Counter(o for o in map(opening, texts) if o), n),
        "phrases": _shares(Counter(p for t in texts for p in phrases(t)), n),
    }


def margin(p: float, n: int, q: float, m: int) -> float | None:
    """Half-width of a 95% interval for the difference of two independent shares: a
    difference inside it can be sampling noise alone."""
    if not n or not m:
        return None
    return 1.96 * math.sqrt(p * (1 - p) / n + q * (1 - q) / m)


def _top(shares: dict[str, float], k: int, min_share: float) -> list[str]:
    return [key for key, v in list(shares.items())[:k] if v >= min_share]


def _union(*lists: Sequence[str]) -> list[str]:
    out: list[str] = []
    for lst in lists:
        out += [x for x in lst if x not in out]
    return out


def compare(owner: Sequence[str], clone: Sequence[str], *, min_share: float = MIN_SHARE
            ) -> dict[str, Any]:
    """The owner's replies vs the clone's: both profiles, the rates side by side, the length
    distributions' distances, and the largest rate difference."""
    po, pc = profile(owner), profile(clone)
    no, nc = po["replies"], pc["replies"]
    rates: list[dict[str, Any]] = []

    def add(group: str, label: str, o: float | None, c: float | None,
            n_o: int = no, n_c: int = nc) -> None:
        if o is None or c is None or not n_o or not n_c:
            return
        rates.append({"group": group, "label": label, "owner": o, "clone": c,
                      "difference": c - o, "margin": margin(o, n_o, c, n_c)})

    add("emoji", "has an emoji", po["emoji_rate"], pc["emoji_rate"])
    for e in _union(_top(po["emojis"], TOP_EMOJIS, min_share), _top(pc["emojis"], TOP_EMOJIS, min_share)):
        add("emoji", f"has {e}", po["emojis"].get(e, 0.0), pc["emojis"].get(e, 0.0))
    for e in _union(_top(po["closing_emojis"], TOP_EMOJIS, min_share),
                    _top(pc["closing_emojis"], TOP_EMOJIS, min_share)):
        add("closing", f"ends with {e}", po["closing_emojis"].get(e, 0.0),
            pc["closing_emojis"].get(e, 0.0))
    add("case", "all lowercase", po["lowercase_share"], pc["lowercase_share"],
        po["lowercase_of"], pc["lowercase_of"])
    for c, label in CLOSINGS.items():
        o, k = po["closing"].get(c, 0.0), pc["closing"].get(c, 0.0)
        if max(o, k) >= min_share:
            add("closing", label, o, k)
    add("question", "asks a question (?)", po["question_rate"], pc["question_rate"])
    for s, label in SCRIPTS.items():
        o, k = po["scripts"].get(s, 0.0), pc["scripts"].get(s, 0.0)
        if max(o, k) >= min_share:
            add("script", label, o, k)
    openings = _union(_top(po["openings"], TOP_OPENINGS, min_share),
                      _top(pc["openings"], TOP_OPENINGS, min_share))
    for w in openings:
        add("opening", f"starts with “{w}”", po["openings"].get(w, 0.0), pc["openings"].get(w, 0.0))
    # Phrases beyond the first words already listed as openings.
    po_phrases = {p: v for p, v in po["phrases"].items() if p not in openings}
    pc_phrases = {p: v for p, v in pc["phrases"].items() if p not in openings}
    for p in _union(_top(po_phrases, TOP_PHRASES, min_share), _top(pc_phrases, TOP_PHRASES, min_share)):
        add("phrase", f"says “{p}”", po["phrases"].get(p, 0.0), pc["phrases"].get(p, 0.0))

    def lengths(key: str) -> dict[str, Any]:
        o, c = po[key], pc[key]
        med_o, med_c = o["quantiles"].get("p50"), c["quantiles"].get("p50")
        return {"ks": ks_distance(_values(owner, key), _values(clone, key)),
                "median_ratio": med_c / med_o if med_o and med_c is not None else None}

    worst = max(rates, key=lambda r: abs(r["difference"]), default=None)
    return {
        "owner": _trimmed(po),
        "clone": _trimmed(pc),
        "rates": rates,
        "lengths": {"words": lengths("words"), "chars": lengths("chars")},
        "max_rate_difference": abs(worst["difference"]) if worst else None,
        "worst_rate": worst["label"] if worst else None,
    }


def _trimmed(prof: dict[str, Any], keep: int = 20) -> dict[str, Any]:
    """A profile with only the most frequent emojis, openings and phrases (eval.json stays
    small on a big eval split)."""
    return {k: dict(list(v.items())[:keep]) if k in ("emojis", "closing_emojis", "openings", "phrases")
            else v for k, v in prof.items()}


def _values(texts: Sequence[str], key: str) -> list[int]:
    return [len(words(t)) if key == "words" else len(t.strip()) for t in texts]


def off_rates(fp: dict[str, Any], tolerance: float = TOLERANCE) -> list[dict[str, Any]]:
    """The rates whose clone figure is more than ``tolerance`` from the owner's."""
    return [r for r in fp.get("rates", []) if abs(r["difference"]) > tolerance]
