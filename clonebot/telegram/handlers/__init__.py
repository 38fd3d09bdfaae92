"""Telethon event handlers, one file per concern (in the spirit of Telethon's events/).

Each module has ``event()`` (the Telethon event builder it listens to) and an async
``handle(event, bot)`` that turns the Telethon event into our plain ``Msg`` and calls the
runtime. Handlers return fast: slow work (generation) happens elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon import TelegramClient

from clonebot.telegram.handlers import incoming, outgoing

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot

HANDLERS = (incoming, outgoing)


def register(client: TelegramClient, bot: "CloneBot") -> None:
    for mod in HANDLERS:

        async def _cb(event, _mod=mod):
            await _mod.handle(event, bot)

        client.add_event_handler(_cb, mod.event())
