"""`clonebot retrain NEW_EXPORT [--force]`: merge, train a new version, promote if not worse."""

from __future__ import annotations

import math
from pathlib import Path

import click

from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app
from clonebot.cli.options import StageProgress


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets NaN through (every comparison with it is False).
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number")
    return value


def _n(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.4f}"


def format_result(res, runs_dir: Path, dataset_dir: Path) -> str:
    p = res.prepare
    out = [
        f"prepare: {p.get('messages_new', '?')} new, {p.get('messages_duplicate', '?')} duplicate, "
        f"{p.get('messages_updated', 0)} edited messages -> {dataset_dir} "
        f"(train {p.get('samples_train', '?')} / eval {p.get('samples_eval', '?')})"
    ]
    if res.action == "skipped":
        out.append(f"retrain: skipped: {res.reason}")
        if res.previous is not None:
            out.append(f"current adapter stays {res.previous.name}")
        return "\n".join(out)
    t = res.train
    out.append(f"train:   {res.version} (eval_loss {t.get('eval_loss', '-')}, "
               f"{t.get('steps', '?')} steps, {t.get('runtime_s', '?')} s)")
    rows = res.new.rows if res.new else 0
    out.append(f"compare on {rows} held-out owner replies (nats per char, lower is better; "
               "perplexity per token):")
    table: list[tuple[str, object]] = []
    if res.base:
        table.append(("base model", res.base))
    if res.previous is not None:
        table.append((f"current {res.previous.name}", res.current))
    table.append((f"new     {res.version.name}", res.new))
    w = max(len(label) for label, _ in table)
    for label, sc in table:
        cell = f"{_n(sc.nll_per_char)}  ppl {_n(sc.perplexity)}" if sc else "n/a"
        out.append(f"  {label.ljust(w)}  {cell}")
    cs = res.clone_score or {}
    if cs.get("judged"):
        lo, hi = cs["ci"]
        out.append(f"clone score on {cs['contexts']} held-out messages (AUC: can a classifier tell "
                   f"the clone from you; 0.5 = it cannot): current {cs['current']['auc']:.2f}, "
                   f"new {cs['new']['auc']:.2f}, difference {cs['difference']:+.2f} "
                   f"[{lo:+.2f}, {hi:+.2f}]")
    elif cs.get("note"):
        out.append(f"clone score not compared: {cs['note']}")
    was = res.previous.name if res.previous else "none"
    if res.action == "promoted":
        out.append(f"promoted {res.version.name} (was {was}): {res.reason}")
        out.append("a running bot picks it up on /reload or SIGHUP; undo: clonebot adapters rollback")
    else:
        out.append(f"kept {was}: {res.version.name} is {res.reason}")
        out.append(f"to use it anyway: clonebot adapters use {res.version.name}")
    return "\n".join(out)


@click.command("retrain")
@click.argument("export", type=click.Path(path_type=Path), required=False)
@click.option("--from-telegram", is_flag=True,
              help="Fetch what is new from Telegram first (clonebot fetch) and retrain on it.")
@click.option("--force", is_flag=True,
              help="Retrain even with nothing new, and promote even if worse.")
@click.option("--tolerance", type=click.FloatRange(min=0, max=1), default=0.0, show_default=True,
              callback=_finite, help="Promote if at most this much (relative, 0.01 = 1%) worse.")
@click.option("--ignore-clone-score", is_flag=True,
              help="Promote even if the new version's clone score is worse than the current "
                   "one's beyond its interval (retrain.clone_score_tolerance).")
@click.option("--eval-rows", type=click.IntRange(min=1), default=500, show_default=True,
              help="Held-out owner replies both adapters are scored on.")
@click.option("--owner-id", type=int, default=None, help="Owner's Telegram user id.")
@click.option("--canaries", type=click.IntRange(min=0), default=None,
              help="Privacy canaries to plant (default: as many as the dataset has).")
@click.option("--resume", is_flag=True,
              help="Finish an interrupted retrain (its training, comparison and promotion).")
@click.option("--restart", is_flag=True,
              help="Discard an interrupted retrain and train a new version.")
@options.approval_store
@pass_app
def retrain_cmd(app: AppContext, export: Path | None, from_telegram: bool, force: bool,
                tolerance: float, ignore_clone_score: bool, eval_rows: int,
                owner_id: int | None, canaries: int | None, resume: bool, restart: bool,
                approvals: str | None) -> None:
    """Merge EXPORT (or, with --from-telegram, a fresh fetch) into the dataset, train a
    new adapter version, and promote it if it is not worse than the current one on the
    held-out owner replies: their likelihood, and the clone score (can a classifier tell
    its replies from yours)."""
    from training.retrain import retrain

    if resume and restart:
        raise click.UsageError("--resume and --restart exclude each other")
    if (export is None) == (not from_telegram):
        raise click.UsageError("give an EXPORT or --from-telegram (one of them)")
    if from_telegram:
        from clonebot.cli.fetch import run_fetch, summary

        fetched = run_fetch(app)
        click.echo(summary(fetched).splitlines()[0], err=True)
        export = fetched.out
    s = app.settings
    if approvals is not None:
        from training.commands.prepare import with_approvals

        s = s.model_copy(update={"prepare": s.prepare.model_copy(update={
            "approval_store": with_approvals(s.prepare.approval_store, approvals)})})
    click.echo(f"retraining from {export} (dataset {s.paths.dataset_dir}, runs {s.paths.runs_dir})",
               err=True)
    res = retrain(s, export, force=force, tolerance=tolerance,
                  ignore_clone_score=ignore_clone_score, eval_rows=eval_rows,
                  owner_id=owner_id if owner_id is not None else s.prepare.owner_id,
                  canaries=canaries, resume=resume, restart=restart, progress=StageProgress())
    click.echo(format_result(res, s.paths.runs_dir, s.paths.dataset_dir))


def register(cli: click.Group) -> None:
    cli.add_command(retrain_cmd)
