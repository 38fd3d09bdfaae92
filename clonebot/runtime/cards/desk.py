"""Approval cards follow the store: offered in the owner's chat with the companion bot,
moved along their thread in place (Another), redrawn whenever their suggestion changes.

The store is the one source of truth. Whoever changes a suggestion (a press, a typed ``ok``
in Saved Messages, the owner writing in the chat, a newer message superseding it, its time
running out, a send confirmed after a crash), the store says so (``StateStore.watch``) and
the card is redrawn from the store: its text says what happened and its buttons go. A card
remembers what it shows (``shown``), so a restart redraws only the cards that fell behind;
a card is final once its suggestion is closed and drawn so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from clonebot.approval.decisions import Decision
from clonebot.runtime.cards.render import buttons, card_text
from clonebot.runtime.clock import Clock
from clonebot.state.cards import Card
from clonebot.state.store import StateStore, Suggestion
from clonebot.telegram.companion.client import CompanionClient

log = logging.getLogger(__name__)

_SEND_TIMEOUT = 30.0  # seconds a new card may take before the offer goes to Saved Messages


class CardDesk:
    def __init__(self, store: StateStore, clock: Clock, companion: CompanionClient,
                 owner_id: int, spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task]):
        self.store = store
        self.clock = clock
        self.companion = companion
        self.owner_id = owner_id
        self.spawn = spawn
        self._dirty: list[str] = []
        self._drain: asyncio.Task | None = None
        self._lock = asyncio.Lock()  # one card drawn at a time: draws never interleave

    @property
    def bot_id(self) -> int:
        return self.companion.bot_id

    # --- offering ------------------------------------------------------------------------------

    async def offer(self, s: Suggestion, note: str | None = None) -> bool:
        """Show ``s`` on a card: the card of its thread if there is one (Another, or the same
        suggestion offered again after a restart), else a new one. False if the companion
        cannot (then the caller offers it in Saved Messages)."""
        try:
            async with self._lock:
                card = self.store.open_card(self.bot_id, s.thread) or next(
                    (c for c in self.store.cards_showing(s.id) if c.bot_id == self.bot_id), None)
                if card is not None:
                    if note is None and card.sid == s.id:
                        note = card.note  # offered again as it was (a restart): keep its warning
                    self.store.point_card(self.bot_id, card.msg_id, sid=s.id, note=note)
                    await self._draw(self.store.card(self.bot_id, card.msg_id), s)
                    return True
                text = card_text(s, note=note)
                msg_id = await asyncio.wait_for(
                    self.companion.send(self.owner_id, text, buttons(s)), _SEND_TIMEOUT)
                self.store.add_card(self.bot_id, msg_id, thread=s.thread, sid=s.id, note=note,
                                    shown=text, now=self.clock.now())
                log.info("card for #%s sent (message %s)", s.id, msg_id)
                return True
        except Exception as e:  # the bot blocked, the network down...: Saved Messages then
            log.warning("cannot show #%s on a card: %s", s.id, e)
            return False

    # --- following the store ------------------------------------------------------------------

    def changed(self, sid: str) -> None:
        """The store's watcher: a suggestion changed; its cards are redrawn soon, in order."""
        if sid not in self._dirty:
            self._dirty.append(sid)
        if self._drain is None or self._drain.done():
            self._drain = self.spawn(self._redraw_dirty())

    async def _redraw_dirty(self) -> None:
        while self._dirty:
            sid = self._dirty.pop(0)
            try:
                await self.refresh(sid)
            except Exception as e:  # one card must not stop the others
                log.warning("cannot redraw the card of #%s: %s", sid, e)

    async def refresh(self, sid: str) -> None:
        s = self.store.get(sid)
        if s is None:
            return
        if s.decision == Decision.REGENERATED:
            return  # Another: the next candidate's offer redraws this card in place
        async with self._lock:
            for card in self.store.cards_showing(sid):
                if card.bot_id == self.bot_id and card.open:
                    await self._draw(card, s)

    async def resync(self) -> None:
        """After a (re)start: redraw every card that is not final yet."""
        for card in self.store.open_cards(self.bot_id):
            await self.refresh(card.sid)

    async def _draw(self, card: Card | None, s: Suggestion) -> None:
        if card is None:
            return
        wait = self.store.edit_wait()
        if wait is not None and wait.sid == s.id and not s.pending:
            self.store.end_edit_wait(s.id)  # nothing to edit any more
        waiting = (s.pending and wait is not None and wait.sid == s.id
                   and wait.msg_id == card.msg_id and wait.bot_id == card.bot_id)
        text = card_text(s, note=card.note, waiting_edit=waiting)
        final = not s.pending and s.state != "sending"
        if text == card.shown and final != card.open:
            return  # it says that already
        if not await self.companion.edit(self.owner_id, card.msg_id, text, buttons(s)):
            log.warning("the card of #%s is gone (deleted?); answer in Saved Messages", s.id)
            self.store.card_shown(card.bot_id, card.msg_id, shown=text, open=False)
            return
        self.store.card_shown(card.bot_id, card.msg_id, shown=text, open=not final)
