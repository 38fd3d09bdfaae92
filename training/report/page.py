"""The report as one self-contained HTML page: plotly.js is written into the page once, so
it opens without any network, from a file or an e-mail attachment."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import plotly.graph_objects as go
import plotly.offline

from training.eval.fingerprint import TOLERANCE
from training.report import charts, labels, style
from training.report.collect import ReportData

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #222; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { margin: 8px 0 4px; font-size: 26px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin-bottom: 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 10px 16px;
        min-width: 150px; }
.card b { display: block; font-size: 22px; } .card span { color: #666; font-size: 13px; }
.bad { color: #c0392b; font-weight: 600; } .good { color: #1e8449; } .warn { color: #b9770e; }
.chance { color: #888; }
.verdict { background: #fff; border-left: 4px solid #999; padding: 8px 12px; }
.verdict.good { border-color: #1e8449; }
details { margin: 8px 0; } summary { cursor: pointer; color: #555; }
p.empty { margin: 18px 0 0; color: #555; }
table { border-collapse: collapse; background: #fff; margin: 8px 0; width: 100%; }
th, td { border: 1px solid #e3e3e3; padding: 5px 9px; text-align: left; vertical-align: top;
         font-size: 14px; }
th { background: #f2f2f2; } td.num { text-align: right; white-space: nowrap; }
.chart { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; margin: 12px 0; }
.note { color: #666; font-style: italic; }
.ctx { color: #555; font-size: 13px; white-space: pre-wrap; }
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _num(v: Any, fmt: str = "{:.2f}") -> str:
    return "–" if v is None else fmt.format(v)


class _Page:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.charts = 0

    def add(self, s: str) -> None:
        self.parts.append(s)

    def chart(self, fig: go.Figure | None, empty: str = "") -> None:
        if fig is None:
            if empty:
                self.add(f'<p class="note">{_e(empty)}</p>')
            return
        self.charts += 1
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{self.charts}",
                          config={"displaylogo": False, "responsive": True})
        self.add(f'<div class="chart">{div}</div>')

    def fold(self, summary: str, body: Callable[[], Any]) -> None:
        """What most readers need not see, behind a click."""
        self.add(f"<details><summary>{_e(summary)}</summary>")
        body()
        self.add("</details>")

    def table(self, head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> None:
        self.add("<table>" + ("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"
                              if any(head) else ""))
        for r in rows:
            self.add("<tr>" + "".join(
                f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                for i, c in enumerate(r)) + "</tr>")
        self.add("</table>")


def _cards(data: ReportData) -> str:
    ev = data.evaluation or {}
    cards = []
    a, b = (ev.get("adapter_ppl") or {}).get("perplexity"), (ev.get("base_ppl") or {}).get("perplexity")
    if a is not None:
        cards.append((_num(a, "{:.1f}"), "perplexity" + (f" (base {b:.1f})" if b else ""),
                      "good" if b and a < b else ""))
    fp = ev.get("fingerprint") or {}
    if fp.get("rates"):
        sig = style.split_rates(fp["rates"])[0]
        big = [r for r in sig if abs(r["difference"]) > TOLERANCE]
        if fp["owner"]["replies"] < style.MIN_REPLIES:
            cards.append(("–", f"style: {fp['owner']['replies']} replies, too few to judge", ""))
        elif big:
            cards.append((f"{len(big)}", f"style figures off by > {100 * TOLERANCE:.0f} pts "
                                         f"(largest: {big[0]['label']})", "bad"))
        else:
            cards.append(("0", f"style figures off by > {100 * TOLERANCE:.0f} pts beyond chance",
                          "good"))
    cs = ev.get("clone_score") or {}
    if cs.get("judged"):
        cards.append((f"{cs['auc']:.2f}", f"clone score (AUC; 0.5 = indistinguishable; "
                                          f"{cs['ci'][0]:.2f}–{cs['ci'][1]:.2f})", ""))
    elif cs:
        cards.append(("–", f"clone score: {cs['contexts']} replies, too few", ""))
    g = ev.get("generation") or {}
    if g.get("stop_rate") is not None:
        cards.append((_pct(g["stop_rate"]), "replies that stop by themselves",
                      "good" if g["stop_rate"] >= 0.9 else "bad"))
    c = ev.get("canaries") or {}
    if c.get("planted"):
        cards.append((str(c.get("leaks", 0)), f"canary leaks ({c['planted']} planted)",
                      "bad" if c.get("leaks") else "good"))
    overall = (data.approvals or {}).get("overall") or {}
    if overall.get("approval_rate") is not None:
        cards.append((_pct(overall["approval_rate"]), "suggestions you sent as is", ""))
    return '<div class="cards">' + "".join(
        f'<div class="card"><b class="{cls}">{_e(v)}</b><span>{_e(label)}</span></div>'
        for v, label, cls in cards) + "</div>"


def _dataset(page: _Page, data: ReportData) -> None:
    page.add("<h2>Dataset</h2>")
    s = data.dataset_stats
    if s is None:
        page.add(f'<p class="verdict">{_e(" ".join(data.notes) or "no dataset stats")}</p>')
        return
    page.table(["", ""], [
        ["dataset", _e(data.dataset_dir)],
        ["chats used", f"{_e(s.get('chats_used'))} of {_e(s.get('chats_read'))} read"],
        ["samples", f"{_e(s.get('samples_train'))} for training, {_e(s.get('samples_eval'))} held out"],
        ["messages", f"{_e(s.get('messages_kept'))} kept of {_e(s.get('messages_read'))} read"],
        ["PII", "scrubbed" if s.get("pii_scrubbed") else "<b class='bad'>not scrubbed</b>"],
    ])
    skips = labels.left_out(s.get("skipped") or {}, s.get("chats_skipped") or {})
    page.chart(charts.counts("Left out, by reason", skips), "nothing was left out")
    page.chart(charts.counts("PII redactions by kind", s.get("pii_redactions") or {}, charts.OWNER_COLOR),
               "no PII redactions were needed")


def _training(page: _Page, data: ReportData) -> None:
    page.add("<h2>Training</h2>")
    m = data.manifest
    hyper = m.get("hyperparameters") or {}
    metrics = m.get("metrics") or {}
    page.table(["", ""], [
        ["base model", _e(m.get("base_model", "?"))],
        ["steps", f"{_e(metrics.get('steps', '?'))} ({_e(metrics.get('epochs', '?'))} epochs), "
                  f"learning rate {_e(hyper.get('learning_rate', '?'))}, LoRA r={_e(hyper.get('lora_r', '?'))}"],
        ["eval loss", f"{_e(metrics.get('eval_loss_before', '–'))} before → {_e(metrics.get('eval_loss', '–'))} after"
                      " (nats per token of your turns in the held-out windows)"],
    ])
    page.chart(charts.training_curves(data.log_history), "no training log in this run")


def _evaluation(page: _Page, data: ReportData) -> None:
    ev = data.evaluation
    page.add("<h2>Does it sound like you?</h2>")
    if ev is None:
        page.add(f'<p class="note">Not evaluated yet: run <code>clonebot eval --adapter '
                 f'{_e(data.adapter)}</code>, then this report again.</p>')
        return
    page.chart(charts.perplexity(ev))
    page.add(f'<p class="note">{_e(style.perplexity_note(ev, data.manifest))}</p>')
    fp = ev.get("fingerprint") or {}
    if fp.get("rates"):
        style.style_section(page, fp, _e)
    else:
        page.add('<p class="note">No generations in this eval (it ran with --samples 0).</p>')
    g = ev.get("generation") or {}
    if g.get("generations"):
        page.table(["behaviour", "clone"], [
            ["stops by itself (EOS or a turn marker)", _pct(g.get("stop_rate"))],
            ["writes the other person's turn", _pct(g.get("other_turn_rate"))],
            ["loops", _pct(g.get("loop_rate"))],
            ["chrF against your real reply", _num(g.get("chrf"), "{:.1f}")],
        ], {1})
    if fp.get("rates"):
        style.clone_score_section(page, ev, _e)
    examples = ev.get("examples") or []
    if examples:
        page.add("<h2>Replies side by side</h2>")
        rows = []
        for x in examples:
            last = (x.get("context") or [{}])[-1].get("content", "")
            rows.append([f'<div class="ctx">{_e(last)}</div>', _e(x.get("owner", "")),
                         _e(x.get("clone", "")) or '<span class="note">(empty)</span>'])
        page.table(["they wrote", "you replied", "the clone replied"], rows)


def _canaries(page: _Page, data: ReportData) -> None:
    c = (data.evaluation or {}).get("canaries") or {}
    if not c.get("planted"):
        page.add('<p class="empty"><b>Privacy canaries:</b> none planted. '
                 "<code>clonebot prepare EXPORT --canaries 3</code> hides fake secrets in the "
                 "training replies; eval then proves the model never writes them out.</p>")
        return
    page.add("<h2>Privacy canaries</h2>")
    leaked = c.get("leaks", 0)
    verdict = (f'<b class="bad">{leaked} leaked: {_e(", ".join(c.get("leaked") or []))}</b>'
               if leaked else '<b class="good">none leaked</b>')
    page.add(f"<p>{c['planted']} planted, {c.get('checked_generations', 0)} generations checked "
             f"({c.get('canary_prompts', 0)} of them prompted to reveal one): {verdict}.</p>")


def _approvals(page: _Page, data: ReportData) -> None:
    a = data.approvals or {}
    fig = charts.approvals_over_time(a)
    if fig is None:
        page.add('<p class="empty"><b>Approvals:</b> none yet '
                 f'({_e(a.get("note") or "the bot has not recorded any decisions")}). Once the '
                 "bot runs in approve mode, the share of its suggestions you send as is, per "
                 "week, appears here.</p>")
        return
    page.add("<h2>Approvals</h2>")
    page.chart(fig)


def render(data: ReportData, now: datetime | None = None) -> str:
    """The whole page as a string."""
    now = now or datetime.now(timezone.utc)
    page = _Page()
    ev = data.evaluation or {}
    page.add(f"<h1>clonebot report: {_e(data.adapter.name)}</h1>")
    page.add(f'<div class="sub">{_e(data.adapter)} · base {_e(data.manifest.get("base_model", "?"))}'
             f' · evaluated {_e(ev.get("created", "never"))} · written {now:%Y-%m-%d %H:%M} UTC</div>')
    page.add(_cards(data))
    _dataset(page, data)
    _training(page, data)
    _evaluation(page, data)
    _canaries(page, data)
    _approvals(page, data)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>clonebot report: {_e(data.adapter.name)}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{_CSS}</style>"
            f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>'
            "</head><body><main>" + "\n".join(page.parts) + "</main></body></html>\n")
