"""Style fidelity on a strongly styled owner: does the clone keep the owner's habits at the
owner's rates? Prints the fingerprint, owner vs clone, for one or more sampling settings.

    python bench/bench_fidelity.py [--work DIR] [--steps 60] [--contexts 0]
        [--adapter RUN_DIR] [--sampling NAME=key:value,...]... [--train key=value]...
        [--last-reply-only-loss] [--first-message-copies SHARE] [--no-quantize]
        [--cut-contexts] [--cut-to K,...] [--fresh-prompts N]

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

4. prints the clone score (issue 25: can a classifier tell the clone's replies from the
   owner's; ROC AUC, 0.5 = it cannot) and every figure by context length: the held-out
   replies with no earlier turn, 1-2 and 3-4, and any of these asked again
   (``--cut-contexts``: every context cut to its last message, the /reset case; ``--cut-to
   3``: to its last 3 turns; ``--fresh-prompts N``: one-message prompts the friends never
   wrote). ``--first-message-copies SHARE`` and ``--no-quantize`` are experiments on the
   training side (bench/fidelity_results.md records each run with its settings).

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


# One-message prompts the styled owner's friends never wrote (their messages come from a
# fixed pool in styled_export.py): the issue-25 case, a new person's first message.
_FRESH_RU = ("Привет, это Саша с работы, можно вопрос?", "Ты уже видел новый фильм Нолана?",
             "Слушай, не подскажешь хорошего стоматолога?", "Завтра дождь обещают, берём зонты?",
             "Кто победил вчера в матче?", "Сколько стоит доставка до Казани?",
             "Я тут переезжаю, поможешь с коробками?", "Ты кошку завёл наконец?",
             "А где ты покупал этот рюкзак?", "Давно не виделись, как жизнь?",
             "Что подарить маме на юбилей?", "Ты в отпуск куда собрался?",
             "У тебя есть зарядка для ноутбука?", "Поедешь на дачу в выходные?",
             "Какой у тебя размер обуви?", "Можешь забрать посылку вместо меня?",
             "Как тебе новая работа?", "Пойдёшь на концерт в пятницу?",
             "Ты не знаешь, во сколько открывается бассейн?", "Глянь фотку, это твоя машина?",
             "Мы собираемся на шашлыки, ты с нами?", "Ты случайно не брал мой зонт?",
             "Посоветуй сериал на вечер", "Сколько ехать до аэропорта?",
             "Ты уже сдал экзамен?", "Как зовут того парня из бара?",
             "Можешь перезвонить, когда освободишься?", "Ты пробовал новую пекарню на углу?",
             "Где лучше снять квартиру?", "Во сколько завтра встречаемся?")
_FRESH_EN = ("Hi, it's Sam from the gym, got a minute?", "Did you watch the game last night?",
             "Where did you get that jacket?", "Any plans for the long weekend?",
             "Can you recommend a good book?", "Is the office open tomorrow?",
             "Long time no see, how have you been?", "Do you still have my charger?",
             "What time does the party start?", "Are you free for lunch on Thursday?")


def invented_words(replies: list[str], vocabulary: set[str]) -> float:
    """Share of the words in ``replies`` the owner never wrote in the training split."""
    from training.eval.fingerprint import words

    ws = [w for r in replies for w in words(r)]
    return sum(w not in vocabulary for w in ws) / len(ws) if ws else 0.0


def fresh_prompts(n: int) -> list[list[dict]]:
    """``n`` one-message contexts from the fresh prompts (repeated if ``n`` is larger)."""
    pool = [*_FRESH_RU, *_FRESH_EN]
    return [[{"role": "user", "content": pool[i % len(pool)]}] for i in range(n)]


def with_copies(train_mod, share: float, seed: int) -> None:
    """Experiment: the training split gets first-message copies (as train.first_message_copies
    would add them)."""
    from training.first_messages import with_first_message_copies

    load = train_mod.load_dataset_dir

    def load_with_copies(dataset_dir):
        dsd, stats = load(dataset_dir)
        before = len(dsd["train"])
        dsd["train"] = with_first_message_copies(dsd["train"], share, seed)
        print(f"first-message copies: {len(dsd['train']) - before} added to {before} windows",
              flush=True)
        return dsd, stats

    train_mod.load_dataset_dir = load_with_copies


def generate_all(loaded, contexts, gen, args, penalize_prompt: bool) -> list[str]:
    """The clone's replies to ``contexts``, sampled in batches (seeded). Kept in --work under a
    key of everything that decides them (adapter, sampling, seed, batch, the contexts), so
    another run asking the same again (other cuts, fresh prompts) does not sample it twice."""
    import hashlib

    from training.eval.generation import generate_raw_batch

    key = hashlib.sha256(json.dumps(
        [str(Path(args.adapter_dir).resolve()), (Path(args.adapter_dir) / "adapter_model.safetensors").stat().st_mtime
         if (Path(args.adapter_dir) / "adapter_model.safetensors").exists() else 0,
         gen.model_dump(mode="json"), penalize_prompt, args.seed, args.batch, args.no_quantize,
         contexts], ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
    cache = args.work / "replies" / f"{key}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    clone: list[str] = []
    with prompt_penalties(penalize_prompt):
        for i in range(0, len(contexts), args.batch):
            clone += [g.reply for g in generate_raw_batch(
                loaded, contexts[i:i + args.batch], gen, seed=args.seed + i)]
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(clone, ensure_ascii=False))
    return clone


def window_counts(dataset: Path, context_turns: int) -> str:
    """Training windows by context length, and the Clone turns trained right after the
    prompt's first User turn (the position a one-message prompt asks about)."""
    from collections import Counter

    from training.eval.context_length import BUCKETS, bucket_of
    from training.eval.rows import load_split

    rows = load_split(dataset, "train")
    by = Counter(bucket_of(r["messages"][:-1]) for r in rows)
    first = sum(1 for r in rows if len(r["messages"]) > 1 and r["messages"][0]["role"] == "user")
    parts = ", ".join(f"{label}: {by[k]} ({by[k] / len(rows):.0%})" for k, label, _, _ in BUCKETS if by[k])
    return (f"training windows ({len(rows)}, context_turns {context_turns}) by context length: "
            f"{parts}; windows that start with a User turn: {first} ({first / len(rows):.0%})")


def print_by_context(name: str, result: dict) -> None:
    """Fingerprint rates and clone score per context-length bucket, side by side."""
    from training.eval.fingerprint import TOLERANCE

    buckets = result["by_context"]
    cs = result["clone_score"]
    print(f"\n{name}: words the owner never wrote in training: {100 * result['invented']:.1f}% of the "
          f"clone's (the owner's held-out replies: {100 * result['owner_invented']:.1f}%)")
    print(f"{name}: clone score (AUC, 0.5 = indistinguishable) "
          + (f"{cs['auc']:.2f} [{cs['ci'][0]:.2f}, {cs['ci'][1]:.2f}] on {cs['contexts']} contexts"
             if cs["judged"] else cs["note"]))
    for side in ("clone_tells", "owner_tells"):
        tells = ", ".join(f"{t['ngram']} {100 * t['owner']:.0f}%/{100 * t['clone']:.0f}%"
                          for t in cs.get(side, [])[:6])
        if tells:
            print(f"  {'gives the clone away' if side == 'clone_tells' else 'the owner writes'}"
                  f" (owner/clone): {tells}")
    labels: list[str] = []
    for b in buckets:
        labels += [x["label"] for x in b["style"]["rates"] if x["label"] not in labels]
    width = max([len(x) for x in labels] + [20]) + 2
    print(f"{name}: by context length (owner → clone, % of replies; ! = off by more than 0.1)")
    print("".ljust(width) + "".join(f"{b['label'][:22]:>24}" for b in buckets))
    print("replies".ljust(width) + "".join(f"{b['replies']:>24}" for b in buckets))
    for label in labels:
        cells = []
        for b in buckets:
            x = next((x for x in b["style"]["rates"] if x["label"] == label), None)
            if x is None:
                cells.append(f"{'-':>24}")
                continue
            mark = "!" if abs(x["difference"]) > TOLERANCE else " "
            cells.append(f"{100 * x['owner']:>12.0f} → {100 * x['clone']:3.0f} ±{100 * (x['margin'] or 0):2.0f}{mark}")
        print(label.ljust(width) + "".join(cells))
    print("max deviation".ljust(width) + "".join(
        f"{b['style']['max_rate_difference'] or 0:>24.2f}" for b in buckets))
    print("clone score (AUC)".ljust(width) + "".join(
        f"{b['clone_score']['auc']:>12.2f} [{b['clone_score']['ci'][0]:.2f}, {b['clone_score']['ci'][1]:.2f}]"
        if b["clone_score"]["judged"] else f"{'too few':>24}" for b in buckets))


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
    ap.add_argument("--no-quantize", action="store_true",
                    help="the base model in full precision (fp32 on CPU) instead of 4-bit NF4, "
                         "for training and generation (several times faster on CPU)")
    ap.add_argument("--first-message-copies", type=float, default=None, metavar="SHARE",
                    help="experiment: add to the training split first-message copies of this "
                         "share of the windows with earlier turns (training/first_messages.py)")
    ap.add_argument("--fresh-prompts", type=int, default=0, metavar="N",
                    help="also N one-message prompts the styled owner's friends never wrote "
                         "(a new person's first message), against the owner's first N held-out "
                         "replies (the styled owner's habits do not depend on the message)")
    ap.add_argument("--cut-to", default="", metavar="K,...",
                    help="also ask every held-out context with at least K turns cut to its "
                         "last K turns (K=3: a message after two earlier turns)")
    ap.add_argument("--cut-contexts", action="store_true",
                    help="also ask every held-out context cut to its last message (the /reset "
                         "case: a first message with no earlier turn)")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.no_quantize:
        import clonebot.model.load as load_mod

        load_mod.quantization_config = lambda dtype: None

    from styled_export import write_styled_export

    from clonebot.config import load_settings
    from clonebot.model.load import load_model
    from training.eval.clone_score import clone_score
    from training.eval.context_length import by_context_length
    from training.eval.fingerprint import TOLERANCE, compare, off_rates, words
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
            "-lastonly" if args.last_reply_only_loss else "") + ("-fp32" if args.no_quantize else "") + (
            f"-first{args.first_message_copies}" if args.first_message_copies is not None else "")
        adapter = work / name
        if not adapter.is_dir():
            import training.train as train_mod

            if args.last_reply_only_loss:
                train_mod.tokenize_sample = functools.partial(train_mod.tokenize_sample,
                                                              reply_only=True)
            if args.first_message_copies is not None:
                with_copies(train_mod, args.first_message_copies, settings.train.seed)
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
    args.adapter_dir = adapter
    rows = pick_rows(load_split(dataset, "eval"), args.contexts, args.seed)
    contexts = [last_turns(r["messages"][:-1], loaded.context_turns) for r in rows]
    owner = [r["messages"][-1]["content"] for r in rows]

    # Every held-out context asked again cut to its last k turns (k = 1: the /reset case,
    # only the message answered), against the owner's real reply to the full context.
    cut_to = sorted({*(int(k) for k in args.cut_to.split(",") if k)} | ({1} if args.cut_contexts else set()))
    print(window_counts(dataset, loaded.context_turns), flush=True)
    vocabulary = {w for r in load_split(dataset, "train") for w in words(r["messages"][-1]["content"])}

    results = {}
    for name, over in samplings.items():
        over = dict(over)
        penalize_prompt = bool(over.pop("penalize_prompt", False))
        gen = settings.generate.model_copy(update=over)
        t = time.time()
        clone = generate_all(loaded, contexts, gen, args, penalize_prompt)
        fp = compare(owner, clone)
        results[name] = {"sampling": {**gen.model_dump(include=set(MODEL_SAMPLING)),
                                      "penalize_prompt": penalize_prompt}, "fingerprint": fp,
                         "off": [r["label"] for r in off_rates(fp)], "seconds": time.time() - t,
                         "examples": list(zip(owner[:8], clone[:8])),
                         "clone_score": clone_score(owner, clone, seed=args.seed),
                         "invented": invented_words(clone, vocabulary), "owner_invented":
                         invented_words(owner, vocabulary), "replies": list(zip(owner, clone)),
                         "by_context": by_context_length(contexts, owner, clone, seed=args.seed)}
        for k in cut_to:
            keep = [i for i, c in enumerate(contexts) if len(c) >= k]
            cut = [contexts[i][-k:] for i in keep]
            ref = [owner[i] for i in keep]
            clone_cut = generate_all(loaded, cut, gen, args, penalize_prompt)
            label = "cut to the last message" if k == 1 else f"cut to the last {k} turns"
            results[name]["by_context"].append({
                "bucket": f"cut{k}", "label": label, "replies": len(cut),
                "judged": True, "note": "", "style": compare(ref, clone_cut),
                "clone_score": clone_score(ref, clone_cut, seed=args.seed)})
            results[name][f"examples_cut{k}"] = [(c[-1]["content"], o, r) for c, o, r in
                                                 zip(cut[:8], ref[:8], clone_cut[:8])]
        if args.fresh_prompts:
            fresh = fresh_prompts(min(args.fresh_prompts, len(owner)))
            clone_fresh = generate_all(loaded, fresh, gen, args, penalize_prompt)
            ref = owner[:len(fresh)]
            results[name]["by_context"].append({
                "bucket": "fresh", "label": "fresh first messages", "replies": len(fresh),
                "judged": True, "note": "", "style": compare(ref, clone_fresh),
                "clone_score": clone_score(ref, clone_fresh, seed=args.seed)})
            results[name]["examples_fresh"] = [(c[-1]["content"], k) for c, k in
                                               zip(fresh[:12], clone_fresh[:12])]
        print(f"{name}: generations in "
              f"{time.time() - t:.0f} s", flush=True)
    asked = (f"-n{len(contexts)}" + "".join(f"-cut{k}" for k in cut_to)
             + (f"-fresh{args.fresh_prompts}" if args.fresh_prompts else ""))
    out = work / f"fidelity-{adapter.name}-{'-'.join(results)}{asked}.json"
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
    for n in names:
        print_by_context(n, results[n])
    print(f"(figures in {out})")


if __name__ == "__main__":
    main()
