"""The state store's schema, as an ordered list of migrations.

A store records which migrations it has had in ``schema_migrations`` (version, name, when);
its schema version is the highest one. Opening a store applies the missing ones in order,
each in one transaction with its row, so a crash or ``kill -9`` mid-migration leaves the
store as it was before that migration (SQLite's DDL is transactional). A store written by a
newer clonebot (a version this code does not know) is refused rather than guessed at: an
older clonebot would not know what its columns mean.

Adding a migration: append a function decorated with ``@migration``; never edit or reorder
one that has shipped (stores in the field have it recorded by version and name). The first
one is the schema as it was before the store had versions (``IF NOT EXISTS`` throughout),
so a store written then is adopted as version 1 with its rows untouched.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from clonebot.errors import StateStoreError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append(Migration(len(MIGRATIONS) + 1, fn.__name__, fn))
    return fn


def latest() -> int:
    return len(MIGRATIONS)


def _run(db: sqlite3.Connection, statements: tuple[str, ...]) -> None:
    # one statement at a time: executescript() would COMMIT the migration's transaction
    for sql in statements:
        db.execute(sql)


def applied(db: sqlite3.Connection) -> dict[int, str]:
    """Version -> name of every migration this store has had ({} for a store without versions)."""
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name="
                        "'schema_migrations'").fetchone()
    if not exists:
        return {}
    return {v: n for v, n in db.execute("SELECT version, name FROM schema_migrations")}


def migrate(db: sqlite3.Connection, where: str) -> list[str]:
    """Bring the store up to ``latest()``; the names of the migrations applied now.

    ``db`` is in autocommit mode (``isolation_level=None``). ``where`` names the store in
    errors. StateStoreError if the store is newer than this code or its history differs.
    """
    done: list[str] = []
    while True:
        db.execute("BEGIN IMMEDIATE")  # one writer: a second process waits, then sees ours
        try:
            have = applied(db)
            _check(have, where)
            if len(have) >= latest():
                db.execute("COMMIT")
                return done
            step = MIGRATIONS[len(have)]
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY"
                       " KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
            step.apply(db)
            db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)",
                       (step.version, step.name, time.time()))
            db.execute("COMMIT")
            done.append(step.name)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def _check(have: dict[int, str], where: str) -> None:
    newest = max(have, default=0)
    if newest > latest():
        raise StateStoreError(
            f"{where} was written by a newer clonebot (schema version {newest}; this one knows "
            f"up to {latest()}): run that version, or upgrade this one")
    for m in MIGRATIONS[:newest]:
        if have.get(m.version) != m.name:
            raise StateStoreError(
                f"{where} has a schema history this clonebot does not know (version "
                f"{m.version} is {have.get(m.version)!r}, expected {m.name!r})")


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    """The schema before versions: suggestions, the send log, per-chat modes and pauses, flags,
    the bot's own posts, control messages taken, what each chat had answered."""
    _run(db, (
        """CREATE TABLE IF NOT EXISTS suggestions (
            id TEXT PRIMARY KEY,
            thread TEXT NOT NULL,
            chat_id INTEGER NOT NULL,
            chat_name TEXT NOT NULL DEFAULT '',
            mode TEXT NOT NULL,
            incoming TEXT NOT NULL DEFAULT '',
            prompt_turns TEXT NOT NULL,
            suggestion TEXT NOT NULL,
            pii TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL,
            control_msg_id INTEGER,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            decision TEXT,
            final_text TEXT,
            decided_at REAL,
            note TEXT,
            sent_msg_id INTEGER
        )""",
        "CREATE INDEX IF NOT EXISTS suggestions_chat ON suggestions(chat_id, state)",
        "CREATE INDEX IF NOT EXISTS suggestions_control ON suggestions(control_msg_id)",
        """CREATE TABLE IF NOT EXISTS sends (
            sid TEXT PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            by TEXT NOT NULL,
            decision TEXT,
            note TEXT,
            state TEXT NOT NULL,
            msg_id INTEGER,
            started_at REAL NOT NULL,
            done_at REAL
        )""",
        "CREATE INDEX IF NOT EXISTS sends_time ON sends(state, done_at)",
        "CREATE INDEX IF NOT EXISTS sends_msg ON sends(chat_id, msg_id)",
        """CREATE TABLE IF NOT EXISTS chats (
            chat_id INTEGER PRIMARY KEY,
            mode TEXT,
            paused INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE IF NOT EXISTS flags (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS own_posts (
            msg_id INTEGER PRIMARY KEY,
            sid TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS control_taken (
            msg_id INTEGER PRIMARY KEY
        )""",
        """CREATE TABLE IF NOT EXISTS chat_marks (
            chat_id INTEGER PRIMARY KEY,
            answered_upto INTEGER NOT NULL DEFAULT 0,
            owner_wrote INTEGER NOT NULL DEFAULT 0
        )""",
    ))


@migration
def m002_companion_cards(db: sqlite3.Connection) -> None:
    """Approval cards in the owner's chat with the companion bot: which message shows which
    suggestion (Another moves a card along its thread), what it says now, whether its
    buttons still work; the one card whose Edit is waiting for the owner's text; the owner's
    messages to the bot already handled."""
    _run(db, (
        """CREATE TABLE cards (
            bot_id INTEGER NOT NULL,
            msg_id INTEGER NOT NULL,
            thread TEXT NOT NULL,
            sid TEXT NOT NULL,
            note TEXT,
            shown TEXT NOT NULL DEFAULT '',
            open INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            PRIMARY KEY (bot_id, msg_id)
        )""",
        "CREATE INDEX cards_sid ON cards(sid)",
        "CREATE INDEX cards_thread ON cards(thread, open)",
        """CREATE TABLE card_edit (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            bot_id INTEGER NOT NULL,
            msg_id INTEGER NOT NULL,
            sid TEXT NOT NULL,
            after_msg_id INTEGER NOT NULL,
            since REAL NOT NULL
        )""",
        """CREATE TABLE companion_taken (
            bot_id INTEGER NOT NULL,
            msg_id INTEGER NOT NULL,
            PRIMARY KEY (bot_id, msg_id)
        )""",
    ))
