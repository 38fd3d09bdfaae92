"""Style fidelity on a strongly styled owner: does the clone keep the owner's habits at the
owner's rates? Prints the fingerprint, owner vs clone, for one or more sampling settings.

    python bench/bench_fidelity.py [--work DIR] [--steps 60] [--contexts 0]
        [--adapter RUN_DIR] [--sampling NAME=key:value,...]... [--train key=value]...
        [--last-reply-only-loss]

1. writes the synthetic export of ``bench/styled_export.py`` (3000 owner replies) and
   prepares it (or reuses both in --work);
2. trains the test model (SmolLM2-135M, QLoRA on CPU) with the DEFAULT train settings,
   except ``--steps`` and any ``--train key=value`` (or takes --adapter);
3. generates one reply for each of ``--contexts`` held-out contexts (0 = every one of the
   eval split: 284 for the default export) with each sampling
   setting ("default" = the default [generate] settings; "model" = the model's own
   distribution: temperature 1, no top-p/top-k cut, no penalties; add others with
   --sampling NAME=temperature:0.7,repetition_penalty:1.15; add ``penalize_prompt:1`` for
   transformers' own penalties, which also count the prompt's tokens, as clonebot did
   before) and compares them with the owner's real replies to the same contexts.

Every rate should sit within 0.1 of the owner's; "!" marks those that do not. The "±"
column is the clone's own sampling noise (95%) on that many contexts: a deviation inside
it can be chance. The eval loss printed after training is on ``--eval-samples`` held-out
windows only (default 32: the fingerprint is what this measures, and a full eval pass costs
more than the demo's training). Takes minutes per setting on 2 cores; not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

MODEL_SAMPLING = {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "repetition_penalty": 1.0,
                  "no_repeat_ngram_size": 0}


def _value(v: str):
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(v.lower(), v)


def _pairs(text: str, sep: str) -> dict:
    return {k.strip(): _value(v.strip()) for k, v in (p.split(sep, 1) for p in text.split(",") if p)}


@contextlib.contextmanager
def prompt_penalties(on: bool):
    """Experiment: transformers' built-in penalties over prompt + reply (the old behaviour)
    instead of clonebot's reply-only ones."""
    from clonebot.model.backends import local as generate

    if not on:
        yield
        return
    reply_only, kwargs = generate.reply_penalties, generate.sampling_kwargs

    def whole_sequence(settings, temperature, k):
        return {**kwargs(settings, temperature, k), "repetition_penalty": settings.repetition_penalty,
                "no_repeat_ngram_size": settings.no_repeat_ngram_size}

    generate.reply_penalties, generate.sampling_kwargs = (lambda s, n: []), whole_sequence
    try:
        yield
    finally:
        generate.reply_penalties, generate.sampling_kwargs = reply_only, kwargs


def train_clock():
    """A TrainerCallback timing the training loop alone (no model load, no eval pass)."""
    from transformers import TrainerCallback

    class TrainClock(TrainerCallback):
        start = seconds = 0.0

        def on_train_begin(self, *a, **kw):
            self.start = time.time()

        def on_train_end(self, *a, **kw):
            self.seconds = time.time() - self.start

    return TrainClock()


def sampling_noise(rate: float, n: int) -> float:
    """95% half-width of a share measured on ``n`` replies: how far a clone that writes at
    exactly the owner's rate still lands from it by chance."""
    return 1.96 * math.sqrt(rate * (1 - rate) / n) if n else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/clonebot-fidelity"))
    ap.add_argument("--replies", type=int, default=3000)
    ap.add_argument("--steps", type=int, default=None, help="default 60 (demo profile: its own)")
    ap.add_argument("--contexts", type=int, default=0, help="held-out contexts (0 = all)")
    ap.add_argument("--eval-samples", type=int, default=32,
                    help="held-out windows for the eval loss printed after training")
    ap.add_argument("--adapter", type=Path, default=None)
    ap.add_argument("--run-name", default=None, help="run dir name under --work")
    ap.add_argument("--train", action="append", default=[], help="train.key=value override")
    ap.add_argument("--sampling", action="append", default=[],
                    help="NAME=key:value,... (default: 'default' and 'model')")
    ap.add_argument("--last-reply-only-loss", action="store_true",
                    help="experiment: loss on each window's last reply only")
    ap.add_argument("--profile", choices=("default", "demo"), default="default",
                    help="demo: `clonebot demo`'s training and generation settings")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=8, help="contexts sampled together")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from styled_export import write_styled_export

    from clonebot.config import load_settings
    from clonebot.model.load import load_model
    from training.eval.fingerprint import TOLERANCE, compare, off_rates
    from training.eval.generation import generate_raw_batch
    from clonebot.model.generate import last_turns
    from training.eval.rows import load_split, pick_rows

    train_over = {} if args.steps is None else {"max_steps": args.steps}
    eval_over = {"max_eval_samples": args.eval_samples}
    for kv in args.train:
        train_over.update(_pairs(kv, "="))
    settings = load_settings(model={"base_model": "smollm2-135m"})
    if args.profile == "demo":
        from training.commands.demo import demo_settings

        settings = demo_settings(settings)
    else:
        train_over.setdefault("max_steps", 60)
    settings = settings.model_copy(update={"train": settings.train.model_copy(
        update={**eval_over, **train_over})})
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    export = work / "styled.json"
    if not export.is_file():
        write_styled_export(export, args.replies, args.seed)
    dataset = work / "dataset"
    if not dataset.is_dir():
        from training.dataset import prepare

        prepare(export, dataset, settings)
    adapter = args.adapter
    if adapter is None:
        name = args.run_name or f"run-{args.profile}-" + "-".join(f"{k}{v}" for k, v in train_over.items()) + (
            "-lastonly" if args.last_reply_only_loss else "")
        adapter = work / name
        if not adapter.is_dir():
            import training.train as train_mod

            if args.last_reply_only_loss:
                train_mod.tokenize_sample = functools.partial(train_mod.tokenize_sample,
                                                              reply_only=True)
            clock = train_clock()
            metrics = train_mod.train(settings, dataset, adapter, progress=False, callbacks=[clock])
            print(f"trained {adapter.name}: {metrics.get('steps')} steps, training {clock.seconds:.0f} s "
                  f"(run {metrics.get('runtime_s')} s), eval loss {metrics.get('eval_loss_before')} -> "
                  f"{metrics.get('eval_loss')} on {metrics.get('eval_samples')} windows", flush=True)

    named = {"default": {}, "model": MODEL_SAMPLING}
    samplings = dict(named)
    if args.sampling:
        samplings = {}
        for spec in args.sampling:
            name, _, kv = spec.partition("=")
            samplings[name] = named[kv] if kv in named else _pairs(kv, ":")
    loaded = load_model(settings, adapter)
    rows = pick_rows(load_split(dataset, "eval"), args.contexts, args.seed)
    contexts = [last_turns(r["messages"][:-1], loaded.context_turns) for r in rows]
    owner = [r["messages"][-1]["content"] for r in rows]

    results = {}
    for name, over in samplings.items():
        over = dict(over)
        penalize_prompt = bool(over.pop("penalize_prompt", False))
        gen = settings.generate.model_copy(update=over)
        t = time.time()
        clone = []
        with prompt_penalties(penalize_prompt):
            for i in range(0, len(contexts), args.batch):
                clone += [g.reply for g in generate_raw_batch(
                    loaded, contexts[i:i + args.batch], gen, seed=args.seed + i)]
        fp = compare(owner, clone)
        results[name] = {"sampling": {**gen.model_dump(include=set(MODEL_SAMPLING)),
                                      "penalize_prompt": penalize_prompt}, "fingerprint": fp,
                         "off": [r["label"] for r in off_rates(fp)], "seconds": time.time() - t,
                         "examples": list(zip(owner[:8], clone[:8]))}
        print(f"{name}: {len(contexts)} generations in {time.time() - t:.0f} s", flush=True)
    out = work / f"fidelity-{adapter.name}-{'-'.join(results)}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))

    names = list(results)
    labels: list[str] = []
    for r in results.values():
        labels += [x["label"] for x in r["fingerprint"]["rates"] if x["label"] not in labels]
    width = max(len(x) for x in labels) + 2
    print(f"\nadapter {adapter} on {len(contexts)} held-out contexts of the styled owner")
    print("figure".ljust(width) + "owner  noise" + "".join(f"{n[:12]:>14}" for n in names))
    for label in labels:
        cells, owner_rate = [], None
        for n in names:
            x = next((x for x in results[n]["fingerprint"]["rates"] if x["label"] == label), None)
            if x is None:
                cells.append(f"{'-':>14}")
                continue
            owner_rate = x["owner"]
            mark = "!" if abs(x["difference"]) > TOLERANCE else " "
            cells.append(f"{100 * x['clone']:>9.0f}% {mark}  ")
        print(label.ljust(width) + f"{100 * (owner_rate or 0):4.0f}%" +
              f"  ±{100 * sampling_noise(owner_rate or 0, len(contexts)):2.0f}" + "".join(cells))
    for key in ("words", "chars"):
        q = results[names[0]]["fingerprint"]["owner"][key]["quantiles"]
        print(f"{key} p25/p50/p75".ljust(width) + f"{q['p25']:.0f}/{q['p50']:.0f}/{q['p75']:.0f}".ljust(11) + "".join(
            f"{'/'.join(str(round(r['fingerprint']['clone'][key]['quantiles'][p])) for p in ('p25', 'p50', 'p75')):>14}"
            for r in results.values()))
        print(f"{key} KS distance".ljust(width) + "           " + "".join(
            f"{r['fingerprint']['lengths'][key]['ks']:>14.2f}" for r in results.values()))
    for n in names:
        off = results[n]["off"]
        fp = results[n]["fingerprint"]
        print(f"{n}: max deviation {fp['max_rate_difference']:.2f} ({fp['worst_rate']}); "
              f"{'every rate within ±0.1' if not off else f'{len(off)} off by more than 0.1: ' + ', '.join(off)}")
    print(f"(figures in {out})")


if __name__ == "__main__":
    main()
