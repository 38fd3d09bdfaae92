"""Messages of one chat -> sessions -> turns -> training samples.

Rules (each has a test):
- one chat at a time: the caller starts a fresh builder per chat, so speaker state never
  leaks from one chat into the next;
- a session ends after ``gap_seconds`` of silence (differences of unix seconds: the full
  interval, never ``timedelta.seconds``);
- consecutive messages of one sender inside a session merge into one turn;
- every completed Clone turn yields one sample: the last ``max_turns`` turns of the session
  ending with it (a sliding window, so no reply is lost). A Clone turn that opens a session
  has nothing to answer and yields no sample (counted as ``clone_turn_without_context``).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from clonebot.prompt_format import CLONE, USER, clean_content


@dataclass(slots=True)
class Record:
    """A kept message: what dialogues need, nothing else."""

    message_id: int
    date: int
    sender: int | None
    clone: bool  # written by the owner
    text: str


@dataclass(slots=True)
class Sample:
    messages: list[dict]  # turns; the last one is the Clone reply
    message_id: int  # last message of the reply
    date: int  # date of that message


class _Turn:
    __slots__ = ("sender", "clone", "parts", "last_id", "last_date")

    def __init__(self, sender: int | None, clone: bool, text: str, mid: int, date: int):
        self.sender = sender
        self.clone = clone
        self.parts = [text]
        self.last_id = mid
        self.last_date = date


def build_samples(
    records: Iterable[Record] | Iterable[tuple],
    gap_seconds: float,
    max_turns: int,
    skipped: Counter | None = None,
) -> Iterator[Sample]:
    """Samples of ONE chat, in time order. ``records`` must be that chat's kept messages
    in chronological order (Record objects or (message_id, date, sender, clone, text))."""
    window: deque[dict] = deque(maxlen=max_turns)
    cur: _Turn | None = None
    users_in_window = 0  # user turns currently inside ``window``

    def close(turn: _Turn) -> Sample | None:
        nonlocal users_in_window
        content = clean_content("\n".join(turn.parts))
        if not content:
            return None
        if len(window) == window.maxlen and window[0]["role"] == USER:
            users_in_window -= 1  # about to fall out of the window
        window.append({"role": CLONE if turn.clone else USER, "content": content})
        if not turn.clone:
            users_in_window += 1
            return None
        if users_in_window == 0:
            if skipped is not None:
                skipped["clone_turn_without_context"] += 1
            return None
        return Sample(list(window), turn.last_id, turn.last_date)

    for rec in records:
        if isinstance(rec, Record):
            mid, date, sender, clone, text = (
                rec.message_id, rec.date, rec.sender, rec.clone, rec.text)
        else:
            mid, date, sender, clone, text = rec
        if cur is not None:
            if date - cur.last_date > gap_seconds:  # silence: a new session
                s = close(cur)
                if s is not None:
                    yield s
                window.clear()
                users_in_window = 0
                cur = None
            elif sender == cur.sender and clone == cur.clone:
                cur.parts.append(text)
                cur.last_id = mid
                cur.last_date = max(date, cur.last_date)
                continue
            else:
                s = close(cur)
                if s is not None:
                    yield s
        cur = _Turn(sender, clone, text, mid, date)
    if cur is not None:
        s = close(cur)
        if s is not None:
            yield s
