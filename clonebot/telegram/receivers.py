"""What the handlers hand their events to: the runtime's side, seen from the transport.

The transport decides nothing. A handler turns a Telethon event into plain data (``Msg``,
``Press``) and calls a receiver it was given at ``register``; the runtime implements these
(``CloneBot`` for the owner's account, ``Cards`` for the companion bot) without the
transport ever importing it.
"""

from __future__ import annotations

from typing import Protocol

from clonebot.telegram.messages import Msg, Press


class AccountEvents(Protocol):
    """The owner's account: what others wrote to it, and what the owner wrote anywhere."""

    async def on_incoming(self, msg: Msg) -> None: ...

    async def on_outgoing(self, msg: Msg) -> None: ...


class CompanionEvents(Protocol):
    """The companion bot: presses on its buttons, private messages, and groups it is put in."""

    async def on_press(self, press: Press) -> None: ...

    async def on_message(self, msg: Msg) -> None:
        """Someone wrote to the bot in a private chat."""
        ...

    async def on_group(self, chat_id: int, why: str) -> None:
        """The bot is in a group or channel (added, or a message there reached it)."""
        ...
