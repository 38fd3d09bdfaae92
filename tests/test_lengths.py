"""Token lengths in the base model's own tokens, and what happens to long samples: cut by
whole context turns from the left, the reply never cut; a reply too long on its own counted
and named, never dropped silently (``training.lengths``)."""

from __future__ import annotations

import json

import pytest

from clonebot.model.load import encode
from clonebot.prompt_format import render_sample
from training.lengths import measure
from training.masking import IGNORE, fit_sample

LONG_RU = ("слушай, я тут подумал насчёт выходных: может всё-таки поедем на дачу к родителям, "
           "там баня, шашлыки, и погода вроде обещает быть хорошей, только выехать надо пораньше")


def _row(turns, chat=7, message=1):
    return {"messages": turns, "chat_id": chat, "message_id": message}


def test_over_long_window_loses_whole_turns_from_the_left_and_keeps_the_reply(mistral_tokenizer):
    tok = mistral_tokenizer
    turns = [{"role": "user" if i % 2 == 0 else "clone", "content": f"{i}: {LONG_RU}"} for i in range(6)]
    turns.append({"role": "clone", "content": "давай, я за)"})
    whole = len(encode(tok, render_sample(turns[:-1], turns[-1]["content"], tok.eos_token))["input_ids"])
    fit = fit_sample(turns, tok, 160)
    assert whole > 160 and fit.tokens == whole
    ids = fit.features["input_ids"]
    assert len(ids) <= 160 and fit.cut_turns >= 1
    # What is left is exactly the rendered sample of the last turns: nothing cut mid-turn.
    kept = turns[fit.cut_turns:]
    assert ids == encode(tok, render_sample(kept[:-1], kept[-1]["content"], tok.eos_token))["input_ids"]
    learnable = [t for t, lab in zip(ids, fit.features["labels"]) if lab != IGNORE]
    assert tok.decode(learnable).endswith("давай, я за)</s>")
    assert fit.reply_tokens == len(tok("давай, я за)", add_special_tokens=False)["input_ids"]) + 1


def test_reply_too_long_alone_is_counted_and_named(mistral_tokenizer):
    tok = mistral_tokenizer
    rows = [
        _row([{"role": "user", "content": "как дела?"}, {"role": "clone", "content": "норм)"}], message=1),
        _row([{"role": "user", "content": LONG_RU}, {"role": "clone", "content": LONG_RU * 3}], message=2),
        _row([{"role": "user", "content": LONG_RU * 2}, {"role": "clone", "content": "ок"}], chat=9, message=3),
    ]
    lengths = measure(rows, tok, 96, name="tiny", max_new_tokens=20)
    assert lengths.samples == 3 and lengths.over == 2
    assert lengths.cut == 1 and lengths.turns_cut == 1  # message 3 keeps its reply alone
    assert lengths.too_long == 1
    [named] = lengths.too_long_named
    assert named["chat_id"] == 7 and named["message_id"] == 2 and named["reply_tokens"] > 96
    assert lengths.replies_over_max_new_tokens == 1
    text = "\n".join(lengths.lines())
    assert "2 of 3 samples" in text and "1 cut to fit" in text
    assert "NOT trained on: chat 7 message 2" in text
    json.dumps(lengths.as_dict())  # goes into stats.json and the manifest


def test_batch_counts_match_what_training_fits(tokenizer):
    """``measure`` counts whole windows in batches and fits only the long ones; its figures
    are the ones fitting each sample one by one gives."""
    rows = [_row([{"role": "user", "content": LONG_RU[: 10 * k]}, {"role": "clone", "content": LONG_RU[: 7 * k + 3]}],
                 message=k) for k in range(1, 25)]
    lengths = measure(rows, tokenizer, 48, name="t")
    fits = [fit_sample(r["messages"], tokenizer, 48) for r in rows]
    assert lengths.sample_tokens["max"] == max(f.tokens for f in fits)
    assert lengths.reply_tokens["max"] == max(f.reply_tokens for f in fits)
    assert lengths.over == sum(f.tokens > 48 for f in fits)
    assert lengths.too_long == sum(f.features is None for f in fits)


@pytest.fixture
def prepare_cli(tmp_path, monkeypatch, cache_dir):
    from click.testing import CliRunner

    from clonebot.cli import cli
    from training.commands import prepare

    prepare.register(cli)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_prepare_reports_tokens_with_the_configured_models_tokenizer(prepare_cli, tmp_path,
                                                                     monkeypatch, mistral_dirs):
    from fixtures_dataset import SAMPLE_EXPORT

    monkeypatch.setenv("CLONEBOT_MODEL__BASE_MODEL", "mistralai/Mistral-7B-v0.1")  # the default
    monkeypatch.setenv("CLONEBOT_TRAIN__MAX_SEQ_LEN", "64")
    r = prepare_cli("prepare", str(SAMPLE_EXPORT), "--out", str(tmp_path / "ds"), "--workers", "0")
    assert r.exit_code == 0, r.output
    assert "tokens (mistralai/Mistral-7B-v0.1: Mistral v0.1's tokenizer): per sample mean" in r.output
    assert "over train.max_seq_len = 64:" in r.output
    stats = json.loads((tmp_path / "ds" / "stats.json").read_text())
    assert stats["lengths"]["max_seq_len"] == 64 and stats["lengths"]["samples"] == stats["samples"]
    assert stats["lengths"]["over"] > 0  # the sample's longest windows exceed 64 Mistral tokens


def test_prepare_without_the_tokenizer_says_train_will_report(prepare_cli, tmp_path, monkeypatch):
    from fixtures_dataset import SAMPLE_EXPORT

    monkeypatch.setenv("CLONEBOT_MODEL__BASE_MODEL", "someone/not-downloaded-7b")
    r = prepare_cli("prepare", str(SAMPLE_EXPORT), "--out", str(tmp_path / "ds"), "--workers", "0")
    assert r.exit_code == 0, r.output
    assert "not on this machine; `clonebot train` reports them before it trains" in r.output
    assert "lengths" not in json.loads((tmp_path / "ds" / "stats.json").read_text())
