"""The command line: the only place that prints or exits.

Runtime commands live in ``clonebot/cli/<name>.py``. Commands that need the training
stack (prepare, train, demo, eval, retrain) are registered by the ``training`` package
through the ``clonebot.commands`` entry-point group, so ``clonebot/`` never imports
``training/`` and a runtime-only install still gets a working CLI. What every command gets
(``AppContext``, ``pass_app``) is in ``cli/app.py``, so a command imports that, never this
package that registers it.
"""

from __future__ import annotations

import logging
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from clonebot import __version__
from clonebot.cli.app import AppContext, pass_app  # noqa: F401 (pass_app: for plugins)
from clonebot.errors import CloneBotError


def _one_line(text: str) -> str:
    return " ".join(text.split())


# The top-level help lists the commands in the order a new owner follows them.
WORKFLOW = ("demo", "login", "fetch", "prepare", "plan", "train", "eval", "report", "chat",
            "run", "status", "adapters", "retrain", "feedback", "export", "pii", "logout")


class CloneBotGroup(click.Group):
    """Turns our named errors, and click's own usage errors, into one line on stderr and a
    non-zero exit (click's default is a three-line usage block)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            # returns ctx.exit()'s code, or the command's return value
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            where = f" (see: {e.ctx.command_path} --help)" if e.ctx is not None else ""
            click.echo(f"error: {_one_line(e.format_message())}{where}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"error: {_one_line(e.format_message())}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """In the order a new owner uses them (the group's help says so); commands from
        plugins after them, by name."""
        known = [c for c in WORKFLOW if c in self.commands]
        return known + sorted(set(self.commands) - set(known))

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CloneBotError as e:
            # One line, always: some library messages we wrap span several.
            click.echo("error: " + _one_line(str(e)), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=CloneBotGroup)
@click.version_option(__version__, prog_name="clonebot")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML config file (default: ./config.toml if present).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log more (never secrets).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """clonebot: a Telegram userbot that answers as your personal clone.

    \b
    The commands, in the order you use them:
      demo                 the whole loop on a bundled sample, to see it work
      login, fetch         your account, and your chats from Telegram
      prepare              or an export (Telegram Desktop JSON, WhatsApp) -> dataset
      plan, train          what training needs, then train a version
      eval, report, chat   how close it is to you; talk to it
      run                  let it answer (draft / approve / auto) in the chats you allow
      retrain              later: a fresh export -> a new version, promoted if better
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Telethon's own warnings (a reconnect, a disconnect with a request pending) speak its
    # internals to the owner; our errors say what happened. -v shows them.
    logging.getLogger("telethon").setLevel(logging.INFO if verbose else logging.ERROR)
    ctx.obj = AppContext(config_path)


def _register_builtin() -> None:
    from clonebot.cli import adapters, bot, chat, export, fetch, pii

    for mod in (pii, chat, bot, adapters, fetch, export):
        mod.register(cli)


def _register_plugins() -> None:
    for ep in entry_points(group="clonebot.commands"):
        ep.load()(cli)


def main() -> None:
    from clonebot.model.cpu import apply_openmp_defaults

    # Before anything loads torch or llama.cpp: idle OpenMP threads spin briefly, then sleep.
    apply_openmp_defaults()
    # Quieter third-party start-up noise; our own errors still reach stderr.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    _register_builtin()
    _register_plugins()
    cli(prog_name="clonebot")
