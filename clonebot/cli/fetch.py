"""`clonebot fetch`: the owner's history straight from Telegram into an export prepare reads."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import click

from clonebot.chat_selection import chat_ref
from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app
from clonebot.fetch.events import (
    ChatDone, ChatsSelected, Event, FetchResult, FloodWait, Notice, Progress, Writing,
)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _of(done: int, total: int | None) -> str:
    return f"{done}/{total}" if total is not None else f"{done}/?"


class ProgressLines:
    """Events as lines on stderr: a status line rewritten in place on a terminal, a line
    every few seconds (and one per chat with news) in a log."""

    def __init__(self, *, tty: bool | None = None, every: float = 5.0):
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.every = every
        self._last = 0.0
        self._status = False

    def _line(self, text: str) -> None:
        if self._status:
            click.echo("\r\x1b[K", nl=False, err=True)
            self._status = False
        click.echo(text, err=True)

    def _rewrite(self, text: str, *, force: bool = False) -> None:
        if self.tty:
            click.echo("\r\x1b[K" + text, nl=False, err=True)
            self._status = True
        elif force or time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            click.echo(text, err=True)

    def close(self) -> None:
        """End a status line left on the terminal."""
        if self._status:
            click.echo(err=True)
            self._status = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, Notice):
            self._line(event.text)
        elif isinstance(event, ChatsSelected):
            left = ", ".join(f"{n} {why.removeprefix('type:')}" for why, n in event.skipped.items())
            self._line(f"{event.selected} chats to fetch" + (f" (left out: {left})" if left else ""))
        elif isinstance(event, Progress):
            self._rewrite(
                f"[{event.chats_done}/{event.chats_total} chats] {event.chat}: "
                f"{_of(event.chat_done, event.chat_total)} ETA {_clock(event.chat_eta_seconds)}"
                f" | all: {_of(event.done, event.total)} messages, ETA {_clock(event.eta_seconds)}")
        elif isinstance(event, FloodWait):
            if event.seconds_left == 0:
                self._line(f"flood wait of {_clock(event.seconds)} over, going on")
            else:
                self._rewrite(f"Telegram asks to wait {_clock(event.seconds)} (flood limit): "
                              f"{_clock(event.seconds_left)} left",
                              force=event.seconds_left == event.seconds)
        elif isinstance(event, ChatDone):
            if event.new or event.edited:
                self._line(f"[{event.chats_done}/{event.chats_total}] {event.chat}: "
                           f"{event.new} new, {event.edited} edited")
        elif isinstance(event, Writing):
            self._line(f"writing {event.path} ({event.chats} chats)")


def summary(result: FetchResult) -> str:
    return (f"fetched {result.new} new messages ({result.edited} edited) in {result.requests} "
            f"requests ({result.mode}, {result.seconds:g} s) -> {result.out}: {result.chats} "
            f"chats, {result.messages} messages\nnext: clonebot prepare {result.out}")


def run_fetch(app: AppContext, *, out: Path | None = None, include: tuple[str, ...] = (),
              exclude: tuple[str, ...] = (), groups: bool = False,
              takeout: bool | None = None) -> FetchResult:
    """Fetch with progress on stderr (also what `retrain --from-telegram` runs)."""
    from clonebot.fetch.run import fetch_options, fetch_to_export

    settings = app.settings
    options = fetch_options(settings, out=out, include=[chat_ref(v) for v in include],
                            exclude=[chat_ref(v) for v in exclude], groups=groups,
                            takeout=takeout)
    lines = ProgressLines()
    try:
        return asyncio.run(fetch_to_export(settings, options, lines))
    finally:
        lines.close()


@click.command("fetch")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="result.json to write (default: fetch.out).")
@options.chat_selection("fetch")
@click.option("--takeout/--no-takeout", default=None,
              help="Fetch in a takeout session (default: fetch.takeout) or with plain requests.")
@pass_app
def fetch_cmd(app: AppContext, out: Path | None, include_chat: tuple[str, ...],
              exclude_chat: tuple[str, ...], groups: bool, takeout: bool | None) -> None:
    """Download your chats from Telegram into a Telegram-Desktop-style result.json.

    Personal chats by default (as `clonebot prepare` picks them); never bots, channels or
    Saved Messages. Text only. The next fetch asks only for what is new; a fetch that was
    stopped continues where it was.
    """
    result = run_fetch(app, out=out, include=include_chat, exclude=exclude_chat, groups=groups,
                       takeout=takeout)
    click.echo(summary(result))


def register(cli: click.Group) -> None:
    cli.add_command(fetch_cmd)
