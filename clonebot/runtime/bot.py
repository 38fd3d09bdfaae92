"""The clone at work: wires its collaborators and owns the bot's lifecycle.

An incoming message goes through the policy (``policy.py``: allow-list, chat kind, the owner
has written there), then ``answering.py`` (debounce the burst, context from the chat's
history, one generation in the worker thread, a clean candidate) and the chat's mode:
``draft`` or ``auto`` (``delivery.py``), or ``approve`` (``control.py`` posts the suggestion,
``approvals.py`` takes the owner's answer). The owner writing in a chat cancels whatever is
pending there. Only what the owner typed in the control chat counts as a command: never a
forward, a message via an inline bot, an edit, or one of the bot's own posts (known by id).

On start: check the control chat, settle interrupted sends, catch up on what was missed
(``catchup.py``). Events that arrive meanwhile wait until the start is done.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from clonebot import versions
from clonebot.approval.decisions import Decision
from clonebot.state.store import StateStore
from clonebot.config import Settings
from clonebot.errors import AdapterError
from clonebot.runtime import commands
from clonebot.runtime.answering import Answering
from clonebot.runtime.approvals import ANSWERS, Approvals
from clonebot.runtime.catchup import CatchUp
from clonebot.runtime.clock import Clock
from clonebot.runtime.control import ControlChat
from clonebot.runtime.delivery import Delivery
from clonebot.runtime.owner_commands import OwnerCommands
from clonebot.runtime.own_messages import OwnMessages
from clonebot.runtime.policy import ChatPolicy
from clonebot.runtime.worker import GenerationWorker
from clonebot.telegram.client import ClientAdapter
from clonebot.telegram.messages import Msg

log = logging.getLogger(__name__)

_SWEEP_SECONDS = 60


class CloneBot:
    def __init__(
        self,
        settings: Settings,
        client: ClientAdapter,
        store: StateStore,
        worker: GenerationWorker,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        adapter_dir: Path | None = None,
    ):
        self.settings = settings
        self.client = client
        self.store = store
        self.worker = worker
        self.clock = clock or Clock()
        self.adapter_arg = adapter_dir  # explicit --adapter; None -> the promoted one
        self.own = OwnMessages(store)
        self.policy = ChatPolicy(settings, client, store)
        self.control = ControlChat(settings, client, store, self.own)
        self.delivery = Delivery(settings, client, store, self.clock, rng or random.Random(),
                                 self.control, self.own)
        self.answering = Answering(settings, client, store, worker, self.clock, self.policy,
                                   self.control, self.delivery, self.own, self.spawn)
        self.approvals = Approvals(settings, store, self.clock, self.control, self.delivery,
                                   self.answering, self.spawn)
        self.commands = OwnerCommands(settings, store, self.clock, self.control, self.policy,
                                      worker, self.reload, self.spawn)
        self.catchup = CatchUp(settings, client, store, self.clock, self.control, self.own,
                               on_control=self.handle_control, on_incoming=self.handle_incoming)
        self._ready = asyncio.Event()
        self._seen: set[tuple[int, int]] = set()
        self._tasks: set[asyncio.Task] = set()
        self._reload_lock = asyncio.Lock()
        self._sweeper: asyncio.Task | None = None
        self._started_at = 0.0
        self.stopping = False

    @property
    def control_id(self) -> int | None:
        return self.control.id

    async def wait_ready(self) -> None:
        """Until the start (settling interrupted sends, the catch-up) is done."""
        await self._ready.wait()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, *, sweeper: bool = True) -> None:
        """Check the control chat (ConfigError if others can read it), settle, catch up."""
        await self.control.resolve()
        self._started_at = self.clock.now()
        await self.delivery.recover()
        await self.catchup.on_start()
        self._ready.set()
        self.sweep()
        if sweeper:
            self._sweeper = asyncio.create_task(self._sweep_loop())

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work, let sends in flight finish, cancel the rest."""
        self.stopping = self.answering.stopping = True
        for timer in self.answering.timers():
            timer.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
        live = [t for t in self._tasks if not t.done()]
        if live:
            _, still = await asyncio.wait(live, timeout=timeout)
            for t in still:
                t.cancel()

    def _live(self) -> list[asyncio.Task]:
        return [t for t in self._tasks if not t.done()] + self.answering.timers()

    @property
    def busy(self) -> bool:
        """A debounce timer or a bot task is still running."""
        return bool(self._live())

    async def wait_idle(self) -> None:
        """Wait until no debounce timer or bot task is left (tests, bench)."""
        while self.busy:
            await asyncio.wait(self._live())

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bot task failed", exc_info=task.exception())

    async def _sweep_loop(self) -> None:
        while True:
            await self.clock.sleep(_SWEEP_SECONDS)
            self.sweep()
            try:
                await self.catchup.recheck(self._started_at)
            except Exception as e:  # keep sweeping
                log.warning("recheck failed: %s", e)

    def sweep(self) -> None:
        """Expire suggestions past their time; their drafts leave the input field."""
        for s in self.store.expire_due(self.clock.now()):
            log.info("suggestion %s expired", s.id)
            if s.mode == "draft":
                self.spawn(self.delivery.clear_draft(s))

    # --- what Telegram tells us (the handlers call these) ------------------------------------

    async def on_incoming(self, msg: Msg) -> None:
        log.debug("incoming %s in %s", msg.id, msg.chat_id)
        await self._ready.wait()
        await self.handle_incoming(msg)

    async def on_outgoing(self, msg: Msg) -> None:
        """The owner wrote somewhere: in the control chat, or in a chat the bot may answer."""
        log.debug("outgoing %s in %s", msg.id, msg.chat_id)
        await self._ready.wait()
        if msg.chat_id == self.control.id:
            await self.handle_control(msg)
        else:
            await self.handle_owner_message(msg)

    async def handle_incoming(self, msg: Msg) -> None:
        if self.stopping or self.store.get_flag("paused", False):
            return
        key = (msg.chat_id, msg.id)
        if key in self._seen or msg.id <= self.store.answered_upto(msg.chat_id):
            return  # seen live and in the catch-up, or answered before a restart
        self._seen.add(key)
        try:
            verdict = await self.policy.decide(msg.chat_id, self.control.id)
            if verdict.mode is None:
                log.debug("silent in %s: %s", msg.chat_id, verdict.why)
                return
            # never the first message, never a stranger: the owner must have written here
            if not await self.policy.owner_has_written(msg.chat_id):
                log.info("silent in %s: the owner has never written there", msg.chat_id)
                return
        except Exception as e:  # e.g. an entity Telegram will not resolve
            log.warning("cannot look up chat %s: %s", msg.chat_id, e)
            return
        self.answering.add(msg)

    async def handle_owner_message(self, msg: Msg) -> None:
        """The owner wrote in a chat (not the control chat): cancel what is pending there."""
        if await self.own.is_own(msg, self.control.id):
            return
        self.policy.note_owner_wrote(msg.chat_id)
        self.answering.cancel(msg.chat_id)
        now = self.clock.now()
        for s in self.store.pending(msg.chat_id):
            if s.mode == "draft":
                same = msg.text.strip() == s.suggestion.strip()
                self.store.decide(s.id, Decision.SENT if same else Decision.EDITED, now=now,
                                  final_text=msg.text, note="draft", msg_id=msg.id)
                self.spawn(self.delivery.clear_draft(s))
            else:
                self.store.decide(s.id, Decision.REJECTED, now=now, final_text=msg.text,
                                  note="owner replied")

    async def handle_control(self, msg: Msg) -> None:
        if msg.chat_id != self.control.id or not msg.out:
            return
        if not msg.authored:
            log.info("control chat: ignored message %s (a forward, an edit or via a bot)", msg.id)
            return
        if await self.own.is_own(msg, self.control.id):
            return
        if not self.store.take_control_message(msg.id):
            return  # handled already (live before a restart, or seen twice)
        cmd = commands.parse(msg.text, is_reply=msg.reply_to is not None)
        if cmd is None:
            return
        try:
            if cmd.kind in ANSWERS:
                await self.approvals.answer(cmd, msg)
            else:
                await self.commands.run(cmd, msg.id)
        except Exception as e:  # one bad command must not take the handler down
            log.exception("control command %r failed", msg.text)
            await self.control.post(f"could not do that: {e}", reply_to=msg.id)

    # --- hot reload --------------------------------------------------------------------------

    async def reload(self) -> bool:
        """Load the promoted (or --adapter) adapter; the generation in flight finishes first."""
        async with self._reload_lock:
            try:
                path = versions.resolve(self.settings.paths.runs_dir, self.adapter_arg)
            except AdapterError as e:
                await self.control.post(f"reload: {e}")
                return False
            try:
                await self.worker.load(path)
            except Exception as e:
                old = self.worker.adapter_dir
                await self.control.post(f"reload of {path} failed: {e}; still using {old}")
                return False
            await self.control.post(f"reloaded adapter {Path(path).name}")
            return True
