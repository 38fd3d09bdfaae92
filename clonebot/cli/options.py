"""Command-line options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable

import click


def chat_selection(verb: str) -> Callable:
    """``--include-chat`` / ``--exclude-chat`` / ``--groups``, as ``prepare`` and ``fetch`` take
    them (the rule itself is ``clonebot.chat_selection``); ``verb`` says what happens to a chat."""

    def decorate(f: Callable) -> Callable:
        f = click.option("--groups", is_flag=True, default=False,
                         help=f"Also {verb} group chats.")(f)
        f = click.option("--exclude-chat", multiple=True, metavar="ID|NAME",
                         help=f"Never {verb} these chats (repeatable).")(f)
        return click.option("--include-chat", multiple=True, metavar="ID|NAME",
                            help=f"{verb.capitalize()} only these chats (repeatable; naming a "
                                 "group opts it in).")(f)

    return decorate


class StageProgress:
    """A ``progress(what, done, total)`` callback that prints each new stage once, on stderr."""

    def __init__(self) -> None:
        self.stage = ""

    def __call__(self, what: str, done: int = 0, total: int | None = None) -> None:
        if what != self.stage:
            self.stage = what
            click.echo(f"  {what}...", err=True)
