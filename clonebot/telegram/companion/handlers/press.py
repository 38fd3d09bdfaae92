"""Someone pressed a button on one of the bot's messages."""

from __future__ import annotations

from telethon import events

from clonebot.telegram.messages import Press
from clonebot.telegram.receivers import CompanionEvents


def event() -> events.CallbackQuery:
    return events.CallbackQuery()


async def handle(event: events.CallbackQuery.Event, sink: CompanionEvents) -> None:
    await sink.on_press(Press(query_id=event.query.query_id, sender_id=event.sender_id,
                              chat_id=event.chat_id, msg_id=event.message_id,
                              data=bytes(event.data or b"")))
