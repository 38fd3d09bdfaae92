"""Someone else wrote: maybe the clone answers (the runtime decides)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon import events

from clonebot.telegram.client import msg_from_message

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot


def event() -> events.NewMessage:
    return events.NewMessage(incoming=True)


async def handle(event: events.NewMessage.Event, bot: "CloneBot") -> None:
    if event.out:
        return
    if event.message.post:  # broadcast channel posts never (the policy re-checks the kind)
        return
    await bot.on_incoming(msg_from_message(event.message))
