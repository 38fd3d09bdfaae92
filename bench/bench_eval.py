"""`clonebot eval` cost on the test model (CPU): perplexity rows/s, generation time per
reply, and the pure metrics' throughput.

    python bench/bench_eval.py [--adapter RUN_DIR] [--samples 8] [--export exports/sample/result.json]

Without --adapter it prepares the export and trains SmolLM2-135M for a few steps first.
Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", type=Path, default=None)
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--export", type=Path, default=ROOT / "exports" / "sample" / "result.json")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from clonebot.config import load_settings
    from clonebot.model.load import load_model
    from training.eval.chrf import corpus_chrf
    from training.eval.generation import generate_raw
    from training.eval.likelihood import reply_nll
    from training.eval.repetition import has_loop, repeated_ngram_ratio
    from training.eval.rows import load_split, pick_rows, reply_items

    tmp = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    settings = load_settings(
        model={"base_model": "smollm2-135m"},
        train={"max_steps": args.steps, "batch_size": 4, "grad_accum": 1, "max_seq_len": 256,
               "learning_rate": 1e-3, "max_eval_samples": 32, "save_steps": 10_000,
               "eval_steps": 10_000},
        generate={"max_new_tokens": args.max_new_tokens},
    )
    dataset = args.dataset
    if dataset is None:
        from training.dataset import prepare

        dataset = tmp / "dataset"
        prepare(args.export, dataset, settings, canaries=2)
    adapter = args.adapter
    if adapter is None:
        from training.train import train

        adapter = tmp / "run"
        t = time.time()
        train(settings, dataset, adapter, progress=False)
        print(f"train {args.steps} steps:           {time.time() - t:6.1f} s")

    t = time.time()
    loaded = load_model(settings, adapter)
    print(f"load base + adapter:          {time.time() - t:6.1f} s")

    rows = pick_rows(load_split(dataset), 64)
    items = reply_items(rows, loaded.context_turns)
    for base in (False, True):
        t = time.time()
        n = reply_nll(loaded, items, max_len=settings.train.max_seq_len, base=base)
        dt = time.time() - t
        print(f"perplexity ({'base' if base else 'adapter'}): {len(items) / dt:6.1f} rows/s "
              f"(ppl {n.perplexity:.2f}, {n.tokens} reply tokens)")

    times, toks, stops = [], [], []
    for i, (context, _) in enumerate(items[: args.samples]):
        t = time.time()
        g = generate_raw(loaded, context, settings.generate, seed=i)
        times.append(time.time() - t)
        toks.append(g.new_tokens)
        stops.append(g.stop)
    print(f"generation:                   {statistics.median(times):6.2f} s/reply median, "
          f"{sum(times) / max(1, sum(toks)) * 1000:.0f} ms/token, stops {stops}")

    rng = random.Random(0)
    words = "да нет ок привет буду через минут сегодня завтра see you soon ok sure".split()
    pairs = [(" ".join(rng.choices(words, k=8)), " ".join(rng.choices(words, k=8)))
             for _ in range(5000)]
    t = time.time()
    corpus_chrf([a for a, _ in pairs], [b for _, b in pairs])
    print(f"chrF:                         {len(pairs) / (time.time() - t):6.0f} pairs/s")
    t = time.time()
    for a, _ in pairs:
        has_loop(a)
        repeated_ngram_ratio(a)
    print(f"loop + repetition:            {len(pairs) / (time.time() - t):6.0f} texts/s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}")


if __name__ == "__main__":
    main()
