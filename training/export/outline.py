"""An export as the chat pass needs it: every message emptied to ``{}``.

The chat pass (``reader``) wants each chat's name, type and id, the order of its keys and how
many messages it holds; the message pass reads every byte anyway. Handing the chat pass the
file with each message's inside cut out spares it parsing the messages a second time (yajl
builds a Python object for every key and value it meets: ~1.1 s per 150 MB, where finding
the cuts costs ~0.4 s).

A message is any value opened at the message depth (an object, or an array where a message
should be); what lies between messages (commas, and any value that is not a container: the
message pass yields those too, as malformed messages) is kept, so every message still counts
once. Brackets are told from brackets in strings by the quotes before them, escapes first
turned into two plain bytes; ``GuardedFile`` never ends a chunk inside an escape.
"""

from __future__ import annotations

import re

import numpy as np

ESCAPE = re.compile(rb"\\.", re.S)  # an escape: turned into two plain bytes before a scan
STEP = np.zeros(256, np.int64)  # what each byte does to the nesting: brackets +1 / -1
STEP[list(b"[{")] = 1
STEP[list(b"]}")] = -1
_QUOTE = 0x22


class Scans:
    """What the outline found in each chunk, kept for the message pass (``FastItems``), which
    reads the same bytes later in the same chunks: (where the chunk starts, its length) ->
    (its brackets outside strings, the nesting after each, in a string at its end). Taken
    once; at most ``limit`` brackets (4 MiB) are kept (the outline runs ahead by about a chat:
    beyond that, the message pass scans for itself)."""

    def __init__(self, limit: int = 1 << 18):
        self.limit = limit
        self.kept = 0
        self._by_start: dict[int, tuple] = {}

    def put(self, start: int, size: int, at, level, in_string: bool) -> None:
        if self.kept + len(at) <= self.limit:
            self._by_start[start] = (size, at, level, in_string)
            self.kept += len(at)

    def take(self, start: int, size: int) -> tuple | None:
        """(brackets, their nesting, in a string at the end) of the chunk, or None."""
        got = self._by_start.pop(start, None)
        if got is None:
            return None
        self.kept -= len(got[1])
        return got[1:] if got[0] == size else None


def brackets_outside_strings(arr: np.ndarray, in_string: bool) -> tuple[np.ndarray, bool]:
    """Where the brackets outside strings are in a chunk (``arr``: its bytes, escapes turned
    into two plain bytes), and whether it ends inside a string; ``in_string``: whether it
    begins inside one."""
    folded = arr | 0x20  # "[" -> "{", "]" -> "}" (and no other byte to either)
    at = np.flatnonzero((folded == 0x7B) | (folded == 0x7D))
    quote = (arr == _QUOTE).view(np.uint8)
    if not len(at):
        return at, in_string ^ bool(np.count_nonzero(quote) & 1)
    # quotes before each bracket (and after the last), counted mod 256: their parity says
    # whether the bracket is in a string
    seg = np.add.reduceat(quote, np.concatenate(([0], at)))
    before = np.cumsum(seg, dtype=np.uint8)
    return at[(before[:-1] & 1) == in_string], in_string ^ bool(before[-1] & 1)


class Outline:
    """``read(n)`` like the file it wraps (a ``GuardedFile`` at the start of the file), with
    the inside of every container opened at ``depth`` left out: the number of containers
    open inside a message's own brackets (the reader's ``message_depth``: 6 in a full
    export, 3 in a single chat's). ``scans``: where to keep what each chunk's scan found."""

    def __init__(self, src, depth: int, scans: Scans | None = None):
        self.src = src
        self.depth = depth
        self.scans = scans
        self.level = 0  # containers open at the end of what was read
        self.in_string = False
        self.inside = False  # within a message being left out

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson probes with read(0) for bytes vs str
            return b""
        while True:
            data = self.src.read(n)
            if not data:
                return data
            out = self._cut(data)
            if out:  # an empty read would end the parse: a chunk all inside a message is skipped
                return out

    def _cut(self, data: bytes) -> bytes:
        arr = np.frombuffer(ESCAPE.sub(b"xx", data) if b"\\" in data else data, np.uint8)
        at, self.in_string = brackets_outside_strings(arr, self.in_string)
        if len(at):
            step = STEP[arr[at]]
            level = np.cumsum(step)
            level += self.level
            self.level = int(level[-1])
        else:
            level = at
        if self.scans is not None:
            self.scans.put(self.src.offset, len(data), at, level, self.in_string)
        if not len(at):
            return b"" if self.inside else data
        opens = (step > 0) & (level == self.depth)
        edge = opens | ((step < 0) & (level == self.depth - 1))
        if not edge.any():
            return b"" if self.inside else data
        # Opens and closes alternate: a message's inside runs from after its opening bracket
        # to its closing one.
        cuts = (at[edge] + opens[edge]).tolist()
        inside = self.inside
        self.inside = inside ^ (len(cuts) & 1 == 1)
        if not inside:  # kept from the start
            cuts.insert(0, 0)
        if not self.inside:  # kept to the end
            cuts.append(len(data))
        return b"".join([data[i:j] for i, j in zip(cuts[::2], cuts[1::2])])
