"""``clonebot train [--dataset DIR] [--out RUN_DIR] [--resume | --restart] [--max-steps N] [--base-model ID]``.

After a crash or kill, ``clonebot train --resume`` continues the interrupted run from its
last complete checkpoint (or just finishes it, if its training had ended). Plain
``clonebot train`` never silently drops an interrupted run: it stops and says to add
``--resume`` or ``--restart`` (discard it and start over).

Single GPU or CPU: ``clonebot train``. Several GPUs (DDP, one 4-bit replica per GPU)::

    accelerate launch --num_processes 2 -m clonebot train --dataset data/dataset --out runs/v003
    # or: torchrun --nproc_per_node 2 -m clonebot train ...

Give ``--out`` explicitly under a launcher so every process writes the same run dir.
"""

from __future__ import annotations

from pathlib import Path

import click

from clonebot.cli.app import AppContext, pass_app


def summary(metrics: dict, out: Path) -> str:
    """What a run did; ``metrics`` may come from an older run's manifest (keys may lack)."""
    m = {k: metrics.get(k, "?") for k in ("steps", "epochs", "train_samples", "runtime_s",
                                          "perplexity")}
    before = metrics.get("eval_loss_before")
    lines = [f"run saved to {out}"]
    if "eval_loss" in metrics:
        change = f" (was {before} before training)" if before is not None else ""
        lines.append(f"  eval loss {metrics['eval_loss']}{change}, perplexity {m['perplexity']}")
    padding = metrics.get("padding_share")
    padding = f"{100 * padding:.1f}%" if isinstance(padding, (int, float)) else "?"
    lines.append(
        f"  {m['steps']} steps, {m['epochs']} epochs, {m['train_samples']} samples, "
        f"padding {padding} of tokens, {m['runtime_s']} s"
    )
    if metrics.get("already_finished"):
        lines.append("  (its training had ended before: a kill had interrupted only its last "
                     "writes, finished now; nothing was trained)")
    if metrics.get("skipped_too_long"):
        lines.append(f"  {metrics['skipped_too_long']} replies longer than train.max_seq_len on their "
                     "own were not trained on (named in the manifest: metrics.lengths)")
    return "\n".join(lines)


@click.command("train")
@click.option("--dataset", "dataset", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Prepared dataset dir (default: paths.dataset_dir).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run dir to create (default: a new version under paths.runs_dir).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run from its last complete checkpoint.")
@click.option("--restart", is_flag=True,
              help="Discard an interrupted run's checkpoints and start it over.")
@click.option("--max-steps", type=click.IntRange(min=1, max=10**9), default=None,
              help="Stop after N optimizer steps (overrides train.max_steps / epochs).")
@click.option("--base-model", default=None, metavar="ID|PATH",
              help="Base model (overrides model.base_model; 'smollm2-135m' = the test model).")
@click.option("--no-progress", is_flag=True, help="No progress bar (log lines only).")
@pass_app
def train_cmd(app: AppContext, dataset: Path | None, out: Path | None, resume: bool,
              restart: bool, max_steps: int | None, base_model: str | None,
              no_progress: bool) -> None:
    """QLoRA-tune the base model on a prepared dataset into a new adapter run dir."""
    from clonebot.versions import partial_dir
    from training.run_dir import next_run_dir
    from training.train import train

    if resume and restart:
        raise click.UsageError("--resume and --restart exclude each other")
    s = app.settings
    if max_steps is not None:
        s = s.model_copy(update={"train": s.train.model_copy(update={"max_steps": max_steps})})
    if base_model:
        s = s.model_copy(update={"model": s.model.model_copy(update={"base_model": base_model})})
    dataset = dataset or s.paths.dataset_dir
    if out is None:
        out = next_run_dir(s.paths.runs_dir, resume=resume)
    if resume and not (out.exists() or partial_dir(out).exists()):
        click.echo(f"nothing interrupted to resume at {out}: starting a new run", err=True)
    click.echo(f"training {s.model.base_model} on {dataset} -> {out}", err=True)
    metrics = train(s, dataset, out, resume=resume, restart=restart, progress=not no_progress,
                    on_lengths=lambda lengths: click.echo("\n".join(lengths.lines()), err=True))
    click.echo(summary(metrics, out))
    click.echo(f"try it: clonebot chat --adapter {out}   use it: clonebot adapters use {out.name}")


def register(cli: click.Group) -> None:
    cli.add_command(train_cmd)
