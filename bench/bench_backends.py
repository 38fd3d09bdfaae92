"""Generation backends on the test model: llamacpp vs torch ("local"), and CPU threading.

    python bench/bench_backends.py [--adapter RUN_DIR] [--contexts 12] [--bot 6] [--busy 1]
    python bench/bench_backends.py --matrix [--burners 0,2]

Default: for each backend, in one run: ms per generated token (sampled as the bot samples,
one context at a time), ms to first token (a fresh prompt: prompt + one token, no cache),
load time, and the bot's message -> draft over the Telegram double with that backend
(tests/telegram_double: Telethon's own update loop and requests, the model real). Goal:
llamacpp >= 10x faster per token. Without --adapter it trains the test model briefly first.
--busy N: as much, with N other processes each keeping a core busy (a laptop at work); the
line under the table says how many threads llama.cpp's lone decode took (cpu.SpareCores).
llama.cpp runs --base-gguf (default q8_0, the demo's) with the adapter merged into it
(--gguf-merge auto; "never": the adapter file applied at run time, as before).

--matrix: how threads and OpenMP's wait policy behave on a quiet and on a busy CPU. Each
cell runs in its own process (OpenMP reads OMP_WAIT_POLICY when it loads): llama.cpp
ms/token and a torch LoRA training step (batch 4 x 96 tokens, the demo's shape, no
gradient checkpointing), with N extra processes each keeping a core busy (--burners). Wall and CPU time.

Prints figures; not a test. The machine this runs on may be shared: CPU seconds and the
ratios of a paired run say more than wall times then.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

CONTEXTS = [
    "привет, как дела?", "ты сегодня придёшь?", "что делаешь?", "пойдём в кино?",
    "hi, are you coming tonight?", "what are you up to?", "can you call me later?",
    "did you see the match?", "where are you?", "скинь фотки", "спасибо!", "ок, до завтра",
]


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def tiny_adapter(work: Path, steps: int) -> Path:
    from fixtures_model import make_dataset, tiny_settings

    from training.train import train

    ds = make_dataset(work / "dataset")
    out = work / "run"
    train(tiny_settings(Path("~/.cache/clonebot").expanduser(), max_steps=steps), ds, out,
          progress=False)
    return out


def _timed(gen, prompt, max_new: int, seed: int):
    if hasattr(gen, "llm"):
        gen.llm.reset()  # no prompt cache: each run evaluates its prompt
    t = _clock()
    [c] = gen.continuations([prompt], 1, temperature=gen.settings.temperature,
                            max_new_tokens=max_new, seed=seed)
    return c, _since(t)


def per_token(gen, n_contexts: int, max_new: int) -> dict:
    """Sampled replies, one context at a time, as the bot asks for them: the first token
    (prompt + one token) and each token after it, timed apart (the same seed twice)."""
    from clonebot.prompt_format import USER

    first, first_cpu, rest, rest_cpu, tokens = [], [], 0.0, 0.0, 0
    whole, whole_cpu, all_tokens = 0.0, 0.0, 0
    for i in range(n_contexts):
        p = gen.prompt([{"role": USER, "content": CONTEXTS[i % len(CONTEXTS)]}])
        _, (w1, c1) = _timed(gen, p, 1, i)
        c, (w, cpu) = _timed(gen, p, max_new, i)
        first.append(w1)
        first_cpu.append(c1)
        whole, whole_cpu, all_tokens = whole + w, whole_cpu + cpu, all_tokens + c.new_tokens
        if c.new_tokens > 1:
            rest += max(w - w1, 0.0)
            rest_cpu += max(cpu - c1, 0.0)
            tokens += c.new_tokens - 1
    # Per token with its prompt's share: a sum over whole replies, so it does not rest on
    # subtracting two noisy timings (a short reply minus its first token can swing widely).
    return {"tokens": tokens, "ms_per_token_whole": 1000 * whole / max(all_tokens, 1),
            "cpu_ms_per_token_whole": 1000 * whole_cpu / max(all_tokens, 1),
            "ms_per_token": 1000 * rest / max(tokens, 1),
            "cpu_ms_per_token": 1000 * rest_cpu / max(tokens, 1),
            "ms_first_token": 1000 * statistics.median(first),
            "cpu_ms_first_token": 1000 * statistics.median(first_cpu)}


async def bot_latency(factory, n: int, work: Path) -> list[float]:
    """Message -> draft saved over the Telegram double, the model real."""
    from fixtures_telegram_bot import bot_on_double
    from telethon import functions

    env = await bot_on_double(work, factory=factory, debounce_seconds=0,
                              chats=[{"chat": "@alice", "mode": "draft"}])
    tg, p = env.tg, env.p
    tg.send(p.owner, p.alice, "hey")
    lat = []
    for i in range(n):
        seen = len(tg.requests)
        t0 = time.perf_counter()
        tg.send(p.alice, p.owner, CONTEXTS[i % len(CONTEXTS)])
        while not any(isinstance(r.request, functions.messages.SaveDraftRequest)
                      for r in tg.requests[seen:]):
            await asyncio.sleep(0.005)
        lat.append(time.perf_counter() - t0)
        await env.settle()
        await env.owner_types(p.alice, "ok")
    await env.close()
    return lat


def _watch_decode_threads(gen) -> collections.Counter | None:
    """How many threads llama.cpp's lone decode took at each look (cpu.SpareCores)."""
    if not hasattr(gen, "_decode_threads"):
        return None
    seen: collections.Counter = collections.Counter()
    choose = gen._decode_threads

    def watched(worker: int, alone: bool) -> None:
        choose(worker, alone)
        seen[gen._set_to[worker]] += 1
    gen._decode_threads = watched
    return seen


def compare(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    adapter = args.adapter or tiny_adapter(work, args.steps)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        rows, model = _compare_rows(args, adapter, work)
    finally:
        for p in busy:
            p.kill()
    print(f"test model (SmolLM2-135M + LoRA), {args.contexts} contexts x <= {args.max_new_tokens} "
          f"new tokens (ms/token: each token after the first), threads {args.threads or os.cpu_count()}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')} "
          f"GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT', '(unset)')}, "
          f"llama.cpp base {args.base_gguf or 'Q4_1 (shipped)'}, gguf_merge {args.gguf_merge}: {model}"
          + (f", {args.busy} other process(es) keeping a core busy" if args.busy else ""))
    _print_rows(args, rows)


def _compare_rows(args, adapter: Path, work: Path) -> tuple[dict, str]:
    from clonebot.config import load_settings
    from clonebot.model import load_generator

    rows = {}
    for backend in ("llamacpp", "local"):
        s = load_settings(model={"base_model": "smollm2-135m", "cpu_threads": args.threads,
                                 "base_gguf": args.base_gguf, "gguf_merge": args.gguf_merge},
                          generate={"backend": backend, "max_new_tokens": args.max_new_tokens})
        t = _clock()
        gen = load_generator(s, adapter)
        load_wall, _ = _since(t)
        if backend == "llamacpp":
            model = (f"{gen.base_gguf.name} (the adapter merged in)" if gen.adapter_gguf is None
                     else f"{gen.base_gguf.name} + {gen.adapter_gguf.name} at run time")
        per_token(gen, 2, 8)  # warm-up
        decode_threads = _watch_decode_threads(gen)
        row = {"load_s": load_wall, **per_token(gen, args.contexts, args.max_new_tokens)}
        if decode_threads:
            row["decode_threads"] = dict(sorted(decode_threads.items()))
        if args.bot:
            lat = asyncio.run(bot_latency(lambda path, g=gen: g, args.bot, work / f"bot-{backend}"))
            row["bot_p50_s"] = statistics.median(lat)
            row["bot_max_s"] = max(lat)
        rows[backend] = row
        del gen
    return rows, model


def _print_rows(args, rows: dict) -> None:
    head = (f"{'backend':10} {'ms/token':>9} {'cpu ms/tok':>10} {'ms/tok all':>10} {'1st token ms':>12} "
            f"{'(cpu)':>6} {'load s':>7}")
    if args.bot:
        head += f" {'bot p50 s':>9} {'bot max s':>9}"
    print(head)
    for name, r in rows.items():
        line = (f"{name:10} {r['ms_per_token']:9.1f} {r['cpu_ms_per_token']:10.1f} "
                f"{r['ms_per_token_whole']:10.1f} "
                f"{r['ms_first_token']:12.1f} {r['cpu_ms_first_token']:6.0f} {r['load_s']:7.1f}")
        if args.bot:
            line += f" {r['bot_p50_s']:9.2f} {r['bot_max_s']:9.2f}"
        print(line)
    if "decode_threads" in rows["llamacpp"]:
        seen = ", ".join(f"{t} thread{'s' * (t > 1)} {n}x" for t, n in rows["llamacpp"]["decode_threads"].items())
        print(f"(llama.cpp's decode threads, looked at every few tokens: {seen})")
    ratio = rows["local"]["ms_per_token"] / rows["llamacpp"]["ms_per_token"]
    cpu_ratio = rows["local"]["cpu_ms_per_token"] / rows["llamacpp"]["cpu_ms_per_token"]
    whole = rows["local"]["ms_per_token_whole"] / rows["llamacpp"]["ms_per_token_whole"]
    print(f"(ms/tok all: whole replies, prompt included, over their tokens: {whole:.1f}x)")
    print(f"llamacpp per token: {ratio:.1f}x faster (wall), {cpu_ratio:.1f}x less CPU; "
          f"goal >= 10x: {'met' if ratio >= 10 else 'NOT met'}")
    _machine()


# ------------------------------------------------------------------ threads x wait policy


def _cell(threads: int) -> dict:
    """One matrix cell, in this process: OpenMP already read the environment."""
    import torch

    from clonebot.config import load_settings
    from clonebot.model.backends.llamacpp import load_llamacpp
    from clonebot.model.load import load_base

    out = {}
    s = load_settings(model={"base_model": "smollm2-135m", "cpu_threads": threads},
                      generate={"max_new_tokens": 32})
    gen = load_llamacpp(s, None)
    per_token(gen, 1, 4)
    r = per_token(gen, 3, 24)
    out["llama_ms_tok"], out["llama_cpu_ms_tok"] = r["ms_per_token"], r["cpu_ms_per_token"]
    del gen

    from clonebot.model import load_generator

    gen = load_generator(s, None)  # generate.backend = "local": torch
    per_token(gen, 1, 4)
    r = per_token(gen, 3, 24)
    out["torch_ms_tok"], out["torch_cpu_ms_tok"] = r["ms_per_token"], r["cpu_ms_per_token"]
    del gen

    from peft import LoraConfig, get_peft_model

    model, tok, _ = load_base(s, training=True, quantize="none")
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM",
                                             target_modules=s.train.target_modules))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    batch = torch.randint(100, 20000, (4, 96))
    steps = []
    for i in range(3):
        t = _clock()
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if i:
            steps.append(_since(t))
    out["train_step_s"] = statistics.median(w for w, _ in steps)
    out["train_cpu_s"] = statistics.median(c for _, c in steps)
    return out


def _policy_env(policy: str) -> dict:
    """``unset``, ``PASSIVE``, ``ACTIVE``, or ``POLICY+spinN`` (libgomp's GOMP_SPINCOUNT: how
    long an idle thread spins before it sleeps)."""
    env = {}
    name, _, spin = policy.partition("+spin")
    if name != "unset":
        env["OMP_WAIT_POLICY"] = name
    if spin:
        env["GOMP_SPINCOUNT"] = spin
    return env


def matrix(args) -> None:
    burners_list = [int(b) for b in args.burners.split(",")]
    threads_list = [int(t) for t in args.threads_list.split(",")]
    policies = args.policies.split(",")
    print(f"{'burners':>7} {'OpenMP wait':>17} {'threads':>7} {'llama ms/tok':>12} {'(cpu)':>7} "
          f"{'torch ms/tok':>12} {'(cpu)':>7} {'train step s':>12} {'(cpu)':>7}")
    for burners in burners_list:
        procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burners)]
        try:
            for policy in policies:
                for threads in threads_list:
                    env = {k: v for k, v in os.environ.items()
                           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")}
                    env.update(_policy_env(policy))
                    r = subprocess.run([sys.executable, __file__, "--cell", str(threads)], env=env,
                                       capture_output=True, text=True)
                    if r.returncode:
                        print(r.stderr[-2000:])
                        continue
                    c = json.loads(r.stdout.strip().splitlines()[-1])
                    print(f"{burners:7d} {policy:>17} {threads:7d} "
                          f"{c['llama_ms_tok']:12.1f} {c['llama_cpu_ms_tok']:7.1f} "
                          f"{c['torch_ms_tok']:12.1f} {c['torch_cpu_ms_tok']:7.1f} "
                          f"{c['train_step_s']:12.2f} {c['train_cpu_s']:7.2f}", flush=True)
        finally:
            for p in procs:
                p.kill()
    _machine()


def _machine() -> None:
    load = os.getloadavg()
    print(f"machine: {platform.machine()} python {platform.python_version()}, cpus {os.cpu_count()}, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (others' jobs count too)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", type=Path, default=None)
    ap.add_argument("--steps", type=int, default=12, help="training steps without --adapter")
    ap.add_argument("--contexts", type=int, default=12)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--threads", type=int, default=0, help="model.cpu_threads (0 = all cores)")
    ap.add_argument("--base-gguf", default="q8_0",
                    help="model.base_gguf for llama.cpp (default: the demo's, q8_0; \"\" = the shipped Q4_1)")
    ap.add_argument("--gguf-merge", default="auto", choices=("auto", "always", "never"),
                    help="model.gguf_merge: the adapter folded into the base (auto: when it is 8-bit or finer)")
    ap.add_argument("--bot", type=int, default=6, help="bot messages per backend (0 = skip)")
    ap.add_argument("--busy", type=int, default=0,
                    help="processes keeping a core busy while the backends are compared")
    ap.add_argument("--matrix", action="store_true")
    ap.add_argument("--burners", default="0,2")
    ap.add_argument("--threads-list", default="1,2")
    ap.add_argument("--policies", default="unset,PASSIVE",
                    help="OpenMP wait policies, e.g. unset,PASSIVE,PASSIVE+spin1000")
    ap.add_argument("--cell", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.cell is not None:
        print(json.dumps(_cell(args.cell)))
        return
    from clonebot.model.cpu import apply_openmp_defaults

    apply_openmp_defaults()  # as the CLI does
    matrix(args) if args.matrix else compare(args)


if __name__ == "__main__":
    main()
