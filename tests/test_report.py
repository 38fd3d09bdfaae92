"""`clonebot report`: the page's content from a run dir, and the page in a real browser.

The run dir here is built by hand (manifest, trainer_state.json, eval.json from the real
fingerprint code, a dataset stats.json, an approval store written by the bot's own store
class), so no model is needed. The browser test opens the page in Debian's headless
chromium through playwright: no console errors, every chart drew marks, a screenshot.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from training.eval.clone_score import clone_score
from training.eval.context_length import by_context_length
from training.eval.fingerprint import compare
from fixtures_versions import fake_run
from training.report.collect import collect
from training.report.page import render

OWNER = ["ну го 🤙", "норм", "да)", "ща буду 🤙", "ок?", "ну ладно 🤙"] * 5
CLONE = ["ну го 🤙", "норм 🤙", "да 🤙", "ща буду 🤙", "Хорошо.", "ну ладно"] * 5
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


def _ts(y: int, m: int, d: int) -> float:
    return datetime(y, m, d, 12, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def report_run(tmp_path: Path) -> tuple[Path, Path]:
    """A run dir and an approval store, as the pipeline leaves them."""
    from clonebot.state.store import StateStore

    ds = tmp_path / "dataset"
    ds.mkdir()
    (ds / "stats.json").write_text(json.dumps({
        "chats_read": 38, "chats_used": 34, "samples_train": 2716, "samples_eval": 284,
        "messages_read": 6995, "messages_kept": 6915, "pii_scrubbed": True,
        "skipped": {"chat_not_used": 80, "empty": 3},
        "chats_skipped": {"type:bot_chat": 1, "type:public_channel": 1},
        "pii_redactions": {"phone": 44, "email": 5}}))
    run = fake_run(tmp_path / "v001", dataset_dir=str(ds),
                   hyperparameters={"learning_rate": 2e-4, "lora_r": 16},
                   metrics={"steps": 60, "epochs": 0.35, "eval_loss_before": 4.1,
                            "eval_loss": 2.2, "perplexity": 9.025})
    (run / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"step": 0, "eval_loss": 4.1}, {"step": 10, "loss": 3.9}, {"step": 20, "loss": 3.1},
        {"step": 30, "loss": 2.6}, {"step": 50, "eval_loss": 2.4}, {"step": 60, "loss": 2.3},
        {"step": 60, "eval_loss": 2.2}]}))
    contexts = [[{"role": "user", "content": f"Привет <b>{i}</b>, как дела?"}] for i in range(12)]
    # 30 replies: 24 answer a first message, 6 come deeper in a conversation (too few there).
    deep = [{"role": "user", "content": "a"}, {"role": "clone", "content": "b"}]
    by_len = [contexts[0]] * 24 + [deep + contexts[0]] * 6
    (run / "eval.json").write_text(json.dumps({
        "created": "2026-11-22T10:00:00+00:00",
        "adapter_ppl": {"perplexity": 9.5}, "base_ppl": {"perplexity": 88.0},
        "generation": {"generations": 30, "stop_rate": 0.97, "other_turn_rate": 0.0,
                       "loop_rate": 0.0, "chrf": 21.0},
        "fingerprint": compare(OWNER, CLONE),
        "clone_score": clone_score(OWNER, CLONE, resamples=20),
        "by_context": by_context_length(by_len, OWNER, CLONE),
        "examples": [{"context": c, "owner": o, "clone": k}
                     for c, o, k in zip(contexts, OWNER, CLONE)],
        "canaries": {"planted": 2, "leaks": 0, "leaked": [], "checked_generations": 40,
                     "canary_prompts": 10}}, ensure_ascii=False))
    store = tmp_path / "approvals.sqlite3"
    with StateStore(store) as st:
        for i, d in enumerate(["sent", "edited", "rejected", "sent", "sent", "regenerated"]):
            when = _ts(2026, 11, 2 + 7 * (i // 2))
            s = st.create(chat_id=1, mode="approve", prompt_turns=[{"role": "user", "content": "hi"}],
                          suggestion="hey)", now=when, ttl_seconds=3600)
            st.decide(s.id, d, now=when, final_text="hey)")
    return run, store


def test_report_holds_every_section(report_run):
    run, store = report_run
    data = collect(run, approvals_path=store)
    assert [r["step"] for r in data.log_history if "loss" in r] == [10, 20, 30, 60]
    assert data.dataset_stats["chats_used"] == 34 and data.approvals["decisions"] == 6
    page = render(data)
    for text in ("Dataset", "34 of 38", "2716 for training", "PII redactions by kind",
                 "Loss by training step", "Perplexity", "ends with 🤙", "Replies side by side",
                 "ну ладно", "none leaked", "sent as is", "2026-W45"):
        assert text in page, text
    assert "Привет &lt;b&gt;0&lt;/b&gt;" in page and "<b>0</b>" not in page  # chat text escaped
    # Self-contained: plotly.js is inside, nothing is fetched from elsewhere.
    import plotly.offline

    plotly_js = plotly.offline.get_plotlyjs()
    assert page.count(plotly_js) == 1
    rest = page.replace(plotly_js, "")
    assert "<script src" not in rest and "<link" not in rest and "http" not in rest


def test_report_without_eval_or_approvals_says_what_to_do(report_run, tmp_path: Path):
    run, _ = report_run
    (run / "eval.json").unlink()
    (run / "trainer_state.json").unlink()
    data = collect(run, approvals_path=tmp_path / "none.sqlite3")
    # The manifest's two eval points stand in for the trainer's log.
    assert data.log_history == [{"step": 0, "eval_loss": 4.1}, {"step": 60, "eval_loss": 2.2}]
    page = render(data)
    assert f"clonebot eval --adapter {run}" in page and "no approval store yet" in page


def test_report_reads_as_a_user_would(report_run):
    """Words, not internal keys; whole-number count axes; the eval loss from its 'before'."""
    run, store = report_run
    data = collect(run, approvals_path=store)
    page = render(data)
    for key in ("chat_not_used", "type:bot_chat", "message: empty"):
        assert key not in page, key
    for words in ("messages in the chats left out", "chats with bots", "channels", "empty messages"):
        assert words in page, words
    from training.report import charts, labels

    fig = charts.counts("Left out", labels.left_out({"empty": 2}, {"type:private_group": 1,
                                                                  "type:private_supergroup": 1}))
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.xaxis.dtick == 1
    assert dict(zip(fig.data[0].y, fig.data[0].x))["groups (prepare --groups uses them)"] == 2
    # Two perplexities, and the page says why they differ.
    assert "Training reported 9.03 (from its eval loss 2.2)" in page
    assert "scores only the reply the window ends with" in page


def test_eval_loss_before_training_is_on_the_chart(report_run):
    run, store = report_run
    state = json.loads((run / "trainer_state.json").read_text())
    state["log_history"] = [r for r in state["log_history"] if r["step"] != 0]  # as train writes it
    (run / "trainer_state.json").write_text(json.dumps(state))
    data = collect(run, approvals_path=store)
    evals = [(r["step"], r["eval_loss"]) for r in data.log_history if "eval_loss" in r]
    assert evals == [(0, 4.1), (50, 2.4), (60, 2.2)]  # the manifest's "before" at step 0
    from training.report import charts

    fig = charts.training_curves(data.log_history)
    eval_trace = next(t for t in fig.data if t.name.startswith("eval loss"))
    assert list(eval_trace.x) == [0, 50, 60]


def test_style_shows_what_is_real_first_and_folds_the_noise(report_run):
    run, store = report_run
    ev = json.loads((run / "eval.json").read_text())
    page = render(collect(run, approvals_path=store))
    style_part = page[page.index("Does it sound like you?"):page.index("Can a classifier tell")]
    rates = ev["fingerprint"]["rates"]
    real = [r for r in rates if abs(r["difference"]) > r["margin"]]
    chance = [r for r in rates if abs(r["difference"]) <= r["margin"]]
    assert real and chance
    assert f"{len(real)} figures differ beyond chance" in style_part
    # Every real difference is listed before any that could be chance.
    last_real = max(style_part.index(f"<td>{html.escape(r['label'])}</td>") for r in real)
    core = [r for r in chance if r["group"] in ("emoji", "closing", "case", "question", "script")]
    assert all(style_part.index(f"<td>{html.escape(r['label'])}</td>") > last_real for r in core)
    # Red only beyond the margin: +17 on "has an emoji" (margin ±25) is grey, not red.
    emoji = next(r for r in rates if r["label"] == "has an emoji")
    assert abs(emoji["difference"]) > 0.1 and abs(emoji["difference"]) < emoji["margin"]
    row = style_part[style_part.index("<td>has an emoji</td>"):][:400]
    assert 'class="chance"' in row and 'class="bad"' not in row
    # Openings and phrases inside their margin wait behind a fold.
    fold = style_part[style_part.index("<details>"):style_part.index("</details>")]
    assert "within chance" in fold and "says" in fold


def test_style_of_a_dozen_replies_is_not_judged(report_run):
    run, store = report_run
    ev = json.loads((run / "eval.json").read_text())
    ev["fingerprint"] = compare(OWNER[:12], CLONE[:12])
    ev["clone_score"] = clone_score(OWNER[:12], CLONE[:12])
    deep = [{"role": "user", "content": "a"}, {"role": "clone", "content": "b"},
            {"role": "user", "content": "c"}]
    ev["by_context"] = by_context_length([deep[-1:]] * 5 + [deep] * 7, OWNER[:12], CLONE[:12])
    (run / "eval.json").write_text(json.dumps(ev, ensure_ascii=False))
    page = render(collect(run, approvals_path=store))
    assert "12 replies are too few to judge the style" in page
    assert "Style: share of replies" not in page  # no chart of noise
    assert "12 contexts: too few to judge" in page and "Clone score <b>" not in page
    assert "style figures off by" not in page  # no red card either
    assert "<details><summary>all " in page
    assert ("Replies per context length: no earlier turn 5, 1–2 earlier turns 7: too few to "
            "judge any") in page
    assert "<details><summary>the figures anyway</summary>" in page


def test_clone_score_and_context_lengths_in_the_page(report_run):
    run, store = report_run
    ev = json.loads((run / "eval.json").read_text())
    page = render(collect(run, approvals_path=store))
    cs = ev["clone_score"]
    assert f"Clone score <b>{cs['auc']:.2f}</b>" in page
    assert "Clone score: can a classifier tell" in page  # the chart
    assert html.escape(cs["clone_tells"][0]["ngram"]) in page
    assert "no earlier turn (24 replies)" in page and "1–2 earlier turns (6 replies)" in page
    assert "6 replies: too few to judge" in page


def test_empty_canaries_and_approvals_are_one_line_each(report_run, tmp_path: Path):
    run, _ = report_run
    ev = json.loads((run / "eval.json").read_text())
    ev["canaries"] = {"planted": 0, "leaks": 0, "leaked": [], "checked_generations": 0}
    (run / "eval.json").write_text(json.dumps(ev, ensure_ascii=False))
    page = render(collect(run, approvals_path=tmp_path / "none.sqlite3"))
    assert "<h2>Privacy canaries</h2>" not in page and "<h2>Approvals</h2>" not in page
    assert "<b>Privacy canaries:</b> none planted" in page and "--canaries 3" in page
    assert "<b>Approvals:</b> none yet" in page


def test_a_deleted_dataset_is_said_plainly(report_run, tmp_path: Path):
    run, store = report_run
    gone = tmp_path / "clonebot-demo-x" / "dataset"
    page = render(collect(run, dataset_dir=gone, approvals_path=store))
    assert f"The dataset this run was trained on, {gone}, no longer exists" in page


def test_report_cli_writes_the_page_atomically(report_run, tmp_path: Path, monkeypatch):
    from click.testing import CliRunner

    from clonebot.cli import cli
    from training.commands import report as report_mod

    run, store = report_run
    report_mod.register(cli)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out" / "r.html"
    out.parent.mkdir()
    r = CliRunner().invoke(cli, ["report", "--adapter", str(run), "--out", str(out),
                                 "--approvals", str(store)])
    assert r.exit_code == 0, r.output
    assert out.is_file() and f"wrote {out}" in r.output
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temp file left
    r = CliRunner().invoke(cli, ["report", "--adapter", str(tmp_path / "nope"), "--no-eval"])
    assert r.exit_code == 1 and "adapter directory not found" in r.output and "Traceback" not in r.output


def _browser_or_skip():
    """playwright's sync API and Debian's chromium; missing ones skip the test, except under
    CI=true, where .ci/run installs them and their absence is a failure."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not (Path(CHROMIUM).is_file() and shutil.which("chromium")):
        if in_ci:
            pytest.fail(f"CI must install chromium ({CHROMIUM}): .ci/run runs apt-get install chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    if in_ci:
        from playwright import sync_api
        return sync_api, CHROMIUM
    return pytest.importorskip("playwright.sync_api"), CHROMIUM


def test_report_renders_in_a_real_browser(report_run, tmp_path: Path):
    sync_api, chromium = _browser_or_skip()
    run, store = report_run
    page_file = tmp_path / "report.html"
    page_file.write_text(render(collect(run, approvals_path=store)), encoding="utf-8")

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            n_charts = page.locator(".chart").count()
            # skips, PII, loss, perplexity, style rates, lengths, clone score, approvals
            assert n_charts == 8
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_charts}")
            # Every chart drew marks: bars or line points with a non-empty size.
            drawn = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
                .map(div => Array.from(div.querySelectorAll('.trace path, .trace .point path'))
                    .filter(p => { const b = p.getBBox(); return b.width > 0 || b.height > 0; })
                    .length)""")
            assert len(drawn) == n_charts and all(n > 0 for n in drawn), drawn
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert problems == []
        finally:
            browser.close()
