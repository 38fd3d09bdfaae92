"""Approval cards with buttons, brought by the owner's companion bot (issue: one-tap approval).

``render.py`` says what a card shows, ``desk.py`` keeps cards in step with the store,
``presses.py`` decides what a press or the owner's message to the bot does. ``Cards`` wires
them to a running ``CloneBot`` and is what the companion's event handlers call.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from clonebot.runtime.cards.desk import CardDesk
from clonebot.runtime.cards.presses import CardPresses
from clonebot.telegram.companion.client import CompanionClient
from clonebot.telegram.messages import Msg, Press

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot

__all__ = ["CardDesk", "CardPresses", "Cards"]

log = logging.getLogger(__name__)


class Cards:
    """The cards of one bot. Events that come before ``use`` and before the bot has started
    (the catch-up right after the companion logs in) wait until both are done."""

    def __init__(self, bot: "CloneBot"):
        import asyncio

        self.bot = bot
        self._ready = asyncio.Event()
        self.desk: CardDesk | None = None
        self.presses: CardPresses | None = None

    def use(self, companion: CompanionClient) -> None:
        """Offer suggestions on cards from now on (before the bot starts: its recovery may
        offer some)."""
        bot = self.bot
        owner = bot.client.self_id
        self.desk = CardDesk(bot.store, bot.clock, companion, owner, bot.spawn)
        self.presses = CardPresses(self.desk, bot.store, bot.clock, companion, owner,
                                   bot.delivery, bot.approvals, bot.spawn)
        bot.store.watch(self.desk.changed)
        bot.control.cards = self.desk
        bot.store.set_flag("companion", {"id": companion.bot_id, "username": companion.username})
        self._ready.set()

    async def resync(self) -> None:
        """After the start: redraw the cards that fell behind while the bot was down."""
        if self.desk is not None:
            await self.desk.resync()

    async def _wait(self) -> None:
        await self._ready.wait()
        await self.bot.wait_ready()

    async def on_press(self, press: Press) -> None:
        log.debug("companion: a press on %s by %s", press.msg_id, press.sender_id)
        await self._wait()
        await self.presses.on_press(press)  # type: ignore[union-attr]

    async def on_message(self, msg: Msg) -> None:
        log.debug("companion: message %s from %s", msg.id, msg.sender_id)
        await self._wait()
        await self.presses.on_message(msg)  # type: ignore[union-attr]

    async def on_group(self, chat_id: int, why: str) -> None:
        await self._wait()
        await self.presses.on_group(chat_id, why)  # type: ignore[union-attr]
