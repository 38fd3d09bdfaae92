"""From someone's message to a suggestion: debounce the burst, build the context, generate,
pick a clean candidate, and hand it to the chat's mode (draft, approve, auto).

The model sees scrubbed text (as in training); the owner sees what was actually written.
A candidate that is broken (``reply_checks``: a redaction placeholder, intact or damaged, a
broken character, cut off at the token limit) is never drafted or sent as is: the bot
samples again, and if nothing clean comes back it asks the owner, flagged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from clonebot.approval.decisions import Decision
from clonebot.state.store import StateStore
from clonebot.config import Settings
from clonebot.pii import Finding, PIIFilter
from clonebot.prompt_format import USER
from clonebot.runtime.clock import Clock
from clonebot.runtime.context import history_to_turns
from clonebot.runtime.control import ControlChat
from clonebot.runtime.delivery import Delivery
from clonebot.runtime.own_messages import OwnMessages
from clonebot.runtime.policy import ChatPolicy, Verdict, label
from clonebot.runtime.reply_checks import CUT_OFF, is_cut, text_problems
from clonebot.runtime.worker import GenerationWorker
from clonebot.telegram.client import ClientAdapter
from clonebot.telegram.messages import Msg

log = logging.getLogger(__name__)

_RESAMPLES = 2  # extra generation rounds when no candidate is clean


@dataclass
class _ChatState:
    epoch: int = 0  # bumped by every new message in the chat: older work is stale
    last_at: float = 0.0
    burst: list[Msg] = field(default_factory=list)
    timer: asyncio.Task | None = None


@dataclass(frozen=True)
class Choice:
    """The candidate to use and what is wrong with it (nothing, if it is clean)."""

    text: str
    findings: tuple[Finding, ...] = ()
    problems: tuple[str, ...] = ()  # reply_checks: placeholders, broken characters, cut off

    @property
    def clean(self) -> bool:
        return not self.findings and not self.problems

    @property
    def broken(self) -> bool:
        """Never drafted or sent automatically, whatever the mode (PII only blocks auto)."""
        return bool(self.problems)

    def flags(self) -> list[str]:
        return [f.describe() for f in self.findings] + list(self.problems)


class Answering:
    def __init__(self, settings: Settings, client: ClientAdapter, store: StateStore,
                 worker: GenerationWorker, clock: Clock, policy: ChatPolicy,
                 control: ControlChat, delivery: Delivery, own: OwnMessages,
                 spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task]):
        self.settings = settings
        self.client = client
        self.store = store
        self.worker = worker
        self.clock = clock
        self.policy = policy
        self.control = control
        self.delivery = delivery
        self.own = own
        self.spawn = spawn
        self.pii = PIIFilter(settings.pii.denylist)
        self.chats: dict[int, _ChatState] = {}
        self.stopping = False

    # --- the burst ---------------------------------------------------------------------------

    def add(self, msg: Msg) -> None:
        """One more incoming message in a chat that gets answers: (re)start its debounce."""
        st = self.chats.setdefault(msg.chat_id, _ChatState())
        st.epoch += 1
        st.burst.append(msg)
        st.last_at = self.clock.now()
        if st.timer is None or st.timer.done():
            st.timer = asyncio.create_task(self._debounce(msg.chat_id))

    def cancel(self, chat_id: int) -> None:
        """The owner wrote in the chat: whatever was being prepared there is stale."""
        st = self.chats.get(chat_id)
        if st is not None:
            st.epoch += 1
            st.burst.clear()
            if st.timer is not None:
                st.timer.cancel()
                st.timer = None

    def timers(self) -> list[asyncio.Task]:
        return [st.timer for st in self.chats.values() if st.timer and not st.timer.done()]

    async def _debounce(self, chat_id: int) -> None:
        st = self.chats[chat_id]
        while True:
            wait = st.last_at + self.settings.bot.debounce_seconds - self.clock.now()
            if wait <= 0:
                break
            await self.clock.sleep(wait)
        burst, st.burst = st.burst, []
        if burst and not self.stopping:
            self.spawn(self.answer(chat_id, st.epoch))
        st.timer = None

    # --- one answer --------------------------------------------------------------------------

    async def answer(self, chat_id: int, epoch: int) -> None:
        st = self.chats[chat_id]
        verdict = await self.policy.decide(chat_id, self.control.id)
        if verdict.mode is None or verdict.info is None or self.store.get_flag("paused", False):
            return
        try:  # the turns the adapter was trained with: exactly as many, as in training
            keep = await self.worker.context_turns()
        except Exception as e:
            await self._failed(chat_id, verdict, e)
            return
        history = await self.client.history(chat_id, min(100, keep * 8))
        waiting = unanswered(history, self.store.answered_upto(chat_id), self.own.sent_by_bot)
        if not waiting or st.epoch != epoch:
            return  # the owner has answered already, or more is coming
        # the conversation up to what is answered (a reply of ours to an older message that
        # went out later, e.g. approved while the bot was down, is not the answer to this)
        history = [m for m in history if m.id <= waiting[-1].id]
        scrub = self.pii.redact if self.settings.pii.scrub else None
        turns = history_to_turns(history, context_turns=keep, scrub=scrub,
                                 session_gap_seconds=self.settings.dialogue.session_gap_hours * 3600,
                                 sent_by_bot=self.own.sent_by_bot)
        if not turns or turns[-1]["role"] != USER:
            return
        try:
            choice = await self.choose(turns)
        except Exception as e:  # keep serving other chats
            await self._failed(chat_id, verdict, e)
            return
        if st.epoch != epoch or self.stopping:
            log.info("chat %s moved on during generation; reply dropped", chat_id)
            return
        if choice is None:
            log.info("no reply generated for chat %s", chat_id)
            return
        await self._hand_over(verdict, after_last_reply(history), turns, choice, st, epoch)

    async def _failed(self, chat_id: int, verdict: Verdict, e: Exception) -> None:
        log.error("generation failed for chat %s: %s", chat_id, e)
        await self.control.post(f"generation failed for {label(verdict.info)}: {e}")

    async def choose(self, turns: list[dict]) -> Choice | None:
        """Generate and pick; sample again (up to ``_RESAMPLES`` times) while nothing is clean."""
        fallback: Choice | None = None
        for _ in range(1 + _RESAMPLES):
            replies = await self.worker.generate(turns, n=self.settings.generate.candidates)
            choice = self.pick(replies)
            if choice is not None and choice.clean:
                return choice
            fallback = fallback or choice
        return fallback

    def pick(self, replies: list[str]) -> Choice | None:
        """The first clean candidate, else the first non-empty one with what is wrong with it."""
        first: Choice | None = None
        for raw in replies:
            reply = (raw or "").strip()
            if not reply:
                continue
            problems = text_problems(reply) + ([CUT_OFF] if is_cut(raw) else [])
            choice = Choice(reply, tuple(self.pii.scan(reply)), tuple(problems))
            if choice.clean:
                return choice
            first = first or choice
        return first

    async def _hand_over(self, verdict: Verdict, tail: list[Msg], turns: list[dict],
                         choice: Choice, st: _ChatState, epoch: int) -> None:
        info, mode = verdict.info, verdict.mode
        assert info is not None and mode is not None
        now = self.clock.now()
        for old in self.store.pending(info.id):
            if self.store.decide(old.id, Decision.EXPIRED, now=now, note="superseded") and \
                    old.mode == "draft" and mode != "draft":
                self.spawn(self.delivery.clear_draft(old))
        reason = None
        if choice.broken and mode != "approve":
            reason = f"not {'drafted' if mode == 'draft' else 'sent'}: {'; '.join(choice.problems)}"
            mode = "approve"
        blocker = self.delivery.auto_blocker(info.id, list(choice.findings)) \
            if mode == "auto" else None
        if blocker:
            reason, mode = blocker, "approve"
        sugg = self.store.create(
            chat_id=info.id, chat_name=label(info), mode=mode, prompt_turns=turns,
            suggestion=choice.text, now=now, pii=choice.flags(),
            incoming="\n".join(m.text for m in tail).strip() or turns[-1]["content"],
            ttl_seconds=self.settings.bot.approval_ttl_minutes * 60,
            answers_upto=max((m.id for m in tail), default=None),
        )
        if mode == "draft":
            await self.delivery.save_draft(sugg)
        elif mode == "approve":
            await self.control.post_suggestion(sugg, reason)
        else:
            await self.delivery.auto_send(sugg, lambda: st.epoch == epoch)


def after_last_reply(history: list[Msg]) -> list[Msg]:
    """What is quoted for the owner, as written: the incoming messages after the last one from
    this side (the owner's or a reply the bot sent), e.g. a superseded suggestion's too."""
    tail: list[Msg] = []
    for m in history:
        if m.out:
            tail = []
        elif m.text.strip():
            tail.append(m)
    return tail


def unanswered(history: list[Msg], answered_upto: int,
               sent_by_bot: Callable[[int, int], bool]) -> list[Msg]:
    """Incoming messages (oldest first) that wait for an answer: after the owner's last own
    message (the bot's sends do not count: they answer older messages) and newer than what
    a suggestion already answers."""
    waiting: list[Msg] = []
    for m in history:
        if m.out:
            if not sent_by_bot(m.chat_id, m.id):
                waiting = []  # the owner wrote: everything before is answered
        elif m.id > answered_upto and m.text.strip():
            waiting.append(m)
    return waiting
