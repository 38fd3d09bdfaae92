"""The bot's context from Telegram history is merged exactly like the training data."""

from __future__ import annotations

from clonebot.runtime.context import history_to_turns
from clonebot.telegram.messages import Msg
from clonebot.dialogue import reply_windows

OWNER, ALICE, BOB, CHAT = 1, 2, 3, -100


def _msgs(rows):
    return [Msg(id=i, chat_id=CHAT, sender_id=s, out=s == OWNER, text=t, date=d)
            for i, (s, t, d) in enumerate(rows, 1)]


ROWS = [
    (ALICE, "old news", 0),
    (OWNER, "ok", 10),
    (ALICE, "hi  ", 5 * 3600),          # a new session starts here (4 h gap)
    (ALICE, "  are you there?", 5 * 3600 + 5),
    (BOB, "me too", 5 * 3600 + 6),
    (OWNER, "yes)", 5 * 3600 + 20),
    (OWNER, "", 5 * 3600 + 21),          # media only: no text
    (ALICE, "cool", 5 * 3600 + 30),
]


def test_same_sender_merges_senders_stay_apart_and_old_sessions_drop():
    turns = history_to_turns(_msgs(ROWS), context_turns=10, session_gap_seconds=4 * 3600)
    assert turns == [
        {"role": "user", "content": "hi  \n  are you there?"},
        {"role": "user", "content": "me too"},
        {"role": "clone", "content": "yes)"},
        {"role": "user", "content": "cool"},
    ]


def test_context_equals_the_training_window_for_the_same_messages():
    # Training's sample for the owner's reply "yes)" must have the same context the bot
    # would build from history right before that reply.
    kept = [(i, d, s, s == OWNER, t) for i, (s, t, d) in enumerate(ROWS, 1) if t.strip()]
    samples = list(reply_windows(kept, 4 * 3600, context_turns=4))
    context_in_training = samples[-1].turns[:-1]
    bot_context = history_to_turns(_msgs(ROWS[:5]), context_turns=4, session_gap_seconds=4 * 3600)
    assert bot_context == context_in_training


def test_scrub_and_context_turns():
    turns = history_to_turns(_msgs(ROWS), context_turns=2, session_gap_seconds=4 * 3600,
                             scrub=str.upper)
    assert turns == [{"role": "clone", "content": "YES)"}, {"role": "user", "content": "COOL"}]
