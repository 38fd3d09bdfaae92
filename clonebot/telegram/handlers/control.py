"""The owner's commands and approval answers in the control chat (Saved Messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon import events

from clonebot.telegram.client import msg_from_message

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot


def event() -> events.NewMessage:
    # outgoing: in Saved Messages everything is "ours"; the bot tells its own posts apart
    return events.NewMessage(outgoing=True)


async def handle(event: events.NewMessage.Event, bot: "CloneBot") -> None:
    if not event.out or event.chat_id != bot.control_id:
        return
    await bot.on_control(msg_from_message(event.message))
