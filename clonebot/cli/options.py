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


def adapter(what: str = "", default: str = "the promoted one") -> Callable:
    """``--adapter RUN_DIR|VERSION``, the same wherever an adapter is chosen: a run dir, or a
    version name (or unique prefix) under paths.runs_dir (``versions.resolve``)."""
    return click.option("--adapter", "adapter", default=None, metavar="RUN_DIR|VERSION",
                        help=f"Run dir or version name{what} (default: {default}).")


def approval_store(f: Callable) -> Callable:
    """``--approvals FILE`` / ``--no-approvals``: where ``prepare`` learns which messages the
    clone sent (``prepare.approval_store``); the command gets ``approvals`` = a path,
    "none" or None (the config's choice)."""
    f = click.option("--no-approvals", "approvals", flag_value="none", default=None,
                     help="Do not read the bot's approval store: the clone's messages count "
                          "as yours.")(f)
    return click.option("--approvals", "approvals", metavar="FILE", default=None,
                        help="The bot's approval store, which knows the messages the clone "
                             "sent (never learned as yours). Default prepare.approval_store: "
                             "the one in paths.data_dir, if any.")(f)


class StageProgress:
    """A ``progress(what, done, total)`` callback that prints each new stage once, on stderr."""

    def __init__(self) -> None:
        self.stage = ""

    def __call__(self, what: str, done: int = 0, total: int | None = None) -> None:
        if what != self.stage:
            self.stage = what
            click.echo(f"  {what}...", err=True)
