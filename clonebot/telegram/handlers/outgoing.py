"""The owner wrote in a chat themselves: whatever the clone had pending there is cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon import events

from clonebot.telegram.client import msg_from_message

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot


def event() -> events.NewMessage:
    return events.NewMessage(outgoing=True)


async def handle(event: events.NewMessage.Event, bot: "CloneBot") -> None:
    if not event.out or event.chat_id == bot.control_id:
        return  # the control chat is control.py's
    await bot.on_owner_message(msg_from_message(event.message))
