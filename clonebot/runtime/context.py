"""Telegram history -> the turns the generator sees, merged the way training merges them.

Consecutive messages of one sender become one turn (joined by newlines); a gap longer than
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
    # Merge exactly as training does (training/dialogues.py): one turn per run of one
    # sender (so two people in a listed group stay two turns), raw texts joined by
    # newlines and cleaned once.
    runs: list[tuple[tuple, list[str]]] = []
    for m in msgs[start:]:
        key = (m.sender_id, m.out)
        if runs and runs[-1][0] == key:
            runs[-1][1].append(m.text)
        else:
            runs.append((key, [m.text]))
    turns = []
    for (_, out), parts in runs[-max_turns:]:
        text = clean_content("\n".join(parts))
        turns.append({"role": CLONE if out else USER, "content": scrub(text) if scrub else text})
    return turns
