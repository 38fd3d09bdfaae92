"""One streaming pass over an export: chats in file order, each with its messages.

tdesktop writes ``personal_information`` before ``chats`` and each chat's ``name``/``type``/
``id`` before its ``messages``, so owner and chat are known when the first message arrives.
Three readers walk the file, each through a ``GuardedFile``:

- a short head scan for the owner and the layout;
- a chat-level ``kvitems`` pass that yields each chat's name/type/id and message count (a
  single-chat export is one such object at the top level), over an ``Outline`` of the file:
  every message emptied to ``{}``, so only the message pass parses the messages;
- a message-level pass whose messages are dealt out to chats by those counts: orjson over
  each chunk's complete messages (``FastItems``), yajl's ``items`` wherever orjson cannot be
  sure to give what yajl gives.

Passing every JSON event through Python instead would cost ~3x the parse itself. The chat
pass also checks what the message pass relies on: meta keys before ``messages`` (a file
re-saved by a tool that sorts keys is refused, not misread), one ``messages`` array per
chat, and that array being a list. In a broken file the outline can be wrong from a broken
message on: whatever the chat pass then fails on, the chats are read again in full (error
path only) and the first error in the file is reported, where it is; an error the chat pass
does not meet, the message pass meets, at the same place.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import NoReturn

from clonebot.errors import ExportError
from clonebot.fsutil import is_disk_full
from training.export import fast_items
from training.export.fast_items import FastItems
from training.export.guard import DUPLICATE_NAMES, FileGuard, GuardedFile, first_byte_problem
from training.export.messages import (
    DUPLICATE_KEY_MESSAGE,
    INT64_MAX,
    MALFORMED_MESSAGE,
    Message,
    peer_id,
    to_message,
)
from training.export.outline import Outline, Scans
from training.export.spool import SpooledPipe

try:  # the C backend is ~5x faster; fall back to whatever ijson has
    from ijson.backends import yajl2_c as _ijson
except ImportError:  # pragma: no cover - depends on the wheel
    import ijson as _ijson  # type: ignore[no-redef]
from ijson.common import JSONError

_BUF = 1 << 16
_META_KEYS = ("name", "type", "id")
_ORDER = ("keys out of Telegram Desktop's order (name, type, id, then messages): was the file "
          "re-saved by another tool? Export it again with Telegram Desktop")


class _ChatPassError(ExportError):
    """What the chat pass finds wrong in the chats' keys (not the guard's errors, which are
    the same whatever reads the bytes)."""


@dataclass
class Chat:
    id: int | None  # None: the export's id is missing or unreadable
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


def _one_map() -> dict:
    # ``map_type`` for the chat-level pass: every JSON object becomes this one dict, so a
    # chat's message list costs 8 bytes per message however big the messages are.
    return _SINK


_SINK: dict = {}


class ExportReader:
    """One streaming pass over an export. See the module docstring.

    Usage::

        reader = ExportReader(path, owner_id=None)
        for chat in reader:            # Chat, in file order
            if wanted(chat):
                for msg in chat.messages():   # Message records
                    ...
            # not iterated: skipped cheaply, chat.message_count is still filled in
    """

    def __init__(
        self,
        path: Path | str,
        owner_id: int | None = None,
        progress: Callable[[int], None] | None = None,
        default_owner_id: int | None = None,
        spool: SpooledPipe | None = None,
        fast: bool = True,
    ):
        """``owner_id`` overrides the export; ``default_owner_id`` (config) is used only
        when the export does not name its owner (single-chat exports). ``spool``: the
        export comes from a pipe, copied as it is read (``path`` names it in messages).
        ``fast``: messages parsed by orjson where it can be sure (``FastItems``), not all by
        yajl: the same messages and errors."""
        self.path = Path(path)
        self._spool = spool
        self.flag_owner_id = owner_id
        self.default_owner_id = default_owner_id
        self.owner_id: int | None = None
        self.kind: str | None = None  # "full" | "single"
        self.messages_read = 0
        self._bad_owner: object = None  # a personal_information.user_id we cannot use
        self._progress = progress
        self._guard = FileGuard(str(self.path) if spool is not None else self.path.name)
        self._items: Iterator | None = None  # message-level pass
        self._fast: FastItems | None = None  # its fast path, when taken
        self._items_src: GuardedFile | None = None
        self._remaining = 0  # messages of the current chat not yet dealt out
        self._active: Iterator | None = None  # the current chat's messages() generator
        self._current: Chat | None = None
        self._index = 0
        self._used = False
        self.fast = fast and fast_items.AVAILABLE
        self._extra_files: list = []  # files opened for the message pass's fallback

    @property
    def size(self) -> int:
        return self._spool.copied if self._spool is not None else self.path.stat().st_size

    def _open(self):
        return self._spool.open() if self._spool is not None else open(self.path, "rb")

    @property
    def repaired_surrogates(self) -> int:
        """Lone UTF-16 surrogate escapes read as U+FFFD."""
        return self._guard.repaired

    # -- public -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Chat]:
        if self._used:
            raise RuntimeError("an ExportReader reads its file once")
        self._used = True
        if self._spool is None:
            check_regular_file(self.path)
        files = []
        try:
            try:
                for _ in range(3):
                    files.append(self._open())
            except IsADirectoryError:
                raise ExportError(
                    f"{self.path} is a directory; expected the export's result.json") from None
            except FileNotFoundError:
                raise ExportError(f"export not found: {self.path}") from None
            except OSError as e:
                raise ExportError(f"cannot read export {self.path}: {e.strerror or e}") from None
            head, chats_src, items_src = (GuardedFile(f, self._guard) for f in files)
            try:
                problem = first_byte_problem(self.path.name, files[0].read(4096))
                if problem:
                    raise ExportError(problem)
                files[0].seek(0)
                self._head(head)
                # Message objects: root > chats > list > chat > messages > message.
                self._guard.message_depth = 3 if self.kind == "single" else 6
                items_src.progress = self._progress
                self._items_src = items_src
                if self.kind == "single":
                    yield from self._walk("", chats_src)
                else:
                    chats_src.watch = b'"left_chats"'
                    yield from self._walk("chats.list.item", chats_src)
                    if chats_src.seen:
                        # Chats you left come after "chats": a second, usually tiny, walk.
                        chats_src.rewind()
                        self._items_src.rewind()
                        self._items_src.progress = None
                        yield from self._walk("left_chats.list.item", chats_src)
                    if self._index == 0:
                        raise ExportError(
                            f"{self.path.name} is not a Telegram Desktop export: no chats "
                            "with messages found")
            except UnicodeDecodeError as e:
                raise ExportError(f"{self.path.name} has text that is not valid UTF-8 "
                                  f"({e.reason})") from None
            except OSError as e:
                if is_disk_full(e):  # copying a piped export: the disk it goes to is full
                    raise
                raise ExportError(f"cannot read export {self.path}: {e.strerror or e}") from None
        finally:
            for f in files + self._extra_files:
                f.close()

    # -- internals ----------------------------------------------------------------------
    def _head(self, src: GuardedFile) -> None:
        """Read up to the first chat list / message array: layout and owner."""
        name = self.path.name
        events = _ijson.parse(src, buf_size=_BUF)
        try:
            first = next(events, None)
            if first is None:
                raise ExportError(f"{name} is empty")
            if first[1] != "start_map":
                raise ExportError(
                    f"{name} is not a Telegram Desktop export: top level is "
                    f"{'an array' if first[1] == 'start_array' else 'not an object'}")
            for prefix, event, value in events:
                if prefix == "":
                    if event == "map_key":
                        if value == "messages":
                            self.kind = self.kind or "single"
                            return
                        if value in ("chats", "left_chats"):
                            self.kind = "full"
                            return
                        if value == "personal_information":
                            self.kind = "full"
                    elif event == "end_map":
                        break
                elif prefix == "personal_information.user_id":
                    if type(value) is int and -INT64_MAX <= value <= INT64_MAX:
                        self.owner_id = value
                    else:
                        self._bad_owner = value
        except JSONError as e:
            if _is_premature_eof(e) and self._blank():
                raise ExportError(f"{name} is empty" if not self.size else
                                  f"{name} holds only whitespace, no JSON") from None
            raise self._json_error(e, src) from None
        except UnicodeDecodeError as e:
            raise ExportError(f"{name} has text that is not valid UTF-8 ({e.reason})") from None
        raise ExportError(
            f"{name} is not a Telegram Desktop export: no 'chats' list or 'messages' array found")

    def _blank(self) -> bool:
        with self._open() as f:
            while chunk := f.read(1 << 20):
                if chunk.strip():
                    return False
        return True

    def _walk(self, prefix: str, chats_src: GuardedFile) -> Iterator[Chat]:
        """Chats of one list (``prefix`` = the chat objects; "" = the file is the chat)."""
        assert self._items_src is not None and self._guard.message_depth is not None
        first = self._index
        scans = Scans() if self.fast else None  # the outline's scans, for the message pass
        entries = self._entries(_ijson.kvitems(Outline(chats_src, self._guard.message_depth,
                                                       scans),
                                               prefix, map_type=_one_map, buf_size=_BUF), first)
        items = f"{prefix}.messages.item" if prefix else "messages.item"
        self._fast = (FastItems(self._items_src, items, lambda: self._slow_items(items), scans)
                      if self.fast else None)
        self._items = (iter(self._fast) if self._fast is not None
                       else _ijson.items(self._items_src, items, buf_size=_BUF))
        while True:
            try:
                entry = next(entries, None)
            except (JSONError, _ChatPassError, UnicodeDecodeError) as e:
                self._raise_as_read_in_full(prefix, first, e)
            if entry is None:
                break
            meta, n = entry
            chat = Chat(peer_id(meta.get("id")), _str(meta.get("name")), _str(meta.get("type")),
                        self._index, _reader=self)
            self._resolve_owner(chat)
            self._remaining = n
            self._index += 1
            self._current = chat
            yield chat
            chat.skip()

    def _slow_items(self, items: str) -> Iterator:
        """yajl's message pass over a fresh read of the file, for ``FastItems`` to fall
        back on: errors are then placed in what it reads."""
        f = self._open()
        self._extra_files.append(f)
        src = GuardedFile(f, self._guard, progress=_beyond(self._items_src))
        self._items_src = src
        return _ijson.items(src, items, buf_size=_BUF)

    def _entries(self, chats: Iterator, index: int) -> Iterator[tuple[dict, int]]:
        """(name/type/id, message count) of each chat, from ``kvitems`` over the chat
        objects; ``index``: the first one's position in the export."""
        name = self.path.name
        meta: dict = {}
        last_key = None
        for key, value in chats:
            where = f"{name}: chat #{index + 1}"
            if key != "messages":
                if key in _META_KEYS:
                    if key in meta:
                        raise _ChatPassError(
                            f"{where} has '{key}' twice before its messages ({_ORDER})")
                    meta[key] = value
                last_key = key
                continue
            if isinstance(value, dict):
                raise _ChatPassError(f"{where}: 'messages' is an object, not a list")
            if not meta:
                if last_key == "messages":
                    raise _ChatPassError(f"{name}: chat #{index} has two 'messages' arrays "
                                      "(a merged or hand-edited export?)")
                raise _ChatPassError(
                    f"{where} has no name, type or id before its messages ({_ORDER})")
            n = len(value) if isinstance(value, list) else 0
            del value
            _SINK.clear()
            yield meta, n
            meta = {}
            last_key = key
            index += 1
        if meta:
            keys = " and ".join(f"'{k}'" for k in meta)
            raise _ChatPassError(f"{name}: a chat's {keys} {'come' if len(meta) > 1 else 'comes'} "
                              f"after its messages ({_ORDER})")

    def _raise_as_read_in_full(self, prefix: str, first: int, error: BaseException) -> NoReturn:
        """The chat pass failed on the outline. In a broken file the outline can go wrong
        inside a broken message, before anything is noticed: the chats are read again in
        full from the start (error path only), and what that meets first, a message's broken
        JSON or the same error, is raised, placed in the file."""
        with self._open() as f:
            src = GuardedFile(f, self._guard)
            try:
                for _ in self._entries(_ijson.kvitems(src, prefix, map_type=_one_map,
                                                      buf_size=_BUF), first):
                    pass
            except JSONError as e:
                raise self._json_error(e, src) from None
            except _ChatPassError as e:
                raise ExportError(str(e)) from None
        if isinstance(error, JSONError):  # not met in full (cannot happen): unplaced
            raise self._json_error(error, None) from None
        if isinstance(error, _ChatPassError):
            raise ExportError(str(error)) from None
        raise error

    def _json_error(self, e: JSONError, src: GuardedFile | None) -> ExportError:
        msg = e.args[0] if e.args else str(e)
        if isinstance(msg, bytes):  # yajl quotes the raw bytes: keep them to find the spot
            msg = msg.decode("utf-8", "surrogateescape")
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
            caret_bytes = len(raw[:caret].encode("utf-8", "surrogateescape"))
            pos = src.locate(raw.encode("utf-8", "surrogateescape"), caret_bytes)
            if pos is not None:
                where = f" at line {pos[1]}, column {pos[2]} (byte {pos[0]})"
            near = raw[max(0, caret - 20): caret + 20].strip()
            if near:
                near = near.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                where += f" near {near!r}"
        if "invalid bytes in UTF8 string" in what:
            return ExportError(f"{name} is not UTF-8 text{where}")
        return ExportError(f"{name} is not valid JSON{where}: {what}")

    def _resolve_owner(self, chat: Chat) -> None:
        if self.flag_owner_id is not None:
            self.owner_id = self.flag_owner_id
        if self.owner_id is None:
            self.owner_id = self.default_owner_id
        if self.owner_id is None and self.kind == "full" and self._bad_owner is None:
            self._owner_after_chats()
        if self.owner_id is not None:
            return
        if self.kind == "single":
            raise ExportError(
                f"{self.path.name} is a single-chat export ({chat.name or chat.id!r}) and "
                "does not say who you are: pass --owner-id YOUR_USER_ID or set "
                f"prepare.owner_id{self._sender_hint()}"
            )
        if self._bad_owner is not None:
            raise ExportError(
                f"{self.path.name}: personal_information.user_id is not a user id "
                f"({str(self._bad_owner)[:40]!r}): pass --owner-id YOUR_USER_ID")
        raise ExportError(
            f"{self.path.name} has no personal_information.user_id: pass --owner-id YOUR_USER_ID")

    def _owner_after_chats(self) -> None:
        """A tool that sorts keys writes personal_information after chats: one more C pass."""
        with self._open() as f:
            src = GuardedFile(f, self._guard)
            try:
                for value in _ijson.items(src, "personal_information.user_id", buf_size=_BUF):
                    if type(value) is int and -INT64_MAX <= value <= INT64_MAX:
                        self.owner_id = value
                    else:
                        self._bad_owner = value
                    break
            except JSONError as e:
                raise self._json_error(e, src) from None

    def _sender_hint(self, limit: int = 5000) -> str:
        """'; senders here: 123 (Name, 10 msgs), ...' from the first messages, for errors."""
        seen: dict[int, list] = {}
        try:
            with self._open() as f:
                src = GuardedFile(f, FileGuard(self.path.name))
                for d in islice(_ijson.items(src, "messages.item", buf_size=_BUF), limit):
                    sid = peer_id(d.get("from_id")) if isinstance(d, dict) else None
                    if sid is not None and d.get("type") == "message":
                        entry = seen.setdefault(sid, [_str(d.get("from")), 0])
                        entry[1] += 1
        except (JSONError, OSError, ValueError, ExportError):
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
        guard = self._guard
        n = 0
        try:
            for d in islice(self._items, todo):
                n += 1
                if type(d) is not dict:
                    yield MALFORMED_MESSAGE
                elif guard.duplicate_keys and _conflicting_keys(d):
                    yield DUPLICATE_KEY_MESSAGE
                else:
                    yield to_message(d, owner)
        except JSONError as e:
            raise self._json_error(e, self._items_src) from None
        except UnicodeDecodeError as e:
            raise ExportError(f"{self.path.name} has text that is not valid UTF-8 "
                              f"({e.reason})") from None
        finally:
            chat.message_count += n
            self.messages_read += n
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
            for _ in islice(self._items, todo):  # type: ignore[arg-type]
                n += 1
        except JSONError as e:
            raise self._json_error(e, self._items_src) from None
        except UnicodeDecodeError as e:
            raise ExportError(f"{self.path.name} has text that is not valid UTF-8 "
                              f"({e.reason})") from None
        chat.message_count += n
        self.messages_read += n
        self._remaining = 0


def _beyond(src: GuardedFile | None) -> Callable[[int], None] | None:
    """A progress callback for a second read of ``src``'s file: only what goes past where
    ``src`` had got to is reported."""
    if src is None or src.progress is None:
        return None
    report, left = src.progress, src.source

    def progress(n: int) -> None:
        nonlocal left
        if left >= n:
            left -= n
            return
        n, left = n - left, 0
        report(n)
    return progress


def _conflicting_keys(d: dict) -> bool:
    """Was a key that decides authorship given twice in this message, with two different
    values (see ``guard.DUPLICATE_NAMES``)? Then whose words these are cannot be told."""
    for key, (again, more) in DUPLICATE_NAMES.items():
        if more in d:
            return True
        if again in d and d[again] != d.get(key):
            return True
    return False


def _is_premature_eof(e: JSONError) -> bool:
    return "premature EOF" in str(e.args[0] if e.args else e)


def _str(v: object) -> str | None:
    return v if isinstance(v, str) else None


def export_mode(path: Path) -> int:
    """``path``'s st_mode, or the one-line ExportError for a path that is missing or cannot
    be looked at."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        raise ExportError(f"export not found: {path}") from None
    except OSError as e:
        raise ExportError(f"cannot read export {path}: {e.strerror or e}") from None


def check_regular_file(path: Path) -> None:
    """The reader opens the file three times: a pipe or a device would be read once."""
    mode = export_mode(path)
    if stat.S_ISDIR(mode):
        raise ExportError(f"{path} is a directory; expected the export's result.json")
    if not stat.S_ISREG(mode):
        raise ExportError(f"{path} is not a regular file (a pipe or a device?): save the "
                          "export to a file and pass that")
