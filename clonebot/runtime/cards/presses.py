"""What the owner does on a card: Send, Another, Edit (then the text), Skip.

Only the owner counts: a press or a message from anyone else does nothing and is not
answered (it is logged). A press acts on what the card showed when it was pressed (the
suggestion id in its data): on a card that has moved on, or whose suggestion is no longer
pending, it does nothing but say so. Each decision goes through the same paths as a typed
answer in Saved Messages (``Delivery.send`` with its once-only send marker, ``decide``,
``Approvals.regenerate``), so the store, the feedback pairs and the guarantees against a
lost or double send are the same. The card itself is redrawn by the desk, from the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from clonebot.approval.decisions import Decision
from clonebot.runtime.approvals import Approvals
from clonebot.runtime.cards.desk import CardDesk
from clonebot.runtime.cards.render import ANOTHER, EDIT, SEND, SKIP, headline, parse_press
from clonebot.runtime.clock import Clock
from clonebot.runtime.delivery import Delivery, SendResult
from clonebot.runtime.reply_checks import text_problems
from clonebot.state.store import StateStore, Suggestion
from clonebot.telegram.companion.client import CompanionClient
from clonebot.telegram.messages import Msg, Press

log = logging.getLogger(__name__)

HELLO = ("🤖 I bring you clonebot's approval cards: what a friend wrote and what your clone "
         "would answer. Send, Another, Edit or Skip on each card. I answer nobody else.")
HINT = ("🤖 To send your own text instead of a suggestion, press ✏️ Edit on its card first, "
        "then write it here.")
_RESULT = {
    SendResult.LIMITED: "Telegram asks to wait before the next message: press Send again later",
    SendResult.IN_DOUBT: "not sure it went out: the chat is checked before anything else",
    SendResult.NOT_SENT: "the send did not go through: press Send again",
}


class CardPresses:
    def __init__(self, desk: CardDesk, store: StateStore, clock: Clock,
                 companion: CompanionClient, owner_id: int, delivery: Delivery,
                 approvals: Approvals,
                 spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task]):
        self.desk = desk
        self.store = store
        self.clock = clock
        self.companion = companion
        self.owner_id = owner_id
        self.delivery = delivery
        self.approvals = approvals
        self.spawn = spawn
        self._left: set[int] = set()
        self._queries: set[int] = set()  # presses taken (a server may deliver one twice)

    # --- presses -------------------------------------------------------------------------------

    async def on_press(self, p: Press) -> None:
        if p.sender_id != self.owner_id:
            log.warning("companion: a press by %s ignored (only the owner's count)", p.sender_id)
            return
        if p.query_id in self._queries:
            return
        self._queries.add(p.query_id)
        parsed = parse_press(p.data)
        if parsed is None:
            await self.companion.answer(p.query_id, "That button is not one of mine")
            return
        action, sid = parsed
        card = self.store.card(self.companion.bot_id, p.msg_id)
        s = self.store.get(sid)
        if card is None or s is None or card.sid != sid:
            await self.companion.answer(p.query_id, "This card shows another reply now: "
                                                    "look again")
            return
        now = self.clock.now()
        if s.pending and now >= s.expires_at:
            self.store.decide(s.id, Decision.EXPIRED, now=now, note="ttl")
            s = self.store.get(sid)  # type: ignore[assignment]
        if not s.pending:
            await self.companion.answer(p.query_id, f"Nothing to do: {headline(s)}")
            self.desk.changed(s.id)  # in case the card still shows buttons
            return
        if action == SEND:
            await self._send(p, s, s.suggestion)
        elif action == ANOTHER:
            await self._another(p, s)
        elif action == EDIT:
            await self._edit(p, s)
        elif action == SKIP:
            self.store.decide(s.id, Decision.REJECTED, now=now)
            await self.companion.answer(p.query_id, "Skipped")

    async def _send(self, p: Press | None, s: Suggestion, text: str) -> None:
        held = text_problems(text)
        if held:
            why = (f"Not sent: it holds {'; '.join(held)}. Press ✏️ Edit and send your own "
                   "text.")
            if p is not None:
                await self.companion.answer(p.query_id, why, alert=True)
            else:
                await self.companion.send(self.owner_id, "🤖 " + why)
            return
        if p is not None:  # at once: the send checks the chat first, the spinner must stop
            await self.companion.answer(p.query_id, f"Sending to {s.chat_name or s.chat_id}…")
        decision = Decision.SENT if text.strip() == s.suggestion.strip() else Decision.EDITED
        result = await self.delivery.send(s, text, decision=decision, by="owner")
        why = _RESULT.get(result)
        if why is not None and self.store.get(s.id).pending:  # type: ignore[union-attr]
            self._note(s, why)

    async def _another(self, p: Press, s: Suggestion) -> None:
        await self.companion.answer(p.query_id, "Asking your clone for another reply…")
        self._note(s, "🔄 another reply is on its way…")
        self.spawn(self._regenerate(s))

    async def _regenerate(self, s: Suggestion) -> None:
        result = await self.approvals.regenerate(s)
        if isinstance(result, str) and self.store.get(s.id).pending:  # type: ignore[union-attr]
            self._note(s, result)

    async def _edit(self, p: Press, s: Suggestion) -> None:
        await self.companion.answer(p.query_id, "Send me your text")
        who = s.chat_name or s.chat_id
        prompt = await self.companion.send(
            self.owner_id, f"✏️ Your reply to {who} (#{s.id}): write it here, it goes instead "
                           "of the suggestion.")
        before = self.store.wait_for_edit(self.companion.bot_id, p.msg_id, sid=s.id,
                                          after_msg_id=prompt, now=self.clock.now())
        if before is not None:
            self.desk.changed(before.sid)  # its card stops saying it waits
        self.desk.changed(s.id)

    def _note(self, s: Suggestion, note: str | None) -> None:
        for card in self.store.cards_showing(s.id):
            if card.bot_id == self.companion.bot_id:
                self.store.point_card(card.bot_id, card.msg_id, sid=s.id, note=note)
        self.desk.changed(s.id)

    # --- messages to the bot --------------------------------------------------------------------

    async def on_message(self, msg: Msg) -> None:
        if msg.sender_id != self.owner_id or msg.chat_id != self.owner_id:
            log.warning("companion: a message from %s ignored (only the owner's count)",
                        msg.sender_id)
            return
        if not self.store.take_companion_message(self.companion.bot_id, msg.id):
            return  # handled already (live before a restart, then again in the catch-up)
        text = msg.text.strip()
        wait = self.store.edit_wait()
        if (wait is not None and wait.bot_id == self.companion.bot_id and msg.id > wait.after_msg_id
                and text and msg.authored):
            if self.store.end_edit_wait(wait.sid) is None:
                return
            s = self.store.get(wait.sid)
            if s is None or not s.pending:
                await self.companion.send(self.owner_id, f"🤖 Not sent: that card is over "
                                          f"({headline(s) if s else 'gone'})")
                return
            self._note(s, None)
            await self._send(None, s, text)
            return
        await self.companion.send(self.owner_id, HELLO if text.startswith("/start") else HINT)

    # --- groups -------------------------------------------------------------------------------

    async def on_group(self, chat_id: int, why: str) -> None:
        if chat_id in self._left:
            return
        self._left.add(chat_id)
        log.warning("companion: leaving %s (%s): it talks to its owner only", chat_id, why)
        try:
            await self.companion.leave(chat_id)
        except Exception as e:
            log.warning("companion: cannot leave %s: %s", chat_id, e)
