"""The companion bot's event handlers, one file per event (as Telethon's events/ are).

Each module has ``event()`` (the Telethon event builder) and ``handle(event, sink)``, which
turns the event into plain data and hands it to the runtime through ``CompanionEvents``.
The transport decides nothing: who may press, what a press does, whether to leave a group
are the runtime's.
"""

from __future__ import annotations

from typing import Protocol

from telethon import TelegramClient

from clonebot.telegram.messages import Msg, Press


class CompanionEvents(Protocol):
    async def on_press(self, press: Press) -> None: ...

    async def on_message(self, msg: Msg) -> None:
        """Someone wrote to the bot in a private chat."""
        ...

    async def on_group(self, chat_id: int, why: str) -> None:
        """The bot is in a group or channel (added, or a message there reached it)."""
        ...


def register(client: TelegramClient, sink: CompanionEvents) -> None:
    from clonebot.telegram.companion.handlers import joined, message, press

    for mod in (press, message, joined):

        async def _cb(event, _mod=mod):
            await _mod.handle(event, sink)

        client.add_event_handler(_cb, mod.event())
