"""The state of the companion bot's approval cards (a part of ``StateStore``).

A card is one message in the owner's chat with the companion bot (``bot_id``, ``msg_id``).
It shows one suggestion of a thread at a time (``sid``; Another moves it to the thread's
next candidate, in place), remembers what it says now (``shown``: the text last written to
Telegram, so a restart edits only the cards that fell behind) and whether its buttons still
act (``open``). At most one card waits for the owner's own text after Edit (``card_edit``);
only the owner's messages after ``after_msg_id`` (the bot's prompt) count for it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    bot_id: int
    msg_id: int
    thread: str
    sid: str
    note: str | None  # a warning shown with it (why an auto reply asks, an interrupted send)
    shown: str
    open: bool
    created_at: float


@dataclass(frozen=True)
class EditWait:
    bot_id: int
    msg_id: int  # the card
    sid: str
    after_msg_id: int  # the bot's prompt: the owner's next message after it is the text
    since: float


def _card(r: sqlite3.Row | None) -> Card | None:
    return None if r is None else Card(**{**dict(r), "open": bool(r["open"])})


class CardRecords:
    """Card records on the store's connection (``StateStore`` mixes this in)."""

    _db: sqlite3.Connection

    def add_card(self, bot_id: int, msg_id: int, *, thread: str, sid: str, note: str | None,
                 shown: str, now: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO cards (bot_id, msg_id, thread, sid, note, shown, open,"
            " created_at) VALUES (?,?,?,?,?,?,1,?)",
            (bot_id, msg_id, thread, sid, note, shown, now))

    def card(self, bot_id: int, msg_id: int) -> Card | None:
        return _card(self._db.execute("SELECT * FROM cards WHERE bot_id=? AND msg_id=?",
                                      (bot_id, msg_id)).fetchone())

    def open_card(self, bot_id: int, thread: str) -> Card | None:
        """The card of ``thread`` whose buttons still act, if any (the newest)."""
        return _card(self._db.execute(
            "SELECT * FROM cards WHERE bot_id=? AND thread=? AND open=1 ORDER BY created_at DESC,"
            " msg_id DESC LIMIT 1", (bot_id, thread)).fetchone())

    def cards_showing(self, sid: str) -> list[Card]:
        rows = self._db.execute("SELECT * FROM cards WHERE sid=?", (sid,)).fetchall()
        return [c for c in map(_card, rows) if c is not None]

    def open_cards(self, bot_id: int) -> list[Card]:
        rows = self._db.execute("SELECT * FROM cards WHERE bot_id=? AND open=1 ORDER BY msg_id",
                                (bot_id,)).fetchall()
        return [c for c in map(_card, rows) if c is not None]

    def point_card(self, bot_id: int, msg_id: int, *, sid: str, note: str | None) -> None:
        """The card shows ``sid`` now (the thread's next candidate, or the same one offered
        again), its buttons acting again."""
        self._db.execute("UPDATE cards SET sid=?, note=?, open=1 WHERE bot_id=? AND msg_id=?",
                         (sid, note, bot_id, msg_id))

    def card_shown(self, bot_id: int, msg_id: int, *, shown: str, open: bool) -> None:
        self._db.execute("UPDATE cards SET shown=?, open=? WHERE bot_id=? AND msg_id=?",
                         (shown, int(open), bot_id, msg_id))

    def wait_for_edit(self, bot_id: int, msg_id: int, *, sid: str, after_msg_id: int,
                      now: float) -> EditWait | None:
        """This card now waits for the owner's text; the one that waited before, if another."""
        before = self.edit_wait()
        self._db.execute(
            "INSERT OR REPLACE INTO card_edit (one, bot_id, msg_id, sid, after_msg_id, since)"
            " VALUES (1,?,?,?,?,?)", (bot_id, msg_id, sid, after_msg_id, now))
        return before if before is not None and before.msg_id != msg_id else None

    def edit_wait(self) -> EditWait | None:
        r = self._db.execute("SELECT bot_id, msg_id, sid, after_msg_id, since FROM card_edit"
                             " WHERE one=1").fetchone()
        return EditWait(**dict(r)) if r else None

    def end_edit_wait(self, sid: str | None = None) -> EditWait | None:
        """Nothing waits for the owner's text any more (only if it was ``sid``'s, if given):
        what waited, if anything. Atomic: of two takers, one gets it."""
        wait = self.edit_wait()
        if wait is None or (sid is not None and wait.sid != sid):
            return None
        cur = self._db.execute("DELETE FROM card_edit WHERE one=1 AND sid=? AND msg_id=?",
                               (wait.sid, wait.msg_id))
        return wait if cur.rowcount == 1 else None

    def take_companion_message(self, bot_id: int, msg_id: int) -> bool:
        """True the first time the owner's message ``msg_id`` to the bot is taken for handling
        (a catch-up after a restart delivers it again)."""
        cur = self._db.execute("INSERT OR IGNORE INTO companion_taken (bot_id, msg_id)"
                               " VALUES (?,?)", (bot_id, msg_id))
        return cur.rowcount == 1
