"""First-message copies of training windows (training/first_messages.py)."""

from __future__ import annotations

from datasets import Dataset

from training.first_messages import first_message_copy, with_first_message_copies


def _row(turns: list[tuple[str, str]], mid: int) -> dict:
    return {"messages": [{"role": r, "content": c} for r, c in turns], "chat_id": 7,
            "message_id": mid, "date": mid}


ROWS = [
    _row([("user", "Привет!"), ("clone", "ну го 🤙")], 1),  # a first message already
    _row([("user", "Привет!"), ("clone", "ну го 🤙"), ("user", "Когда?"), ("clone", "ща")], 2),
    _row([("clone", "ну"), ("user", "Ты где?"), ("clone", "дома)"), ("user", "Ок"),
          ("clone", "норм")], 3),
]


def test_a_copy_keeps_the_message_answered_and_the_reply():
    assert first_message_copy(ROWS[0]) is None
    c = first_message_copy(ROWS[1])
    assert c["messages"] == [{"role": "user", "content": "Когда?"}, {"role": "clone", "content": "ща"}]
    assert c["message_id"] == 2 and c["chat_id"] == 7
    assert ROWS[1]["messages"][0]["content"] == "Привет!"  # the original is left alone
    # The turn before the reply is not the other side's: nothing to cut to.
    assert first_message_copy(_row([("user", "a"), ("clone", "b"), ("clone", "c")], 4)) is None


def test_copies_are_added_for_the_share_asked():
    train = Dataset.from_list(ROWS)
    assert with_first_message_copies(train, 0.0) is train
    every = with_first_message_copies(train, 1.0)
    assert len(every) == 5
    added = [r["messages"] for r in every][3:]
    assert added == [[{"role": "user", "content": "Когда?"}, {"role": "clone", "content": "ща"}],
                     [{"role": "user", "content": "Ок"}, {"role": "clone", "content": "норм"}]]
    assert every.features == train.features
    # Seeded: the same share and seed pick the same windows.
    big = Dataset.from_list(ROWS[1:] * 50)
    a, b = with_first_message_copies(big, 0.5, seed=3), with_first_message_copies(big, 0.5, seed=3)
    assert len(a) == len(b) and 100 + 30 < len(a) < 100 + 70
    assert [r["messages"] for r in a] == [r["messages"] for r in b]
