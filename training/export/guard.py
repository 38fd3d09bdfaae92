"""The bytes ijson sees: checked once per file, repaired where JSON allows it.

ijson's C backend (yajl2_c) is fast, but it trusts its input in ways an export must not be
trusted (measured with ijson 3.3-3.6):

- depth: every open container keeps its full prefix string ("messages.item.text.item..."),
  so memory grows with the SQUARE of the nesting depth: a 200 KB file nested 100,000 levels
  deep needs ~25 GB;
- integers longer than Python's int/str limit (4300 digits) crash the interpreter;
- a lone UTF-16 surrogate escape (``"\\udc80"``, valid JSON) raises UnicodeDecodeError;
- a string is held whole, however long: one 50 MB message took 2.8 GB on its way through;
- a key given twice in one object keeps its last value: ``"from_id"`` twice could make a
  friend's words the owner's.

So every pass reads the file through a ``GuardedFile``. The passes over one file share one
``FileGuard``: whichever pass is furthest scans the new bytes (numpy over the bytes that
matter: quotes and brackets; ~0.2 s per 150 MB) and refuses nesting deeper than
``MAX_DEPTH``, a number longer than ``MAX_DIGITS``, more than ``MAX_RUN`` bytes outside any
string (an export has a quoted key every few bytes: an endless stream of whitespace or
numbers is not one) and a message object larger than ``MAX_MESSAGE``, before the parser
sees them. What it changes, it changes the same way for every pass:

- lone surrogate escapes become ``\\ufffd`` (the same length, so byte positions in error
  messages stay right) and are counted; a UTF-8 byte order mark becomes spaces;
- a string longer than ``MAX_RUN`` bytes is cut (its first ``MAX_RUN`` bytes, at a
  character boundary, then its closing quote): the parser never holds more of it;
- a key that decides whose words a message holds (``AUTHORSHIP_KEYS``), given again in the
  same object, is renamed (``"from_id"`` -> ``"#rom_id"``, a third time ``"$rom_id"``:
  same length), so the reader sees both values and can refuse to guess.

A chunk is handed out only up to a safe cut: a backslash among its last 12 bytes and the
run it belongs to wait for the next read, so an escape (``\\ud83d\\ude00``) is always
judged whole.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable

import numpy as np

from clonebot.errors import ExportError

# tdesktop nests about ten levels (root, chats, list, chat, messages, message, reactions,
# reaction, recent, item); ten times that is still nothing to the parser.
MAX_DEPTH = 100
# Below the int/str conversion limit that crashes yajl2_c (4300 by default).
MAX_DIGITS = min(sys.get_int_max_str_digits() or 4300, 4300) - 1
# A Telegram message holds 4096 characters (a caption 1024): at most ~24 KiB as JSON, even
# escaped. Longer strings are cut here, and nothing outside strings runs this long.
MAX_RUN = 256 << 10
# One message object, as handed to the parser (strings already cut): a message holds two
# copies of its text (``text``, ``text_entities``) and a few short fields.
MAX_MESSAGE = 16 << 20
# Keys that decide whose words a message holds (``training.export.messages``).
AUTHORSHIP_KEYS = ("from_id", "forwarded_from", "forwarded_from_id", "saved_from", "via_bot")
# key -> (its name when given a second time, a third or later time in one object)
DUPLICATE_NAMES = {k: ("#" + k[1:], "$" + k[1:]) for k in AUTHORSHIP_KEYS}
_MAX_RENAMES = 1 << 20  # more duplicated keys than that: not a file worth reading
_BUF = 1 << 16
_HOLD = 12  # longest escape we judge: a surrogate pair "\ud83d\ude00"
_BACKSLASH = 0x5C
_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"

# Markers (bytes 1-5, never raw in valid JSON) put in place of an authorship key's first
# letter in the scanned copy, so the structural scan sees where each such key stands.
_MARKS = {i + 1: (b'"%s"' % k.encode(), b'"%c%s"' % (i + 1, k[1:].encode()))
          for i, k in enumerate(AUTHORSHIP_KEYS)}
# "ed_from" is in the three keys ending in "from" or "from_id" other than from_id itself:
# one search finds where each may stand (marker, literal, offset of "ed_from" in it).
_ED_FROM = b"ed_from"
_ED_FROM_KEYS = tuple((m, _MARKS[m][0], _MARKS[m][0].index(_ED_FROM)) for m in (2, 3, 4))
_MANY = 64
# What the scan keeps: quotes, brackets, colons (a marked string followed by one is a key),
# markers.
_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'"[]{}:' and b not in _MARKS)
_COLON = 0x3A
# A chunk never ends inside one of these keys, nor between one and its colon (see
# _safe_cut): each is judged whole.
_KEY_LITERALS = {lit for lit, _ in _MARKS.values()}
_KEY_PREFIXES = {lit[:i] for lit in _KEY_LITERALS for i in range(1, len(lit))}
_KEY_HOLD = max(len(lit) for lit in _KEY_LITERALS)
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
# Whole escapes, a surrogate pair as one: where a string may not be cut.
_FULL_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.", re.S)
_LONG_RUN = re.compile(rb"[0-9]{%d,}" % (MAX_DIGITS + 1))
_SURROGATES = re.compile(
    rb"\\\\"  # an escaped backslash: consumed first, so "\\\\udc80" is not an escape
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    rb"|\\u[dD][c-fC-F][0-9a-fA-F]{2}")


_HTML = re.compile(rb"<(!doctype html|html|head|meta|!--)", re.IGNORECASE)


def html_export(where: object) -> str:
    """The one line for Telegram Desktop's HTML export (its default format)."""
    return (f"{where} is Telegram Desktop's HTML export (its default): export again with "
            "Format 'Machine-readable JSON' (Settings > Advanced > Export Telegram data) and "
            "pass the result.json it writes")


def first_byte_problem(name: str, data: bytes) -> str | None:
    """Why ``data`` (a file's first bytes) cannot start an export, or None. An export is a
    JSON object: anything else is refused on its first byte, before more is read."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and data[1] == 0 and data[0]):
        return (f"{name} is UTF-16 text, not the UTF-8 JSON Telegram Desktop writes: "
                "export it again, or convert it to UTF-8")
    head = data[3:] if data.startswith(_BOM) else data
    head = head.lstrip(_WS)
    if not head:
        return None
    c = head[0]
    if c == 0x7B:  # {
        return None
    if c == 0x5B:  # [
        return f"{name} is not a Telegram Desktop export: top level is an array"
    if c in b'"-0123456789tfn':
        return f"{name} is not a Telegram Desktop export: top level is not an object"
    if c == 0x3C and _HTML.match(head[:64]):  # <
        return html_export(name)
    shown = f" {chr(c)!r}" if 0x20 < c < 0x7F else ""
    hint = " (a zip archive? unzip it and pass result.json)" if head[:2] == b"PK" else ""
    return (f"{name} is not JSON: its first byte is 0x{c:02x}{shown}, and an export starts "
            f"with '{{'{hint}")


class FileGuard:
    """What the passes over one file have checked so far, and what they must all change
    (see the module docstring). Positions are in the file's bytes ("source")."""

    def __init__(self, name: str):
        self.name = name
        self.frontier = 0  # bytes [0, frontier) are checked
        self.in_string = False
        self.depth = 0
        self.digit_run = 0  # digits (outside strings) that end the checked bytes
        self.repaired = 0  # lone surrogate escapes replaced by U+FFFD
        self.strings_cut = 0  # strings longer than MAX_RUN
        self.duplicate_keys = 0  # authorship keys renamed (see DUPLICATE_NAMES)
        # Depth of the message objects, once the reader knows the layout; their size is
        # checked from then on.
        self.message_depth: int | None = None
        self._last_quote = -1  # position of the last unescaped quote
        self._started = False  # a byte other than whitespace was seen
        # [start, end) ranges not handed out (end None: the string is still being cut)
        self._cut_starts: list[int] = []
        self._cut_ends: list[int | None] = []
        self.cut_bytes = 0  # bytes of [0, frontier) in those ranges
        self._renames: list[int] = []  # positions of a renamed key's first letter
        self._rename_to: list[int] = []  # the byte put there
        # per marker: (depth of its last key, least depth since, how many in that object)
        self._keys: dict[int, tuple[int, int, int]] = {}
        self._message_from = 0  # handed-out position no message began before

    # -- scanning (the pass that is furthest) ------------------------------------------------
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
        # Every escape (backslash + the byte after it) becomes "xx": each '"' left
        # delimits a string, and positions stay those of the file.
        s = _ESCAPE.sub(b"xx", w) if b"\\" in w else w
        # Authorship keys: a marker in place of the first letter (same length).
        s, marked = _mark_keys(s)
        r = s.translate(None, _NOT_STRUCTURAL)
        if r:
            a = np.frombuffer(r, np.uint8)
            quotes = np.cumsum(a == 0x22, dtype=np.int64)
            if self.in_string:
                quotes += 1
            outside = quotes & 1
            outside ^= 1
            step = _STEP.take(a)
            step *= outside  # brackets inside strings do not count
            depth = np.cumsum(step)
            depth += self.depth
            if int(depth.max()) > MAX_DEPTH:
                pos = base + _scan_slowly(w, start_in_string, start_depth)[2]
                raise ExportError(
                    f"{self.name} is not a Telegram Desktop export: its JSON nests deeper "
                    f"than {MAX_DEPTH} levels (at byte {pos})")
            if marked or self._keys:
                self._duplicate_keys(a, depth, marked, s, base)
            self.depth = int(depth[-1])
            self.in_string = not outside[-1]
            low = int(depth.min())
        else:
            low = self.depth
        self._check_digits(w, base, start_in_string, start_depth)
        self._check_runs(w, s, base, start_in_string)
        if self.message_depth is not None:
            self._check_message(low, base + len(w))

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

    # -- long runs: strings are cut, anything else is refused -----------------------------------
    def _check_runs(self, w: bytes, s: bytes, base: int, in_string: bool) -> None:
        if not self._started:
            if w.strip(_WS):
                self._started = True
            elif base + len(w) > MAX_RUN:
                raise ExportError(f"{self.name} holds only whitespace, no JSON (its first "
                                  f"{MAX_RUN >> 10} KiB)")
        end = base + len(w)
        if len(w) > MAX_RUN:  # rare (held bytes): every run in it, one by one
            quotes = (np.flatnonzero(np.frombuffer(s, np.uint8) == 0x22) + base).tolist()
        else:  # only the run before the first quote can be too long
            first = s.find(b'"')
            quotes = [base + first] if first >= 0 else []
        for q in quotes:
            self._run_until(w, base, in_string, q, closed=True)
            in_string = not in_string
            self._last_quote = q
        if len(w) <= MAX_RUN and quotes:
            self._last_quote = base + s.rfind(b'"')
        self._run_until(w, base, self.in_string, end, closed=False)

    def _run_until(self, w: bytes, base: int, in_string: bool, until: int, closed: bool) -> None:
        """The bytes from after the last quote to ``until`` (a quote, or where this piece
        ends): a string being cut goes on (or ends), a run too long is cut or refused."""
        if self._cut_ends and self._cut_ends[-1] is None:  # cutting: this is its string
            self.cut_bytes += until - max(base, self._cut_starts[-1])
            if closed:
                self._cut_ends[-1] = until
        elif until - (self._last_quote + 1) > MAX_RUN:
            self._long_run(w, base, in_string, until, closed)

    def _long_run(self, w: bytes, base: int, in_string: bool, until: int,
                  closed: bool) -> None:
        if not in_string:
            raise ExportError(
                f"{self.name} is not a Telegram Desktop export: more than {MAX_RUN >> 10} KiB "
                f"with no string in them (from byte {self._last_quote + 1}); an export has a "
                "quoted key every few bytes")
        # A string too long: cut from its MAX_RUN-th byte (at a character boundary, in this
        # piece: the run was within the limit where the previous one ended) to its end.
        start = base + _clean_cut(w, self._last_quote + 1 + MAX_RUN - base)
        if closed and start >= until:
            return
        self.strings_cut += 1
        self._cut_starts.append(start)
        self._cut_ends.append(until if closed else None)
        self.cut_bytes += until - start

    # -- one message too big -----------------------------------------------------------------
    def _check_message(self, low: int, end: int) -> None:
        handed_end = end - self.cut_bytes
        if low < self.message_depth:  # type: ignore[operator]
            self._message_from = handed_end
        elif handed_end - self._message_from > MAX_MESSAGE + _BUF:
            raise ExportError(
                f"{self.name} is not a Telegram Desktop export: one message is larger than "
                f"{MAX_MESSAGE >> 20} MiB (near byte {end}); a Telegram message holds "
                "4096 characters")

    # -- a key that decides authorship given twice in one object ---------------------------------
    def _duplicate_keys(self, a: np.ndarray, depth: np.ndarray, marked: list[int], s: bytes,
                        base: int) -> None:
        """Markers of the same key in one object: the later ones are renamed. Per key, the
        objects still open that hold it are remembered across pieces: {depth: (the least
        depth since that key, how many times it was given)}; an object closed since (the
        least depth fell below its own) is forgotten."""
        low = int(depth.min())
        for m in list(self._keys):
            if m not in marked:
                self._keys[m] = _fold(self._keys[m], low)
        for m in marked:
            idx = np.flatnonzero(a == m)
            if not len(idx):  # the marker went into a string value only... or nowhere
                self._keys[m] = _fold(self._keys.get(m, {}), low)
                continue
            # A marked string is a key when a colon follows it (a value "from_id" is not);
            # when nothing follows in the piece (at most whitespace: a key held apart from
            # its colon by more than MAX_RUN of it), it is taken as a key.
            after = idx + 2
            is_key = after >= len(a)
            is_key[~is_key] = a[after[~is_key]] == _COLON
            if after[-1] >= len(a):  # the last one ends the piece: what follows it in s?
                pos = s.rindex(bytes([m]))
                rest = s[s.index(b'"', pos) + 1:].lstrip(_WS)
                is_key[-1] = not rest or rest[:1] == b":"
            open_ = self._keys.get(m, {})
            if not is_key.all():
                idx = idx[is_key]
                if not len(idx):
                    self._keys[m] = _fold(open_, low)
                    continue
            d = depth[idx]
            d0 = int(d[0])
            if int(d.max()) == d0 == int(d.min()) and set(open_) <= {d0}:
                # The usual case: every such key at one depth (one per message).
                mins = np.minimum.reduceat(depth, idx)
                same = np.zeros(len(idx), dtype=bool)
                prev = open_.get(d0)
                if prev is not None:
                    least = min(prev[0], int(depth[: idx[0]].min())) if idx[0] else prev[0]
                    same[0] = least >= d0
                same[1:] = mins[:-1] >= d0
                count = 1
                if same.any():
                    count = prev[1] if prev is not None and same[0] else 0
                    where = None
                    for k in range(len(idx)):
                        count = count + 1 if same[k] else 1
                        if count >= 2:
                            if where is None:
                                where = np.flatnonzero(np.frombuffer(s, np.uint8) == m)[is_key]
                            self._rename(base + int(where[k]), count)
                least = int(mins[-1])
                self._keys[m] = {d0: (least, count)} if least >= d0 else {}
                continue
            # Keys at several depths (the same key in nested objects): one by one.
            where = np.flatnonzero(np.frombuffer(s, np.uint8) == m)[is_key]
            at = 0
            for k, i in enumerate(idx.tolist()):
                if i > at:
                    open_ = _fold(open_, int(depth[at:i].min()))
                dk = int(d[k])
                prev = open_.get(dk)
                count = prev[1] + 1 if prev is not None and prev[0] >= dk else 1
                open_[dk] = (dk, count)
                if count >= 2:
                    self._rename(base + int(where[k]), count)
                at = i
            self._keys[m] = _fold(open_, int(depth[at:].min()))

    def _rename(self, pos: int, count: int) -> None:
        if len(self._renames) >= _MAX_RENAMES:
            raise ExportError(f"{self.name} is not a Telegram Desktop export: more than "
                              f"{_MAX_RENAMES} keys given twice in one message")
        self.duplicate_keys += 1
        self._renames.append(pos)
        self._rename_to.append(ord("#") if count == 2 else ord("$"))

    # -- what every pass hands out ---------------------------------------------------------------
    def edit(self, offset: int, data: bytes) -> bytes:
        """``data`` (bytes ``offset``...) as the parser gets it: cut strings, renamed keys."""
        if not self._cut_starts and not self._renames:
            return data
        end = offset + len(data)
        if self._renames:
            i = bisect_left(self._renames, offset)
            if i < len(self._renames) and self._renames[i] < end:
                buf = bytearray(data)
                while i < len(self._renames) and self._renames[i] < end:
                    buf[self._renames[i] - offset] = self._rename_to[i]
                    i += 1
                data = bytes(buf)
        if self._cut_starts:
            # cuts that end after ``offset`` (or are open) and start before ``end``
            i = bisect_right(self._cut_starts, offset) - 1
            i = max(i, 0)
            pieces, at = [], offset
            while i < len(self._cut_starts) and self._cut_starts[i] < end:
                a, b = self._cut_starts[i], self._cut_ends[i]
                b = end if b is None else min(b, end)
                if b > at:
                    a = max(a, at)
                    pieces.append(data[at - offset: a - offset])
                    at = b
                i += 1
            if pieces or at != offset:
                pieces.append(data[at - offset:])
                data = b"".join(pieces)
        return data

    def source_pos(self, handed: int) -> int:
        """The file position of byte ``handed`` of what the passes were handed."""
        pos = handed
        for a, b in zip(self._cut_starts, self._cut_ends):
            if a > pos:
                break
            pos += (self.frontier if b is None else b) - a
        return pos


def _mark_keys(s: bytes) -> tuple[bytes, list[int]]:
    """``s`` with each authorship key's first letter replaced by its marker, as
    ``s.replace(literal, marker)`` for each key in turn would (no replacement can make or
    break another key's match), and the markers put in. A search over a whole chunk costs
    about as much as the structural scan itself: one for from_id (in every message), one
    for "ed_from" (in three keys), one for via_bot."""
    marked: list[int] = []
    literal, marker = _MARKS[1]
    t = s.replace(literal, marker)
    if t != s:  # an identity check when nothing was replaced
        s = t
        marked.append(1)
    found = []
    i = s.find(_ED_FROM)
    while i >= 0 and len(found) <= _MANY:
        found.append(i)
        i = s.find(_ED_FROM, i + len(_ED_FROM))
    if len(found) > _MANY:  # a chunk full of them: let bytes.replace do the loops in C
        for m, literal, _ in _ED_FROM_KEYS:
            t = s.replace(literal, _MARKS[m][1])
            if t != s:
                s = t
                marked.append(m)
    elif found:
        starts: dict[int, list[int]] = {}
        for m, literal, offset in _ED_FROM_KEYS:
            end = 0  # bytes.replace takes occurrences left to right, never overlapping
            for i in found:
                p = i - offset
                if p >= end and s.startswith(literal, p):
                    starts.setdefault(m, []).append(p + 1)
                    end = p + len(literal)
        if starts:
            buf = bytearray(s)
            for m in sorted(starts):
                for p in starts[m]:
                    buf[p] = m
                marked.append(m)
            s = bytes(buf)
    literal, marker = _MARKS[5]
    t = s.replace(literal, marker)
    if t != s:
        s = t
        marked.append(5)
    return s, marked


def _fold(open_: dict[int, tuple[int, int]], low: int) -> dict[int, tuple[int, int]]:
    """Objects holding a key, after bytes whose least depth is ``low``: closed ones go."""
    return {dk: (min(least, low), c) for dk, (least, c) in open_.items() if low >= dk}


def _clean_cut(w: bytes, i: int) -> int:
    """The first position >= ``i`` in ``w`` where a string's content can be cut: not inside
    an escape (a surrogate pair counts as one), not inside a UTF-8 sequence. ``w`` never
    starts inside an escape."""
    i = max(0, i)
    if b"\\" in w[: i + _HOLD]:
        for m in _FULL_ESCAPE.finditer(w, 0, min(len(w), i + _HOLD)):
            if m.end() > i:
                if m.start() < i:
                    i = m.end()
                break
    while i < len(w) and 0x80 <= w[i] < 0xC0:
        i += 1
    return i


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
    the last bytes (then everything before that backslash's run, whose parity matters) or
    it ends with the start of an authorship key (``"from_i``: judged whole next time)."""
    cut = len(buf)
    i = buf.find(b"\\", max(0, cut - _HOLD))
    if i >= 0:
        cut = len(buf[:i].rstrip(b"\\"))
    # A key's opening quote follows '{', ',' or whitespace, never a backslash: holding
    # back from such a quote never splits an escape (and no chunk ends with a backslash).
    q = buf.rfind(b'"', max(0, cut - _KEY_HOLD), cut)
    if q >= 0 and buf[q:cut] in _KEY_PREFIXES and (not q or buf[q - 1] != _BACKSLASH):
        p = buf.rfind(b'"', max(0, q - _KEY_HOLD), q)
        if p < 0 or buf[p:q + 1] not in _KEY_LITERALS:  # not the end of a whole key
            return q
    # A whole key name with no colon after it yet: is it a key or a string value?
    end = len(buf[:cut].rstrip(_WS))
    if cut - end <= MAX_RUN and end and buf[end - 1] == 0x22:
        p = buf.rfind(b'"', max(0, end - 1 - _KEY_HOLD), end - 1)
        if p >= 0 and buf[p:end] in _KEY_LITERALS and (not p or buf[p - 1] != _BACKSLASH):
            return p
    return cut


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
        self.source = 0  # bytes of the file read and handed on (or cut)
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
            if not self.source and buf.startswith(_BOM):
                buf = b"   " + buf[3:]
            cut = len(buf) if self._eof else _safe_cut(buf)
            repairs: list[int] = []
            if b"\\" in buf:  # memchr; a two-byte search for "\\u" costs 10x more
                buf, cut, repairs = _repair_surrogates(buf, cut)
            raw, self._pending = buf[:cut], buf[cut:]
            if not raw and not self._eof:
                continue
            at = self.source
            self.guard.check(at, raw, repairs)
            self.source = at + len(raw)
            if self.progress is not None and raw:
                self.progress(len(raw))
            out = self.guard.edit(at, raw)
            if out or self._eof:
                break
        start = self.offset + len(self.chunk)
        if self.watch and not self.seen:
            w = self.watch
            self.seen = w in self.chunk[-len(w):] + out[: len(w)] or w in out
        self.offset = start
        self.prev, self.chunk = self.chunk, out
        return out

    def rewind(self) -> None:
        """Start over from the beginning of the file (bytes already checked stay checked)."""
        self.f.seek(0)
        self.offset = self.source = 0
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
        pos = self.guard.source_pos(base + i + caret)
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
