"""Stream a Telegram Desktop JSON export (``result.json``) as typed message records.

Both layouts are read in one pass at the *message* level, so memory does not grow with the
export (one chat alone can hold a million messages):

- full account export: ``personal_information.user_id`` is the owner, chats under
  ``chats.list`` (and ``left_chats.list``);
- single-chat export: the file is the chat (``name``, ``type``, ``id``, ``messages``); the
  owner must be given (``--owner-id`` / ``prepare.owner_id``).

tdesktop writes ``personal_information`` before ``chats`` and each chat's ``name``/``type``/
``id`` before its ``messages``, so owner and chat are known when the first message arrives.
We walk the yajl2_c event stream in Python only to track that structure; message objects
themselves are built in C by an ``items`` coroutine fed the message events.

Usage::

    reader = ExportReader(path, owner_id=None)
    for chat in reader:            # Chat, in file order
        if wanted(chat):
            for msg in chat.messages():   # Message records
                ...
        # not iterated: skipped cheaply, chat.message_count is still filled in
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from datetime import datetime, timezone
from pathlib import Path

from clonebot.errors import ExportError

try:  # the C backend is ~5x faster; fall back to whatever ijson has
    from ijson.backends import yajl2_c as _ijson
except ImportError:  # pragma: no cover - depends on the wheel
    import ijson as _ijson  # type: ignore[no-redef]
from ijson.common import JSONError

# Message kinds. Only TEXT ever becomes training text.
TEXT = "text"
SERVICE = "service"
UNSUPPORTED = "unsupported"
MEDIA = "media_only"
EMPTY = "empty"
MALFORMED = "malformed"

_BUF = 1 << 16
# tdesktop writes unedited messages as the epoch in local time ("1970-01-01T05:00:00").
_NOT_EDITED_BEFORE = 2 * 86400
# Keys whose presence means "this message carries media" (text may be a caption).
_MEDIA_KEYS = ("media_type", "photo", "file", "poll", "contact_information",
               "location_information", "venue", "game_title", "invoice_information",
               "todo_list", "giveaway_information", "paid_media")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(slots=True)
class Message:
    """One export message, normalised. ``text`` is visible text ('' unless kind == TEXT)."""

    id: int
    date: int  # unix seconds
    edited: int  # unix seconds, 0 if never edited
    sender: int | None  # numeric part of from_id
    from_owner: bool
    kind: str
    text: str
    forwarded: bool = False
    via_bot: bool = False


@dataclass
class Chat:
    id: int | None
    name: str | None
    type: str | None
    index: int  # position in the export
    message_count: int = 0  # filled in once the chat has been read or skipped
    _reader: "ExportReader | None" = field(default=None, repr=False)
    _started: bool = field(default=False, repr=False)

    def messages(self) -> Iterator[Message]:
        """Messages of this chat, in file order. Iterate at most once, before the next chat."""
        if self._started:
            raise RuntimeError("chat messages can only be iterated once")
        assert self._reader is not None
        if self._reader._current is not self:
            raise RuntimeError("chat messages must be read before moving to the next chat")
        self._started = True
        gen = self._reader._messages(self)
        self._reader._active = gen
        return gen

    def skip(self) -> int:
        """Pass over this chat's (remaining) messages; returns the chat's message count."""
        self._started = True
        assert self._reader is not None
        self._reader._skip(self)
        return self.message_count


class _CountingReader:
    """A file wrapper that knows how far it got (progress, error positions) and whether a
    ``watch`` byte string occurs in what it read."""

    def __init__(self, f, progress: Callable[[int], None] | None, watch: bytes = b""):
        self.f = f
        self.progress = progress
        self.offset = 0  # bytes before ``chunk``
        self.prev = b""
        self.chunk = b""
        self.watch = watch
        self.seen = False

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.offset += len(self.chunk)
        if self.watch and not self.seen:
            w = self.watch
            self.seen = w in self.chunk[-len(w):] + data[: len(w)] or w in data
        self.prev, self.chunk = self.chunk, data
        if self.progress is not None and data:
            self.progress(len(data))
        return data

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


_WS_TO_SPACE = bytes.maketrans(b"\n\r\t", b"   ")


def _int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        s = v.lstrip("abcdefghijklmnopqrstuvwxyz")  # "user123", "channel123", "chat123"
        if s.lstrip("-").isdigit():
            return int(s)
    return None


def _unix(iso: object) -> int | None:
    if not isinstance(iso, str):
        return None
    try:
        # Local time without zone (old exports have nothing better): treat as UTC; only
        # differences between dates matter downstream.
        return int(datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


def flatten_text(text: object) -> str:
    """Visible text of a ``text`` field: a string, or a list of strings and entity dicts."""
    if type(text) is str:
        out = text
    elif isinstance(text, list):
        out = "".join(
            p if isinstance(p, str) else (p.get("text") or "") if isinstance(p, dict) else ""
            for p in text
        )
    else:
        return ""
    if not out.isascii():  # zero-width characters (e.g. empty text_link anchors) are invisible
        out = _INVISIBLE.sub("", out)
    return out


def to_message(d: dict, owner_id: int) -> Message:
    """Normalise one raw message dict (as tdesktop wrote it)."""
    get = d.get
    mid = get("id")
    if type(mid) is not int:
        return _malformed()
    t = get("type")
    if t == "unsupported":  # tdesktop writes only id and type for these
        return Message(mid, 0, 0, None, False, UNSUPPORTED, "")
    du = get("date_unixtime")
    if type(du) is str and du.isdigit():
        date = int(du)
    else:
        date = _unix(get("date"))
        if date is None:
            return _malformed()
    if t != "message":
        return Message(mid, date, 0, None, False, SERVICE, "")
    eu = get("edited_unixtime")
    if eu is None and "edited" not in d:
        edited = 0
    elif type(eu) is str and eu.isdigit():
        edited = int(eu)
    else:
        edited = _unix(get("edited")) or 0
        if edited < _NOT_EDITED_BEFORE:
            edited = 0
    fid = get("from_id")
    # Owner by id only (display names change): "user<id>" or a bare integer (2020 exports).
    if type(fid) is str and fid.startswith("user") and fid[4:].isdigit():
        sender: int | None = int(fid[4:])
        from_owner = sender == owner_id
    else:
        sender = _int(fid)
        from_owner = type(fid) is int and sender == owner_id
    text = flatten_text(get("text"))
    if not text or text.isspace():
        text = ""
        if get("media_type") == "sticker":
            text = get("sticker_emoji") or ""
    if text and not text.isspace():
        kind = TEXT
    else:
        text = ""
        kind = MEDIA if any(k in d for k in _MEDIA_KEYS) else EMPTY
    return Message(
        mid, date, edited, sender, from_owner, kind, text,
        "forwarded_from" in d or "forwarded_from_id" in d or "saved_from" in d,
        "via_bot" in d,
    )


def _one_map() -> dict:
    # ``map_type`` for the chat-level pass: every JSON object becomes this one dict, so a
    # chat's message list costs 8 bytes per message however big the messages are.
    return _SINK


_SINK: dict = {}


class ExportReader:
    """One streaming pass over an export. See the module docstring.

    Three readers walk the file, all in C (yajl2_c): a short head scan for the owner and
    the layout; for full exports a chat-level ``kvitems`` pass that yields each chat's
    name/type/id and message count; and a message-level ``items`` pass whose messages are
    dealt out to chats by those counts. Passing every JSON event through Python instead
    would cost ~3x the parse itself.
    """

    def __init__(
        self,
        path: Path | str,
        owner_id: int | None = None,
        progress: Callable[[int], None] | None = None,
        default_owner_id: int | None = None,
    ):
        """``owner_id`` overrides the export; ``default_owner_id`` (config) is used only
        when the export does not name its owner (single-chat exports)."""
        self.path = Path(path)
        self.flag_owner_id = owner_id
        self.default_owner_id = default_owner_id
        self.owner_id: int | None = None
        self.kind: str | None = None  # "full" | "single"
        self.messages_read = 0
        self._progress = progress
        self._items: Iterator | None = None  # message-level pass
        self._items_src: _CountingReader | None = None
        self._remaining: int | None = 0  # messages of the current chat not yet dealt out
        self._active: Iterator | None = None  # the current chat's messages() generator
        self._current: Chat | None = None
        self._index = 0
        self._used = False

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    # -- public -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Chat]:
        if self._used:
            raise RuntimeError("an ExportReader reads its file once")
        self._used = True
        files = []
        try:
            try:
                for _ in range(3):
                    files.append(open(self.path, "rb"))
            except IsADirectoryError:
                raise ExportError(
                    f"{self.path} is a directory; expected the export's result.json") from None
            except FileNotFoundError:
                raise ExportError(f"export not found: {self.path}") from None
            except OSError as e:
                raise ExportError(f"cannot read export {self.path}: {e.strerror or e}") from None
            try:
                meta = self._head(_CountingReader(files[0], None))
                self._items_src = _CountingReader(files[2], self._progress)
                if self.kind == "single":
                    chat = Chat(_int(meta.get("id")), _str(meta.get("name")),
                                _str(meta.get("type")), 0, _reader=self)
                    self._resolve_owner(chat)
                    self._items = _ijson.items(self._items_src, "messages.item", buf_size=_BUF)
                    self._remaining = None  # to the end of the array
                    self._current = chat
                    yield chat
                    chat.skip()
                else:
                    chats_src = _CountingReader(files[1], None, watch=b'"left_chats"')
                    yield from self._full("chats.list.item", chats_src, 0)
                    if chats_src.seen:
                        # Chats you left come after "chats": a second, usually tiny, walk.
                        for f in files[1:]:
                            f.seek(0)
                        self._items_src = _CountingReader(files[2], None)
                        yield from self._full("left_chats.list.item",
                                              _CountingReader(files[1], None), self._index)
                    if self._index == 0:
                        raise ExportError(
                            f"{self.path.name} is not a Telegram Desktop export: no chats "
                            "with messages found")
            except UnicodeDecodeError as e:
                raise ExportError(f"{self.path.name} is not UTF-8 text ({e.reason})") from None
            except OSError as e:
                raise ExportError(f"cannot read export {self.path}: {e.strerror or e}") from None
        finally:
            for f in files:
                f.close()

    # -- internals ----------------------------------------------------------------------
    def _head(self, src: _CountingReader) -> dict:
        """Read up to the first chat list / message array: layout, owner, chat meta."""
        meta: dict = {}
        events = _ijson.parse(src, buf_size=_BUF)
        try:
            first = next(events, None)
            if first is None:
                raise ExportError(f"{self.path.name} is empty")
            if first[1] != "start_map":
                raise ExportError(
                    f"{self.path.name} is not a Telegram Desktop export: top level is "
                    f"{'an array' if first[1] == 'start_array' else 'not an object'}")
            for prefix, event, value in events:
                if prefix == "":
                    if event == "map_key":
                        if value == "messages":
                            self.kind = self.kind or "single"
                            return meta
                        if value in ("chats", "left_chats"):
                            self.kind = "full"
                            return meta
                        if value == "personal_information":
                            self.kind = "full"
                    elif event == "end_map":
                        break
                elif prefix == "personal_information.user_id" and event == "number":
                    self.owner_id = int(value)
                elif prefix in ("name", "type", "id") and event in ("string", "number"):
                    meta[prefix] = value
        except JSONError as e:
            if "premature EOF" in str(e.args[0] if e.args else e) and src.offset + len(src.chunk) == 0:
                raise ExportError(f"{self.path.name} is empty") from None
            raise self._json_error(e, src) from None
        raise ExportError(
            f"{self.path.name} is not a Telegram Desktop export: no 'chats' list or "
            "'messages' array found")

    def _full(self, prefix: str, chats_src: _CountingReader, index: int) -> Iterator[Chat]:
        self._index = index
        chats = _ijson.kvitems(chats_src, prefix, map_type=_one_map, buf_size=_BUF)
        self._items = _ijson.items(self._items_src, prefix + ".messages.item", buf_size=_BUF)
        meta: dict = {}
        while True:
            try:
                kv = next(chats, None)
            except JSONError as e:
                raise self._json_error(e, chats_src) from None
            if kv is None:
                return
            key, value = kv
            if key != "messages":
                if key in ("name", "type", "id"):
                    meta[key] = value
                continue
            n = len(value) if isinstance(value, list) else 0
            del value, kv
            _SINK.clear()
            chat = Chat(_int(meta.get("id")), _str(meta.get("name")), _str(meta.get("type")),
                        self._index, _reader=self)
            meta = {}
            self._resolve_owner(chat)
            self._remaining = n
            self._index += 1
            self._current = chat
            yield chat
            chat.skip()

    def _json_error(self, e: JSONError, src: _CountingReader | None) -> ExportError:
        msg = e.args[0] if e.args else str(e)
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "replace")
        lines = str(msg).split("\n")
        what = lines[0].split(":", 1)[-1].strip() or "invalid JSON"
        name = self.path.name
        if "premature EOF" in lines[0]:
            return ExportError(
                f"{name} is truncated: the JSON ends unexpectedly at byte {self.size} "
                "(incomplete download or copy?)"
            )
        where = ""
        if src is not None and len(lines) >= 3 and "^" in lines[2]:
            raw = lines[1].strip()
            lead = len(lines[1]) - len(lines[1].lstrip())
            caret = lines[2].index("^") - lead
            # The caret counts characters; the file position counts bytes.
            caret_bytes = len(raw[:caret].encode("utf-8", "replace"))
            pos = src.locate(raw.encode("utf-8", "replace"), caret_bytes)
            if pos is not None:
                where = f" at line {pos[1]}, column {pos[2]} (byte {pos[0]})"
            near = raw[max(0, caret - 20): caret + 20].strip()
            if near:
                where += f" near {near!r}"
        return ExportError(f"{name} is not valid JSON{where}: {what}")

    def _resolve_owner(self, chat: Chat) -> None:
        if self.flag_owner_id is not None:
            self.owner_id = self.flag_owner_id
        if self.owner_id is None:
            self.owner_id = self.default_owner_id
        if self.owner_id is None:
            if self.kind == "single":
                raise ExportError(
                    f"{self.path.name} is a single-chat export ({chat.name or chat.id!r}) and "
                    "does not say who you are: pass --owner-id YOUR_USER_ID or set "
                    f"prepare.owner_id{self._sender_hint()}"
                )
            raise ExportError(
                f"{self.path.name} has no personal_information.user_id before its chats: "
                "pass --owner-id YOUR_USER_ID"
            )
        if chat.id is None:
            raise ExportError(f"{self.path.name}: chat #{chat.index + 1} has no numeric id")

    def _sender_hint(self, limit: int = 5000) -> str:
        """'; senders here: 123 (Name, 10 msgs), ...' from the first messages, for errors."""
        seen: dict[int, list] = {}
        try:
            with open(self.path, "rb") as f:
                for d in islice(_ijson.items(f, "messages.item", buf_size=_BUF), limit):
                    sid = _int(d.get("from_id")) if isinstance(d, dict) else None
                    if sid is not None and d.get("type") == "message":
                        entry = seen.setdefault(sid, [d.get("from"), 0])
                        entry[1] += 1
        except (JSONError, OSError, ValueError):
            pass
        if not seen:
            return ""
        top = sorted(seen.items(), key=lambda kv: -kv[1][1])[:4]
        return "; senders in this chat: " + ", ".join(
            f"{sid} ({name or 'no name'}, {n} msgs)" for sid, (name, n) in top)

    def _messages(self, chat: Chat) -> Iterator[Message]:
        owner = self.owner_id
        assert owner is not None and self._items is not None
        todo = self._remaining
        src = islice(self._items, todo) if todo is not None else self._items
        n = 0
        try:
            for d in src:
                n += 1
                yield to_message(d, owner) if type(d) is dict else _malformed()
        except JSONError as e:
            raise self._json_error(e, self._items_src) from None
        finally:
            chat.message_count += n
            self.messages_read += n
            if todo is not None:
                self._remaining = todo - n

    def _skip(self, chat: Chat) -> None:
        """Consume the rest of a chat's messages without looking at them."""
        if self._active is not None:
            self._active.close()  # a consumer that stopped early: settle its counts first
            self._active = None
        todo = self._remaining
        if todo == 0:
            return
        n = 0
        try:
            for _ in (islice(self._items, todo) if todo is not None else self._items):  # type: ignore[arg-type]
                n += 1
        except JSONError as e:
            raise self._json_error(e, self._items_src) from None
        chat.message_count += n
        self.messages_read += n
        self._remaining = 0


def _malformed() -> Message:
    return Message(0, 0, 0, None, False, MALFORMED, "")


def _str(v: object) -> str | None:
    return v if isinstance(v, str) else None


def check_readable(path: Path | str) -> Path:
    """Fail early with one clear line if the export cannot be opened."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ExportError(f"export not found: {p}")
    if p.is_dir():
        if (p / "result.json").is_file():
            return p / "result.json"
        raise ExportError(f"{p} is a directory without result.json")
    if not os.access(p, os.R_OK):
        raise ExportError(f"cannot read export {p}: permission denied")
    return p
