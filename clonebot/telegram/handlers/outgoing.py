"""The owner wrote (from any device): a command in the control chat, or a message that
cancels whatever the clone had pending in that chat (the runtime tells which)."""

from __future__ import annotations

from telethon import events

from clonebot.telegram.client import msg_from_message
from clonebot.telegram.receivers import AccountEvents


def event() -> events.NewMessage:
    return events.NewMessage(outgoing=True)


async def handle(event: events.NewMessage.Event, bot: AccountEvents) -> None:
    if not event.out:
        return
    await bot.on_outgoing(msg_from_message(event.message))
