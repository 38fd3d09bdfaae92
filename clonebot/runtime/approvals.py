"""The owner's answers to suggestions: ok, edit <text>, no, regen, or a reply with new text.

An answer names its suggestion by replying to its post or by id (``ok k7q2``); with neither,
it applies to the only suggestion waiting, and asks when there are several.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from clonebot.approval.decisions import Decision
from clonebot.state.store import StateStore, Suggestion
from clonebot.config import Settings
from clonebot.runtime.answering import Answering
from clonebot.runtime.clock import Clock
from clonebot.runtime.commands import Command
from clonebot.runtime.control import ControlChat
from clonebot.runtime.delivery import Delivery, SendResult
from clonebot.telegram.messages import Msg

log = logging.getLogger(__name__)

ANSWERS = ("ok", "no", "regen", "edit", "reply_text")


class Approvals:
    def __init__(self, settings: Settings, store: StateStore, clock: Clock,
                 control: ControlChat, delivery: Delivery, answering: Answering,
                 spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task]):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.control = control
        self.delivery = delivery
        self.answering = answering
        self.spawn = spawn

    async def answer(self, cmd: Command, msg: Msg) -> None:
        if cmd.kind == "reply_text" and (
            msg.reply_to is None or self.store.by_control_msg(msg.reply_to) is None
        ):
            return  # a reply to something else in Saved Messages: not ours
        target = self._target(cmd, msg)
        if isinstance(target, str):
            await self.control.post(target, reply_to=msg.id)
            return
        s = target
        now = self.clock.now()
        if s.pending and now >= s.expires_at:
            self.store.decide(s.id, Decision.EXPIRED, now=now, note="ttl")
            s = self.store.get(s.id)  # type: ignore[assignment]
        if not s.pending:
            what = s.decision or ("sending" if s.state == "sending" else "sent automatically")
            why = f" ({s.note})" if s.note and s.decision else ""
            await self.control.post(f"#{s.id} is no longer pending: {what}{why}", reply_to=msg.id)
            return
        if cmd.kind == "no":
            self.store.decide(s.id, Decision.REJECTED, now=now)
            await self.control.post(f"✗ #{s.id} discarded", reply_to=msg.id)
        elif cmd.kind == "regen":
            self.spawn(self._regen(s, msg.id))
        else:
            text = s.suggestion if cmd.kind == "ok" else (cmd.text or "").strip()
            decision = Decision.SENT if text == s.suggestion else Decision.EDITED
            result = await self.delivery.send(s, text, decision=decision, by="owner")
            if result in (SendResult.SENT, SendResult.CONFIRMED):
                await self.control.post(f"✓ #{s.id} sent to {s.chat_name}", reply_to=msg.id)

    def _target(self, cmd: Command, msg: Msg) -> Suggestion | str:
        if msg.reply_to is not None:
            s = self.store.by_control_msg(msg.reply_to)
            if s is not None:
                return s
        if cmd.sid:
            return self.store.get(cmd.sid) or f"no suggestion #{cmd.sid}"
        pending = self.store.pending(mode="approve")
        if not pending:
            return "nothing is waiting for approval"
        if len(pending) > 1:
            ids = " ".join(f"#{p.id}" for p in pending[-5:])
            return f"{len(pending)} suggestions pending ({ids}): reply to one or add its id"
        return pending[0]

    async def _regen(self, s: Suggestion, reply_to: int) -> None:
        result = await self.regenerate(s)
        if isinstance(result, str):
            await self.control.post(result, reply_to=reply_to)

    async def regenerate(self, s: Suggestion) -> Suggestion | str | None:
        """The next candidate of ``s``'s thread, offered as ``s`` was (on a card: in place);
        why not, if there is none; None if ``s`` was decided meanwhile."""
        try:
            choice = await self.answering.choose(s.prompt_turns)
        except Exception as e:
            return f"regen failed: {e}"
        if choice is None:
            return f"#{s.id}: the model gave nothing new"
        now = self.clock.now()
        if not self.store.decide(s.id, Decision.REGENERATED, now=now):
            return None  # decided meanwhile
        new = self.store.create(
            chat_id=s.chat_id, chat_name=s.chat_name, mode="approve", incoming=s.incoming,
            prompt_turns=s.prompt_turns, suggestion=choice.text, now=now,
            ttl_seconds=self.settings.bot.approval_ttl_minutes * 60, thread=s.thread,
            pii=choice.flags(),
        )
        await self.control.post_suggestion(new)
        return new
