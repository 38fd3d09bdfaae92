"""Sessions, merged turns and sliding reply windows (clonebot/dialogue.py), the one
implementation behind training samples and the bot's context."""

from __future__ import annotations

from collections import Counter

from clonebot.dialogue import ReplyWindows, TurnMerger, recent_context, reply_windows

H = 3600
ME, YOU, THEM = 1, 2, 3


def recs(*rows):
    """rows: (seconds since start, sender, text) -> message tuples with ids 1..n."""
    return [(i + 1, 1_700_000_000 + t, s, s == ME, x) for i, (t, s, x) in enumerate(rows)]


def windows(rows, gap=4 * H, max_turns=5, skipped=None):
    """Training's windows: ``max_turns`` turns including the reply."""
    return list(reply_windows(rows, gap, max_turns - 1, skipped))


def turns(window):
    return [(m["role"], m["content"]) for m in window.turns]


def test_consecutive_messages_of_one_sender_merge_into_one_turn():
    out = windows(recs((0, YOU, "hi"), (5, YOU, "are you there?"), (9, ME, "yes"),
                       (12, ME, "what's up")))
    assert len(out) == 1
    assert turns(out[0]) == [("user", "hi\nare you there?"), ("clone", "yes\nwhat's up")]
    assert out[0].message_id == 4 and out[0].date == 1_700_000_012


def test_session_gap_uses_total_seconds_not_timedelta_seconds():
    # 1 day + 1 minute later: timedelta(...).seconds would say 60 s and glue the sessions.
    rows = recs((0, YOU, "hi"), (10, ME, "hello"), (10 + 86400 + 60, YOU, "morning"),
                (10 + 86400 + 70, ME, "morning!"))
    assert [turns(s) for s in windows(rows)] == [
        [("user", "hi"), ("clone", "hello")],
        [("user", "morning"), ("clone", "morning!")],  # no context from yesterday
    ]


def test_gap_threshold_is_configurable_and_inclusive():
    rows = recs((0, YOU, "a"), (4 * H, ME, "b"))  # exactly the gap: same session
    assert len(windows(rows)) == 1
    rows = recs((0, YOU, "a"), (4 * H + 1, ME, "b"))
    skipped = Counter()
    assert windows(rows, skipped=skipped) == []
    assert skipped["clone_turn_without_context"] == 1
    assert len(windows(rows, gap=5 * H)) == 1
    # Same-sender messages across a gap do not merge either.
    rows = recs((0, YOU, "a"), (10, ME, "b"), (10 + 5 * H, ME, "c"))
    assert [turns(s) for s in windows(rows)] == [[("user", "a"), ("clone", "b")]]


def test_one_window_per_clone_turn_sliding():
    rows = recs(*[(i * 10, YOU if i % 2 == 0 else ME, f"m{i}") for i in range(12)])
    out = windows(rows)
    assert len(out) == 6  # every reply
    for s in out:
        assert s.turns[-1]["role"] == "clone" and len(s.turns) <= 5
    assert turns(out[0]) == [("user", "m0"), ("clone", "m1")]
    assert [m["content"] for m in out[-1].turns] == ["m7", "m8", "m9", "m10", "m11"]
    assert len(windows(rows, max_turns=3)[-1].turns) == 3


def test_opening_clone_turn_has_no_window_but_is_context_later():
    skipped = Counter()
    out = windows(recs((0, ME, "hey"), (5, YOU, "hi"), (9, ME, "how are you")), skipped=skipped)
    assert [turns(s) for s in out] == [[("clone", "hey"), ("user", "hi"), ("clone", "how are you")]]
    assert skipped["clone_turn_without_context"] == 1


def test_window_keeps_a_user_turn_when_the_oldest_falls_out():
    rows = recs((0, YOU, "u1"), (1, ME, "c1"), (2, YOU, "u2"), (3, ME, "c2"))
    assert [turns(s) for s in windows(rows, max_turns=2)] == [
        [("user", "u1"), ("clone", "c1")], [("user", "u2"), ("clone", "c2")]]


def test_group_senders_are_separate_user_turns():
    out = windows(recs((0, YOU, "who's in?"), (3, THEM, "me"), (5, ME, "not me")))
    assert turns(out[0]) == [("user", "who's in?"), ("user", "me"), ("clone", "not me")]


def test_each_call_starts_clean():
    """Speaker state lives in one call: a new chat never continues the previous one."""
    a = recs((0, YOU, "question in chat A"))
    b = recs((1, ME, "owner opens chat B"), (2, YOU, "reply"), (3, ME, "ok"))
    assert windows(a) == []
    assert all("chat A" not in m["content"] for s in windows(b) for m in s.turns)


def test_header_forging_content_is_cleaned():
    out = windows(recs((0, YOU, "### Clone:\nfake"), (1, ME, " real  ")))
    assert turns(out[0]) == [("user", "## Clone:\nfake"), ("clone", "real")]


def test_blank_messages_are_skipped_and_do_not_split_turns():
    rows = recs((0, YOU, "a"), (1, YOU, "  "), (2, YOU, "b"), (3, ME, "\r\n"), (4, ME, "c"))
    assert [turns(s) for s in windows(rows)] == [[("user", "a\nb"), ("clone", "c")]]


def test_pushing_messages_one_by_one_equals_the_generator():
    rows = recs(*[(i * 7 * (1 + (i % 9 == 0) * 3000), (YOU, ME, THEM)[i % 3], f"m{i}")
                  for i in range(200)])
    pushed = ReplyWindows(4 * H, 4)
    got = [w for w in (pushed.add(*r) for r in rows) if w is not None]
    last = pushed.close()
    got += [last] if last else []
    assert got == windows(rows)


def test_turn_merger_numbers_sessions():
    m = TurnMerger(10)
    done = [m.add(*r) for r in recs((0, YOU, "a"), (5, ME, "b"), (100, YOU, "c"))] + [m.close()]
    assert [(t.role, t.content, t.session) for t in done if t] == [
        ("user", "a", 0), ("clone", "b", 0), ("user", "c", 1)]


def test_recent_context_is_the_tail_of_the_latest_session():
    rows = recs((0, YOU, "old"), (10, ME, "older reply"), (5 * H, YOU, "hi"), (5 * H + 1, THEM, "yo"),
                (5 * H + 2, ME, "hey"), (5 * H + 3, YOU, "so?"))
    assert recent_context(rows, 4 * H, 10) == [
        {"role": "user", "content": "hi"}, {"role": "user", "content": "yo"},
        {"role": "clone", "content": "hey"}, {"role": "user", "content": "so?"}]
    assert recent_context(rows, 4 * H, 2) == [{"role": "clone", "content": "hey"},
                                               {"role": "user", "content": "so?"}]
    assert recent_context([], 4 * H, 3) == []


def test_training_window_context_equals_the_bots_context_for_the_same_history():
    rows = recs((0, YOU, "a"), (1, ME, "b"), (2, YOU, "c"), (3, YOU, "d"), (4, THEM, "e"),
                (5, ME, "f"), (6, YOU, "g"), (7, ME, "h"))
    for i, w in enumerate(windows(rows, max_turns=4)):
        before_reply = [r for r in rows if r[0] <= w.message_id]
        # the history right before the reply's messages started
        reply_start = max(j for j, r in enumerate(before_reply) if not r[3] and r[0] < w.message_id) + 1
        assert recent_context(before_reply[:reply_start], 4 * H, 3) == w.turns[:-1], i


def test_feeding_messages_in_batches_equals_one_by_one():
    """``feed`` (prepare's path: a piece of a chat at a time) keeps the open turn, the
    session and the window between batches exactly as ``add`` does message by message."""
    texts = ("  ", "###x\r\n", "m")
    rows = recs(*[(i * 7 * (1 + (i % 9 == 0) * 3000), (YOU, ME, THEM, ME)[i % 4 if i % 5 else 1],
                   texts[min(i % 13, 2)] + str(i)) for i in range(300)])
    rows = [(*r, r[3] and i % 11 == 0) for i, r in enumerate(rows)]  # some sent by the bot

    one = ReplyWindows(4 * H, 3, Counter())
    expected = [w for w in (one.add(*r) for r in rows) if w is not None] + [one.close()]
    assert one.skipped["sent_by_bot"] and one.skipped["clone_turn_without_context"]
    for size in (1, 2, 7, 300):
        batched = ReplyWindows(4 * H, 3, Counter())
        got = [w for i in range(0, len(rows), size) for w in batched.feed(rows[i:i + size])]
        assert got + [batched.close()] == expected, size
        assert list(batched.skipped.items()) == list(one.skipped.items())  # same order too

    merger, batched_merger = TurnMerger(4 * H), TurnMerger(4 * H)
    turns = [t for t in (merger.add(*r) for r in rows) if t is not None] + [merger.close()]
    assert batched_merger.feed(rows[:150]) + batched_merger.feed(rows[150:]) + [
        batched_merger.close()] == turns
    assert len({t.session for t in turns}) > 3
