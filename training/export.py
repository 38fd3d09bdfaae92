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
from datetime import datetime, timezone
from pathlib import Path

from clonebot.errors import ExportError

try:  # the C backend is ~5x faster; fall back to whatever ijson has
    from ijson.backends import yajl2_c as _ijson
except ImportError:  # pragma: no cover - depends on the wheel
    import ijson as _ijson  # type: ignore[no-redef]
from ijson.common import JSONError
from ijson.utils import sendable_list

# Message kinds. Only TEXT ever becomes training text.
TEXT = "text"
SERVICE = "service"
UNSUPPORTED = "unsupported"
MEDIA = "media_only"
EMPTY = "empty"
MALFORMED = "malformed"

_CHAT_ITEMS = ("chats.list.item", "left_chats.list.item")
_MESSAGE_ARRAYS = frozenset(["messages", *(f"{c}.messages" for c in _CHAT_ITEMS)])
_CHAT_KEYS = {
    **{k: k for k in ("name", "type", "id")},
    **{f"{c}.{k}": k for c in _CHAT_ITEMS for k in ("name", "type", "id")},
}
_FULL_KEYS = frozenset(["personal_information", "chats", "left_chats"])
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
        self._started = True
        assert self._reader is not None
        return self._reader._messages(self)

    def skip(self) -> int:
        """Pass over this chat's messages without building them; returns their count."""
        if not self._started:
            self._started = True
            assert self._reader is not None
            self._reader._skip(self)
        return self.message_count


class _CountingReader:
    """A file wrapper that knows how far it got, for progress and error positions."""

    def __init__(self, f, progress: Callable[[int], None] | None):
        self.f = f
        self.progress = progress
        self.offset = 0  # bytes before ``chunk``
        self.newlines = 0  # newlines before ``chunk``
        self.prev = b""
        self.chunk = b""

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.offset += len(self.chunk)
        self.newlines += self.chunk.count(b"\n")
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
        pos = i + caret
        before_prev = self.newlines - self.prev.count(b"\n")
        line = before_prev + window.count(b"\n", 0, pos) + 1
        col = pos - (window.rfind(b"\n", 0, pos) + 1) + 1
        return base + pos, line, col


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
    if isinstance(text, str):
        out = text
    elif isinstance(text, list):
        out = "".join(
            p if isinstance(p, str) else (p.get("text") or "") if isinstance(p, dict) else ""
            for p in text
        )
    else:
        return ""
    return _INVISIBLE.sub("", out) if "\u200b" <= max(out, default="\x00") else out


def to_message(d: dict, owner_id: int) -> Message:
    """Normalise one raw message dict (as tdesktop wrote it)."""
    mid = d.get("id")
    if not isinstance(mid, int) or isinstance(mid, bool):
        return Message(0, 0, 0, None, False, MALFORMED, "")
    t = d.get("type")
    du = d.get("date_unixtime")
    date = int(du) if isinstance(du, str) and du.isdigit() else _unix(d.get("date"))
    if date is None:
        return Message(mid, 0, 0, None, False, MALFORMED, "")
    if t != "message":
        return Message(mid, date, 0, None, False, UNSUPPORTED if t == "unsupported" else SERVICE, "")
    eu = d.get("edited_unixtime")
    if isinstance(eu, str) and eu.isdigit():
        edited = int(eu)
    else:
        edited = _unix(d.get("edited")) or 0
        if edited < _NOT_EDITED_BEFORE:
            edited = 0
    fid = d.get("from_id")
    sender = _int(fid)
    # Owner by id only (display names change): "user<id>" or a bare integer (2020 exports).
    from_owner = sender == owner_id and (isinstance(fid, int) or fid.startswith("user"))
    text = flatten_text(d.get("text"))
    if not text.strip() and d.get("media_type") == "sticker":
        text = d.get("sticker_emoji") or ""
    if text.strip():
        kind = TEXT
    else:
        text = ""
        kind = MEDIA if any(k in d for k in _MEDIA_KEYS) else EMPTY
    return Message(
        mid, date, edited, sender, from_owner, kind, text,
        forwarded="forwarded_from" in d or "forwarded_from_id" in d or "saved_from" in d,
        via_bot="via_bot" in d,
    )


class ExportReader:
    """One streaming pass over an export. See the module docstring."""

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
        self._events: Iterator | None = None
        self._src: _CountingReader | None = None
        self._used = False

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    # -- public -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Chat]:
        if self._used:
            raise RuntimeError("an ExportReader reads its file once")
        self._used = True
        try:
            f = open(self.path, "rb")
        except IsADirectoryError:
            raise ExportError(f"{self.path} is a directory; expected the export's result.json") from None
        except FileNotFoundError:
            raise ExportError(f"export not found: {self.path}") from None
        except OSError as e:
            raise ExportError(f"cannot read export {self.path}: {e.strerror or e}") from None
        with f:
            self._src = _CountingReader(f, self._progress)
            self._events = _ijson.parse(self._src, buf_size=_BUF)
            try:
                yield from self._chats()
            except JSONError as e:
                raise self._json_error(e) from None
            except UnicodeDecodeError as e:
                raise ExportError(f"{self.path.name} is not UTF-8 text ({e.reason})") from None
            except OSError as e:
                raise ExportError(f"cannot read export {self.path}: {e.strerror or e}") from None

    # -- internals ----------------------------------------------------------------------
    def _json_error(self, e: JSONError) -> ExportError:
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
        if self._src is not None and len(lines) >= 3 and "^" in lines[2]:
            raw = lines[1].strip()
            lead = len(lines[1]) - len(lines[1].lstrip())
            caret = lines[2].index("^") - lead
            # The caret counts characters; the file position counts bytes.
            caret_bytes = len(raw[:caret].encode("utf-8", "replace"))
            pos = self._src.locate(raw.encode("utf-8", "replace"), caret_bytes)
            if pos is not None:
                where = f" at line {pos[1]}, column {pos[2]} (byte {pos[0]})"
            near = raw[max(0, caret - 20): caret + 20].strip()
            if near:
                where += f" near {near!r}"
        return ExportError(f"{name} is not valid JSON{where}: {what}")

    def _chats(self) -> Iterator[Chat]:
        events = self._events
        assert events is not None
        first = next(events, None)
        if first is None:
            raise ExportError(f"{self.path.name} is empty")
        if first[1] != "start_map":
            raise ExportError(
                f"{self.path.name} is not a Telegram Desktop export: top level is "
                f"{'an array' if first[1] == 'start_array' else 'not an object'}"
            )
        index = 0
        meta: dict = {}
        for prefix, event, value in events:
            if event == "start_array" and prefix in _MESSAGE_ARRAYS:
                if prefix == "messages" and self.kind is None:
                    self.kind = "single"
                chat = Chat(_int(meta.get("id")), meta.get("name"), meta.get("type"), index,
                            _reader=self)
                self._resolve_owner(chat)
                self._msg_prefix = prefix + ".item"
                index += 1
                yield chat
                if self._msg_prefix is not None:  # not (fully) iterated: skip the rest
                    chat._started = True
                    self._skip(chat)
            elif prefix in _CHAT_KEYS and event in ("string", "number", "null"):
                meta[_CHAT_KEYS[prefix]] = value if event != "null" else None
            elif event == "start_map" and prefix in _CHAT_ITEMS:
                meta = {}
            elif prefix == "personal_information.user_id" and event == "number":
                self.owner_id = int(value)
                self.kind = "full"
            elif prefix == "" and event == "map_key" and value in _FULL_KEYS:
                self.kind = "full"
        if index == 0:
            raise ExportError(
                f"{self.path.name} is not a Telegram Desktop export: no 'chats' list or "
                "'messages' array found"
            )

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
                    "prepare.owner_id"
                )
            raise ExportError(
                f"{self.path.name} has no personal_information.user_id before its chats: "
                "pass --owner-id YOUR_USER_ID"
            )
        if chat.id is None:
            raise ExportError(f"{self.path.name}: chat #{chat.index + 1} has no numeric id")

    def _messages(self, chat: Chat) -> Iterator[Message]:
        mp = self._msg_prefix
        owner = self.owner_id
        assert mp is not None and owner is not None and self._events is not None
        built = sendable_list()
        coro = _ijson.items_basecoro(built, mp)
        send = coro.send
        arr = mp[:-5]  # "...messages"
        n = 0
        try:
            for ev in self._events:
                p = ev[0]
                if p.startswith(mp):
                    send(ev)
                    if p == mp and ev[1] == "end_map":
                        d = built.pop()
                        n += 1
                        chat.message_count = n
                        yield to_message(d, owner)
                elif p == arr:
                    if ev[1] == "end_array":
                        break
                    if ev[1] == "start_array":
                        continue
                    n += 1  # a scalar where a message object belongs
                    chat.message_count = n
                    yield Message(0, 0, 0, None, False, MALFORMED, "")
        except JSONError as e:
            raise self._json_error(e) from None
        except GeneratorExit:  # consumer stopped early; _skip() counts the rest
            self.messages_read += n
            raise
        self.messages_read += n
        self._msg_prefix = None

    def _skip(self, chat: Chat) -> None:
        """Consume the rest of a chat's messages without building them."""
        if self._msg_prefix is None:
            return
        mp, arr = self._msg_prefix, self._msg_prefix[:-5]
        n = 0
        try:
            for p, e, _ in self._events:  # type: ignore[union-attr]
                if p == mp:
                    if e == "start_map":
                        n += 1
                elif p == arr and e == "end_array":
                    break
        except JSONError as e:
            raise self._json_error(e) from None
        chat.message_count += n
        self.messages_read += n
        self._msg_prefix = None


def read_export(path: Path | str, owner_id: int | None = None) -> ExportReader:
    return ExportReader(path, owner_id)


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
