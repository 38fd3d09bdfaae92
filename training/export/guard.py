"""The bytes ijson sees: checked once per file, repaired where JSON allows it.

ijson's C backend (yajl2_c) is fast, but it trusts its input in ways an export must not be
trusted (measured with ijson 3.3-3.6):

- depth: every open container keeps its full prefix string ("messages.item.text.item..."),
  so memory grows with the SQUARE of the nesting depth: a 200 KB file nested 100,000 levels
  deep needs ~25 GB;
- integers longer than Python's int/str limit (4300 digits) crash the interpreter;
- a lone UTF-16 surrogate escape (``"\\udc80"``, valid JSON) raises UnicodeDecodeError.

So every pass reads the file through a ``GuardedFile``. The passes over one file share one
``FileGuard``: whichever pass is furthest scans the new bytes (numpy over the bytes that
matter: quotes and brackets; ~0.2 s per 150 MB) and refuses nesting deeper than
``MAX_DEPTH`` or a number longer than ``MAX_DIGITS`` before the parser sees them. Lone
surrogate escapes become ``\\ufffd`` (the same length, so byte positions in error messages
stay right) and are counted; a UTF-8 byte order mark becomes spaces.

A chunk is handed out only up to a safe cut: a backslash among its last 12 bytes and the
run it belongs to wait for the next read, so an escape (``\\ud83d\\ude00``) is always
judged whole.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import numpy as np

from clonebot.errors import ExportError

# tdesktop nests about ten levels (root, chats, list, chat, messages, message, reactions,
# reaction, recent, item); ten times that is still nothing to the parser.
MAX_DEPTH = 100
# Below the int/str conversion limit that crashes yajl2_c (4300 by default).
MAX_DIGITS = min(sys.get_int_max_str_digits() or 4300, 4300) - 1
_BUF = 1 << 16
_HOLD = 12  # longest escape we judge: a surrogate pair "\ud83d\ude00"
_BACKSLASH = 0x5C
_BOM = b"\xef\xbb\xbf"

_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = np.zeros(256, np.int64)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
# Long digit runs are found by sampling every _STRIDE-th byte: a run longer than
# MAX_DIGITS covers at least _SAMPLES consecutive samples.
_STRIDE = max(1, MAX_DIGITS // 100)
_SAMPLES = (MAX_DIGITS + 1) // _STRIDE
_DIGITS = b"0123456789"
_DIGIT_MAP = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E for b in range(256))
_ESCAPE = re.compile(rb"\\.", re.S)
_LONG_RUN = re.compile(rb"[0-9]{%d,}" % (MAX_DIGITS + 1))
_SURROGATES = re.compile(
    rb"\\\\"  # an escaped backslash: consumed first, so "\\\\udc80" is not an escape
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    rb"|\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class FileGuard:
    """What the passes over one file have checked so far (see the module docstring)."""

    def __init__(self, name: str):
        self.name = name
        self.frontier = 0  # bytes [0, frontier) are checked
        self.in_string = False
        self.depth = 0
        self.digit_run = 0  # digits (outside strings) that end the checked bytes
        self.repaired = 0  # lone surrogate escapes replaced by U+FFFD

    def check(self, offset: int, data: bytes, repairs: list[int]) -> None:
        """``data`` starts at byte ``offset``; ``repairs`` are offsets into it."""
        end = offset + len(data)
        if end <= self.frontier:
            return
        skip = self.frontier - offset
        self.repaired += sum(1 for r in repairs if r >= skip)
        self._scan(data[skip:] if skip else data, self.frontier)
        self.frontier = end

    def _scan(self, w: bytes, base: int) -> None:
        start_in_string, start_depth = self.in_string, self.depth
        # Drop every escape (backslash + the byte after it): each '"' left delimits a string.
        s = _ESCAPE.sub(b"", w) if b"\\" in w else w
        r = s.translate(None, _NOT_STRUCTURAL)
        if r:
            a = np.frombuffer(r, np.uint8)
            quotes = np.cumsum(a == 0x22, dtype=np.int64)
            if self.in_string:
                quotes += 1
            step = _STEP[a]
            step[(quotes & 1).astype(bool)] = 0  # brackets inside strings
            depth = np.cumsum(step)
            depth += self.depth
            if int(depth.max()) > MAX_DEPTH:
                pos = base + _scan_slowly(w, start_in_string, start_depth)[2]
                raise ExportError(
                    f"{self.name} is not a Telegram Desktop export: its JSON nests deeper "
                    f"than {MAX_DEPTH} levels (at byte {pos})")
            self.depth = int(depth[-1])
            self.in_string = bool(quotes[-1] & 1)
        self._check_digits(w, base, start_in_string, start_depth)

    def _check_digits(self, w: bytes, base: int, in_string: bool, depth: int) -> None:
        lead = len(w) - len(w.lstrip(_DIGITS))
        if self.digit_run and lead:
            run = self.digit_run + lead
            if run > MAX_DIGITS:
                self._too_long(base)
            if lead == len(w):
                self.digit_run = run
                return
        # Runs inside this chunk: cheap sampling first, exact check only on a hit.
        if b"0" * _SAMPLES in w[::_STRIDE].translate(_DIGIT_MAP):
            for m in _LONG_RUN.finditer(w):
                if not _scan_slowly(w[: m.start()], in_string, depth)[0]:
                    self._too_long(base + m.start())
        tail = len(w) - len(w.rstrip(_DIGITS))
        self.digit_run = tail if tail and not self.in_string else 0

    def _too_long(self, pos: int) -> None:
        raise ExportError(
            f"{self.name} is not a Telegram Desktop export: a number with more than "
            f"{MAX_DIGITS} digits (near byte {pos})")


def _scan_slowly(w: bytes, in_string: bool, depth: int) -> tuple[bool, int, int]:
    """(in_string, depth, position where depth first exceeds MAX_DEPTH or len(w)) after
    ``w``: the plain state machine, for error positions (and tests of the fast scan)."""
    escaped = False
    for i, c in enumerate(w):
        if in_string:
            if escaped:
                escaped = False
            elif c == _BACKSLASH:
                escaped = True
            elif c == 0x22:
                in_string = False
        elif c == 0x22:
            in_string = True
        elif c == 0x5B or c == 0x7B:
            depth += 1
            if depth > MAX_DEPTH:
                return in_string, depth, i
        elif c == 0x5D or c == 0x7D:
            depth -= 1
    return in_string, depth, len(w)


def _safe_cut(buf: bytes) -> int:
    """How much of ``buf`` can be handed out now: all of it unless a backslash is among
    the last bytes; then everything before that backslash's run (whose parity matters)."""
    i = buf.find(b"\\", max(0, len(buf) - _HOLD))
    if i < 0:
        return len(buf)
    return len(buf[:i].rstrip(b"\\"))


def _repair_surrogates(buf: bytes, cut: int) -> tuple[bytes, int, list[int]]:
    """Lone surrogate escapes that start before ``cut`` -> ``\\ufffd``; a valid pair that
    straddles ``cut`` moves it back, so the pair is judged whole next time.
    Returns (buf, cut, offsets of the repairs)."""
    repairs: list[int] = []
    pieces: list[bytes] = []
    last = 0
    for m in _SURROGATES.finditer(buf):
        start, end = m.span()
        if start >= cut:
            break
        if end - start == 12:  # a valid pair
            if end > cut:
                cut = start
                break
        elif end - start == 6:  # a lone surrogate ("\\\\" pairs are 2 bytes: kept)
            pieces += (buf[last:start], b"\\ufffd")
            last = end
            repairs.append(start)
    if repairs:
        pieces.append(buf[last:])
        buf = b"".join(pieces)
    return buf, cut, repairs


class GuardedFile:
    """A binary file as the JSON parser should see it; knows how far it got (progress,
    error positions) and whether a ``watch`` byte string occurred in what it handed out."""

    def __init__(self, f, guard: FileGuard, progress: Callable[[int], None] | None = None,
                 watch: bytes = b""):
        self.f = f
        self.guard = guard
        self.progress = progress
        self.watch = watch
        self.seen = False
        self.offset = 0  # bytes handed out before ``chunk``
        self.prev = b""  # the two chunks handed out last (error positions)
        self.chunk = b""
        self._pending = b""  # read from the file, not handed out yet
        self._eof = False

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson probes with read(0) for bytes vs str
            return b""
        n = n if n > 0 else _BUF
        while True:
            if not self._eof:
                data = self.f.read(n)
                if not data:
                    self._eof = True
                buf = self._pending + data if self._pending else data
            else:
                buf = self._pending
            if not (self.offset or self.chunk) and buf.startswith(_BOM):
                buf = b"   " + buf[3:]
            cut = len(buf) if self._eof else _safe_cut(buf)
            repairs: list[int] = []
            if b"\\" in buf:  # memchr; a two-byte search for "\\u" costs 10x more
                buf, cut, repairs = _repair_surrogates(buf, cut)
            out, self._pending = buf[:cut], buf[cut:]
            if out or self._eof:
                break
        start = self.offset + len(self.chunk)
        self.guard.check(start, out, repairs)
        if self.watch and not self.seen:
            w = self.watch
            self.seen = w in self.chunk[-len(w):] + out[: len(w)] or w in out
        self.offset = start
        self.prev, self.chunk = self.chunk, out
        if self.progress is not None and out:
            self.progress(len(out))
        return out

    def rewind(self) -> None:
        """Start over from the beginning of the file (bytes already checked stay checked)."""
        self.f.seek(0)
        self.offset = 0
        self.prev = self.chunk = self._pending = b""
        self._eof = False
        self.seen = False

    def locate(self, snippet: bytes, caret: int) -> tuple[int, int, int] | None:
        """(byte offset, line, column) of an error yajl showed as ``snippet`` + caret."""
        window = self.prev + self.chunk
        base = self.offset - len(self.prev)
        # yajl shows the context with whitespace control characters as spaces.
        flat = window.translate(_WS_TO_SPACE)
        # The error is in the chunk being parsed: the first match from its start on.
        i = flat.find(snippet, max(0, len(self.prev) - len(snippet))) if snippet else -1
        if i < 0:
            return None
        pos = base + i + caret
        # Error path only: count lines by re-reading the file up to the error.
        line, col = 1, pos + 1
        try:
            here = self.f.tell()
            self.f.seek(0)
            done = 0
            last_nl = -1
            while done < pos:
                buf = self.f.read(min(1 << 20, pos - done))
                if not buf:
                    break
                line += buf.count(b"\n")
                j = buf.rfind(b"\n")
                if j >= 0:
                    last_nl = done + j
                done += len(buf)
            col = pos - last_nl
            self.f.seek(here)
        except (OSError, ValueError):
            pass
        return pos, line, col

    @property
    def handed_out(self) -> int:
        return self.offset + len(self.chunk)


_WS_TO_SPACE = bytes.maketrans(b"\n\r\t", b"   ")
