"""The bot's state store (SQLite): suggestions, owner decisions, the send audit log, per-chat
modes and pauses, flags, the bot's own posts, what was already handled.

Its schema is versioned: opening a store applies the migrations it lacks (``migrations.py``).
It lives in ``paths.data_dir`` as ``state.sqlite`` (``state_path``); a store under its
first name, ``approvals.sqlite``, is moved there when first looked for.

Durability: WAL and one short transaction per state change, so a crash or ``kill -9``
loses nothing that was committed (WAL + ``synchronous=NORMAL`` survives process death; only
a power cut can drop the last commits). The send intent is the exception: it is written
with ``synchronous=FULL`` (fsync) before the message goes out, so even a power cut cannot
make us forget a send that may have happened. Sends are guarded by an
idempotent marker: ``begin_send`` writes an *intent* row (primary key = suggestion id)
before the Telegram call and ``finish_send`` turns it into *done* afterwards. A second
``begin_send`` for the same suggestion never gets a fresh claim, and an intent left by a
crash is "in doubt": the runtime checks the chat history before doing anything else, so a
message is never sent twice.

Timestamps are unix seconds (float) supplied by the caller's clock.

What the clone said is the clone's, not the owner's: ``clone_messages()`` names every
message in a chat that carries the model's words (sent automatically, approved as is with
``ok``, or a draft the owner sent unchanged), so training never learns the clone from
itself. What the owner edited or wrote instead stays theirs.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from clonebot.approval.decisions import Decision
from clonebot.errors import StateStoreError
from clonebot.state import migrations
from clonebot.state.cards import CardRecords

ClaimStatus = Literal["new", "done", "in_doubt", "closed", "missing"]

# Short ids the owner types: no 0/o/1/l/i, always at least one digit so they never read as a word.
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_ID_DIGITS = "23456789"



@dataclass(frozen=True)
class Suggestion:
    id: str
    thread: str
    chat_id: int
    chat_name: str
    mode: str
    incoming: str
    prompt_turns: list[dict]
    suggestion: str
    pii: list[str]
    state: str  # pending | sending | closed
    control_msg_id: int | None
    created_at: float
    expires_at: float
    decision: str | None
    final_text: str | None
    decided_at: float | None
    note: str | None
    sent_msg_id: int | None

    @property
    def pending(self) -> bool:
        return self.state == "pending"


@dataclass(frozen=True)
class DecisionRecord:
    """One decision on one suggestion (the contract of ``decisions()``)."""

    id: str
    thread: str
    chat_id: int
    mode: str
    created_at: float
    decided_at: float
    decision: str  # a Decision value
    prompt_turns: list[dict]
    suggestion: str
    final_text: str | None
    note: str | None


@dataclass(frozen=True)
class SendClaim:
    status: ClaimStatus  # new: go ahead and send; anything else: don't
    msg_id: int | None = None


@dataclass(frozen=True)
class SendRecord:
    sid: str
    chat_id: int
    text: str
    by: str
    decision: str | None
    note: str | None
    state: str  # intent | done
    msg_id: int | None
    started_at: float
    done_at: float | None


def _row_to_suggestion(r: sqlite3.Row) -> Suggestion:
    d = dict(r)
    d["prompt_turns"] = json.loads(d["prompt_turns"])
    d["pii"] = json.loads(d["pii"])
    return Suggestion(**d)


STATE_FILE = "state.sqlite"
_FIRST_NAME = "approvals.sqlite"  # what the store was called before it had schema versions


def state_path(data_dir: Path | str) -> Path:
    """Where the bot keeps its state in ``data_dir``. A store still under its first name is
    moved here first (its write-ahead log folded in), so every reader finds the same file."""
    data_dir = Path(data_dir)
    path, old = data_dir / STATE_FILE, data_dir / _FIRST_NAME
    if old.exists() and not path.exists():
        try:
            db = sqlite3.connect(str(old), isolation_level=None, timeout=30)
            try:  # fold the WAL (what a kill -9 left there) into the file, drop -wal/-shm
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.execute("PRAGMA journal_mode=DELETE")
            finally:
                db.close()
            old.replace(path)
        except sqlite3.DatabaseError as e:
            raise StateStoreError(f"cannot move the state store {old} to {path}: {e}") from None
        except FileNotFoundError:  # another process moved it meanwhile
            pass
    return path


class StateStore(CardRecords):
    """The bot's state, in one SQLite file (see the module docstring).

    ``watch(fn)``: ``fn(sid)`` is called after every committed change of a suggestion's state
    (decided, expired, sending, sent, back to pending), whoever made it: what shows the
    suggestion elsewhere (an approval card) follows the store, the one source of truth.
    """

    def __init__(self, path: Path | str):
        self._watchers: list[Callable[[str], None]] = []
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # autocommit mode; we open explicit transactions where several writes must agree
            self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self.migrated = migrations.migrate(self._db, str(self.path))
        except sqlite3.DatabaseError as e:  # not a database, a damaged file, a locked disk
            raise StateStoreError(f"cannot open the state store {self.path}: {e}") from None

    @property
    def schema_version(self) -> int:
        return max(migrations.applied(self._db), default=0)

    def watch(self, fn: Callable[[str], None]) -> None:
        self._watchers.append(fn)

    def _changed(self, *sids: str) -> None:
        for sid in sids:
            for fn in self._watchers:
                fn(sid)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def _tx(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        if durable:  # fsync this commit (the pragma cannot change inside a transaction)
            self._db.execute("PRAGMA synchronous=FULL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if durable:
                self._db.execute("PRAGMA synchronous=NORMAL")

    # --- suggestions -------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            chars = [secrets.choice(_ID_ALPHABET) for _ in range(4)]
            if not any(c in _ID_DIGITS for c in chars):
                chars[secrets.randbelow(4)] = secrets.choice(_ID_DIGITS)
            sid = "".join(chars)
            if self.get(sid) is None:
                return sid

    def create(
        self,
        *,
        chat_id: int,
        mode: str,
        prompt_turns: Sequence[dict],
        suggestion: str,
        now: float,
        ttl_seconds: float,
        chat_name: str = "",
        incoming: str = "",
        thread: str | None = None,
        pii: Sequence[str] = (),
        answers_upto: int | None = None,
    ) -> Suggestion:
        """A new pending suggestion. ``answers_upto``: the newest incoming message id it
        answers, recorded with it so a restart never answers those messages again."""
        sid = self._new_id()
        with self._tx() as db:
            db.execute(
                "INSERT INTO suggestions (id, thread, chat_id, chat_name, mode, incoming,"
                " prompt_turns, suggestion, pii, state, created_at, expires_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sid, thread or sid, chat_id, chat_name, mode, incoming,
                    json.dumps([dict(t) for t in prompt_turns], ensure_ascii=False), suggestion,
                    json.dumps(list(pii), ensure_ascii=False), "pending", now, now + ttl_seconds,
                ),
            )
            if answers_upto is not None:
                _raise_mark(db, chat_id, answers_upto)
        return self.get(sid)  # type: ignore[return-value]

    def get(self, sid: str) -> Suggestion | None:
        r = self._db.execute("SELECT * FROM suggestions WHERE id=?", (sid.lower(),)).fetchone()
        return _row_to_suggestion(r) if r else None

    def by_control_msg(self, msg_id: int) -> Suggestion | None:
        r = self._db.execute(
            "SELECT * FROM suggestions WHERE control_msg_id=? ORDER BY created_at DESC LIMIT 1",
            (msg_id,),
        ).fetchone()
        return _row_to_suggestion(r) if r else None

    def set_control_msg(self, sid: str, msg_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE suggestions SET control_msg_id=? WHERE id=?", (msg_id, sid))
            db.execute("INSERT OR REPLACE INTO own_posts (msg_id, sid) VALUES (?,?)", (msg_id, sid))

    def set_mode(self, sid: str, mode: str) -> None:
        self._db.execute("UPDATE suggestions SET mode=? WHERE id=?", (mode, sid))
        self._changed(sid)

    def pending(self, chat_id: int | None = None, mode: str | None = None) -> list[Suggestion]:
        q, args = "SELECT * FROM suggestions WHERE state='pending'", []
        if chat_id is not None:
            q += " AND chat_id=?"
            args.append(chat_id)
        if mode is not None:
            q += " AND mode=?"
            args.append(mode)
        rows = self._db.execute(q + " ORDER BY created_at, rowid", args).fetchall()
        return [_row_to_suggestion(r) for r in rows]

    def decide(
        self,
        sid: str,
        decision: Decision | str | None,
        *,
        now: float,
        final_text: str | None = None,
        note: str | None = None,
        msg_id: int | None = None,
    ) -> bool:
        """Close a pending suggestion. False if it was not pending (already decided or sending).
        ``msg_id``: the chat message that carried ``final_text`` (a draft the owner sent)."""
        cur = self._db.execute(
            "UPDATE suggestions SET state='closed', decision=?, final_text=?, decided_at=?, note=?,"
            " sent_msg_id=COALESCE(?, sent_msg_id) WHERE id=? AND state='pending'",
            (_decision(decision), final_text, now, note, msg_id, sid),
        )
        if cur.rowcount == 1:
            self._changed(sid)
        return cur.rowcount == 1

    def expire_due(self, now: float) -> list[Suggestion]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM suggestions WHERE state='pending' AND expires_at<=?", (now,)
            ).fetchall()
            db.execute(
                "UPDATE suggestions SET state='closed', decision='expired', decided_at=?, note='ttl'"
                " WHERE state='pending' AND expires_at<=?",
                (now, now),
            )
        self._changed(*(r["id"] for r in rows))
        return [_row_to_suggestion(r) for r in rows]

    # --- sends (idempotent marker + audit log) -------------------------------------------

    def begin_send(
        self,
        sid: str,
        text: str,
        *,
        now: float,
        by: str,
        decision: Decision | str | None,
        note: str | None = None,
    ) -> SendClaim:
        """Claim the right to send suggestion ``sid`` once. Only status "new" may send.

        ``decision`` (recorded when the send is finished) is kept with the intent, so a
        send confirmed after a crash still records what the owner decided.
        """
        decision = _decision(decision)
        with self._tx(durable=True) as db:
            s = db.execute("SELECT state, chat_id FROM suggestions WHERE id=?", (sid,)).fetchone()
            if s is None:
                return SendClaim("missing")
            row = db.execute("SELECT state, msg_id FROM sends WHERE sid=?", (sid,)).fetchone()
            if row is not None:
                return SendClaim("done" if row["state"] == "done" else "in_doubt", row["msg_id"])
            if s["state"] != "pending":
                return SendClaim("closed")
            db.execute(
                "INSERT INTO sends (sid, chat_id, text, by, decision, note, state, started_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (sid, s["chat_id"], text, by, decision, note, "intent", now),
            )
            db.execute("UPDATE suggestions SET state='sending' WHERE id=?", (sid,))
        self._changed(sid)
        return SendClaim("new")

    def finish_send(self, sid: str, msg_id: int | None, *, now: float) -> None:
        """Mark the send done and record the decision kept with the intent, atomically."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM sends WHERE sid=?", (sid,)).fetchone()
            if row is None:
                raise KeyError(sid)
            db.execute(
                "UPDATE sends SET state='done', msg_id=?, done_at=? WHERE sid=?", (msg_id, now, sid)
            )
            db.execute(
                "UPDATE suggestions SET state='closed', decision=?, final_text=?, decided_at=?,"
                " note=?, sent_msg_id=? WHERE id=?",
                (row["decision"], row["text"], now, row["note"], msg_id, sid),
            )
        self._changed(sid)

    def abort_send(self, sid: str) -> None:
        """The send certainly did not happen: drop the intent, the suggestion is pending again."""
        with self._tx() as db:
            db.execute("DELETE FROM sends WHERE sid=? AND state='intent'", (sid,))
            db.execute("UPDATE suggestions SET state='pending' WHERE id=? AND state='sending'", (sid,))
        self._changed(sid)

    def in_doubt(self) -> list[SendRecord]:
        rows = self._db.execute("SELECT * FROM sends WHERE state='intent' ORDER BY started_at")
        return [SendRecord(**dict(r)) for r in rows.fetchall()]

    def send_of(self, sid: str) -> SendRecord | None:
        r = self._db.execute("SELECT * FROM sends WHERE sid=?", (sid,)).fetchone()
        return SendRecord(**dict(r)) if r else None

    def sends_since(self, since: float, chat_id: int | None = None) -> int:
        """Messages sent (or possibly sent) since ``since``: what the rate caps count."""
        q = "SELECT COUNT(*) FROM sends WHERE (done_at>=? OR (state='intent' AND started_at>=?))"
        args: list[Any] = [since, since]
        if chat_id is not None:
            q += " AND chat_id=?"
            args.append(chat_id)
        return int(self._db.execute(q, args).fetchone()[0])

    def is_sent_msg(self, chat_id: int, msg_id: int) -> bool:
        r = self._db.execute(
            "SELECT 1 FROM sends WHERE chat_id=? AND msg_id=?", (chat_id, msg_id)
        ).fetchone()
        return r is not None

    def clone_messages(self) -> list[tuple[int, int]]:
        """(chat id, message id) of every chat message that carries the clone's words, not
        the owner's: sent automatically, approved as is (``ok``), or a draft the owner sent
        unchanged. An edit, a reply with other text, or what the owner wrote instead is the
        owner's. Chat ids are Telethon's (``-100...`` for channels), oldest first."""
        rows = self._db.execute(
            "SELECT chat_id, msg_id, started_at AS t FROM sends WHERE state='done'"
            " AND msg_id IS NOT NULL AND (by='auto' OR decision IS NULL OR decision=?)"
            " UNION SELECT chat_id, sent_msg_id, decided_at FROM suggestions"
            " WHERE sent_msg_id IS NOT NULL AND decision=? ORDER BY t",
            (Decision.SENT.value, Decision.SENT.value),
        ).fetchall()
        return list(dict.fromkeys((int(r[0]), int(r[1])) for r in rows))

    def sent_log(self) -> list[SendRecord]:
        rows = self._db.execute("SELECT * FROM sends ORDER BY started_at, rowid").fetchall()
        return [SendRecord(**dict(r)) for r in rows]

    # --- decisions -----------------------------------------------------------------------

    def decisions(self) -> list[DecisionRecord]:
        rows = self._db.execute(
            "SELECT * FROM suggestions WHERE decision IS NOT NULL ORDER BY decided_at, rowid"
        ).fetchall()
        return [
            DecisionRecord(
                id=r["id"], thread=r["thread"], chat_id=r["chat_id"], mode=r["mode"],
                created_at=r["created_at"], decided_at=r["decided_at"], decision=r["decision"],
                prompt_turns=json.loads(r["prompt_turns"]), suggestion=r["suggestion"],
                final_text=r["final_text"], note=r["note"],
            )
            for r in rows
        ]

    # --- chat state and flags ------------------------------------------------------------

    def set_chat_mode(self, chat_id: int, mode: str | None) -> None:
        self._db.execute(
            "INSERT INTO chats (chat_id, mode) VALUES (?,?)"
            " ON CONFLICT(chat_id) DO UPDATE SET mode=excluded.mode",
            (chat_id, mode),
        )

    def set_chat_paused(self, chat_id: int, paused: bool) -> None:
        self._db.execute(
            "INSERT INTO chats (chat_id, paused) VALUES (?,?)"
            " ON CONFLICT(chat_id) DO UPDATE SET paused=excluded.paused",
            (chat_id, int(paused)),
        )

    def chat_state(self, chat_id: int) -> tuple[str | None, bool]:
        r = self._db.execute("SELECT mode, paused FROM chats WHERE chat_id=?", (chat_id,)).fetchone()
        return (r["mode"], bool(r["paused"])) if r else (None, False)

    def chat_states(self) -> dict[int, tuple[str | None, bool]]:
        rows = self._db.execute("SELECT chat_id, mode, paused FROM chats").fetchall()
        return {r["chat_id"]: (r["mode"], bool(r["paused"])) for r in rows}

    def get_flag(self, key: str, default: Any = None) -> Any:
        r = self._db.execute("SELECT value FROM flags WHERE key=?", (key,)).fetchone()
        return json.loads(r["value"]) if r else default

    def set_flag(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO flags (key, value) VALUES (?,?)", (key, json.dumps(value))
        )

    def add_own_post(self, msg_id: int, sid: str | None = None) -> None:
        self._db.execute("INSERT OR IGNORE INTO own_posts (msg_id, sid) VALUES (?,?)", (msg_id, sid))

    def is_own_post(self, msg_id: int) -> bool:
        r = self._db.execute("SELECT 1 FROM own_posts WHERE msg_id=?", (msg_id,)).fetchone()
        return r is not None

    # --- what was handled, across restarts ------------------------------------------------

    def answered_upto(self, chat_id: int) -> int:
        """The newest incoming message id of this chat that a suggestion already answers."""
        r = self._db.execute("SELECT answered_upto FROM chat_marks WHERE chat_id=?",
                             (chat_id,)).fetchone()
        return int(r["answered_upto"]) if r else 0

    def owner_wrote(self, chat_id: int) -> bool:
        r = self._db.execute("SELECT owner_wrote FROM chat_marks WHERE chat_id=?",
                             (chat_id,)).fetchone()
        return bool(r and r["owner_wrote"])

    def set_owner_wrote(self, chat_id: int) -> None:
        self._db.execute(
            "INSERT INTO chat_marks (chat_id, owner_wrote) VALUES (?,1)"
            " ON CONFLICT(chat_id) DO UPDATE SET owner_wrote=1",
            (chat_id,),
        )

    def take_control_message(self, msg_id: int) -> bool:
        """True the first time an owner's message in the control chat is taken for handling."""
        cur = self._db.execute("INSERT OR IGNORE INTO control_taken (msg_id) VALUES (?)", (msg_id,))
        return cur.rowcount == 1


def _decision(decision: Decision | str | None) -> str | None:
    """The stored name of a decision; ValueError for a name that is not one."""
    return None if decision is None else Decision(decision).value


def _raise_mark(db: sqlite3.Connection, chat_id: int, msg_id: int) -> None:
    db.execute(
        "INSERT INTO chat_marks (chat_id, answered_upto) VALUES (?,?) ON CONFLICT(chat_id)"
        " DO UPDATE SET answered_upto=MAX(answered_upto, excluded.answered_upto)",
        (chat_id, msg_id),
    )
