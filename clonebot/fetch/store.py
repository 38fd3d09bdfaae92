"""What ``clonebot fetch`` has downloaded so far: one SQLite file per account.

``paths.data_dir/history-<account id>.sqlite`` (private, like the session file) holds every
message fetched, already in Desktop's export schema, keyed by (chat, message id), and per
chat ``newest_id``: every message up to that id has been fetched. Pages are stored in
ascending id order and each page is one transaction together with the new ``newest_id``,
so a fetch killed at any moment leaves a store where that statement still holds (SQLite's
journal undoes a half-written page); the next fetch asks only for messages newer than
``newest_id``, and the (chat, id) key means a message is never stored twice. An edit
replaces the stored message.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from clonebot.errors import TelegramError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats (
    peer_id INTEGER PRIMARY KEY,      -- Telethon's marked id (-100... for channels)
    name TEXT,
    type TEXT NOT NULL,
    newest_id INTEGER NOT NULL DEFAULT 0,
    newest_date INTEGER NOT NULL DEFAULT 0,  -- unix seconds of the newest stored message
    checked_at REAL NOT NULL DEFAULT 0,      -- when its latest messages were last re-read
    position INTEGER NOT NULL DEFAULT 0      -- place in the dialog list at the last fetch
);
CREATE TABLE IF NOT EXISTS messages (
    peer_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    edited INTEGER NOT NULL,          -- unix seconds of the last edit, 0 if never
    body TEXT NOT NULL,               -- the Desktop export dict, JSON
    PRIMARY KEY (peer_id, id)
) WITHOUT ROWID;
"""
_VERSION = "1"


@dataclass(frozen=True)
class StoredChat:
    peer_id: int
    name: str | None
    type: str
    newest_id: int
    newest_date: int
    checked_at: float
    messages: int


def store_path(data_dir: Path, account_id: int) -> Path:
    return Path(data_dir) / f"history-{account_id}.sqlite"


class HistoryStore:
    def __init__(self, path: Path | str, account_id: int):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            # WAL: a committed page survives a kill; a torn one is never seen.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self._check_owner(account_id)
        except sqlite3.DatabaseError as e:
            raise TelegramError(f"the fetch store {self.path} is damaged ({e}): move it away "
                                "and fetch again") from None
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{self.path}{suffix}")
            if p.exists():
                p.chmod(0o600)

    def _check_owner(self, account_id: int) -> None:
        rows = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if not rows:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT INTO meta VALUES (?, ?)",
                                    [("account_id", str(account_id)), ("version", _VERSION)])
            return
        if rows.get("account_id") != str(account_id):
            raise TelegramError(f"the fetch store {self.path} belongs to account "
                                f"{rows.get('account_id')}, not {account_id}")
        if rows.get("version") != _VERSION:
            raise TelegramError(f"the fetch store {self.path} has format "
                                f"{rows.get('version')}; this clonebot reads {_VERSION}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta ---------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        with self.db:
            if value is None:
                self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- chats --------------------------------------------------------------------------

    def chat(self, peer_id: int) -> StoredChat | None:
        row = self.db.execute(
            "SELECT peer_id, name, type, newest_id, newest_date, checked_at, "
            "(SELECT COUNT(*) FROM messages m WHERE m.peer_id = c.peer_id) "
            "FROM chats c WHERE peer_id = ?", (peer_id,)).fetchone()
        return StoredChat(*row) if row else None

    def note_chats(self, chats: list[tuple[int, str | None, str]]) -> None:
        """The selected chats (peer id, name, type) in dialog-list order: names and types
        as Telegram shows them now; what was fetched stays."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for position, (peer_id, name, kind) in enumerate(chats):
                self.db.execute(
                    "INSERT INTO chats (peer_id, name, type, position) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(peer_id) DO UPDATE SET name = excluded.name, "
                    "type = excluded.type, position = excluded.position",
                    (peer_id, name, kind, position))

    def forget_chats(self, peer_ids: list[int]) -> int:
        """Delete these chats and their messages (e.g. Telegram's service chat, which an
        older fetch stored). Returns how many messages went."""
        marks = ",".join("?" * len(peer_ids))
        if not peer_ids:
            return 0
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            before = self.db.total_changes
            self.db.execute(f"DELETE FROM messages WHERE peer_id IN ({marks})", peer_ids)
            gone = self.db.total_changes - before
            self.db.execute(f"DELETE FROM chats WHERE peer_id IN ({marks})", peer_ids)
        return gone

    # --- messages -----------------------------------------------------------------------

    def add_page(self, peer_id: int, messages: list[dict], newest_id: int) -> int:
        """Store messages newer than the chat's ``newest_id`` and move it to ``newest_id``,
        in one transaction. Returns how many were new."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            (stored_newest,) = self.db.execute(
                "SELECT newest_id FROM chats WHERE peer_id = ?", (peer_id,)).fetchone()
            before = self.db.total_changes
            self.db.executemany(
                "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?)",
                [(peer_id, m["id"], _edited(m), _dump(m)) for m in messages
                 if m["id"] > stored_newest])
            added = self.db.total_changes - before
            newest_date = max((int(m["date_unixtime"]) for m in messages), default=0)
            self.db.execute(
                "UPDATE chats SET newest_id = MAX(newest_id, ?), "
                "newest_date = MAX(newest_date, ?) WHERE peer_id = ?",
                (newest_id, newest_date, peer_id))
        return added

    def mark_checked(self, peer_id: int, when: float) -> None:
        with self.db:
            self.db.execute("UPDATE chats SET checked_at = ? WHERE peer_id = ?", (when, peer_id))

    def apply_edits(self, peer_id: int, messages: list[dict]) -> int:
        """Replace stored messages whose edit time changed. Returns how many did."""
        if not messages:
            return 0
        known = dict(self.db.execute(
            f"SELECT id, edited FROM messages WHERE peer_id = ? AND id IN "
            f"({','.join('?' * len(messages))})", (peer_id, *[m['id'] for m in messages])))
        changed = [m for m in messages if m["id"] in known and known[m["id"]] != _edited(m)]
        if changed:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany(
                    "UPDATE messages SET edited = ?, body = ? WHERE peer_id = ? AND id = ?",
                    [(_edited(m), _dump(m), peer_id, m["id"]) for m in changed])
        return len(changed)

    def messages(self, peer_id: int) -> Iterator[str]:
        """The chat's messages as JSON text, oldest first (streamed)."""
        cursor = self.db.execute(
            "SELECT body FROM messages WHERE peer_id = ? ORDER BY id", (peer_id,))
        for (body,) in cursor:
            yield body

    def count(self, peer_id: int) -> int:
        (n,) = self.db.execute("SELECT COUNT(*) FROM messages WHERE peer_id = ?",
                               (peer_id,)).fetchone()
        return n


def _edited(message: dict) -> int:
    return int(message.get("edited_unixtime") or 0)


def _dump(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
