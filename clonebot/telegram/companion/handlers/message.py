"""Someone wrote to the bot: in a private chat (the owner's text after Edit, a /start, or a
stranger), or in a group it was put in."""

from __future__ import annotations

from telethon import events

from clonebot.telegram.client import msg_from_message
from clonebot.telegram.receivers import CompanionEvents


def event() -> events.NewMessage:
    return events.NewMessage(incoming=True)


async def handle(event: events.NewMessage.Event, sink: CompanionEvents) -> None:
    if not event.is_private:
        await sink.on_group(event.chat_id, "a message there")
        return
    await sink.on_message(msg_from_message(event.message))
