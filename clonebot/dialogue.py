"""Chat history -> dialogue turns: the one implementation training and the bot share.

Rules (each has a test):
- one chat at a time: callers start a fresh ``TurnMerger`` per chat, so speaker state never
  leaks from one chat into the next;
- a session ends after ``gap_seconds`` of silence (differences of unix seconds: the full
  interval, never ``timedelta.seconds``), measured from the latest message of the turn;
- consecutive messages of one sender inside a session merge into one turn: raw texts joined
  by newlines, cleaned once (``prompt_format.clean_content``); a message without visible
  text is skipped (media-only);
- the owner's turns are Clone turns, everyone else's User turns (two people in a group stay
  two turns); what the clone itself sent (``bot``: the bot's store knows those ids) is a
  turn of its own, role ``bot``: context, never a reply to learn, never merged with the
  owner's own words.

Two views of the same turns, both sized by ``context_turns`` (the turns the model sees
before a reply):

- ``ReplyWindows`` / ``reply_windows`` (training): every completed Clone turn yields one
  window: up to ``context_turns`` turns of its session before it, then the reply (a sliding
  window, so no reply is lost). A Clone turn with no User turn in its window has nothing to
  answer and yields nothing (counted as ``clone_turn_without_context``); a bot turn yields
  nothing either (counted as ``sent_by_bot``) but stays in the windows after it.
- ``recent_context`` (the bot): the last ``context_turns`` turns of the latest session.

Messages are ``(message_id, date, sender, clone, text[, bot])`` tuples in time order.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from clonebot.prompt_format import BOT, CLONE, USER, clean_content

# (message_id, date, sender, clone, text[, bot]): one row of the record store
MessageRow = tuple[int, float, int | None, bool, str] | tuple[int, float, int | None, bool, str, bool]


@dataclass(slots=True)
class Turn:
    role: str
    content: str
    last_id: int  # the turn's last message
    last_date: float  # its latest date
    session: int  # sessions of this chat counted from 0


@dataclass(slots=True)
class ReplyWindow:
    turns: list[dict]  # {"role", "content"}; the last one is the Clone reply
    message_id: int  # last message of the reply
    date: float  # date of that message


class TurnMerger:
    """Merges ONE chat's messages, in time order, into turns."""

    __slots__ = ("gap", "session", "_sender", "_role", "_parts", "_last_id", "_last_date")

    def __init__(self, gap_seconds: float):
        self.gap = gap_seconds
        self.session = 0
        self._parts: list[str] | None = None  # the open turn's texts
        self._sender = None
        self._role = USER
        self._last_id = 0
        self._last_date: float = 0

    def add(self, message_id: int, date: float, sender, clone: bool, text: str,
            bot: bool = False) -> Turn | None:
        """Take one message; returns the turn it completed, if any. ``bot``: the clone sent
        it (a turn of its own, role ``bot``)."""
        done = self.feed(((message_id, date, sender, clone, text, bot),))
        return done[0] if done else None

    def feed(self, messages: Iterable[tuple]) -> list[Turn]:
        """Take ``(message_id, date, sender, clone, text, bot)`` messages; returns the turns
        they completed (``add``, one message at a time)."""
        # The open turn lives in locals while the loop runs: prepare feeds every message of
        # an export through here, and attribute reads and a call per message added up.
        done: list[Turn] = []
        gap, session = self.gap, self.session
        parts, sender, role = self._parts, self._sender, self._role
        last_id, last_date = self._last_id, self._last_date
        for message_id, date, who, clone, text, bot in messages:
            if not text or text.isspace():
                continue
            new_role = BOT if bot else CLONE if clone else USER
            if parts is not None:
                new_session = date - last_date > gap  # silence: a new session
                if not new_session and who == sender and new_role == role:
                    parts.append(text)
                    last_id = message_id
                    if date > last_date:
                        last_date = date
                    continue
                turn = _turn(parts, role, last_id, last_date, session)
                if turn is not None:
                    done.append(turn)
                if new_session:
                    session += 1
            parts, sender, role = [text], who, new_role
            last_id, last_date = message_id, date
        self.session = session
        self._parts, self._sender, self._role = parts, sender, role
        self._last_id, self._last_date = last_id, last_date
        return done

    def close(self) -> Turn | None:
        """Complete the open turn (end of the history); None if there is none."""
        parts, self._parts = self._parts, None
        if parts is None:
            return None
        return _turn(parts, self._role, self._last_id, self._last_date, self.session)


def _turn(parts: list[str], role: str, last_id: int, last_date: float, session: int) -> Turn | None:
    """The turn of a sender's consecutive texts, cleaned once; None if nothing is left."""
    content = clean_content(parts[0] if len(parts) == 1 else "\n".join(parts))
    return Turn(role, content, last_id, last_date, session) if content else None


class ReplyWindows:
    """Training windows of ONE chat (see the module docstring): feed messages with
    ``add`` or ``feed``, then ``close`` once."""

    __slots__ = ("turns", "window", "skipped", "_session", "_users")

    def __init__(self, gap_seconds: float, context_turns: int, skipped: Counter | None = None):
        self.turns = TurnMerger(gap_seconds)
        self.window: deque[dict] = deque(maxlen=context_turns + 1)
        self.skipped = skipped
        self._session = 0
        self._users = 0  # user turns currently inside ``window``

    def add(self, message_id: int, date: float, sender, clone: bool, text: str,
            bot: bool = False) -> ReplyWindow | None:
        done = self.feed(((message_id, date, sender, clone, text, bot),))
        return done[0] if done else None

    def feed(self, messages: Iterable[tuple]) -> list[ReplyWindow]:
        """Take ``(message_id, date, sender, clone, text, bot)`` messages; returns the
        windows they completed."""
        return self._take(self.turns.feed(messages))

    def close(self) -> ReplyWindow | None:
        turn = self.turns.close()
        done = self._take((turn,)) if turn is not None else None
        return done[0] if done else None

    def _take(self, turns: Iterable[Turn]) -> list[ReplyWindow]:
        done: list[ReplyWindow] = []
        window, skipped = self.window, self.skipped
        full = window.maxlen
        session, users = self._session, self._users  # locals while the loop runs (``feed``)
        for turn in turns:
            role = turn.role
            if turn.session != session:
                window.clear()
                users = 0
                session = turn.session
            if len(window) == full and window[0]["role"] == USER:
                users -= 1  # about to fall out of the window
            window.append({"role": role, "content": turn.content})
            if role == USER:
                users += 1
            elif role == BOT:  # the clone's own words: context for later replies only
                if skipped is not None:
                    skipped["sent_by_bot"] += 1
            elif users == 0:
                if skipped is not None:
                    skipped["clone_turn_without_context"] += 1
            else:
                done.append(ReplyWindow(list(window), turn.last_id, turn.last_date))
        self._session, self._users = session, users
        return done


def _with_bot_flag(messages: Iterable[MessageRow]) -> Iterator[tuple]:
    """Rows as ``feed`` takes them: a row without a ``bot`` flag is not the bot's."""
    for m in messages:
        yield m if len(m) == 6 else (*m, False)


def reply_windows(messages: Iterable[MessageRow], gap_seconds: float, context_turns: int,
                  skipped: Counter | None = None) -> Iterator[ReplyWindow]:
    """Training windows of ONE chat's messages, in time order."""
    windows = ReplyWindows(gap_seconds, context_turns, skipped)
    add = windows.add
    for m in messages:
        w = add(*m)
        if w is not None:
            yield w
    w = windows.close()
    if w is not None:
        yield w


def recent_context(messages: Iterable[MessageRow], gap_seconds: float,
                   context_turns: int) -> list[dict]:
    """The last ``context_turns`` turns of the latest session of ONE chat's history."""
    merger = TurnMerger(gap_seconds)
    recent: deque[Turn] = deque(merger.feed(_with_bot_flag(messages)), maxlen=context_turns)
    turn = merger.close()
    if turn is not None:
        recent.append(turn)
    if not recent:
        return []
    latest = recent[-1].session
    return [{"role": t.role, "content": t.content} for t in recent if t.session == latest]
