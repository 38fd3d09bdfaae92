"""The whole pipeline on the tiny Mistral profile: Mistral-7B's own v0.1 / v0.3 tokenizer on a
2-layer random Mistral of the real architecture (``tiny-mistral-v1`` / ``-v3``).

prepare (the bundled sample export, token figures with the profile's tokenizer) -> train
through plain LoRA (v0.1, ``clonebot train``) and the 4-bit QLoRA code path (v0.3), both with
Mistral's default target modules -> chat -> eval -> the bot's generator over the Telethon
double (approve, edit) -> feedback export -> retrain from a fresh export. The model is
random, so replies are noise: what is checked is that every path runs on Mistral's tokens
and architecture and keeps its contracts (EOS "</s>", no turn markers, the manifest).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from clonebot.model.manifest import read_manifest
from fixtures_dataset import SAMPLE_EXPORT

pytestmark = pytest.mark.slow

ALL_PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TRAIN = {"max_steps": 12, "batch_size": 4, "grad_accum": 1, "max_seq_len": 128,
         "learning_rate": 2e-3, "lora_r": 8, "lora_alpha": 16, "eval_steps": 1000,
         "save_steps": 1000, "logging_steps": 1000, "warmup_ratio": 0.0, "max_eval_samples": 16}


def _env(cache_dir: Path, root: Path, base: str, **train) -> dict[str, str]:
    env = {"CLONEBOT_PATHS__CACHE_DIR": str(cache_dir), "CLONEBOT_PATHS__RUNS_DIR": str(root / "runs"),
           "CLONEBOT_PATHS__DATA_DIR": str(root / "data"), "CLONEBOT_MODEL__BASE_MODEL": base,
           "CLONEBOT_MODEL__CPU_THREADS": "1", "CLONEBOT_GENERATE__MAX_NEW_TOKENS": "12"}
    env.update({f"CLONEBOT_TRAIN__{k.upper()}": str(v) for k, v in {**TRAIN, **train}.items()})
    return env


def _settings(cache_dir: Path, root: Path, base: str, **train):
    from clonebot.config import load_settings

    return load_settings(model={"base_model": base, "cpu_threads": 1},
                         paths={"cache_dir": str(cache_dir), "runs_dir": str(root / "runs"),
                                "data_dir": str(root / "data"), "dataset_dir": str(root / "dataset")},
                         train={**TRAIN, **train}, generate={"max_new_tokens": 12})


def _cli(*args, env, input=None):
    from click.testing import CliRunner

    from clonebot.cli import _register_builtin, cli
    from training.cli import register

    _register_builtin()  # as `clonebot` does: chat, feedback, ...
    register(cli)
    return CliRunner().invoke(cli, list(args), env=env, input=input)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mistral-pipeline")


@pytest.fixture(scope="module")
def dataset(root, cache_dir, mistral_dirs) -> Path:
    out = root / "dataset"
    r = _cli("prepare", str(SAMPLE_EXPORT), "--out", str(out), "--workers", "0",
             env=_env(cache_dir, root, "tiny-mistral-v1"))
    assert r.exit_code == 0, r.output
    assert "tokens (tiny-mistral-v1): per sample mean" in r.output
    return out


@pytest.fixture(scope="module")
def plain_run(root, cache_dir, dataset) -> tuple[Path, str]:
    """v0.1's tokenizer, plain LoRA on full-precision weights, through `clonebot train`."""
    out = root / "runs" / "v1-plain"
    r = _cli("train", "--dataset", str(dataset), "--out", str(out), "--no-progress",
             env={**_env(cache_dir, root, "tiny-mistral-v1"), "CLONEBOT_TRAIN__QUANTIZE": "none"})
    assert r.exit_code == 0, r.output
    return out, r.output


@pytest.fixture(scope="module")
def qlora_run(root, cache_dir, dataset) -> Path:
    """v0.3's tokenizer, the 4-bit QLoRA code path (what a CUDA GPU runs)."""
    from training.train import train

    out = root / "runs" / "v3-4bit"
    seen = []
    train(_settings(cache_dir, root, "tiny-mistral-v3", quantize="4bit"), dataset, out,
          progress=False, on_lengths=seen.append)
    assert seen and seen[0].tokenizer == "tiny-mistral-v3"
    return out


def test_train_reports_tokens_first_and_records_the_run(plain_run, qlora_run):
    out, output = plain_run
    # The token figures come before anything is trained (and before the summary).
    assert output.index("tokens (tiny-mistral-v1)") < output.index("run saved to")
    for run, tok, quant in [(out, "v1", "none"), (qlora_run, "v3", "nf4+double_quant")]:
        m = read_manifest(run)
        assert m["base_model"] == f"tiny-mistral-{tok}" and m["eos_token"] == "</s>"
        hp = m["hyperparameters"]
        assert hp["quantization"] == quant and hp["target_modules"] == ALL_PROJECTIONS
        met = m["metrics"]
        assert met["steps"] == 12 and met["eval_loss"] < met["eval_loss_before"]
        assert met["lengths"]["tokenizer"] == f"tiny-mistral-{tok}" and met["lengths"]["samples"] > 100
        assert met["skipped_too_long"] == met["lengths"]["too_long"] == 0
        assert json.loads((run / "tokenizer_config.json").read_text())["eos_token"] == "</s>"


def test_chat_answers_in_a_pipe(plain_run, qlora_run, root, cache_dir):
    for run in (plain_run[0], qlora_run):
        r = _cli("chat", "--adapter", str(run), env=_env(cache_dir, root, "tiny-mistral-v1"),
                 input="привет, как дела?\nwhere are you?\n")
        assert r.exit_code == 0, r.output
        lines = r.stdout.splitlines()
        assert len(lines) == 2 and all("###" not in line and "</s>" not in line for line in lines)


def test_eval_runs_on_the_4bit_adapter(qlora_run, dataset, root, cache_dir, tmp_path):
    run = Path(shutil.copytree(qlora_run, tmp_path / "run"))
    r = _cli("eval", "--adapter", str(run), "--dataset", str(dataset), "--samples", "2",
             "--ppl-rows", "8", "--max-new-tokens", "8", env=_env(cache_dir, root, "tiny-mistral-v3"))
    assert r.exit_code == 0, r.output
    report = json.loads((run / "eval.json").read_text())
    assert "perplexity" in json.dumps(report)


async def _settle(env, timeout: float = 300) -> None:
    """``env.settle()`` for a real model: a generation takes seconds, not loop turns."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            return await env.settle()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def test_the_bot_drafts_with_the_mistral_adapter_over_the_double(plain_run, root, cache_dir, tmp_path):
    """The bot's own generator (base + adapter loaded by the worker) answers Alice through
    Telethon's update loop; the owner edits the suggestion; feedback export renders the
    pair with the adapter's EOS, "</s>"."""
    from clonebot.model import load_generator
    from fixtures_telegram_bot import bot_on_double

    run = plain_run[0]
    settings = _settings(cache_dir, root, "tiny-mistral-v1")

    async def go():
        env = await bot_on_double(tmp_path, factory=lambda path: load_generator(settings, path),
                                  adapter_dir=run)
        env.tg.send(env.p.owner, env.p.alice, "see you friday")  # it answers where the owner writes
        env.tg.send(env.p.alice, env.p.owner, "are you coming tonight?")
        await _settle(env)
        post, pid = env.last_post()
        assert "are you coming tonight?" in post
        [pending] = env.store.pending(env.p.alice)
        assert pending.suggestion.strip() and "###" not in pending.suggestion
        env.tg.send(env.p.owner, env.p.owner, "edit yes, at 7", reply_to=pid)
        await _settle(env)
        assert env.tg.texts(env.p.alice, env.p.owner)[-1] == "yes, at 7"
        await env.close()
        return pending.suggestion

    suggestion = asyncio.run(go())
    out = tmp_path / "pairs.jsonl"
    r = _cli("feedback", "export", "--out", str(out), "--adapter", str(run),
             env={**_env(cache_dir, root, "tiny-mistral-v1"), "CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data")})
    assert r.exit_code == 0, r.output
    [pair] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (pair["chosen"], pair["rejected"]) == ("yes, at 7", suggestion)
    assert pair["prompt_text"].endswith("### User:\nare you coming tonight?\n### Clone:\n")


def test_retrain_from_a_fresh_export_on_tiny_mistral(tmp_path, cache_dir, mistral_dirs):
    from clonebot import versions
    from training import retrain

    settings = _settings(cache_dir, tmp_path, "tiny-mistral-v3", max_steps=3)
    r = retrain.retrain(settings, SAMPLE_EXPORT, eval_rows=8, train_progress=False)
    assert r.action == "promoted", r.reason
    assert versions.current_adapter(tmp_path / "runs") == r.version
    assert read_manifest(r.version)["base_model"] == "tiny-mistral-v3"
    assert r.new.rows == 8 and r.new.nll_per_char > 0
