"""The real QLoRA path on a CUDA GPU: peak VRAM, step time and tokens/s beside ``clonebot plan``'s
estimate. For the day a GPU is there; this machine has none (it exits saying so).

    python bench/gpu_smoke.py [--models smollm2-135m tiny-mistral-v1 ...] [--steps 20]
                              [--batch 4] [--seq 512]

For each model: bitsandbytes 4-bit NF4 base with double quantization, bf16 compute (fp16 on
cards without bf16), LoRA on every projection, gradient checkpointing, the paged 8-bit
AdamW, through ``training.train.train`` exactly as ``clonebot train`` runs it, on a dataset
of chat windows padded out to ``--seq`` tokens (so the step is the plan's worst case).
Prints what it measured and what ``training.plan`` estimates for the same setup. Any base
model works (``mistralai/Mistral-7B-v0.1`` needs the weights in the local cache).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def dataset(out: Path, tokenizer, n: int, seq: int) -> list[int]:
    """``n`` samples whose windows fill ``seq`` tokens; returns their lengths."""
    from datasets import Dataset, DatasetDict

    from clonebot.model.load import encode
    from clonebot.prompt_format import render_sample

    words = "ну да, созвонимся вечером, ok see you at seven then )".split()
    rows: dict[str, list] = {"messages": [], "chat_id": [], "message_id": [], "date": []}
    for i in range(n):
        user = ""
        while True:
            turns = [{"role": "user", "content": user or "hi"}, {"role": "clone", "content": "ok)"}]
            text = render_sample(turns[:1], "ok)", tokenizer.eos_token)
            if len(encode(tokenizer, text)["input_ids"]) >= seq - 8:
                break
            user += words[(len(user) + i) % len(words)] + " "
        rows["messages"].append(turns)
        rows["chat_id"].append(1)
        rows["message_id"].append(i)
        rows["date"].append(1_700_000_000 + i)
    DatasetDict({"train": Dataset.from_dict(rows)}).save_to_disk(str(out))
    (out / "stats.json").write_text(json.dumps({"owner_id": 1, "settings": {"context_turns": 1}}))
    return [len(encode(tokenizer, render_sample(t[:1], "ok)", tokenizer.eos_token))["input_ids"])
            for t in rows["messages"]]


def run(model: str, steps: int, batch: int, seq: int, work: Path) -> dict:
    import torch
    from transformers import TrainerCallback

    from clonebot.config import load_settings
    from clonebot.model.load import base_tokenizer, compute_dtype
    from training.plan import CARDS, Card, Setup, Shape, load_config, peak_memory_gb, seconds_per_micro_batch
    from training.train import train

    s = load_settings(model={"base_model": model}, train={
        "quantize": "4bit", "optim": "paged_adamw_8bit", "gradient_checkpointing": True,
        "max_steps": steps, "batch_size": batch, "grad_accum": 1, "max_seq_len": seq,
        "eval_steps": 10**6, "save_steps": 10**6, "logging_steps": 10**6})
    tok = base_tokenizer(s)
    lengths = dataset(work / f"{model.replace('/', '_')}-ds", tok, batch * steps, seq)
    times: list[float] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, a, state, control, **kw):
            torch.cuda.synchronize()
            self.t = time.perf_counter()

        def on_step_end(self, a, state, control, **kw):
            torch.cuda.synchronize()
            times.append(time.perf_counter() - self.t)

    torch.cuda.reset_peak_memory_stats()
    train(s, work / f"{model.replace('/', '_')}-ds", work / f"{model.replace('/', '_')}-run",
          progress=False, callbacks=[Timer()])
    steady = times[2:] or times
    step = statistics.median(steady)
    props = torch.cuda.get_device_properties(0)
    shape = Shape.of(load_config(model, s.paths.cache_dir))
    setup = Setup(lora_r=s.train.lora_r, target_modules=tuple(s.train.target_modules), seq_len=seq,
                  batch=batch, optim=s.train.optim)
    known = {c.name.split()[0]: c for c in CARDS}
    card = next((c for k, c in known.items() if k in props.name), None) or Card(
        props.name, props.total_memory / 2**30, 312, 1555)
    return {
        "model": model, "gpu": props.name, "compute_dtype": str(compute_dtype("cuda:0")),
        "peak_vram_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        "estimated_peak_gb": round(peak_memory_gb(shape, setup), 2),
        "step_s": round(step, 3),
        "estimated_step_s": round(seconds_per_micro_batch(shape, setup, card, batch * max(lengths)), 3),
        "tokens_per_s": round(batch * statistics.mean(lengths) / step),
        "estimate_card": card.name,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["smollm2-135m", "tiny-mistral-v1"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=512)
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        sys.exit("gpu_smoke: no CUDA GPU here (it measures the real QLoRA path on one)")
    with tempfile.TemporaryDirectory(prefix="clonebot-gpu-") as tmp:
        for model in args.models:
            r = run(model, args.steps, args.batch, args.seq, Path(tmp))
            print(f"{r['model']} on {r['gpu']} ({r['compute_dtype']}): peak VRAM {r['peak_vram_gb']} GB "
                  f"(plan: {r['estimated_peak_gb']} GB), step {r['step_s']} s (plan on "
                  f"{r['estimate_card']}: {r['estimated_step_s']} s), {r['tokens_per_s']} tokens/s")


if __name__ == "__main__":
    main()
