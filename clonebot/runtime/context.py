"""Telegram history -> the turns the generator sees, merged the way training merges them.

Consecutive messages of one side become one turn (joined by newlines); a gap longer than
the training session gap starts a new conversation, so older lines are dropped; media-only
messages (empty text) are skipped. The owner's messages are ``clone`` turns, everyone
else's ``user`` turns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clonebot.prompt_format import CLONE, USER, clean_content
from clonebot.telegram.messages import Msg


def history_to_turns(
    history: Sequence[Msg],
    *,
    max_turns: int,
    session_gap_seconds: float,
    scrub: Callable[[str], str] | None = None,
) -> list[dict]:
    msgs = [m for m in history if clean_content(m.text)]
    # keep only the last session
    start = 0
    for i in range(1, len(msgs)):
        if msgs[i].date - msgs[i - 1].date > session_gap_seconds:
            start = i
    turns: list[dict] = []
    for m in msgs[start:]:
        role = CLONE if m.out else USER
        text = clean_content(m.text)
        if scrub is not None:
            text = scrub(text)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n" + text
        else:
            turns.append({"role": role, "content": text})
    return turns[-max_turns:]
