"""Telegram history -> the turns the generator sees, merged the way training merges them.

One implementation for both sides: ``clonebot.dialogue`` (same-sender merge, sessions split
on the full gap, cleaning). The owner's messages are ``clone`` turns, everyone else's
``user`` turns; what the bot itself sent is a ``bot`` turn, as training labels it (it
renders as a Clone turn, but is never merged with what the owner typed); media-only
messages (empty text) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clonebot.dialogue import recent_context
from clonebot.telegram.messages import Msg


def history_to_turns(
    history: Sequence[Msg],
    *,
    context_turns: int,
    session_gap_seconds: float,
    scrub: Callable[[str], str] | None = None,
    sent_by_bot: Callable[[int, int], bool] | None = None,
) -> list[dict]:
    """The last ``context_turns`` turns of the latest session of ``history`` (oldest first);
    ``sent_by_bot(chat_id, msg_id)`` tells the bot's own replies."""
    def bot(m: Msg) -> bool:
        return bool(m.out and sent_by_bot is not None and sent_by_bot(m.chat_id, m.id))

    turns = recent_context(((m.id, m.date, m.sender_id, m.out, m.text, bot(m)) for m in history),
                           session_gap_seconds, context_turns=context_turns)
    if scrub is not None:
        for t in turns:
            t["content"] = scrub(t["content"])
    return turns
