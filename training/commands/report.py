"""`clonebot report [--adapter RUN_DIR] [--out FILE.html]`."""

from __future__ import annotations

from pathlib import Path

import click

from clonebot import versions
from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app
from clonebot.cli.options import StageProgress
from training.commands.eval import resolve_dataset


def write_report(app: AppContext, run: Path, out: Path | None, *, dataset: Path | None = None,
                 approvals: Path | None = None) -> Path:
    """Render the report of ``run`` into ``out`` (default RUN/report.html), atomically."""
    from clonebot.fsutil import atomic_write_text
    from training.eval.approvals import default_approvals_path
    from training.report.collect import collect
    from training.report.page import render

    data = collect(run, dataset_dir=dataset,
                   approvals_path=approvals or default_approvals_path(app.settings))
    out = out or run / "report.html"
    atomic_write_text(out, render(data))
    return out


@click.command("report")
@options.adapter(" to report on")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write (default: RUN_DIR/report.html).")
@click.option("--dataset", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Prepared dataset dir (default: the one the adapter was trained on).")
@click.option("--approvals", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Approval store (default: the bot's).")
@click.option("--eval/--no-eval", "run_eval_if_missing", default=True, show_default=True,
              help="Run `clonebot eval` first if the run has no eval.json yet.")
@pass_app
def report_cmd(app: AppContext, adapter: str | None, out: Path | None, dataset: Path | None,
               approvals: Path | None, run_eval_if_missing: bool) -> None:
    """Write one self-contained HTML page about an adapter: dataset, training curves,
    perplexity, your style vs the clone's, example replies, canaries, approvals."""
    run = versions.resolve(app.settings.paths.runs_dir, adapter)
    if not (run / "eval.json").is_file():
        if run_eval_if_missing:
            from training.eval import EvalOptions, run_eval

            ds = resolve_dataset(app, dataset, run)
            click.echo(f"{run} has no eval.json yet: evaluating it on {ds} first", err=True)
            run_eval(app.settings, run, ds, EvalOptions(approvals_path=approvals),
                     progress=StageProgress())
        else:
            click.echo(f"{run} has no eval.json: the report leaves evaluation out "
                       f"(run: clonebot eval --adapter {run})", err=True)
    path = write_report(app, run, out, dataset=dataset, approvals=approvals)
    click.echo(f"wrote {path} (open it in a browser: file://{path.resolve()})")


def register(cli: click.Group) -> None:
    cli.add_command(report_cmd)
