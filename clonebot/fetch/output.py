"""The fetched history as a Telegram Desktop full export (``result.json``), written atomically.

Layout as Desktop writes it, in the order the export reader relies on: ``about``,
``personal_information`` (``user_id`` names the owner; no phone number, no bio), then
``chats.list``, each chat's ``name``, ``type``, ``id`` (the bare id, as Desktop writes it)
before its ``messages`` (oldest first). Messages stream from the store one by one, into a
private temp file beside the target that replaces it only once complete.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from clonebot.errors import TelegramError
from clonebot.fetch.desktop_json import bare_id
from clonebot.fetch.store import HistoryStore
from clonebot.fsutil import disk_full_message, is_disk_full, size_text

ABOUT = ("Written by clonebot fetch from Telegram's API in Telegram Desktop's JSON export "
         "format: text only, media left out.")


@dataclass(frozen=True)
class Owner:
    user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None


@dataclass(frozen=True)
class ChatRef:
    peer_id: int
    name: str | None
    type: str


def write_export(path: Path, owner: Owner, chats: Iterable[ChatRef],
                 store: HistoryStore) -> tuple[int, int]:
    """Write ``path``; returns (chats, messages) written."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # left by a killed fetch (the name escaped: --out "*.json" must not match others)
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise TelegramError(f"cannot write {path}: {e.strerror or e}") from None
    n_chats = n_messages = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            person = {"user_id": owner.user_id, "first_name": owner.first_name,
                      "last_name": owner.last_name, "username": owner.username}
            f.write('{\n "about": ' + json.dumps(ABOUT) + ',\n "personal_information": '
                    + json.dumps(person, ensure_ascii=False) + ',\n "chats": {\n  "about": '
                    + json.dumps("The chats clonebot fetch selected.") + ',\n  "list": [')
            for chat in chats:
                head = {"name": chat.name, "type": chat.type, "id": bare_id(chat.peer_id)}
                f.write(("," if n_chats else "") + "\n   "
                        + json.dumps(head, ensure_ascii=False)[:-1] + ', "messages": [')
                first = True
                for body in store.messages(chat.peer_id):
                    f.write(("\n    " if first else ",\n    ") + body)
                    first = False
                    n_messages += 1
                f.write("\n   ]}")
                n_chats += 1
            f.write("\n  ]\n }\n}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        written = _size(tmp)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if is_disk_full(e):  # what was written when it filled is the least it needs
            raise TelegramError(disk_full_message(
                f"the fetched export (more than the {size_text(written)} written)", path,
                None)) from None
        raise TelegramError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return n_chats, n_messages


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
