"""The owner's side of the companion bot in the live suite: reading cards in the chat with
the bot and pressing their buttons with Telethon's ``Message.click``, from the owner's phone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from harness import QUIET, WAIT, accounts

SEND, ANOTHER, EDIT, SKIP = "Send", "Another", "Edit", "Skip"


def companion() -> dict | None:
    return accounts().get("companion")


def is_card(m: Any) -> bool:
    return not m.out and " · #" in (m.message or "").split("\n")[0]


async def card_quoting(h: Any, text: str, *, after: int = 0) -> Any:
    """The newest card in the owner's chat with the bot that quotes ``text``."""
    return await h.wait_for(h.phone, companion()["id"],
                            lambda m: m.id > after and is_card(m) and text in m.message)


async def card_until(h: Any, card_id: int, pred: Callable[[Any], bool],
                     timeout: float = WAIT) -> Any:
    """Card ``card_id`` once ``pred`` holds for it (an edit arrives)."""
    deadline = time.monotonic() + timeout
    while True:
        [m] = await h.phone.get_messages(companion()["id"], ids=[card_id])
        if m is not None and pred(m):
            return m
        if time.monotonic() > deadline:
            raise AssertionError(f"card {card_id} never matched; it says: "
                                 f"{getattr(m, 'message', None)!r}")
        await asyncio.sleep(0.5)


async def press(h: Any, card: Any, word: str) -> Any:
    """The owner taps the card's button whose label has ``word`` (the bot's answer, or None
    if it did not answer in time)."""
    return await card.click(filter=lambda b: word in b.text)


def buttons(card: Any) -> list[str]:
    return [b.text for row in (card.buttons or []) for b in row]


def suggested(card: Any) -> str:
    """The reply a card shows (its ``↳`` line)."""
    return next(line[2:] for line in card.message.splitlines() if line.startswith("↳ "))


async def bot_says(h: Any, text: str, *, after: int) -> Any:
    return await h.wait_for(h.phone, companion()["id"], lambda m: m.id > after and not m.out
                            and text in (m.message or ""))


async def nothing_from_the_bot(h: Any, client: Any, *, after: int, wait: float = QUIET) -> None:
    await asyncio.sleep(wait)
    said = [m.message for m in await client.get_messages(companion()["id"], limit=20)
            if m.id > after and not m.out]
    assert not said, f"the bot answered: {said}"
