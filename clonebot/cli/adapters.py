"""`clonebot adapters list | use VERSION | rollback`: pick which trained adapter the bot runs."""

from __future__ import annotations

import math
from pathlib import Path

import click

from clonebot import versions
from clonebot.cli.app import AppContext, pass_app

# Headline metrics shown by `list`, in this order, when a run has them.
# eval_loss / perplexity come from training (manifest), the rest from `clonebot eval`.
_SHOWN = ("eval_loss", "perplexity", "adapter_ppl", "chrf", "stop_rate", "canary_leaks")


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return " ".join(str(v).split())[:40]


def _clone_score(metrics: dict) -> str:
    """The clone score from `clonebot eval` (AUC: 0.5 = a classifier cannot tell the clone
    from you): '-' not measured, 'few' too few replies to judge."""
    if "clone_auc" not in metrics:
        return "-"
    auc = metrics["clone_auc"]
    return f"{auc:.2f}" if isinstance(auc, (int, float)) and math.isfinite(auc) else "few"


def format_versions(found: list[versions.Version]) -> str:
    if not found:
        return "no adapter versions yet (train one: clonebot retrain EXPORT, or clonebot train)"
    rows = [("", "VERSION", "CREATED", "BASE MODEL", "CLONE AUC", "METRICS")]
    for v in found:
        if v.problem:
            rows.append(("!", v.name, "?", "?", "?", "BROKEN: see below"))
            continue
        shown = [f"{k}={_fmt(v.metrics[k])}" for k in _SHOWN if k in v.metrics]
        rows.append(
            ("*" if v.current else "", v.name, (v.created or "?")[:19], v.base_model or "?",
             _clone_score(v.metrics), " ".join(shown) or "-")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] for r in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _runs_dir(app: AppContext, runs_dir: Path | None) -> Path:
    return runs_dir if runs_dir is not None else app.settings.paths.runs_dir


_runs_opt = click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Runs directory (default: paths.runs_dir from config).",
)


@click.group("adapters")
def adapters() -> None:
    """List trained adapter versions, promote one, or roll back."""


@adapters.command("list")
@_runs_opt
@pass_app
def list_cmd(app: AppContext, runs_dir: Path | None) -> None:
    """Show every version; * marks the one the bot uses, ! one that cannot be used.
    Exits 1 (after the list) when a version or the promotion state is damaged."""
    rd = _runs_dir(app, runs_dir)
    versions.repair(rd)
    found = versions.list_versions(rd)
    click.echo(format_versions(found))
    damaged = [f"{v.name}: {v.problem}" for v in found if v.problem] + versions.problems(rd)
    for line in damaged:
        click.echo("error: " + " ".join(line.split()), err=True)
    if damaged:
        raise click.exceptions.Exit(1)


@adapters.command("use")
@click.argument("version")
@_runs_opt
@pass_app
def use_cmd(app: AppContext, version: str, runs_dir: Path | None) -> None:
    """Promote VERSION (name, unique prefix like v002, or its path) to current."""
    rd = _runs_dir(app, runs_dir)
    before = versions.current_adapter(rd)
    path = versions.promote(rd, version, reason="adapters use")
    if before is not None and before.name == path.name:
        click.echo(f"{path.name} is already current")
    else:
        click.echo(f"current adapter: {path.name} (was {before.name if before else 'none'})")
        click.echo("a running bot picks it up on /reload or SIGHUP")


@adapters.command("rollback")
@_runs_opt
@pass_app
def rollback_cmd(app: AppContext, runs_dir: Path | None) -> None:
    """Go back to the previously promoted version."""
    rd = _runs_dir(app, runs_dir)
    before = versions.current_adapter(rd)
    path = versions.rollback(rd)
    click.echo(f"rolled back: {before.name if before else 'none'} -> {path.name}")
    click.echo("a running bot picks it up on /reload or SIGHUP")


def register(cli: click.Group) -> None:
    cli.add_command(adapters)
