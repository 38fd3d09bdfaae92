"""A WhatsApp chat file as entries: one per header line, with the lines that follow it.

The text is UTF-8 (a BOM is skipped; a file re-saved as UTF-16 by an editor is read too),
lines end in LF or CRLF. A line is a header when it starts (after bidi marks) with a
timestamp WhatsApp writes: ``[stamp] `` (iOS) or ``stamp - `` (Android), see ``stamps``.
Every other line continues the message above it: WhatsApp writes a multi-line message as
its lines, with no mark, so a continuation line that happens to look like a header cannot
be told from one (nothing can). A line that is not UTF-8, or text before the first header,
is an ``UNREADABLE`` entry: skipped and counted, the rest is read.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from training.export.whatsapp.stamps import MARKS, Stamp, parse_stamp

_LEAD = MARKS + " \t"
_MAX_STAMP = 80
# WhatsApp caps a message at 65,536 characters: a longer line, or a message of more than
# _MAX_MESSAGE bytes, is not from WhatsApp (a file with no line ends, a log appended).
_MAX_LINE = 1 << 20
_MAX_MESSAGE = 4 << 20


@dataclass(slots=True)
class Entry:
    stamp: Stamp | None  # None: an unreadable line
    sender: str | None  # as written; None: a system line ("Alice created group ...")
    first: str  # the body's first line
    more: list[str] | None  # the lines after it
    ios: bool  # "[stamp] " header
    size: int = 0  # bytes of its lines (progress)


def split_header(line: str) -> tuple[Stamp, str, bool] | None:
    """(stamp, the rest of the line, ios?) if ``line`` is a header line."""
    s = line.lstrip(_LEAD) if not line[:1].isascii() or line[:1] in " \t" else line
    if not s:
        return None
    c = s[0]
    if c == "[":
        end = s.find("]", 1, _MAX_STAMP)
        if end < 0:
            return None
        st = parse_stamp(s[1:end])
        if st is None:
            return None
        rest = s[end + 1:]
        return st, rest[1:] if rest[:1] == " " else rest, True
    if not c.isdecimal():
        return None
    for sep in (" - ", " – ", ": "):  # ": " after the stamp: iPhone exports before ~2017
        end = s.find(sep, 0, _MAX_STAMP)
        if end > 0:
            st = parse_stamp(s[:end])
            if st is not None:
                return st, s[end + len(sep):], sep == ": "
    return None


def split_sender(rest: str) -> tuple[str | None, str]:
    """(sender, body) of a header's rest; sender None for a system line."""
    i = rest.find(": ")
    if i < 0:
        if rest.endswith(":") and 0 < len(rest) <= 101:  # an empty message
            i, body = len(rest) - 1, ""
        else:
            return None, rest
    else:
        body = rest[i + 2:]
    sender = rest[:i]
    # A system line with a colon in it ('Bob changed the subject to "Trip: day 1"'); names
    # do not hold quotes or links.
    if not sender.strip(_LEAD) or len(sender) > 100 or any(q in sender for q in '"“”«»„') \
            or "://" in sender:
        return None, rest
    return sender, body


def decoded_lines(f: BinaryIO) -> Iterator[tuple[str | None, int]]:
    """(line without its end, bytes) of a binary stream; None for a line not in UTF-8, or
    longer than any WhatsApp writes (read in pieces: memory stays flat whatever the file)."""
    if not hasattr(f, "peek"):
        f = io.BufferedReader(f)  # type: ignore[arg-type]
    head = f.peek(4)[:4]  # type: ignore[attr-defined]
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = io.TextIOWrapper(f, encoding="utf-16", errors="replace", newline=None)
        while line := text.readline(_MAX_LINE):
            if len(line) == _MAX_LINE and not line.endswith("\n"):
                n = len(line)
                while (more := text.readline(_MAX_LINE)) and not more.endswith("\n"):
                    n += len(more)
                yield None, 2 * (n + len(more))
                continue
            yield line.rstrip("\n"), len(line) * 2
        return
    first = True
    while raw := f.readline(_MAX_LINE):
        n = len(raw)
        if n == _MAX_LINE and not raw.endswith(b"\n"):
            while (more := f.readline(_MAX_LINE)) and not more.endswith(b"\n"):
                n += len(more)
            yield None, n + len(more)
            continue
        if first:
            first = False
            if raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
        raw = raw.rstrip(b"\r\n")
        try:
            yield raw.decode("utf-8"), n
        except UnicodeDecodeError:
            yield None, n


def entries(open_stream: Callable[[], BinaryIO]) -> Iterator[Entry]:
    """The file's entries in file order (see the module docstring). A line that is not
    UTF-8 inside a message, or past ``_MAX_MESSAGE`` bytes of it, is dropped from it and
    comes as an unreadable entry after it."""
    with open_stream() as f:
        cur: Entry | None = None
        bad: list[int] = []  # sizes of undecodable lines inside ``cur``
        for line, n in decoded_lines(f):
            if line is None:
                if cur is None:
                    yield Entry(None, None, "", None, False, n)
                else:
                    bad.append(n)
                continue
            h = split_header(line) if line else None
            if h is not None:
                if cur is not None:
                    yield cur
                    for size in bad:
                        yield Entry(None, None, "", None, False, size)
                    bad = []
                st, rest, ios = h
                sender, body = split_sender(rest)
                cur = Entry(st, sender, body, None, ios, n)
            elif cur is not None:
                if cur.size + n > _MAX_MESSAGE:
                    bad.append(n)
                    continue
                if cur.more is None:
                    cur.more = [line]
                else:
                    cur.more.append(line)
                cur.size += n
            elif line.strip(_LEAD):
                yield Entry(None, None, "", None, False, n)  # text before the first header
        if cur is not None:
            yield cur
            for size in bad:
                yield Entry(None, None, "", None, False, size)
