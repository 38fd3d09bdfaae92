"""``clonebot train [--dataset DIR] [--out RUN_DIR] [--resume] [--max-steps N] [--base-model ID]``.

Single GPU or CPU: ``clonebot train``. Several GPUs (DDP, one 4-bit replica per GPU)::

    accelerate launch --num_processes 2 -m clonebot train --dataset data/dataset --out runs/v003
    # or: torchrun --nproc_per_node 2 -m clonebot train ...

Give ``--out`` explicitly under a launcher so every process writes the same run dir.
"""

from __future__ import annotations

from pathlib import Path

import click

from clonebot.cli import AppContext, pass_app


def summary(metrics: dict, out: Path) -> str:
    before = metrics.get("eval_loss_before")
    lines = [f"run saved to {out}"]
    if "eval_loss" in metrics:
        change = f" (was {before} before training)" if before is not None else ""
        lines.append(f"  eval loss {metrics['eval_loss']}{change}, perplexity {metrics['perplexity']}")
    lines.append(
        f"  {metrics['steps']} steps, {metrics['epochs']} epochs, {metrics['train_samples']} "
        f"samples, padding {100 * metrics['padding_share']:.1f}% of tokens, "
        f"{metrics['runtime_s']} s"
    )
    if metrics.get("skipped_too_long"):
        lines.append(f"  {metrics['skipped_too_long']} samples longer than train.max_seq_len skipped")
    return "\n".join(lines)


@click.command("train")
@click.option("--dataset", "dataset", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Prepared dataset dir (default: paths.dataset_dir).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run dir to create (default: a new version under paths.runs_dir).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run from its last checkpoint.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None,
              help="Stop after N optimizer steps (overrides train.max_steps / epochs).")
@click.option("--base-model", default=None, metavar="ID|PATH",
              help="Base model (overrides model.base_model; 'smollm2-135m' = the test model).")
@click.option("--no-progress", is_flag=True, help="No progress bar (log lines only).")
@pass_app
def train_cmd(app: AppContext, dataset: Path | None, out: Path | None, resume: bool,
              max_steps: int | None, base_model: str | None, no_progress: bool) -> None:
    """QLoRA-tune the base model on a prepared dataset into a new adapter run dir."""
    from clonebot import versions
    from training.train import train

    s = app.settings
    if max_steps is not None:
        s = s.model_copy(update={"train": s.train.model_copy(update={"max_steps": max_steps})})
    if base_model:
        s = s.model_copy(update={"model": s.model.model_copy(update={"base_model": base_model})})
    dataset = dataset or s.paths.dataset_dir
    if out is None:
        pending = versions.interrupted_versions(s.paths.runs_dir) if resume else []
        out = pending[0] if pending else versions.new_version_dir(s.paths.runs_dir, create=False)
    click.echo(f"training {s.model.base_model} on {dataset} -> {out}", err=True)
    metrics = train(s, dataset, out, resume=resume, progress=not no_progress)
    click.echo(summary(metrics, out))
    click.echo(f"try it: clonebot chat --adapter {out}   use it: clonebot adapters use {out.name}")


def register(cli: click.Group) -> None:
    cli.add_command(train_cmd)
