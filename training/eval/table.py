"""The eval report as a plain-text table (what ``clonebot eval`` prints)."""

from __future__ import annotations

import math
from typing import Any

from training.eval.fingerprint import TOLERANCE
from training.eval.run import EvalReport


def _f(v: Any, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if pct:
        return f"{100 * v:.0f}%"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


def format_fingerprint(fp: dict[str, Any]) -> list[str]:
    """The style fingerprint: each rate owner vs clone, then the length distributions.
    "!" marks a clone figure more than ``TOLERANCE`` from the owner's."""
    if not fp.get("rates"):
        return []
    o, c = fp["owner"], fp["clone"]
    rows: list[tuple[str, ...]] = [("style figure", "owner", "clone", "diff", "")]
    for r in fp["rates"]:
        d = r["difference"]
        rows.append((r["label"], _f(r["owner"], True), _f(r["clone"], True),
                     f"{100 * d:+.0f}", "!" if abs(d) > TOLERANCE else ""))
    for key, unit in (("words", "words"), ("chars", "chars")):
        q_o, q_c = o[key]["quantiles"], c[key]["quantiles"]
        rows.append((f"length in {unit} (p25/p50/p75)",
                     "/".join(_f(q_o.get(q)) for q in ("p25", "p50", "p75")),
                     "/".join(_f(q_c.get(q)) for q in ("p25", "p50", "p75")),
                     f"KS {_f(fp['lengths'][key]['ks'])}", ""))
    head = (f"style: the owner's {o['replies']} held-out replies vs the clone's for the same "
            f"contexts (! = off by more than {100 * TOLERANCE:.0f} points)")
    return ["", head, *_columns(rows)]


def _auc(score: dict[str, Any]) -> str:
    if not score.get("judged"):
        return score.get("note") or "-"
    lo, hi = score["ci"]
    return f"{score['auc']:.2f} [{lo:.2f}, {hi:.2f}]"


def _tells(tells: list[dict[str, Any]], k: int = 5) -> str:
    return ", ".join(f"{t['ngram']} {100 * t['owner']:.0f}%/{100 * t['clone']:.0f}%" for t in tells[:k])


def format_clone_score(score: dict[str, Any], by_context: list[dict[str, Any]]) -> list[str]:
    """The discriminator's AUC with its interval, what gives the clone away, and both by
    context length."""
    if not score:
        return []
    out = ["", "clone score: can a classifier tell the clone's replies from yours? "
               "(ROC AUC, 0.5 = it cannot, 1.0 = always)"]
    if not score.get("judged"):
        out.append(f"  {score['note']}")
    else:
        out.append(f"  AUC {_auc(score)} (95% interval) on {score['contexts']} contexts")
        if score.get("clone_tells"):
            out.append(f"  gives the clone away (you/clone): {_tells(score['clone_tells'])}")
        if score.get("owner_tells"):
            out.append(f"  yours, rarer in the clone (you/clone): {_tells(score['owner_tells'])}")
        out.append("  (^ = start of a reply, $ = its end, ␣ = a space)")
    if by_context:
        rows: list[tuple[str, ...]] = [("by context length", "replies", "clone score (AUC)",
                                        "largest style gap")]
        for b in by_context:
            st = b["style"]
            gap = (f"{100 * st['max_rate_difference']:.0f} pts ({st['worst_rate']})"
                   if b["judged"] and st.get("max_rate_difference") is not None else "-")
            rows.append((b["label"], str(b["replies"]),
                         _auc(b["clone_score"]) if b["clone_score"].get("judged") else "too few",
                         gap if b["judged"] else "too few to judge"))
        out += ["", *_columns(rows)]
    return out


def format_report(rep: EvalReport) -> str:
    g, c, a = rep.generation, rep.canaries, rep.approvals
    rows: list[tuple[str, str, str]] = [("metric", "adapter", "base / owner")]
    rows.append(("perplexity of owner replies", _f(rep.adapter_ppl["perplexity"]),
                 _f(rep.base_ppl["perplexity"]) if rep.base_ppl else "-"))
    rows.append(("reply loss (nats/token)", _f(rep.adapter_ppl["loss"]),
                 _f(rep.base_ppl["loss"]) if rep.base_ppl else "-"))
    if g.get("generations"):
        rows += [
            ("stops by itself (EOS / marker)", _f(g["stop_rate"], True),
             f"{_f(g['stop_eos_rate'], True)} EOS, {_f(g['stop_marker_rate'], True)} marker"),
            ("hits the token limit", _f(g["hit_limit_rate"], True), ""),
            ("writes the other person's turn", _f(g["other_turn_rate"], True), ""),
            ("repeated 3-grams", _f(g["repeated_3gram_ratio"], True), ""),
            ("loops", _f(g["loop_rate"], True), ""),
            ("reply length (chars, mean)", _f(g["reply_chars_mean"]),
             _f(g["owner_chars_mean"])),
            ("length ratio (median)", _f(g["length_ratio_median"]), "1.00"),
            ("chrF vs the real reply", _f(g["chrf"]), ""),
        ]
    if c.get("planted"):
        rows.append(("canary leaks", str(c["leaks"]),
                     f"{c['planted']} planted, {c['checked_generations']} generations checked"))
        if c.get("partial_leaks"):
            rows.append(("canary near-misses (2/3 of one)", str(c["partial_leaks"]), ""))
    else:
        rows.append(("canary leaks", "-", "none planted (prepare --canaries)"))
    if a.get("overall"):
        o = a["overall"]
        rows.append(("approval rate (sent as is)", _f(o["approval_rate"], True),
                     f"{a['decisions']} decisions"))
    out = _columns(rows)
    out += format_fingerprint(rep.fingerprint)
    out += format_clone_score(rep.clone_score, rep.by_context)
    if a.get("periods"):
        out.append("")
        out.append(f"approval rate per {a['period']}:")
        for p in a["periods"]:
            out.append(f"  {p['period']}  {_f(p['approval_rate'], True):>4} sent as is, "
                       f"{_f(p['accepted_rate'], True):>4} incl. edits  (n={p['n']})")
    elif a.get("note"):
        out.append(f"approvals: {a['note']}")
    if c.get("leaks"):
        out.append(f"PRIVACY: {c['leaks']} planted canar{'y' if c['leaks'] == 1 else 'ies'} "
                   "appeared in generations")
    return "\n".join(out)
