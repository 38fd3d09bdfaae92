"""Something happened in a group or channel the bot is in (someone added it)."""

from __future__ import annotations

from telethon import events

from clonebot.telegram.receivers import CompanionEvents


def event() -> events.ChatAction:
    return events.ChatAction()


async def handle(event: events.ChatAction.Event, sink: CompanionEvents) -> None:
    if event.is_private:
        return
    if event.user_left or event.user_kicked:
        return  # its own leaving, or someone else's: nothing to do
    await sink.on_group(event.chat_id, "added" if event.user_added or event.user_joined
                        else "an event there")
