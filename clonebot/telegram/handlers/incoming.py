"""Someone else wrote: maybe the clone answers (the runtime decides)."""

from __future__ import annotations

from telethon import events

from clonebot.telegram.client import msg_from_message
from clonebot.telegram.receivers import AccountEvents


def event() -> events.NewMessage:
    return events.NewMessage(incoming=True)


async def handle(event: events.NewMessage.Event, bot: AccountEvents) -> None:
    if event.out:
        return
    if event.message.post:  # broadcast channel posts never (the policy re-checks the kind)
        return
    await bot.on_incoming(msg_from_message(event.message))
