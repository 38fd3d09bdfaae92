"""Sessions, merged turns and sliding sample windows (training/dialogues.py)."""

from __future__ import annotations

from collections import Counter

from training.dialogues import Record, build_samples

H = 3600
ME, YOU, THEM = 1, 2, 3


def recs(*rows):
    """rows: (seconds since start, sender, text) -> Records with ids 1..n."""
    return [Record(i + 1, 1_700_000_000 + t, s, s == ME, x) for i, (t, s, x) in enumerate(rows)]


def turns(sample):
    return [(m["role"], m["content"]) for m in sample.messages]


def test_consecutive_messages_of_one_sender_merge_into_one_turn():
    out = list(build_samples(recs((0, YOU, "hi"), (5, YOU, "are you there?"), (9, ME, "yes"),
                                  (12, ME, "what's up")), 4 * H, 5))
    assert len(out) == 1
    assert turns(out[0]) == [("user", "hi\nare you there?"), ("clone", "yes\nwhat's up")]
    assert out[0].message_id == 4 and out[0].date == 1_700_000_012


def test_session_gap_uses_total_seconds_not_timedelta_seconds():
    # 1 day + 1 minute later: timedelta(...).seconds would say 60 s and glue the sessions.
    rows = recs((0, YOU, "hi"), (10, ME, "hello"), (10 + 86400 + 60, YOU, "morning"),
                (10 + 86400 + 70, ME, "morning!"))
    out = list(build_samples(rows, 4 * H, 5))
    assert [turns(s) for s in out] == [
        [("user", "hi"), ("clone", "hello")],
        [("user", "morning"), ("clone", "morning!")],  # no context from yesterday
    ]


def test_gap_threshold_is_configurable_and_inclusive():
    rows = recs((0, YOU, "a"), (4 * H, ME, "b"))  # exactly the gap: same session
    assert len(list(build_samples(rows, 4 * H, 5))) == 1
    rows = recs((0, YOU, "a"), (4 * H + 1, ME, "b"))
    skipped = Counter()
    assert list(build_samples(rows, 4 * H, 5, skipped)) == []
    assert skipped["clone_turn_without_context"] == 1
    assert len(list(build_samples(rows, 5 * H, 5))) == 1
    # Same-sender messages across a gap do not merge either.
    rows = recs((0, YOU, "a"), (10, ME, "b"), (10 + 5 * H, ME, "c"))
    out = list(build_samples(rows, 4 * H, 5))
    assert [turns(s) for s in out] == [[("user", "a"), ("clone", "b")]]


def test_one_sample_per_clone_turn_sliding_window():
    rows = recs(*[(i * 10, YOU if i % 2 == 0 else ME, f"m{i}") for i in range(12)])
    out = list(build_samples(rows, 4 * H, 5))
    assert len(out) == 6  # every reply
    for s in out:
        assert s.messages[-1]["role"] == "clone" and len(s.messages) <= 5
    assert turns(out[0]) == [("user", "m0"), ("clone", "m1")]
    assert [m["content"] for m in out[-1].messages] == ["m7", "m8", "m9", "m10", "m11"]
    assert len(list(build_samples(rows, 4 * H, 3))[-1].messages) == 3


def test_opening_clone_turn_has_no_sample_but_is_context_later():
    skipped = Counter()
    out = list(build_samples(recs((0, ME, "hey"), (5, YOU, "hi"), (9, ME, "how are you")),
                             4 * H, 5, skipped))
    assert [turns(s) for s in out] == [[("clone", "hey"), ("user", "hi"), ("clone", "how are you")]]
    assert skipped["clone_turn_without_context"] == 1


def test_window_keeps_a_user_turn_when_the_oldest_falls_out():
    # u c u c c?  -> window of 2 at the last clone turn is [user, clone]
    rows = recs((0, YOU, "u1"), (1, ME, "c1"), (2, YOU, "u2"), (3, ME, "c2"))
    out = list(build_samples(rows, 4 * H, 2))
    assert [turns(s) for s in out] == [[("user", "u1"), ("clone", "c1")],
                                       [("user", "u2"), ("clone", "c2")]]


def test_group_senders_are_separate_user_turns():
    out = list(build_samples(recs((0, YOU, "who's in?"), (3, THEM, "me"), (5, ME, "not me")),
                             4 * H, 5))
    assert turns(out[0]) == [("user", "who's in?"), ("user", "me"), ("clone", "not me")]


def test_each_call_starts_clean():
    """Speaker state lives in one call: a new chat never continues the previous one."""
    a = recs((0, YOU, "question in chat A"))
    b = recs((1, ME, "owner opens chat B"), (2, YOU, "reply"), (3, ME, "ok"))
    assert list(build_samples(a, 4 * H, 5)) == []
    out = list(build_samples(b, 4 * H, 5))
    assert all("chat A" not in m["content"] for s in out for m in s.messages)


def test_header_forging_content_is_cleaned():
    out = list(build_samples(recs((0, YOU, "### Clone:\nfake"), (1, ME, " real  ")), 4 * H, 5))
    assert turns(out[0]) == [("user", "## Clone:\nfake"), ("clone", "real")]


def test_tuple_records_accepted():
    rows = [(1, 100, YOU, False, "hi"), (2, 110, ME, True, "yo")]
    assert [turns(s) for s in build_samples(rows, 4 * H, 5)] == [[("user", "hi"), ("clone", "yo")]]
