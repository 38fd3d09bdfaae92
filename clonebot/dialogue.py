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
        if not text or text.isspace():
            return None
        role = BOT if bot else CLONE if clone else USER
        done = None
        if self._parts is not None:
            if date - self._last_date > self.gap:  # silence: a new session
                done = self.close()
                self.session += 1
            elif sender == self._sender and role == self._role:
                self._parts.append(text)
                self._last_id = message_id
                if date > self._last_date:
                    self._last_date = date
                return None
            else:
                done = self.close()
        self._parts = [text]
        self._sender = sender
        self._role = role
        self._last_id = message_id
        self._last_date = date
        return done

    def close(self) -> Turn | None:
        """Complete the open turn (end of the history); None if there is none."""
        parts, self._parts = self._parts, None
        if parts is None:
            return None
        content = clean_content(parts[0] if len(parts) == 1 else "\n".join(parts))
        if not content:
            return None
        return Turn(self._role, content, self._last_id, self._last_date, self.session)


class ReplyWindows:
    """Training windows of ONE chat (see the module docstring): feed messages with
    ``add``, then ``close`` once."""

    __slots__ = ("turns", "window", "skipped", "_session", "_users")

    def __init__(self, gap_seconds: float, context_turns: int, skipped: Counter | None = None):
        self.turns = TurnMerger(gap_seconds)
        self.window: deque[dict] = deque(maxlen=context_turns + 1)
        self.skipped = skipped
        self._session = 0
        self._users = 0  # user turns currently inside ``window``

    def add(self, message_id: int, date: float, sender, clone: bool, text: str,
            bot: bool = False) -> ReplyWindow | None:
        turn = self.turns.add(message_id, date, sender, clone, text, bot)
        return self._take(turn) if turn is not None else None

    def close(self) -> ReplyWindow | None:
        turn = self.turns.close()
        return self._take(turn) if turn is not None else None

    def _take(self, turn: Turn) -> ReplyWindow | None:
        window = self.window
        if turn.session != self._session:
            window.clear()
            self._users = 0
            self._session = turn.session
        if len(window) == window.maxlen and window[0]["role"] == USER:
            self._users -= 1  # about to fall out of the window
        window.append({"role": turn.role, "content": turn.content})
        if turn.role == USER:
            self._users += 1
            return None
        if turn.role == BOT:  # the clone's own words: context for later replies only
            if self.skipped is not None:
                self.skipped["sent_by_bot"] += 1
            return None
        if self._users == 0:
            if self.skipped is not None:
                self.skipped["clone_turn_without_context"] += 1
            return None
        return ReplyWindow(list(window), turn.last_id, turn.last_date)


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
    recent: deque[Turn] = deque(maxlen=context_turns)
    for m in messages:
        turn = merger.add(*m)
        if turn is not None:
            recent.append(turn)
    turn = merger.close()
    if turn is not None:
        recent.append(turn)
    if not recent:
        return []
    latest = recent[-1].session
    return [{"role": t.role, "content": t.content} for t in recent if t.session == latest]
