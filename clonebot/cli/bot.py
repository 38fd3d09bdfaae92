"""`clonebot login | logout | run | status | feedback export`: the userbot on the owner's account."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import click

from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app
from clonebot.fsutil import atomic_write_text


@click.command()
@pass_app
def login(app: AppContext) -> None:
    """Log in to Telegram (api_id/api_hash from config or env; phone, code, 2FA prompts)."""
    from clonebot.instance_lock import InstanceLock
    from clonebot.telegram import session

    settings = app.settings
    with InstanceLock(settings.paths.data_dir):
        who = asyncio.run(
            session.login(
                settings,
                phone=lambda: _ask("Phone number (international format, +...)"),
                code=lambda: _ask("Login code (sent to your Telegram app)"),
                password=lambda: _ask("2FA password", hide_input=True),
                say=lambda text: click.echo(text, err=True),
            )
        )
    click.echo(f"logged in as {who}; session file {session.session_path(settings)} (mode 0600)")
    click.echo("keep that file secret: it is a full login to your account")


def _ask(text: str, hide_input: bool = False) -> str:
    """A login prompt; stdin closed (a pipe, a service, ``< /dev/null``) is one line that
    says what login needs, not an "Aborted!" or a library warning."""
    import sys

    try:
        return click.prompt(text, hide_input=hide_input)
    except click.Abort:
        if sys.stdin is None or not sys.stdin.isatty():
            raise click.ClickException(
                "login needs your answers on stdin (the phone number, the code Telegram "
                "sends, a 2FA password) and stdin is closed: run `clonebot login` in a "
                "terminal (or set CLONEBOT_TELEGRAM__PHONE for the number)") from None
        raise


@click.command()
@pass_app
def logout(app: AppContext) -> None:
    """End the Telegram session and delete the session file."""
    from clonebot.instance_lock import InstanceLock
    from clonebot.telegram import session

    with InstanceLock(app.settings.paths.data_dir):
        confirmed = asyncio.run(session.logout(app.settings))
    if confirmed:
        click.echo("logged out; session file deleted")
    else:
        click.echo("session file deleted, but Telegram did not confirm the logout: end the "
                   "session in Telegram > Settings > Devices", err=True)


@click.command()
@options.adapter(default="the promoted one, and a newly promoted one on /reload")
@pass_app
def run(app: AppContext, adapter: str | None) -> None:
    """Run the clone on your account (SIGHUP or /reload picks up a promoted adapter)."""
    from clonebot import versions
    from clonebot.errors import CloneBotError
    from clonebot.runtime.run import run_bot
    from clonebot.telegram.session import private_umask

    settings = app.settings
    # A chosen adapter is pinned; without one the bot follows promotions.
    adapter_dir = versions.resolve(settings.paths.runs_dir, adapter) if adapter else None
    if not settings.bot.chats:
        click.echo("warning: the allow-list (bot.chats) is empty: nobody gets a reply; "
                   "control commands still work", err=True)
    try:
        with private_umask():  # the store and session journals stay private
            asyncio.run(run_bot(settings, adapter_dir,
                                on_status=lambda s: click.echo(s, err=True)))
    except CloneBotError as e:
        _end_if_worker_busy(f"error: {' '.join(str(e).split())}", 1)
        raise
    _end_if_worker_busy("stopped", 0)
    click.echo("stopped", err=True)


def _end_if_worker_busy(message: str, code: int) -> None:
    """A model load (or generation) still runs in native code in the worker thread: end the
    process now. Letting Python finalize would kill that thread mid-call and abort the
    process ("terminate called without an active exception", exit 134)."""
    from clonebot.runtime.worker import generation_thread_alive

    if generation_thread_alive():
        click.echo(message, err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@click.command()
@pass_app
def status(app: AppContext) -> None:
    """Where things stand: the login, whether the bot runs, where approvals go, what waits."""
    from clonebot.instance_lock import running_pid
    from clonebot.runtime.status import approvals_where
    from clonebot.state.store import StateStore, state_path
    from clonebot.telegram.session import session_path

    settings = app.settings
    session = session_path(settings)
    click.echo(f"login: {'logged in' if session.exists() else 'not logged in (clonebot login)'}"
               f" · {session}")
    pid = running_pid(settings.paths.data_dir)
    click.echo("bot: " + (f"running (pid {pid})" if pid and pid > 0 else
                          "running" if pid else "not running"))
    path = state_path(settings.paths.data_dir)
    if not path.exists():
        click.echo(f"approvals: {approvals_where(settings, None)}")
        click.echo(f"state: none yet ({path} is made by the first clonebot run)")
        return
    with StateStore(path) as store:
        click.echo(f"approvals: {approvals_where(settings, store)}")
        pending = store.pending(mode="approve")
        paused = " · PAUSED (/resume)" if store.get_flag("paused", False) else ""
        ids = " ".join(f"#{p.id}" for p in pending[-10:])
        click.echo(f"state: {path} (schema v{store.schema_version}) · waiting for you: "
                   f"{len(pending)}{' — ' + ids if ids else ''}{paused}")


@click.group()
def feedback() -> None:
    """What the owner's approval decisions teach."""


@feedback.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSONL file to write (default: stdout).")
@options.adapter(" whose prompt format and EOS prompt_text is rendered with")
@pass_app
def export(app: AppContext, out: Path | None, adapter: str | None) -> None:
    """Write preference pairs (prompt, chosen, rejected) as JSONL for DPO-style training."""
    from clonebot import versions
    from clonebot.approval.feedback import preference_pairs
    from clonebot.state.store import StateStore
    from clonebot.errors import CloneBotError
    from clonebot.model.manifest import read_manifest
    from clonebot.state.store import state_path

    path = state_path(app.settings.paths.data_dir)
    if not path.exists():
        raise CloneBotError(f"no state store at {path}: run the bot in approve mode first")
    with StateStore(path) as store:
        decisions = store.decisions()
    eos = read_manifest(versions.resolve(app.settings.paths.runs_dir, adapter))["eos_token"]
    lines = [json.dumps(p, ensure_ascii=False) + "\n" for p in preference_pairs(decisions, eos)]
    if out is None:
        click.echo("".join(lines), nl=False)
    else:
        atomic_write_text(out, "".join(lines))
    click.echo(f"{len(lines)} preference pairs from {len(decisions)} decisions", err=True)


def register(cli: click.Group) -> None:
    for command in (login, logout, run, status, feedback):
        cli.add_command(command)
