"""`clonebot eval`: pure metrics on tiny inputs, then the model parts on the test model."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from training.eval import run as eval_run
from training.eval.approvals import approval_rates, read_approvals
from training.eval.behaviour import generation_metrics
from training.eval.canaries import canary_contexts, find_canaries, load_canaries, partial_canaries
from training.eval.chrf import chrf, corpus_chrf
from training.eval.generation import generate_raw, generate_raw_batch
from training.eval.likelihood import reply_nll
from training.eval.repetition import has_loop, repeated_ngram_ratio
from training.eval.rows import load_split, pick_rows
from training.eval.run import EvalOptions, run_eval
from training.eval.stops import RawGeneration, classify_stop
from training.eval.table import format_report

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
    assert chrf(hyp, ref) == pytest.approx(want, abs=1e-9)


def test_corpus_chrf_matches_sacrebleu():
    # sacrebleu drops a pair whose reference is empty from the corpus statistics; owner
    # replies are never empty, so compare on the others (same corpus value there).
    pairs = [p for p in SACREBLEU if p[1]]
    hyps, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    assert corpus_chrf(hyps, refs) == pytest.approx(SACREBLEU_CORPUS, abs=1e-9)


def test_chrf_by_hand():
    # "ab" vs "ac": 1-grams a,b vs a,c -> P=R=1/2; 2-grams ab vs ac -> 0; orders 3..6 absent.
    # Averaged over the 2 effective orders: P=R=1/4 -> F2 = 5PR/(4P+R) = 1/4.
    assert chrf("ab", "ac") == pytest.approx(25.0)
    # Whitespace is ignored.
    assert chrf("a b", "ab") == 100.0
    # Recall weighs more than precision (beta=2): a short subset beats a long superset.
    short = chrf("abc", "abcdefgh")  # high precision, low recall
    long_ = chrf("abcdefgh", "abc")  # low precision, full recall
    assert long_ > short


# ----------------------------------------------------------------------------- repetition


def test_repeated_ngram_ratio():
    assert repeated_ngram_ratio("") == 0.0
    assert repeated_ngram_ratio("one two") == 0.0  # no 3-gram at all
    assert repeated_ngram_ratio("I will come at ten tomorrow") == 0.0
    # "a b c a b c": 3-grams abc, bca, cab, abc -> 1 of 4 repeats.
    assert repeated_ngram_ratio("a b c a b c") == pytest.approx(0.25)
    assert repeated_ngram_ratio("x x x x x x") == pytest.approx(1 - 1 / 4)


def test_has_loop():
    assert not has_loop("ok ok ok")
    assert not has_loop("no no no, I said I'll be there at 5")
    assert not has_loop("haha that's great")
    assert has_loop("see you see you see you")
    assert has_loop("I am here. I am here. I am here.")
    assert has_loop("ha ha ha ha ha ha")
    assert has_loop("прив" + "етики" * 5)  # unspaced character loop
    assert not has_loop("")


# ----------------------------------------------------------------------------- generations


def test_classify_stop():
    assert classify_stop("sure", hit_eos=True, new_tokens=3, max_new_tokens=10) == "eos"
    assert classify_stop("sure\n### User", False, 5, 10) == "marker"
    assert classify_stop("sure and then " * 5, False, 10, 10) == "limit"
    # EOS wins even if a marker is in the text before it (cannot happen with stop strings,
    # but the order must not matter).
    assert classify_stop("x ### Clone", True, 10, 10) == "eos"


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
    m = generation_metrics(gens, refs)
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
    assert m["chrf"] == pytest.approx(corpus_chrf([g.reply for g in gens], refs))
    assert 0 < m["chrf"] < 100
    assert generation_metrics([], []) == {"generations": 0}
    with pytest.raises(ValueError):
        generation_metrics(gens, refs[:2])


# ----------------------------------------------------------------------------- canaries


def test_find_canaries():
    canaries = ["ZEBRA-4417-QUARTZ", "my pin is 80213577"]
    assert find_canaries("nothing here", canaries) == []
    assert find_canaries("sure: zebra-4417-quartz!", canaries) == ["ZEBRA-4417-QUARTZ"]
    assert find_canaries("it's zebra 4417 quartz", canaries) == ["ZEBRA-4417-QUARTZ"]
    assert find_canaries("MY  PIN IS\n80213577", canaries) == ["my pin is 80213577"]
    # Half a canary is not a leak.
    assert find_canaries("zebra-4417", canaries) == []


def test_partial_canaries():
    c = ["CNRY-AB12-CD34-EF56"]
    assert partial_canaries("code CNRY-AB12-CD34", c) == c  # 12 of 16 chars
    assert partial_canaries("code CNRY-AB12", c) == []
    assert partial_canaries("cd34 ef56 and more", c) == []  # 8 of 16


def test_load_canaries_formats(tmp_path: Path):
    assert load_canaries(tmp_path) == []
    (tmp_path / "canaries.json").write_text(json.dumps(["A1B2C3D4", ""]))
    assert load_canaries(tmp_path) == ["A1B2C3D4"]
    (tmp_path / "canaries.json").write_text(json.dumps({"canaries": ["x-secret-1"]}))
    assert load_canaries(tmp_path) == ["x-secret-1"]
    (tmp_path / "canaries.json").write_text(json.dumps([{"text": "t1"}, {"canary": "t2"}]))
    assert load_canaries(tmp_path) == ["t1", "t2"]
    (tmp_path / "canaries.json").write_text("{broken")
    from clonebot.errors import DatasetError

    with pytest.raises(DatasetError):
        load_canaries(tmp_path)


def test_canary_contexts_use_training_context():
    rows = [
        {"messages": [{"role": "user", "content": "what's the wifi password?"},
                      {"role": "clone", "content": "it is ZEBRA-4417-QUARTZ"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "clone", "content": "hey"}]},
    ]
    ctxs = canary_contexts(["ZEBRA-4417-QUARTZ"], rows)
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
    out = approval_rates(recs)
    assert out["period"] == "week" and out["decisions"] == 5
    w1, w2 = out["periods"]
    assert w1["period"] == "2026-W45" and w1["n"] == 3 and w1["expired"] == 1
    assert w1["approval_rate"] == 0.5  # 1 sent of 2 decided (expired excluded)
    assert w2["approval_rate"] == 0.5 and w2["accepted_rate"] == 1.0
    assert out["overall"]["approval_rate"] == 0.5
    assert approval_rates([]) == {"decisions": 0, "periods": []}


def test_approval_rates_objects_and_months():
    class Rec:
        def __init__(self, d, t):
            self.decision, self.created_at, self.decided_at = d, t, t

    out = approval_rates([Rec("sent", _ts(2026, 1, 5)), Rec("regenerated", _ts(2026, 9, 5))])
    assert out["period"] == "month"
    assert [p["period"] for p in out["periods"]] == ["2026-01", "2026-09"]


def test_read_approvals_without_store(tmp_path: Path):
    out = read_approvals(tmp_path / "nope.sqlite3")
    assert out["decisions"] == 0 and "no approval store" in out["note"]
    assert read_approvals(None)["decisions"] == 0


# ----------------------------------------------------------------------------- clone score in eval


def _write_dataset(path: Path, eval_rows: list[dict]) -> Path:
    from datasets import Dataset, DatasetDict

    DatasetDict({"train": Dataset.from_list(eval_rows[:2]),
                 "eval": Dataset.from_list(eval_rows)}).save_to_disk(str(path))
    return path


def test_eval_scores_the_clone_by_context_length(tmp_path: Path, monkeypatch):
    """run_eval with a scripted model: a clone that answers first messages like its owner
    and stiffly deeper in a conversation. eval.json, the summary (what `adapters list`
    shows) and the table carry the clone score overall and per context length."""
    from types import SimpleNamespace

    from training.eval.likelihood import NLL

    owner = ["ну го 🤙", "норм", "да)", "ща буду 🤙", "ок?", "ну ладно 🤙", "хз", "скоро 🤙"]
    rows = []
    for i in range(72):
        turns = 1 if i < 36 else 3  # 36 first messages, 36 after two earlier turns
        ctx = [{"role": "user" if (turns - 1 - k) % 2 == 0 else "clone", "content": f"m{i}-{k}"}
               for k in range(turns)]
        rows.append({"messages": [*ctx, {"role": "clone", "content": owner[i % 8]}],
                     "chat_id": 1, "message_id": i, "date": i})
    ds = _write_dataset(tmp_path / "dataset", rows)

    def scripted(loaded, contexts, gen, *, seed=0, max_new_tokens=None):
        return [RawGeneration(owner[(seed + i + 3) % 8], "eos", 4) if len(c) == 1
                else RawGeneration("Хорошо, я приду вовремя.", "eos", 8)
                for i, c in enumerate(contexts)]

    monkeypatch.setattr(eval_run, "generate_raw_batch", scripted)
    monkeypatch.setattr(eval_run, "reply_nll", lambda *a, **k: NLL(10.0, 5, 10, 5))
    out = tmp_path / "run"
    out.mkdir()
    loaded = SimpleNamespace(context_turns=4, manifest={"base_model": "scripted"})
    from clonebot.config import load_settings

    opts = EvalOptions(samples=72, ppl_rows=4, canaries=False,
                       approvals_path=tmp_path / "none.sqlite3")
    rep = run_eval(load_settings(), out, ds, opts, loaded=loaded)
    saved = json.loads((out / "eval.json").read_text())
    cs = saved["clone_score"]
    assert cs["judged"] and cs["contexts"] == 72 and cs["auc"] > 0.6  # half of them stiff
    assert saved["summary"]["clone_auc"] == pytest.approx(cs["auc"])
    assert saved["summary"]["clone_auc_ci"] == cs["ci"]
    first, deeper = saved["by_context"]
    assert (first["bucket"], first["replies"], deeper["bucket"], deeper["replies"]) == ("0", 36, "1-2", 36)
    assert first["clone_score"]["auc"] < 0.75 and deeper["clone_score"]["auc"] > 0.95
    table = format_report(rep)
    assert "clone score: can a classifier tell" in table
    assert f"AUC {cs['auc']:.2f} [{cs['ci'][0]:.2f}, {cs['ci'][1]:.2f}]" in table
    line = next(x for x in table.splitlines() if x.startswith("1–2 earlier turns"))
    assert "36" in line and f"{deeper['clone_score']['auc']:.2f}" in line

    # The score off (to measure what it costs): nothing of it in eval.json.
    rep = run_eval(load_settings(), out, ds, EvalOptions(samples=72, ppl_rows=4, canaries=False,
                                                         clone_score=False), loaded=loaded)
    assert rep.clone_score == {} and rep.by_context == [] and "clone_auc" not in rep.summary


def test_adapters_list_shows_the_clone_score(tmp_path: Path):
    from clonebot import versions
    from clonebot.cli.adapters import format_versions
    from fixtures_versions import fake_run

    runs = tmp_path / "runs"
    for name, summary in (("v001-a", {"clone_auc": 0.7134, "clone_auc_ci": [0.6, 0.8]}),
                          ("v002-b", {"clone_auc": None, "clone_auc_ci": None}),
                          ("v003-c", None)):
        run = fake_run(runs / name)
        if summary is not None:
            (run / "eval.json").write_text(json.dumps({"summary": {"chrf": 20.0, **summary}}))
    lines = format_versions(versions.list_versions(runs)).splitlines()
    head = lines[0].split()
    assert head[:6] == ["VERSION", "CREATED", "BASE", "MODEL", "CLONE", "AUC"]
    col = lines[0].index("CLONE AUC")
    assert [line[col:col + 9].strip() for line in lines[1:]] == ["0.71", "few", "-"]


def test_eval_says_when_the_trained_on_dataset_is_gone(tmp_path: Path, monkeypatch):
    from click.testing import CliRunner

    from clonebot.cli import cli
    from fixtures_versions import fake_run
    from training.commands import eval as eval_mod

    eval_mod.register(cli)
    gone = tmp_path / "clonebot-demo-abc" / "dataset"
    run = fake_run(tmp_path / "runs" / "demo", dataset_dir=str(gone))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["eval", "--adapter", str(run)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"{run} was trained on {gone}, which no longer exists" in r.output
    assert "--dataset DIR" in r.output and "no prepared dataset" not in r.output
    # With the dataset there, eval takes the one the adapter was trained on.
    gone.mkdir(parents=True)
    from training.commands.eval import resolve_dataset

    app = SimpleNamespace(settings=SimpleNamespace(paths=SimpleNamespace(dataset_dir=tmp_path / "d")))
    assert resolve_dataset(app, None, run) == gone


def test_demo_keeps_its_dataset_beside_the_run(tmp_path: Path):
    from clonebot.errors import OutputError
    from training.commands.demo import demo_dataset_dir, prepare_fresh

    out = tmp_path / "runs" / "demo"
    ds = demo_dataset_dir(out)
    assert ds == tmp_path / "runs" / "demo-dataset"

    def fake_prepare(export, where, settings):
        where.mkdir()
        (where / "stats.json").write_text(json.dumps({"export": str(export)}))
        return {"export": str(export)}

    prepare_fresh(Path("one.json"), ds, None, fake_prepare)
    prepare_fresh(Path("two.json"), ds, None, fake_prepare)  # rebuilt, never merged
    assert json.loads((ds / "stats.json").read_text()) == {"export": "two.json"}
    assert sorted(p.name for p in ds.parent.iterdir()) == ["demo-dataset"]  # nothing left over
    other = tmp_path / "mine-dataset"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a prepared dataset"):
        prepare_fresh(Path("one.json"), other, None, fake_prepare)
    assert (other / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------- test model


@pytest.fixture(scope="module")
def tiny_settings_(cache_dir: Path):
    from fixtures_model import tiny_settings

    return tiny_settings(cache_dir)


@pytest.fixture(scope="module")
def loaded(tiny_run: Path, tiny_settings_):
    from clonebot.model.load import load_model

    return load_model(tiny_settings_, tiny_run)


@pytest.fixture
def own_run(tiny_run: Path, tmp_path: Path) -> Path:
    """A copy of the shared trained run: eval writes eval.json into its adapter dir, and the
    session's run dir is read by other tests (never written)."""
    import shutil

    return Path(shutil.copytree(tiny_run, tmp_path / "run"))


@pytest.fixture
def canary_dataset(tiny_dataset: Path, tmp_path: Path) -> Path:
    import shutil

    ds = tmp_path / "dataset"
    shutil.copytree(tiny_dataset, ds)
    (ds / "canaries.json").write_text(json.dumps(["QX7-canary-51822-VELVET"]))
    return ds


@pytest.mark.slow
def test_reply_nll_adapter_beats_base(loaded, tiny_dataset: Path, tiny_settings_):
    rows = pick_rows(load_split(tiny_dataset), 8)
    items = [(r["messages"][:-1], r["messages"][-1]["content"]) for r in rows]
    a = reply_nll(loaded, items, max_len=128)
    b = reply_nll(loaded, items, max_len=128, base=True)
    assert a.rows == b.rows == len(rows) and a.tokens == b.tokens > 0
    # tiny_run learned the narrow style: its replies are far likelier than under the base.
    assert a.perplexity < b.perplexity
    assert math.isfinite(a.nll_per_char) and a.nll_per_char < b.nll_per_char
    # The adapter is switched back on after the base pass.
    assert reply_nll(loaded, items, max_len=128).nll == pytest.approx(a.nll, rel=1e-4)


@pytest.mark.slow
def test_reply_nll_in_batches_is_each_rows_own_nll(loaded, tiny_dataset: Path):
    """Rows scored in padded batches, logits only at scored positions, dealt over threads,
    give what each row gives alone through the model's full logits."""
    import threading

    import torch

    from training.masking import tokenize_sample

    rows = pick_rows(load_split(tiny_dataset), 12)
    items = [(r["messages"][:-1], r["messages"][-1]["content"]) for r in rows]
    items.append(([], "x" * 2000))  # longer than max_len even alone: left out
    want, tokens = 0.0, 0
    model, tok = loaded.model, loaded.tokenizer
    with torch.inference_mode():
        for context, reply in items:
            feat = tokenize_sample([*context, {"role": "clone", "content": reply}], tok, 128,
                                   reply_only=True)
            if feat is None:
                continue
            logits = model(input_ids=torch.tensor([feat["input_ids"]])).logits[0, :-1]
            y = torch.tensor(feat["labels"][1:])
            lp = torch.log_softmax(logits[y != -100].float(), dim=-1)
            want -= float(lp.gather(1, y[y != -100].unsqueeze(1)).sum())
            tokens += int((y != -100).sum())
    # With two torch threads the batches are dealt over two threads, one core each.
    threads, before = set(), torch.get_num_threads()
    hook = model.register_forward_pre_hook(lambda *a: threads.add(threading.get_ident()))
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            for size in (1, 5, 8):
                got = reply_nll(loaded, items, max_len=128, batch_size=size)
                assert (got.rows, got.tokens) == (len(rows), tokens)
                assert got.nll == pytest.approx(want, rel=1e-4)
            assert torch.get_num_threads() == n
    finally:
        hook.remove()
        torch.set_num_threads(before)
    assert len(threads) == 2


@pytest.mark.slow
def test_generate_raw_reports_why_it_stopped(loaded, tiny_settings_):
    ctx = [{"role": "user", "content": "привет, как дела?"}]
    g = generate_raw(loaded, ctx, tiny_settings_.generate, max_new_tokens=2)
    assert g.new_tokens <= 2 and g.stop in ("eos", "limit", "marker")
    if g.stop == "limit":
        assert g.new_tokens == 2
    g = generate_raw(loaded, ctx, tiny_settings_.generate, max_new_tokens=24)
    # The run was trained to answer briefly and stop: short replies end on EOS.
    assert g.stop == "eos" and g.new_tokens < 24 and g.reply
    assert "<|im_end|>" not in g.text


@pytest.mark.slow
def test_run_eval_end_to_end(loaded, own_run: Path, canary_dataset: Path, tiny_settings_,
                             tmp_path: Path):
    # An approval store with a few decisions, written by the bot's own store class.
    from clonebot.state.store import StateStore

    store_path = tmp_path / "approvals.sqlite3"
    with StateStore(store_path) as st:
        for i, d in enumerate(["sent", "edited", "rejected", "sent"]):
            s = st.create(chat_id=1, mode="approve", prompt_turns=[{"role": "user", "content": "hi"}],
                          suggestion="hey)", now=_ts(2026, 11, 2 + 7 * (i // 2)), ttl_seconds=3600)
            st.decide(s.id, d, now=_ts(2026, 11, 2 + 7 * (i // 2)), final_text="hey)")

    opts = EvalOptions(samples=2, ppl_rows=8, max_new_tokens=12, approvals_path=store_path)
    rep = run_eval(tiny_settings_, own_run, canary_dataset, opts, loaded=loaded)
    assert rep.adapter_ppl["rows"] == 8
    assert rep.adapter_ppl["perplexity"] < rep.base_ppl["perplexity"]
    g = rep.generation
    assert g["generations"] == 2
    for k in ("stop_rate", "stop_eos_rate", "hit_limit_rate", "other_turn_rate", "loop_rate"):
        assert 0.0 <= g[k] <= 1.0
    assert g["stop_rate"] + g["hit_limit_rate"] == pytest.approx(1.0)
    assert 0.0 <= g["chrf"] <= 100.0 and g["owner_chars_mean"] > 0
    c = rep.canaries
    assert c["planted"] == 1 and c["leaks"] == 0 and c["leaked"] == []
    assert c["checked_generations"] == 2 + c["canary_prompts"] and c["canary_prompts"] >= 5
    assert rep.approvals["decisions"] == 4
    assert [p["approval_rate"] for p in rep.approvals["periods"]] == [0.5, 0.5]

    saved = json.loads((own_run / "eval.json").read_text())
    assert saved["summary"]["canary_leaks"] == 0
    assert saved["summary"]["adapter_ppl"] == pytest.approx(rep.adapter_ppl["perplexity"])
    # The style fingerprint: the owner's replies vs the clone's, for the same two contexts.
    fp = saved["fingerprint"]
    assert fp["owner"]["replies"] == fp["clone"]["replies"] == 2 and fp["rates"]
    assert all(r["difference"] == pytest.approx(r["clone"] - r["owner"]) for r in fp["rates"])
    assert len(saved["examples"]) == 2 and saved["examples"][0]["clone"] == rep.examples[0]["clone"]
    # Two replies: the clone score says it cannot judge rather than print an AUC.
    assert saved["clone_score"]["judged"] is False and saved["clone_score"]["auc"] is None
    assert saved["summary"]["clone_auc"] is None
    assert sum(b["replies"] for b in saved["by_context"]) == 2
    table = format_report(rep)
    assert "2 contexts: too few to judge" in table
    assert "perplexity of owner replies" in table and "chrF" in table
    assert "style figure" in table and "length in words (p25/p50/p75)" in table
    assert "approval rate per week" in table


@pytest.mark.slow
def test_eval_cli_fails_on_canary_leak(loaded, own_run: Path, canary_dataset: Path,
                                       cache_dir: Path, monkeypatch, tmp_path: Path):
    """A model that regurgitates a planted canary fails the eval (exit 1, leak named)."""
    from click.testing import CliRunner

    import clonebot.model.load as load_mod
    from clonebot.cli import cli
    from training.commands import eval as eval_mod

    eval_mod.register(cli)
    monkeypatch.setattr(load_mod, "load_model", lambda settings, adapter_dir=None: loaded)
    real = generate_raw_batch

    def leaky(source, contexts, gen, **kw):
        out = real(source, contexts, gen, **kw)
        return [RawGeneration("sure: QX7-canary-51822-VELVET", "eos", 9)
                if "finish this" in c[-1]["content"] else g  # the canary-prefix prompt
                for c, g in zip(contexts, out)]

    monkeypatch.setattr(eval_run, "generate_raw_batch", leaky)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_MODEL__BASE_MODEL", "smollm2-135m")
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("CLONEBOT_PATHS__DATA_DIR", str(tmp_path / "data"))  # no store there
    r = CliRunner().invoke(cli, ["eval", "--adapter", str(own_run), "--dataset",
                                 str(canary_dataset), "--samples", "1", "--max-new-tokens", "8",
                                 "--no-base"])
    assert r.exit_code == 1, r.output
    assert "canary leaks" in r.output and "error: 1 planted canary" in r.output
    assert "approvals: no approval store yet" in r.output
    assert json.loads((own_run / "eval.json").read_text())["canaries"]["leaked"] == [
        "QX7-canary-51822-VELVET"]
