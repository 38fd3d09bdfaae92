"""Training / generation figures on the test model (CPU): padding share, step time, reply time.

    python bench/bench_train.py [--steps 12] [--replies 8] [--export exports/sample/result.json]
    python bench/bench_train.py --trainers [--model tiny-mistral-v1] [--steps 33]

``--trainers``: why training.train builds on transformers' Trainer and not trl's SFTTrainer
(needs ``pip install trl``): the same model, data, LoRA and optimizer through both, padding
share and CPU seconds per step (CPU time: other jobs on the machine skew wall time).

Prepares the export, trains SmolLM2-135M (QLoRA, 4-bit NF4) for a few steps through
``training.train.train``, then times replies from the trained adapter. Prints figures;
not a test.
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


def padding_share(lengths: list[int], batch: int, grouped: bool, seed: int = 0) -> float:
    """Share of pad tokens over one epoch, batching randomly or with the trainer's sampler."""
    from training.train import LengthGroupedSampler

    if grouped:
        batches = LengthGroupedSampler(lengths, batch, seed).batches()
    else:
        idx = list(range(len(lengths)))
        random.Random(seed).shuffle(idx)
        batches = [idx[k:k + batch] for k in range(0, len(idx), batch)]
    real = total = 0
    for b in batches:
        ls = [lengths[i] for i in b]
        real += sum(ls)
        total += max(ls) * len(ls)
    return 1 - real / total


def compare_trainers(export: Path, model: str, steps: int, batch: int) -> None:
    """Ours (LoraTrainer) vs trl's SFTTrainer with its length grouping, one epoch-ish each."""
    try:
        from trl import SFTConfig, SFTTrainer
    except ImportError:
        raise SystemExit("--trainers needs trl: pip install trl") from None
    from peft import LoraConfig, get_peft_model
    from transformers import TrainerCallback, TrainingArguments

    from clonebot.config import load_settings
    from clonebot.model.load import load_base
    from training.dataset import prepare
    from training.train import PadCollator, lora_trainer, tokenize_split

    s = load_settings(model={"base_model": model, "cpu_threads": 1}, train={"quantize": "none"})
    with tempfile.TemporaryDirectory(prefix="clonebot-bench-") as tmp:
        prepare(export, Path(tmp) / "ds", s)
        from datasets import load_from_disk

        split = load_from_disk(str(Path(tmp) / "ds"))["train"]
        for which in ("ours", "trl"):
            model_, tok, _ = load_base(s, training=True, quantize="none")
            model_.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model_.enable_input_require_grads()
            model_ = get_peft_model(model_, LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM",
                                                       target_modules=list(s.train.target_modules)))
            ds, _ = tokenize_split(split, tok, 512)
            cpu: list[float] = []

            class Timer(TrainerCallback):
                def on_step_begin(self, a, state, control, **kw):
                    self.t = time.process_time()

                def on_step_end(self, a, state, control, **kw):
                    cpu.append(time.process_time() - self.t)

            common = dict(output_dir=str(Path(tmp) / which), per_device_train_batch_size=batch,
                          max_steps=steps, learning_rate=2e-4, report_to="none", save_strategy="no",
                          logging_steps=10**6, use_cpu=True, disable_tqdm=True, seed=0,
                          remove_unused_columns=False)
            counted = {"real": 0, "total": 0}
            if which == "ours":
                collator = PadCollator(tok.pad_token_id)
                trainer = lora_trainer(model_, TrainingArguments(**common), collator, ds, None, tok,
                                       [Timer()], progress=False)
            else:
                trainer = SFTTrainer(model=model_, args=SFTConfig(
                    **common, train_sampling_strategy="group_by_length", length_column_name="length",
                    max_length=512), train_dataset=ds, processing_class=tok, callbacks=[Timer()])
                inner = trainer.data_collator

                def counting(features, inner=inner):
                    b = inner(features)
                    counted["real"] += int(b["attention_mask"].sum())
                    counted["total"] += b["attention_mask"].numel()
                    return b

                trainer.data_collator = counting
            trainer.train()
            share = (collator.padding_share if which == "ours"
                     else 1 - counted["real"] / counted["total"])
            steady = cpu[2:] or cpu
            print(f"{which}: {model}, batch {batch}, {steps} steps: padding {share:.1%}, CPU per step "
                  f"median {statistics.median(steady):.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--export", type=Path, default=ROOT / "exports" / "sample" / "result.json")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--replies", type=int, default=8)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--trainers", action="store_true", help="ours vs trl's SFTTrainer (needs trl)")
    ap.add_argument("--model", default="tiny-mistral-v1", help="with --trainers")
    args = ap.parse_args()
    if args.trainers:
        return compare_trainers(args.export, args.model, args.steps, args.batch)

    from datasets import load_from_disk
    from transformers import TrainerCallback

    from clonebot.config import load_settings
    from clonebot.model import load_generator
    from clonebot.model.load import cpu_threads, load_tokenizer
    from clonebot.model.registry import convert_test_model
    from training.dataset import prepare
    from training.train import tokenize_split, train

    s = load_settings(
        model={"base_model": "smollm2-135m"},
        train={"max_steps": args.steps, "batch_size": args.batch, "grad_accum": 1,
               "max_seq_len": 256, "eval_steps": 10_000, "save_steps": 10_000},
        generate={"max_new_tokens": 48},
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load avg "
          f"{os.getloadavg()[0]:.1f}, torch threads {cpu_threads(s.model.cpu_threads)}")
    model_dir = convert_test_model(s.paths.cache_dir)

    with tempfile.TemporaryDirectory(prefix="clonebot-bench-") as tmp:
        ds_dir, run = Path(tmp) / "dataset", Path(tmp) / "run"
        prepare(args.export, ds_dir, s)
        train_split = load_from_disk(str(ds_dir))["train"]
        tok = load_tokenizer(model_dir)
        lengths = tokenize_split(train_split, tok, 256)[0]["length"]
        print(f"dataset: {len(lengths)} train samples, mean {statistics.mean(lengths):.0f} "
              f"tokens, max {max(lengths)}")
        print(f"padding share at batch {args.batch}: random {padding_share(lengths, args.batch, False):.1%}, "
              f"length-grouped {padding_share(lengths, args.batch, True):.1%}")

        class Timer(TrainerCallback):
            times: list[float] = []

            def on_step_begin(self, a, state, control, **kw):
                self.t = time.perf_counter()

            def on_step_end(self, a, state, control, **kw):
                self.times.append(time.perf_counter() - self.t)

        timer = Timer()
        t = time.perf_counter()
        m = train(s, ds_dir, run, progress=False, callbacks=[timer])
        steady = timer.times[1:] or timer.times
        print(f"train: {m['steps']} steps in {time.perf_counter() - t:.0f}s total (incl. load + 2 evals); "
              f"step (batch {args.batch}, grad ckpt, 4-bit NF4, fp32 compute) median "
              f"{statistics.median(steady):.2f}s, first {timer.times[0]:.2f}s")
        print(f"measured padding share in training batches: {m['padding_share']:.1%}")
        print(f"eval loss {m['eval_loss_before']} -> {m['eval_loss']}")

        t = time.perf_counter()
        gen = load_generator(s, run)
        print(f"load base + adapter: {time.perf_counter() - t:.1f}s")
        prompts = ["Привет! Как дела?", "Ты сегодня вечером свободен?",
                   "Hey, are you coming tomorrow?", "Can you send me the photos?"]
        times, chars = [], []
        for i in range(args.replies):
            t = time.perf_counter()
            reply = gen.generate([{"role": "user", "content": prompts[i % len(prompts)]}])[0]
            times.append(time.perf_counter() - t)
            chars.append(len(reply))
        print(f"generation: {args.replies} replies (max_new_tokens 48), median "
              f"{statistics.median(times):.2f}s per reply, mean {statistics.mean(times):.2f}s, "
              f"mean {statistics.mean(chars):.0f} chars")


if __name__ == "__main__":
    main()
