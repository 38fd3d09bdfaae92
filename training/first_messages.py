"""First-message copies: training windows cut to the message the owner answered.

A training window holds up to ``context_turns`` turns before its reply, so a reply answered
deep in a conversation is only ever seen with its earlier turns. A friend's first message,
answered with no earlier turn, is how much of the bot's real traffic starts, and it is the
prompt the model has seen least of: only a conversation's first reply is trained that way.
``with_first_message_copies`` adds, for a share of the windows that have earlier turns, a
copy holding only the last message before the reply and the reply itself: the same owner
replies, asked the way a first message asks them.

Training split only (the eval split keeps the conversations as they were).
"""

from __future__ import annotations

import random
from typing import Any

from clonebot.prompt_format import CLONE, USER


def first_message_copy(row: dict[str, Any]) -> dict[str, Any] | None:
    """``row`` cut to [the message answered, the reply]; None if it has no earlier turn
    (it already is one) or the turn before the reply is not the other side's."""
    turns = row["messages"]
    if len(turns) < 3 or turns[-1]["role"] != CLONE or turns[-2]["role"] != USER:
        return None
    return {**row, "messages": [dict(turns[-2]), dict(turns[-1])]}


def with_first_message_copies(train: Any, share: float, seed: int = 0) -> Any:
    """``train`` (a ``datasets.Dataset`` of windows) plus first-message copies of ``share``
    of its windows that have earlier turns (seeded). ``share`` 0 returns it unchanged."""
    if share <= 0:
        return train
    from datasets import Dataset, concatenate_datasets

    rng = random.Random(seed)
    copies = [c for row in train if rng.random() < share and (c := first_message_copy(row))]
    if not copies:
        return train
    return concatenate_datasets([train, Dataset.from_list(copies, features=train.features)])
