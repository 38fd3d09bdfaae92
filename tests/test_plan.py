"""``clonebot plan``: the estimator against published 7B QLoRA measurements, and the command.

Each measurement is given with its settings; the estimator gets the same settings (model
config values are the public config.json ones) and must land within ±25%. Where a setup's
stack differs from ours, the difference is an input, said next to it.
"""

from __future__ import annotations

import re

import pytest

from training.plan import Card, Setup, Shape, peak_memory_gb, seconds_per_micro_batch

ALL = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
LLAMA31_8B = Shape(hidden=4096, intermediate=14336, layers=32, heads=32, kv_heads=8, head_dim=128,
                   vocab=128256, tied=False)
QWEN_7B = Shape(hidden=4096, intermediate=11008, layers=32, heads=32, kv_heads=32, head_dim=128,
                vocab=151936, tied=False)
LLAMA2_7B = Shape(hidden=4096, intermediate=11008, layers=32, heads=32, kv_heads=32, head_dim=128,
                  vocab=32000, tied=False)
A100_80 = Card("A100 80GB", 80, 312, 2039)
A100_40 = Card("A100 40GB", 40, 312, 1555)

# (source, setup, published GB). Unsloth's benchmark page, "Llama 3.1 (8B) max. context
# length", Hugging Face + FA2 column: bitsandbytes 4-bit QLoRA on all linear layers, r=32,
# batch 1, sequences padded to the length, gradient checkpointing; the longest that fits a
# card of that size (so its peak is about the card).
UNSLOTH = [(f"unsloth {n} tokens in {gb} GB", Setup(lora_r=32, target_modules=ALL, seq_len=n, batch=1,
                                                    optim="adamw_8bit"), gb)
           for n, gb in [(932, 12), (2551, 16), (5789, 24), (12264, 40), (28454, 80)]]
# Qwen-7B README, "Profiling of Memory and Speed", Q-LoRA: A100-SXM4-80G, flash attention 2,
# batch 1, gradient accumulation 8, LoRA r=64 on all linear layers, gradient checkpointing.
# Its stack: GPTQ Int4 base (embeddings stay fp16: 2 bytes), AdamW with 32-bit moments,
# Qwen's own modelling code (cross-entropy on bf16 logits: ~6 bytes a vocabulary entry).
_QWEN = dict(lora_r=64, target_modules=ALL, batch=1, optim="adamw_torch", embed_bytes=2, logit_bytes=6)
QWEN_MEMORY = [(f"qwen {n} tokens", Setup(seq_len=n, **_QWEN), gb)
               for n, gb in [(256, 11.5), (1024, 12.3), (2048, 13.9), (4096, 16.9), (8192, 23.5)]]
# LitGPT's docs/resource-tables.md (10/2023): Llama 2 7B, finetune/lora.py, bnb.nf4-dq,
# micro-batch 1, LoRA r=8 on query and value, no gradient checkpointing, Alpaca (longest
# sample 1304 tokens), A100-SXM4-40GB; "Max GPU RAM" 13.84 GB. Its stack: bf16-true (2-byte
# embeddings), 32-bit AdamW, chunked cross-entropy (~4 bytes a vocabulary entry).
LITGPT = Setup(lora_r=8, target_modules=("q_proj", "v_proj"), seq_len=1304, batch=1,
               gradient_checkpointing=False, optim="adamw_torch", embed_bytes=2, logit_bytes=4)


@pytest.mark.parametrize("name,setup,published", [
    *UNSLOTH, *QWEN_MEMORY, ("litgpt llama-2-7b", LITGPT, 13.84)], ids=lambda x: x if isinstance(x, str) else "")
def test_peak_memory_within_a_quarter_of_published(name, setup, published):
    shape = {"unsloth": LLAMA31_8B, "qwen": QWEN_7B, "litgpt": LLAMA2_7B}[name.split()[0]]
    estimate = peak_memory_gb(shape, setup)
    assert abs(estimate / published - 1) <= 0.25, f"{name}: {estimate:.1f} GB vs {published}"


@pytest.mark.parametrize("tokens,published_s", [(1024, 3.5), (2048, 7.0), (4096, 11.6)])
def test_step_time_within_a_quarter_of_qwen_7b(tokens, published_s):
    """Qwen-7B's table (above): seconds per iteration of 8 single-sample micro-batches. Its
    256- and 512-token rows (3.0 s) set the host floor; these are checked against it."""
    setup = Setup(seq_len=tokens, **_QWEN)
    estimate = 8 * seconds_per_micro_batch(QWEN_7B, setup, A100_80, tokens)
    assert abs(estimate / published_s - 1) <= 0.25, f"{estimate:.2f} s vs {published_s}"


@pytest.mark.parametrize("mean_tokens", [120, 250, 400])
def test_step_time_within_a_quarter_of_litgpt(mean_tokens):
    """LitGPT's table (above): 3.83 min per 1000 single-sample iterations. Alpaca's samples
    are short (whatever their mean, from 120 to 400 tokens), so the host floor decides."""
    minutes = 1000 * seconds_per_micro_batch(LLAMA2_7B, LITGPT, A100_40, mean_tokens) / 60
    assert abs(minutes / 3.83 - 1) <= 0.25, f"{minutes:.2f} min vs 3.83"


def test_mistral_7b_default_run_fits_16gb_not_less_than_half(cache_dir):
    """The default [train] on Mistral-7B v0.1: trainable parameters as peft counts them for
    r=16 on all seven projections, and a peak a 16 GB card holds."""
    from clonebot.config import load_settings
    from clonebot.model.mistral import MISTRAL_7B
    from training.plan import make_plan

    s = load_settings(paths={"cache_dir": str(cache_dir)})
    plan = make_plan(s, [60, 80, 100, 512] * 50, config=MISTRAL_7B["v0.1"])
    # r x (in + out) summed: 32 layers x 16 x (4096+4096 + 2*(4096+1024) + 4096+4096 + 2*(4096+14336) + 14336+4096)
    assert plan.trainable == 41_943_040
    assert 6 < plan.peak_gb < 12
    fits = {c["card"]: c["fits"] for c in plan.cards}
    assert fits["T4 16GB"] and fits["RTX 3060 12GB"]
    assert plan.tokens_per_epoch == 50 * (60 + 80 + 100 + 512)
    longer = make_plan(s.model_copy(update={"train": s.train.model_copy(update={"max_seq_len": 4096})}),
                       [60] * 10, config=MISTRAL_7B["v0.1"])
    assert longer.peak_gb > plan.peak_gb + 4  # 8x the tokens per batch


def test_plan_cli_prints_figures_without_weights(tmp_path, monkeypatch, cache_dir, mistral_dirs):
    """`clonebot plan` on a dataset for Mistral-7B v0.3: its bundled config and tokenizer, no
    weights, no network."""
    from click.testing import CliRunner

    from clonebot.cli import cli
    from fixtures_model import make_dataset
    from training.commands import plan as plan_cmd

    plan_cmd.register(cli)
    ds = make_dataset(tmp_path / "ds", n_train=24, n_eval=4)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    r = CliRunner().invoke(cli, ["plan", "--dataset", str(ds), "--base-model", "mistralai/Mistral-7B-v0.3"])
    assert r.exit_code == 0, r.output
    assert "7.25B parameters" in r.output and "41,943,040 trainable" in r.output
    assert "tokens per epoch" in r.output and "peak GPU memory" in r.output
    assert re.search(r"T4 16GB +fits, ~\d+ min per epoch at ~[\d,]+ tokens/s", r.output)
    assert "Mistral v0.3's tokenizer" in r.output
    r = CliRunner().invoke(cli, ["plan", "--dataset", str(ds), "--base-model", "nobody/unknown-7b"])
    assert r.exit_code == 1 and r.output.startswith("error: ") and "Traceback" not in r.output
