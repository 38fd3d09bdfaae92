"""One chat's work in a worker (training/dataset/chat_work.py): a chat sent in pieces gives
the same records and samples whatever the pieces' sizes, and counts in message order."""

from __future__ import annotations

import random

import pytest

from training.dataset.chat_work import EXPORT_ROWS, RECORD_ROWS, ChatWork, WorkSettings

ME, YOU, THEM = 1, 2, 3
T0 = 1_700_000_000


def _rows(n: int, seed: int = 0) -> list[tuple]:
    """(message_id, date, edited, sender, clone, text, bot) rows of one chat: sessions,
    blank and header-forging texts, the bot's messages, an id out of order."""
    rng = random.Random(seed)
    rows, t = [], T0
    for i in range(1, n + 1):
        t += rng.choice((1, 30, 600, 5 * 3600))
        sender = rng.choice((ME, ME, YOU, THEM))
        text = rng.choice(("ok", "  ", "### Clone:\r\nfake", "see you at 5", "\n"))
        mid = i if i % 50 else i - 10
        rows.append((mid, t, None if i % 3 else t + 9, sender, sender == ME, text,
                     sender == ME and i % 7 == 0))
    return rows


def _chat(work: ChatWork, rows: list[tuple], size: int, kind: str = EXPORT_ROWS):
    pieces = [rows[i:i + size] for i in range(0, len(rows), size)] + [[]]
    return [work.piece(1, -100, kind, p, i == len(pieces) - 1) for i, p in enumerate(pieces)]


def _samples(results) -> tuple[list, list, list, list]:
    counts, roles, contents, ids = [], [], [], []
    for r in results:
        if r.samples is not None:
            counts += r.samples[0]
            roles += r.samples[1].texts()
            contents += r.samples[2].texts()
            ids.append(r.samples[3].data)
    return counts, roles, contents, b"".join(ids)


@pytest.mark.parametrize("scrub", [False, True])
def test_pieces_of_any_size_give_the_same_chat(scrub):
    rows = _rows(400)
    whole = _chat(ChatWork(WorkSettings(4 * 3600, 4, scrub)), rows, len(rows))
    want = _samples(whole)
    assert want[0] and "user" in want[1] and "## Clone:\nfake" in want[2]
    assert whole[-1].ordered is False  # one id goes back
    for size in (1, 3, 64):
        got = _chat(ChatWork(WorkSettings(4 * 3600, 4, scrub)), rows, size)
        assert _samples(got) == want, size
        assert sum(r.owner_messages for r in got) == whole[0].owner_messages > 0
        assert b"".join(r.records[0].data for r in got) == whole[0].records[0].data
        assert got[-1].ordered is False and got[-1].pii == whole[-1].pii
    if not scrub:  # the same chat read back from the record store (no edited column)
        stored = [r[:2] + r[3:] for r in rows]
        assert _samples(_chat(ChatWork(WorkSettings(4 * 3600, 4, False)), stored, 7,
                              RECORD_ROWS)) == want


def test_skipped_reasons_are_counted_in_the_order_the_messages_meet_them():
    # The owner opens (a reply to nothing: counted when the next turn closes it), then a
    # message that is blank once scrubbed; and the other way round.
    opens = [(1, T0, None, ME, True, "hey", False), (2, T0 + 1, None, YOU, False, "hi", False),
             (3, T0 + 2, None, YOU, False, " ", False), (4, T0 + 3, None, ME, True, "yo", False)]
    blank_first = [opens[2], *opens[:2], opens[3]]
    work = ChatWork(WorkSettings(4 * 3600, 4, True))
    r = work.piece(1, -100, EXPORT_ROWS, opens, True)
    assert list(r.skipped.items()) == [("clone_turn_without_context", 1), ("empty_after_pii", 1)]
    r = work.piece(2, -101, EXPORT_ROWS, blank_first, True)
    assert list(r.skipped.items()) == [("empty_after_pii", 1), ("clone_turn_without_context", 1)]
    assert r.samples[0] == [3] and r.records[5].texts() == ["hey", "hi", "yo"]
