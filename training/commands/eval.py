"""`clonebot eval [--adapter RUN_DIR] [--dataset DIR] [--samples N]`."""

from __future__ import annotations

from pathlib import Path

import click

from clonebot import versions
from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app
from clonebot.cli.options import StageProgress
from clonebot.errors import CloneBotError, DatasetError


def resolve_dataset(app: AppContext, dataset: Path | None, adapter: Path) -> Path:
    """--dataset, else the dataset the adapter was trained on, else paths.dataset_dir. A
    dataset that is gone is said plainly, with what to do."""
    if dataset is not None:
        return dataset
    from clonebot.versions import read_manifest_lenient

    trained_on = read_manifest_lenient(adapter).get("dataset_dir")
    if trained_on and Path(trained_on).is_dir():
        return Path(trained_on)
    default = app.settings.paths.dataset_dir
    gone = f"{adapter} was trained on {trained_on}, which no longer exists (moved or deleted)"
    if default.is_dir():
        if trained_on:
            click.echo(f"{gone}: using {default} (paths.dataset_dir)", err=True)
        return default
    if trained_on:
        raise DatasetError(f"{gone}, and there is no dataset at {default} either: pass --dataset "
                           "DIR, or prepare one: clonebot prepare EXPORT --out DIR")
    return default  # load_split reports it missing, with the fix


@click.command("eval")
@options.adapter(" to evaluate")
@click.option("--dataset", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Prepared dataset dir (default: the one the adapter was trained on, else "
                   "paths.dataset_dir).")
@click.option("--samples", type=click.IntRange(min=0), default=50, show_default=True,
              help="Eval replies to generate (0: perplexity only).")
@click.option("--ppl-rows", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Eval replies scored for perplexity.")
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=None,
              help="Token limit per generation (default: generate.max_new_tokens).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-base", is_flag=True, help="Skip the base-model perplexity.")
@click.option("--approvals", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Approval store (default: the bot's).")
@pass_app
def eval_cmd(app: AppContext, adapter: str | None, dataset: Path | None, samples: int,
             ppl_rows: int, max_new_tokens: int | None, seed: int, no_base: bool,
             approvals: Path | None) -> None:
    """Measure an adapter on the held-out owner replies; writes eval.json beside it."""
    from training.eval import EvalOptions, format_report, run_eval

    settings = app.settings
    run = versions.resolve(app.settings.paths.runs_dir, adapter)
    ds = resolve_dataset(app, dataset, run)
    click.echo(f"evaluating {run} on {ds}", err=True)
    opts = EvalOptions(samples=samples, ppl_rows=ppl_rows, max_new_tokens=max_new_tokens,
                       seed=seed, base=not no_base, approvals_path=approvals)
    report = run_eval(settings, run, ds, opts, progress=StageProgress())
    click.echo(format_report(report))
    click.echo(f"\nwrote {run / 'eval.json'} ({report.seconds:.0f} s)")
    if report.canaries.get("leaks"):
        # A leak is a failed privacy check: make scripts and CI notice.
        raise CloneBotError(
            f"{report.canaries['leaks']} planted canary secret(s) appeared in generations; "
            "do not deploy this adapter"
        )


def register(cli: click.Group) -> None:
    cli.add_command(eval_cmd)
