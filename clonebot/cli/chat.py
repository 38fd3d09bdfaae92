"""``clonebot chat [--adapter RUN_DIR|VERSION]``: talk to the clone locally, no Telegram needed.

Each stdin line is one message from "the other person"; the clone's reply is printed.
The context is the last turns, as many as the adapter was trained with (its manifest).
Works with a pipe::

    printf 'привет\\nкак дела?\\n' | clonebot chat --adapter runs/demo

Interactive commands: ``/reset`` forgets the context, ``/quit`` (or Ctrl-D) leaves.

In a pipe, stdout has exactly one line per message: a reply's own line breaks are written
as ``\\n`` and a message the model could not answer gives an empty line (the reason goes
to stderr), so replies line up with the input.
"""

from __future__ import annotations

import sys
import time

import click

from clonebot import versions
from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app
from clonebot.errors import GenerationError
from clonebot.prompt_format import CLONE, USER


@click.command("chat")
@options.adapter()
@click.option("-n", "--candidates", type=click.IntRange(min=1), default=None,
              help="Replies to show per message (default: generate.candidates).")
@click.option("--timings", is_flag=True, help="Show seconds per reply.")
@pass_app
def chat_cmd(app: AppContext, adapter: str | None, candidates: int | None, timings: bool) -> None:
    """Chat with your clone on the terminal (stdin lines in, replies out)."""
    from clonebot.model import load_generator

    s = app.settings
    adapter = versions.resolve(s.paths.runs_dir, adapter)
    tty = sys.stdin.isatty()
    if tty:
        click.echo(f"loading {adapter} ...", err=True)
    gen = load_generator(s, adapter)
    if tty:
        click.echo("type a message; /reset clears the context, /quit or Ctrl-D leaves", err=True)

    candidates = candidates or s.generate.candidates
    history: list[dict] = []
    keep = gen.context_turns
    while True:
        if tty:
            click.echo("you> ", nl=False, err=True)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text == "/quit":
            break
        if text == "/reset":
            history.clear()
            continue
        history.append({"role": USER, "content": text})
        t0 = time.perf_counter()
        try:
            replies = gen.generate(history[-keep:], n=candidates)
        except GenerationError as e:
            click.echo(f"(no reply: {e})", err=True)
            if not tty:
                click.echo("")
            continue
        took = f"  [{time.perf_counter() - t0:.1f}s]" if timings else ""
        shown = replies if tty else [r.replace("\n", "\\n") for r in replies]
        if candidates == 1:
            click.echo(("clone> " if tty else "") + shown[0] + took)
        else:
            for i, r in enumerate(shown, 1):
                click.echo(f"[{i}] {r}" + (took if i == 1 else ""))
        # The first candidate is what the clone "said": it is the context for the next turn.
        history.append({"role": CLONE, "content": replies[0]})
        history[:] = history[-keep:]


def register(cli: click.Group) -> None:
    cli.add_command(chat_cmd)
