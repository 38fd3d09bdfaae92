"""Training / generation figures on the test model (CPU): padding share, step time, reply time.

    python bench/bench_train.py [--steps 12] [--replies 8] [--export exports/sample/result.json]
    python bench/bench_train.py --trainers [--model tiny-mistral-v1] [--steps 33]
    python bench/bench_train.py --paired fp32+all bf16+all bf16 [--rounds 2] [--steps 12]

``--paired``: the demo profile's step, CPU and wall, config after config in rounds (bf16
autocast vs fp32, logits at the learnt positions only vs everywhere, the CPU bf16 step's
savings or not, rows split over threads or not, training overrides).

``--trainers``: why training.train builds on transformers' Trainer and not trl's SFTTrainer
(needs ``pip install trl``): the same model, data, LoRA and optimizer through both, padding
share and CPU seconds per step (CPU time: other jobs on the machine skew wall time).

Prepares the export, trains SmolLM2-135M (the default [train] settings: on a CPU a
full-precision base, bf16 autocast where the CPU has it) for a few steps through
``training.train.train``, then times replies from the trained adapter. Prints figures;
not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_fidelity import _pairs  # "key=value,..." overrides, read alike by both benches

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


@contextlib.contextmanager
def precision_and_loss(bf16: bool, scored: bool, cheap_step: bool = True, split: bool = True):
    """Train with bf16 autocast on the CPU or fp32, logits at the learnt positions only or at
    every position, the bf16 step with or without training/cpu_bf16's savings, a step's rows
    split over the threads or not (what training.train chooses by itself: bf16 where the CPU
    has it, learnt positions where transformers can slice them, the savings with bf16, the
    split where the step draws no random numbers)."""
    import training.train as train_mod

    saved = train_mod.cpu_has_bf16, train_mod.scores_learnt_tokens_only, train_mod.cpu_bf16_step
    groups = train_mod.row_groups
    has_bf16 = saved[0]()
    if bf16 and not has_bf16:
        raise SystemExit("this CPU does not multiply bf16 natively: the bf16 rows would be emulated")
    train_mod.cpu_has_bf16 = lambda: bf16
    train_mod.scores_learnt_tokens_only = saved[1] if scored else (lambda model: False)
    train_mod.cpu_bf16_step = saved[2] if cheap_step else (lambda model: None)
    train_mod.row_groups = groups if split else (lambda *a: 1)
    try:
        yield
    finally:
        train_mod.cpu_has_bf16, train_mod.scores_learnt_tokens_only, train_mod.cpu_bf16_step = saved
        train_mod.row_groups = groups


@contextlib.contextmanager
def busy_cores(n: int):
    """``n`` processes that each keep a core busy while inside."""
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()


def compare_steps(export: Path, configs: list[str], rounds: int, steps: int) -> None:
    """``--paired``: CPU and wall seconds per training step of `clonebot demo`'s profile on
    ``export``, one config after another in ``rounds`` rounds (A B C A B C: other jobs on a
    shared machine hit every config alike). A config: ``fp32`` / ``bf16`` (autocast),
    ``+all`` (logits at every position; default: learnt positions only), ``+plain`` (the bf16
    step without training/cpu_bf16's bf16 weights and float32 attention), ``+whole`` (the
    whole batch on torch's intra-op threads, not its rows split over threads as
    training/row_threads does), ``+onethread`` (``model.cpu_threads = 1``) and train.key=value
    overrides, e.g. ``bf16`` ``fp32+all`` ``bf16:max_steps=30,learning_rate=1e-3``."""
    from transformers import TrainerCallback

    from clonebot.config import load_settings
    from clonebot.model.registry import convert_test_model
    from training.commands.demo import demo_settings
    from training.dataset import prepare
    from training.train import train

    base = demo_settings(load_settings(model={"base_model": "smollm2-135m"}))
    convert_test_model(base.paths.cache_dir)

    class Clock(TrainerCallback):
        def on_step_begin(self, a, state, control, **kw):
            self.t = (time.perf_counter(), time.process_time())

        def on_step_end(self, a, state, control, **kw):
            self.steps.append((time.perf_counter() - self.t[0], time.process_time() - self.t[1]))

        def on_train_begin(self, *a, **kw):
            self.steps, self.t0 = [], (time.perf_counter(), time.process_time())

        def on_train_end(self, *a, **kw):
            self.loop = (time.perf_counter() - self.t0[0], time.process_time() - self.t0[1])

    figures: dict[str, list] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory(prefix="clonebot-bench-") as tmp:
        ds_dir = Path(tmp) / "dataset"
        prepare(export, ds_dir, base)
        for r in range(rounds):
            for config in configs:
                head, _, over = config.partition(":")
                mode, *flags = head.split("+")
                train_over = {"max_steps": steps, **_pairs(over, "=")}
                s = base.model_copy(update={"train": base.train.model_copy(update=train_over)})
                if "onethread" in flags:
                    s = s.model_copy(update={"model": s.model.model_copy(update={"cpu_threads": 1})})
                clock = Clock()
                load = os.getloadavg()[0]
                with precision_and_loss(mode == "bf16", "all" not in flags, "plain" not in flags,
                                        "whole" not in flags):
                    m = train(s, ds_dir, Path(tmp) / "run", progress=False, overwrite=True,
                              callbacks=[clock])
                steady = clock.steps[2:] or clock.steps  # the first shapes warm oneDNN up
                row = (statistics.median(w for w, _ in steady), statistics.median(c for _, c in steady),
                       clock.loop[0], clock.loop[1], load, m.get("eval_loss"))
                figures[config].append(row)
                print(f"round {r + 1} {config}: {m['steps']} steps, step median {row[0]:.2f} s wall / "
                      f"{row[1]:.2f} s CPU; loop {row[2]:.0f} s wall / {row[3]:.0f} s CPU; load {load:.1f}; "
                      f"eval loss {m.get('eval_loss_before')} -> {m.get('eval_loss')}", flush=True)
    ref = statistics.median(r[1] for r in figures[configs[0]])
    print(f"\nmedians over {rounds} rounds ({steps} steps each), CPU per step relative to {configs[0]}:")
    for config, rows in figures.items():
        cpu = statistics.median(r[1] for r in rows)
        print(f"  {config}: step {statistics.median(r[0] for r in rows):.2f} s wall / {cpu:.2f} s CPU "
              f"({cpu / ref:.2f}x); loop {statistics.median(r[2] for r in rows):.0f} s wall / "
              f"{statistics.median(r[3] for r in rows):.0f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--export", type=Path, default=ROOT / "exports" / "sample" / "result.json")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--replies", type=int, default=8)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--trainers", action="store_true", help="ours vs trl's SFTTrainer (needs trl)")
    ap.add_argument("--model", default="tiny-mistral-v1", help="with --trainers")
    ap.add_argument("--paired", nargs="+", metavar="CONFIG", default=None,
                    help="CPU/wall per step of the demo profile for each CONFIG, in rounds "
                         "(fp32, bf16, +all, :train.key=value,...; see compare_steps)")
    ap.add_argument("--rounds", type=int, default=2, help="with --paired")
    ap.add_argument("--burners", type=int, default=0,
                    help="with --paired: N extra processes each keeping a core busy throughout "
                         "(a laptop's other work)")
    args = ap.parse_args()
    if args.paired:
        with busy_cores(args.burners):
            return compare_steps(args.export, args.paired, args.rounds, args.steps)
    if args.trainers:
        return compare_trainers(args.export, args.model, args.steps, args.batch)

    from datasets import load_from_disk
    from transformers import TrainerCallback

    from clonebot.config import load_settings
    from clonebot.model import load_generator
    from clonebot.model.load import cpu_threads, load_tokenizer
    from clonebot.model.registry import convert_test_model
    from training.dataset import prepare
    import training.train as train_mod
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
              f"step (batch {args.batch}, default [train] settings, bf16 autocast: "
              f"{train_mod.cpu_has_bf16()}) median "
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
