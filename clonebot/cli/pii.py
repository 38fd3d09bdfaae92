"""`clonebot pii scan` / `clonebot pii redact`: line-by-line filters over stdin.

Both stream: one output line per input line, same order. On a terminal each line is shown
as soon as it is done; into a pipe or a file the output is buffered (a flush per line costs
a quarter of the throughput). Input is UTF-8; undecodable bytes (on stdin or in TEXT arguments) become U+FFFD, with
one warning on stderr at the end, so the line count never changes.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator

import click

from clonebot.cli.app import AppContext, pass_app


def _filter(app: AppContext, names: bool | None):
    from clonebot.pii import PIIFilter

    cfg = app.settings.pii
    return PIIFilter(denylist=cfg.denylist, names=cfg.names if names is None else names,
                     all_coordinates=cfg.all_coordinates)


def _decode(raw: bytes, no: int, bad: list[int]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        bad.append(no)
        return raw.decode("utf-8", errors="replace")


def _lines(args: tuple[str, ...], bad: list[int]) -> Iterator[tuple[str, bytes]]:
    """(text, terminator) per input line; records the numbers of lines with bad UTF-8."""
    if args:
        # Python hands undecodable argv bytes over as lone surrogates: take the bytes back
        # and treat them like stdin's.
        for no, a in enumerate(args, 1):
            yield _decode(os.fsencode(a), no, bad), b"\n"
        return
    stdin = sys.stdin.buffer
    for no, raw in enumerate(stdin, 1):
        if raw.endswith(b"\r\n"):
            body, end = raw[:-2], b"\r\n"
        elif raw.endswith(b"\n"):
            body, end = raw[:-1], b"\n"
        else:
            body, end = raw, b""
        yield _decode(body, no, bad), end


class _Output:
    """stdout for the line filters. On a terminal each line shows at once; into a pipe or a
    file lines go out in 64 KB writes: a write per line cost a quarter of the throughput, and
    under PYTHONUNBUFFERED (or ``python -u``) every write is a system call."""

    _CHUNK = 64 * 1024

    def __init__(self) -> None:
        self._out = sys.stdout.buffer
        self._live = self._out.isatty()
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if self._live:
            self._out.write(data)
            self._out.flush()
            return
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self._CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._out.write(b"".join(self._parts))
            self._parts.clear()
            self._size = 0
        self._out.flush()


def _warn_bad(bad: list[int], args: tuple[str, ...]) -> None:
    if bad:
        what = "argument" if args else "line"
        click.echo(
            f"warning: {len(bad)} {what}(s) were not valid UTF-8 (first: {what} {bad[0]}); "
            "undecodable bytes were replaced with U+FFFD",
            err=True,
        )


_names_opt = click.option(
    "--names/--no-names", default=None,
    help="Also find person names with natasha (slow; default: settings pii.names).",
)


@click.group("pii")
def pii_group() -> None:
    """Find or redact personal data (phones, cards, secrets, ...) line by line."""


@pii_group.command("scan")
@click.argument("text", nargs=-1)
@_names_opt
@click.option("--masked", is_flag=True, help="Print masked descriptions instead of the found text.")
@pass_app
def scan_cmd(app: AppContext, text: tuple[str, ...], names: bool | None, masked: bool) -> None:
    """Print one JSON list of findings per input line (stdin, or TEXT arguments).

    Each finding: {"kind", "start", "end", "text", "detail", "masked"}; offsets are in
    characters of the line without its line break.
    """
    filt = _filter(app, names)
    out = _Output()
    bad: list[int] = []
    try:
        for line, _ in _lines(text, bad):
            items = []
            for f in filt.scan(line):
                d = f.to_dict()
                if masked:
                    d.pop("text")
                items.append(d)
            out.write(json.dumps(items, ensure_ascii=False).encode("utf-8") + b"\n")
    finally:
        out.flush()  # what is done so far, also on Ctrl-C
    _warn_bad(bad, text)


@pii_group.command("redact")
@click.argument("text", nargs=-1)
@_names_opt
@click.option("--dialogue", is_flag=True,
              help="Treat all lines as one dialogue: the same value keeps one placeholder.")
@click.option("--stats", is_flag=True, help="Print redaction counts per kind on stderr.")
@pass_app
def redact_cmd(app: AppContext, text: tuple[str, ...], names: bool | None, dialogue: bool,
               stats: bool) -> None:
    """Print each input line with PII replaced by typed placeholders like <PHONE_1>."""
    from clonebot.pii import RedactionSession

    filt = _filter(app, names)
    out = _Output()
    bad: list[int] = []
    total: Counter = Counter()
    shared = RedactionSession() if dialogue else None
    try:
        for line, end in _lines(text, bad):
            session = shared or RedactionSession()
            out.write(filt.redact(line, session).encode("utf-8") + end)
            if shared is None:
                total.update(session.counts)
    finally:
        out.flush()  # what is done so far, also on Ctrl-C
    if shared is not None:
        total = shared.counts
    _warn_bad(bad, text)
    if stats:
        summary = ", ".join(f"{k}={n}" for k, n in sorted(total.items())) or "nothing found"
        click.echo(f"redacted: {summary}", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(pii_group)
