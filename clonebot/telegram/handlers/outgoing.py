"""The owner wrote (from any device): a command in the control chat, or a message that
cancels whatever the clone had pending in that chat (the runtime tells which)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon import events

from clonebot.telegram.client import msg_from_message

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot


def event() -> events.NewMessage:
    return events.NewMessage(outgoing=True)


async def handle(event: events.NewMessage.Event, bot: "CloneBot") -> None:
    if not event.out:
        return
    await bot.on_outgoing(msg_from_message(event.message))
