"""Telethon event handlers, one file per concern (in the spirit of Telethon's events/).

Each module has ``event()`` (the Telethon event builder it listens to) and an async
``handle(event, bot)`` that turns the Telethon event into our plain ``Msg`` and hands it to
the receiver it was given (``receivers.AccountEvents``: the runtime's bot, never imported
here). Handlers return fast: slow work (generation) happens elsewhere.
"""

from __future__ import annotations

from telethon import TelegramClient

from clonebot.telegram.handlers import incoming, outgoing
from clonebot.telegram.receivers import AccountEvents

HANDLERS = (incoming, outgoing)


def register(client: TelegramClient, bot: AccountEvents) -> None:
    for mod in HANDLERS:

        async def _cb(event, _mod=mod):
            await _mod.handle(event, bot)

        client.add_event_handler(_cb, mod.event())
