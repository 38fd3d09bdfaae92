"""The report's "does it sound like you?" part: perplexity, the style fingerprint, the
clone score and both by context length.

What a reader should see first is what is real: a difference larger than its sampling
margin. Figures inside the margin are shown after it, the long tail of single-word openings
and phrases (mostly one reply each) behind a fold, and too few replies are said to be too
few instead of painted red.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from training.eval.clone_score import MIN_CONTEXTS
from training.eval.fingerprint import TOLERANCE
from training.report import charts

# Fewer held-out replies than this: the style figures are shown for a look, not judged.
MIN_REPLIES = MIN_CONTEXTS
# Always shown (when not significant, after the significant ones); the rest only in the fold.
CORE_GROUPS = ("emoji", "closing", "case", "question", "script")


def significant(r: dict[str, Any]) -> bool:
    """A difference larger than its 95% sampling margin: unlikely to be chance alone."""
    m = r.get("margin")
    return m is not None and abs(r["difference"]) > m


def verdict(r: dict[str, Any]) -> tuple[str, str]:
    """(css class, words) for one figure: red only for a real difference of more than the
    tolerance, orange for a real but small one, grey for what could be chance."""
    if not significant(r):
        return "chance", "could be chance"
    if abs(r["difference"]) > TOLERANCE:
        return "bad", "off, beyond chance"
    return "warn", "small, beyond chance"


def split_rates(rates: Sequence[dict[str, Any]]) -> tuple[list, list, list]:
    """(significant ones, largest excess over the margin first; core figures within the
    margin; the rest: openings and phrases within the margin)."""
    sig = sorted((r for r in rates if significant(r)),
                 key=lambda r: abs(r["difference"]) - r["margin"], reverse=True)
    core = [r for r in rates if not significant(r) and r["group"] in CORE_GROUPS]
    rest = [r for r in rates if not significant(r) and r["group"] not in CORE_GROUPS]
    return sig, core, rest


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _rate_rows(rates: Sequence[dict[str, Any]], e: Callable[[Any], str]) -> list[list[str]]:
    rows = []
    for r in rates:
        cls, words = verdict(r)
        rows.append([e(r["label"]), _pct(r["owner"]), _pct(r["clone"]),
                     f'<span class="{cls}">{100 * r["difference"]:+.0f}</span>',
                     "–" if r.get("margin") is None else f"±{100 * r['margin']:.0f}",
                     f'<span class="{cls}">{words}</span>'])
    return rows


_HEAD = ["figure", "you", "clone", "difference (pts)", "margin (95%)", ""]


def style_section(page: Any, fp: dict[str, Any], e: Callable[[Any], str]) -> None:
    """The fingerprint: what differs beyond chance first, then the rest."""
    n_o, n_c = fp["owner"]["replies"], fp["clone"]["replies"]
    sig, core, rest = split_rates(fp["rates"])
    page.add(f"<p>Your {n_o} held-out replies against the clone's {n_c} replies to the same "
             "messages, as shares of replies. Each difference has a 95% margin: a difference "
             "inside it can be chance alone (the fewer replies, the wider it is); one beyond it "
             f"is real, and <span class='bad'>red</span> when it is also more than "
             f"{100 * TOLERANCE:.0f} points.</p>")
    if n_o < MIN_REPLIES:
        widest = max((r["margin"] for r in fp["rates"] if r.get("margin") is not None), default=0)
        page.add(f'<p class="verdict">{n_o} replies are too few to judge the style: a margin '
                 f"here is up to ±{100 * widest:.0f} points. The figures are below for a look, "
                 f"not a verdict; <code>clonebot eval --samples 100</code> (on a dataset with "
                 f"that many held-out replies) gives figures worth comparing.</p>")
        page.fold(f"all {len(fp['rates'])} figures, {n_o} replies each side", lambda: (
            page.table(_HEAD, _rate_rows(sig + core + rest, e), {1, 2, 3, 4})))
        return
    if sig:
        page.add(f"<p><b>{len(sig)} figure{'s' if len(sig) != 1 else ''} differ beyond "
                 "chance</b>, largest first:</p>")
    else:
        page.add('<p class="verdict good">No figure differs beyond chance.</p>')
    page.chart(charts.fingerprint_rates(sig + core))
    page.chart(charts.length_histograms(fp))
    page.table(_HEAD, _rate_rows(sig + core, e), {1, 2, 3, 4})
    if rest:
        page.fold(f"{len(rest)} more openings and phrases, all within chance", lambda: (
            page.table(_HEAD, _rate_rows(rest, e), {1, 2, 3, 4})))


def _tells_table(page: Any, score: dict[str, Any], e: Callable[[Any], str]) -> None:
    clone_way, owner_way = score.get("clone_tells") or [], score.get("owner_tells") or []
    if not clone_way and not owner_way:
        return
    rows = []
    for i in range(max(len(clone_way), len(owner_way))):
        row = []
        for tells in (clone_way, owner_way):
            t = tells[i] if i < len(tells) else None
            row += (["", "", ""] if t is None else
                    [f"<code>{e(t['ngram'])}</code>", _pct(t["owner"]), _pct(t["clone"])])
        rows.append(row)
    page.add("<p>What gives the clone away: the character sequences the classifier leans on "
             "most, each way, with the share of replies that hold them "
             "(<code>^</code> = start of a reply, <code>$</code> = its end, <code>␣</code> = a "
             "space).</p>")
    page.table(["the clone writes more", "you", "clone", "you write more", "you", "clone"],
               rows, {1, 2, 4, 5})


def clone_score_section(page: Any, ev: dict[str, Any], e: Callable[[Any], str]) -> None:
    score = ev.get("clone_score") or {}
    buckets = ev.get("by_context") or []
    page.add("<h2>Can a classifier tell the clone from you?</h2>")
    if not score:
        page.add('<p class="note">This eval has no clone score (it ran before clonebot had '
                 "one, or with --samples 0): run <code>clonebot eval</code> again.</p>")
        return
    page.add("<p>Your real reply and the clone's reply to the same message, for every held-out "
             "message: a classifier over character n-grams learns to tell them apart on some "
             "messages and guesses on the others (cross-validated, a message's two replies "
             "never on both sides). Its ROC AUC is the <b>clone score</b>: 0.5 = it cannot "
             "tell the clone from you, 1.0 = it always can.</p>")
    if not score.get("judged"):
        page.add(f'<p class="verdict">{e(score.get("note"))}: a score on that few would mean '
                 "nothing. Evaluate on more held-out replies (<code>clonebot eval --samples "
                 "100</code>, on a dataset that holds that many).</p>")
    else:
        lo, hi = score["ci"]
        page.add(f'<p class="verdict">Clone score <b>{score["auc"]:.2f}</b> (95% interval '
                 f"{lo:.2f}–{hi:.2f}) on {score['contexts']} messages.</p>")
        entries = [("all replies", score)] + [(b["label"], b["clone_score"]) for b in buckets]
        page.chart(charts.clone_scores(entries))
        _tells_table(page, score, e)
    if buckets:
        by_context_section(page, buckets, e)


def by_context_section(page: Any, buckets: Sequence[dict[str, Any]],
                       e: Callable[[Any], str]) -> None:
    """The fingerprint rates and the clone score per context length, side by side."""
    page.add("<h3>By context length</h3><p>A first message (no earlier turn in the "
             "conversation) against replies deep in a conversation: the same figures, you → "
             "the clone, per context length.</p>")
    labels: list[str] = []
    for b in buckets:
        sig, core, _ = split_rates(b["style"]["rates"])
        labels += [r["label"] for r in sig + core if r["label"] not in labels]
    head = ["figure"] + [f"{b['label']} ({b['replies']} replies)" for b in buckets]
    rows = [["clone score (AUC)"] + [
        (f"{b['clone_score']['auc']:.2f} [{b['clone_score']['ci'][0]:.2f}, "
         f"{b['clone_score']['ci'][1]:.2f}]") if b["clone_score"].get("judged")
        else '<span class="chance">too few to judge</span>' for b in buckets]]
    for label in labels:
        row = [e(label)]
        for b in buckets:
            r = next((r for r in b["style"]["rates"] if r["label"] == label), None)
            if r is None:
                row.append("–")
                continue
            cls = verdict(r)[0] if b["judged"] else "chance"
            row.append(f'<span class="{cls}">{_pct(r["owner"])} → {_pct(r["clone"])}</span>')
        rows.append(row)
    small = [b for b in buckets if not b["judged"]]
    if len(small) == len(buckets):  # nothing to judge: one line, the figures behind a fold
        page.add('<p class="verdict">Replies per context length: ' + ", ".join(
            f"{e(b['label'])} {b['replies']}" for b in buckets) + ": too few to judge any "
            f"(each needs at least {MIN_REPLIES}).</p>")
        page.fold("the figures anyway", lambda: page.table(head, rows, set(range(1, len(buckets) + 1))))
        return
    page.table(head, rows, set(range(1, len(buckets) + 1)))
    if small:
        page.add('<p class="note">In grey: ' + "; ".join(
            f"{e(b['label'])}, {e(b['note'])}" for b in small) + ".</p>")


def perplexity_note(ev: dict[str, Any], manifest: dict[str, Any]) -> str:
    """Why training's perplexity and eval's differ (they count different turns)."""
    a = (ev.get("adapter_ppl") or {})
    metrics = manifest.get("metrics") or {}
    trained = metrics.get("perplexity")
    rows = f", on {a['rows']} replies" if a.get("rows") else ""
    text = ("Perplexity: how surprised the model is by your real held-out replies (lower = "
            "more like you): each window's final reply given the turns before it, as the bot "
            f"is asked{rows}.")
    if trained is not None and a.get("perplexity") is not None:
        text += (f" Training reported {trained:.2f} (from its eval loss "
                 f"{metrics.get('eval_loss', '?')}): that figure averages over every one of your "
                 "turns in each held-out window, the earlier ones too (some with little or no "
                 f"context before them), on up to train.max_eval_samples windows; this one "
                 f"({a['perplexity']:.2f}) scores only the reply the window ends with. Same "
                 "held-out messages, different turns counted.")
    return text
