"""The companion bot's event handlers, one file per event (as Telethon's events/ are).

Each module has ``event()`` (the Telethon event builder) and ``handle(event, sink)``, which
turns the event into plain data and hands it to the runtime through
``receivers.CompanionEvents``. The transport decides nothing: who may press, what a press
does, whether to leave a group are the runtime's.
"""

from __future__ import annotations

from telethon import TelegramClient

from clonebot.telegram.companion.handlers import joined, message, press
from clonebot.telegram.receivers import CompanionEvents


def register(client: TelegramClient, sink: CompanionEvents) -> None:
    for mod in (press, message, joined):

        async def _cb(event, _mod=mod):
            await _mod.handle(event, sink)

        client.add_event_handler(_cb, mod.event())
