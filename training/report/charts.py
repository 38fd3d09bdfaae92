"""The report's charts as plotly figures (drawn in the page by the embedded plotly.js).

Each function takes plain dicts (from eval.json, trainer_state.json, stats.json, the
approval store) and returns a figure, or None when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

OWNER_COLOR = "#1f77b4"
CLONE_COLOR = "#ff7f0e"
BASE_COLOR = "#7f7f7f"
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
           "legend": {"orientation": "h", "y": -0.15}, "font": {"size": 13}}


def _figure(title: str, height: int = 360) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, height=height, **_LAYOUT)
    return fig


def training_curves(history: Sequence[dict[str, Any]]) -> go.Figure | None:
    """Training loss and eval loss by optimizer step."""
    train = [(r["step"], r["loss"]) for r in history if r.get("loss") is not None]
    evals = [(r["step"], r["eval_loss"]) for r in history if r.get("eval_loss") is not None]
    if not train and not evals:
        return None
    fig = _figure("Loss by training step (reply tokens only)")
    if train:
        fig.add_trace(go.Scatter(x=[s for s, _ in train], y=[v for _, v in train],
                                 mode="lines+markers", name="training loss", line={"color": CLONE_COLOR}))
    if evals:
        fig.add_trace(go.Scatter(x=[s for s, _ in evals], y=[v for _, v in evals],
                                 mode="lines+markers", name="eval loss (held-out replies)",
                                 line={"color": OWNER_COLOR, "dash": "dash"},
                                 marker={"size": 9}))
        if evals[0][0] == 0:
            fig.add_annotation(x=0, y=evals[0][1], text="before training", showarrow=True,
                               ax=40, ay=-20, font={"size": 12})
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="loss (nats / token)")
    return fig


def perplexity(evaluation: dict[str, Any]) -> go.Figure | None:
    adapter = (evaluation.get("adapter_ppl") or {}).get("perplexity")
    base = (evaluation.get("base_ppl") or {}).get("perplexity")
    if adapter is None:
        return None
    names, values, colors = ["adapter"], [adapter], [CLONE_COLOR]
    if base is not None:
        names, values, colors = ["base model", *names], [base, *values], [BASE_COLOR, *colors]
    fig = _figure("Perplexity of your held-out replies (lower = more like you)", 320)
    fig.add_trace(go.Bar(x=names, y=values, marker_color=colors,
                         text=[f"{v:.1f}" for v in values], textposition="outside"))
    fig.update_yaxes(title="perplexity", type="log" if base and base / adapter > 20 else "linear")
    return fig


def fingerprint_rates(rates: Sequence[dict[str, Any]],
                      title: str = "Style: share of replies, you vs the clone") -> go.Figure | None:
    """Style rates, owner vs clone, as horizontal bars (one row per figure, in order)."""
    if not rates:
        return None
    labels = [r["label"] for r in rates][::-1]
    fig = _figure(title, height=140 + 26 * len(rates))
    for side, name, color in (("owner", "you", OWNER_COLOR), ("clone", "clone", CLONE_COLOR)):
        vals = [100 * r[side] for r in rates][::-1]
        fig.add_trace(go.Bar(y=labels, x=vals, orientation="h", name=name, marker_color=color,
                             hovertemplate="%{y}: %{x:.0f}%<extra>" + name + "</extra>"))
    fig.update_layout(barmode="group", bargap=0.25, margin={"l": 230, "r": 20, "t": 50, "b": 40})
    fig.update_xaxes(title="% of replies", range=[0, 100])
    return fig


def length_histograms(fp: dict[str, Any]) -> go.Figure | None:
    """Reply length in words and in characters: the two distributions side by side."""
    owner, clone = fp.get("owner") or {}, fp.get("clone") or {}
    if not owner.get("replies") or not clone.get("replies"):
        return None
    fig = make_subplots(rows=1, cols=2, subplot_titles=("length in words", "length in characters"))
    for col, key in ((1, "words"), (2, "chars")):
        for side, prof, color in (("you", owner, OWNER_COLOR), ("clone", clone, CLONE_COLOR)):
            hist = prof[key]["histogram"]
            fig.add_trace(go.Bar(x=list(hist), y=[100 * v for v in hist.values()], name=side,
                                 marker_color=color, showlegend=col == 1, legendgroup=side),
                          row=1, col=col)
    fig.update_layout(title="Reply length: share of replies per bucket", height=360, barmode="group",
                      **_LAYOUT)
    fig.update_yaxes(title="% of replies", row=1, col=1)
    return fig


def clone_scores(entries: Sequence[tuple[str, dict[str, Any]]]) -> go.Figure | None:
    """The clone score (AUC with its 95% interval) of every judged entry: all replies, then
    each context length. 0.5 = a classifier cannot tell the clone from you."""
    judged = [(label, s) for label, s in entries if s.get("judged")]
    if not judged:
        return None
    fig = _figure("Clone score: can a classifier tell the clone's replies from yours?", 340)
    aucs = [s["auc"] for _, s in judged]
    fig.add_trace(go.Bar(
        x=[f"{label} ({s['contexts']})" for label, s in judged], y=aucs, marker_color=CLONE_COLOR,
        error_y={"type": "data", "symmetric": False,
                 "array": [s["ci"][1] - s["auc"] for _, s in judged],
                 "arrayminus": [s["auc"] - s["ci"][0] for _, s in judged], "color": "#444"},
        text=[f"{a:.2f}" for a in aucs], textposition="inside", insidetextanchor="middle",
        customdata=[[s["ci"][0], s["ci"][1], s["contexts"]] for _, s in judged],
        hovertemplate="%{x}: AUC %{y:.2f} [%{customdata[0]:.2f}, %{customdata[1]:.2f}] "
                      "on %{customdata[2]} replies<extra></extra>"))
    fig.add_hline(y=0.5, line_dash="dash", line_color=BASE_COLOR,
                  annotation_text="0.5: cannot tell", annotation_position="top left")
    fig.update_yaxes(title="ROC AUC (95% interval)", range=[0, 1.05])
    fig.update_layout(showlegend=False)
    return fig


def approvals_over_time(approvals: dict[str, Any]) -> go.Figure | None:
    periods = approvals.get("periods") or []
    if not periods:
        return None
    x = [p["period"] for p in periods]
    fig = _figure(f"Your decisions on the bot's suggestions, per {approvals.get('period', 'period')}")
    for key, name, color in (("approval_rate", "sent as is", CLONE_COLOR),
                             ("accepted_rate", "sent as is or after an edit", OWNER_COLOR)):
        y = [None if p[key] is None else 100 * p[key] for p in periods]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=name, line={"color": color},
                                 customdata=[p["n"] for p in periods],
                                 hovertemplate="%{x}: %{y:.0f}% of %{customdata} suggestions"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title="% of decided suggestions", range=[0, 105])
    return fig


def counts(title: str, data: dict[str, int], color: str = BASE_COLOR) -> go.Figure | None:
    """A bar per key (skips by reason, PII redactions by kind)."""
    data = {k: v for k, v in (data or {}).items() if v}
    if not data:
        return None
    items = sorted(data.items(), key=lambda kv: -kv[1])
    fig = _figure(title, height=120 + 28 * len(items))
    fig.add_trace(go.Bar(y=[k for k, _ in items][::-1], x=[v for _, v in items][::-1],
                         orientation="h", marker_color=color, text=[v for _, v in items][::-1],
                         textposition="auto"))
    fig.update_layout(margin={"l": 260, "r": 20, "t": 50, "b": 30}, showlegend=False)
    # Counts are whole numbers: no 0.2 ticks on a chart of 1s and 2s.
    top = max(v for _, v in items)
    fig.update_xaxes(tickformat=",d", rangemode="tozero", dtick=1 if top <= 5 else None,
                     title="count")
    return fig
