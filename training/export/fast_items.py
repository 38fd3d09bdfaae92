"""The message pass's fast path: orjson over each chunk's complete messages.

yajl hands every message to ijson's item builder, one event at a time (~1.7 CPU s per 150 MB
of export); orjson parses the same bytes in ~0.7 s. ``FastItems`` reads the bytes yajl would
read (a ``GuardedFile``'s, already checked and repaired), finds the messages from the brackets
outside strings at the message depth (as ``Outline`` scanned them for the chat pass, which
reads each chunk first: ``Scans``), keeps only those under the path that ijson's ``items``
would yield (the keys of the containers above them are read where each opens), checks that
only a comma and whitespace lie between them, and has orjson parse all the complete messages
of a chunk as one array.

orjson accepts less than yajl (no number beyond 64 bits, no ``1e999``) and, where both
accept, builds the same values but for numbers: a float where yajl gives a ``Decimal`` or an
integer beyond 64 bits, which ``to_message`` treats alike (neither is an id, a date or text).
On anything else -- a batch orjson refuses or that holds a value that is not a container, a
path key with an escape in it, a key too far back to see, an authorship key given twice
anywhere read so far (the reader compares those values) -- the rest comes from yajl over a
fresh read of the file, the messages already given skipped: a broken file is refused with the
error yajl gives, where it gives it, and an odd one is read as yajl reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import islice

import numpy as np

try:  # a wheel on every common platform; without it the reader keeps to yajl
    import orjson
except ImportError:  # pragma: no cover - depends on the platform
    orjson = None  # type: ignore[assignment]

from training.export.guard import GuardedFile
from training.export.outline import ESCAPE, STEP, Scans, brackets_outside_strings

_BUF = 1 << 16
_LOOKBACK = 4096  # bytes kept from before a chunk, where a key may begin
_WS = b" \t\r\n"
_KEY_TAIL = re.compile(rb'"([^"]*)"[ \t\r\n]*:[ \t\r\n]*\Z')
# What lies between two messages: a comma and whitespace (before the first, or after the
# last, whitespace only).
_SEPARATOR = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*\Z")


AVAILABLE = orjson is not None


class Unsure(Exception):
    """The fast path cannot tell what yajl would make of these bytes."""


def _path(prefix: str) -> list[tuple[str | None, int]]:
    """ijson's ``items`` prefix ("chats.list.item.messages.item") as what each container
    above the items must be, depth 1 first: (its key in the object above, or None for an
    array's item; its opening bracket). The root is an object."""
    parts = prefix.split(".")
    assert parts[-1] == "item" and parts[0] != "item", prefix
    out: list[tuple[str | None, int]] = [(None, 0x7B)]
    for name, child in zip(parts[:-1], parts[1:]):
        out.append((None if name == "item" else name, 0x5B if child == "item" else 0x7B))
    return out


class FastItems:
    """``ijson.items(src, prefix)``'s values, from orjson where it can be sure, else from
    ``slow()`` (ijson over a fresh read of the file) with the items already given skipped."""

    def __init__(self, src: GuardedFile, prefix: str, slow: Callable[[], Iterator],
                 scans: Scans | None = None):
        """``scans``: what the chat pass's outline found in the chunks it read first."""
        self.src = src
        self.slow = slow
        self.scans = scans
        self.fell_back = False
        self._path = _path(prefix)
        self._it = self._run()

    def __iter__(self) -> Iterator:
        return self._it  # the generator itself: islice then steps it without a Python call

    def _run(self) -> Iterator:
        given = 0
        try:
            for batch in _Walk(self.src, self._path, self.scans).batches():
                given += len(batch)  # a batch is asked for once the one before is all given
                yield from batch
            return
        except Unsure:
            pass
        self.fell_back = True
        rest = self.slow()
        for _ in islice(rest, given):
            pass
        yield from rest


class _Walk:
    """One read of ``src``: the complete messages of each chunk, as orjson builds them."""

    def __init__(self, src: GuardedFile, path: list[tuple[str | None, int]],
                 scans: Scans | None = None):
        self.src = src
        self.scans = scans
        self.path = path
        self.md = len(path) + 1  # the depth of a message's own brackets
        self.level = 0
        self.in_string = False
        self.matches = [True]  # per open container above the messages: the path so far fits
        # the last bytes before the chunk (as read, escapes blanked): a key may start there
        self.prev = (b"", b"")
        # In a message array: its bytes from ``c`` (the end of what was given) on, as parts.
        self.c = -1  # -1: not in a message array
        self.parts: list[bytes] = []
        self.parts_at = 0  # absolute offset of parts[0]
        self.first = True  # nothing given yet from this array
        self.spans: list[int] = []  # open, close, open, close... (absolute), not yet given

    def batches(self) -> Iterator[list]:
        while True:
            data = self.src.read(_BUF)
            if not data:
                if self.c >= 0:  # the file ends inside a message array: yajl says how
                    raise Unsure
                return
            if self.c >= 0:
                self.parts.append(data)
            yield from self._chunk(data, self.src.offset)  # where the chunk starts

    def _chunk(self, data: bytes, base: int) -> Iterator[list]:
        s = ESCAPE.sub(b"xx", data) if b"\\" in data else data
        arr = np.frombuffer(s, np.uint8)
        known = self.scans.take(base, len(data)) if self.scans is not None else None
        if known is not None:  # the outline scanned these very bytes
            at, lv, self.in_string = known
        else:
            at, lv = self._scan(arr), None
        if len(at):
            yield from self._brackets(data, s, base, arr, at, lv)
        if self.c >= 0 and len(self.spans) >= 2:
            n = len(self.spans) & ~1
            done, self.spans = self.spans[:n], self.spans[n:]
            yield self._batch(done)
            self.first = False
        if len(data) >= _LOOKBACK:
            self.prev = (data[-_LOOKBACK:], s[-_LOOKBACK:])
        else:
            prev, prev_s = self.prev
            self.prev = ((prev + data)[-_LOOKBACK:], (prev_s + s)[-_LOOKBACK:])

    def _scan(self, arr):
        at, self.in_string = brackets_outside_strings(arr, self.in_string)
        return at

    def _brackets(self, data: bytes, s: bytes, base: int, arr, at, lv) -> Iterator[list]:
        """``lv``: the nesting after each bracket, when known."""
        md = self.md
        step = STEP[arr[at]]
        if lv is None:
            lv = np.cumsum(step)
            lv += self.level
        self.level = int(lv[-1])
        opens = step > 0
        msg = (opens & (lv == md)) | (~opens & (lv == md - 1))
        path = (opens & (lv < md)) | (~opens & (lv < md - 1))
        pidx = np.flatnonzero(path)
        midx = np.flatnonzero(msg)
        mpos = (at[midx] + base).tolist()
        ends = np.searchsorted(midx, pidx).tolist()
        ends.append(len(mpos))
        # the path events as Python values: few, but numpy's scalars cost more one by one
        p_at, p_lv = at[pidx], lv[pidx]
        events = [*zip(p_at.tolist(), p_lv.tolist(), opens[pidx].tolist(), arr[p_at].tolist())]
        lo = 0
        for k, hi in enumerate(ends):
            if self.c >= 0 and hi > lo:
                self.spans += mpos[lo:hi]
            lo = hi
            if k == len(events):
                break
            i, d, is_open, bracket_here = events[k]
            if is_open:  # a container at depth d opens
                key, bracket = self.path[d - 1]
                ok = self.matches[-1] and bracket_here == bracket
                if ok and key is not None:
                    ok = self._key_is(key, data, s, i)
                self.matches.append(ok)
                if ok and d == md - 1:  # a message array begins after byte i
                    self.c = base + i + 1
                    self.parts, self.parts_at = [data[i + 1:]], self.c
                    self.first, self.spans = True, []
            else:  # the container at depth d + 1 closes
                if len(self.matches) < 2:  # more closed than opened: yajl says where
                    raise Unsure
                if self.c >= 0 and d == md - 2:  # the message array ends at byte i
                    if self.spans:
                        yield self._batch(self.spans)
                    buf = self._joined()
                    if buf[: base + i - self.parts_at].strip(_WS):  # no trailing comma
                        raise Unsure
                    self.c, self.parts, self.spans = -1, [], []
                self.matches.pop()

    def _joined(self) -> bytes:
        if len(self.parts) != 1:
            self.parts = [b"".join(self.parts)]
        return self.parts[0]

    def _batch(self, spans: list[int]) -> list:
        """The messages ``spans`` (open, close, ...), given; ``c`` moves past them."""
        if self.src.guard.duplicate_keys:  # the reader compares their values: yajl's
            raise Unsure
        buf = self._joined()
        at = self.parts_at
        o = spans[0] - at
        gap = buf[self.c - at: o]
        if gap.strip(_WS) if self.first else not _SEPARATOR.match(gap):
            raise Unsure
        end = spans[-1] - at + 1
        try:
            values = orjson.loads(b"[" + buf[o:end] + b"]")
        except orjson.JSONDecodeError:
            raise Unsure from None
        if len(values) * 2 != len(spans):  # something between them that is not a container
            raise Unsure
        self.c = spans[-1] + 1
        self.parts, self.parts_at = [buf[end:]], self.c
        return values

    def _key_is(self, key: str, data: bytes, s: bytes, i: int) -> bool:
        """Is the key right before the bracket at ``data[i]`` ``key``? Unsure when it has
        an escape (ijson reads it unescaped) or begins more than ``_LOOKBACK`` bytes back."""
        prev, prev_s = self.prev
        lit = b'"%s"' % key.encode()
        if i >= 64:  # the usual case, without a regex: '"key": [' (escapes blanked in s)
            t = s[i - 64: i].rstrip(_WS)
            if t.endswith(b":"):
                t = t[:-1].rstrip(_WS)
                at = i - 64 + len(t) - len(lit)
                if t.endswith(lit) and data[at: at + len(lit)] == lit:
                    return True
        for n in (256, i + len(prev)):  # a key is short: its tail first (many chats)
            if n > i:
                lo = max(0, len(prev) - (n - i))
                window, raw = prev_s[lo:] + s[:i], prev[lo:] + data[:i]
            else:
                window, raw = s[i - n: i], data[i - n: i]
            m = _KEY_TAIL.search(window)
            if m is not None:
                break
        else:
            raise Unsure
        raw = raw[m.start(1): m.end(1)]
        if b"\\" in raw:
            raise Unsure
        return raw == key.encode()
