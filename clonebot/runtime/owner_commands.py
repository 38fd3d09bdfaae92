"""The owner's slash commands in the control chat: /status /pause /resume /mode /reload /help."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from clonebot.state.store import StateStore
from clonebot.config import Settings
from clonebot.runtime import commands
from clonebot.runtime.clock import Clock
from clonebot.runtime.control import ControlChat
from clonebot.runtime.policy import MODES, ChatPolicy, label
from clonebot.runtime.status import status_text
from clonebot.runtime.worker import GenerationWorker
from clonebot.telegram.messages import ChatInfo


class OwnerCommands:
    def __init__(self, settings: Settings, store: StateStore, clock: Clock,
                 control: ControlChat, policy: ChatPolicy, worker: GenerationWorker,
                 reload: Callable[[], Coroutine[Any, Any, bool]],
                 spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task]):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.control = control
        self.policy = policy
        self.worker = worker
        self.reload = reload
        self.spawn = spawn

    async def run(self, cmd: commands.Command, reply_to: int) -> None:
        if cmd.kind == "status":
            text = status_text(self.settings, self.store, self.worker, self.clock.now())
            await self.control.post(text, reply_to=reply_to)
        elif cmd.kind == "help":
            await self.control.post(commands.HELP, reply_to=reply_to)
        elif cmd.kind == "reload":
            self.spawn(self.reload())
        elif cmd.kind in ("pause", "resume"):
            await self._pause(cmd.kind == "pause", cmd.chat, reply_to)
        elif cmd.kind == "mode":
            await self._set_mode(cmd.chat or "", cmd.mode or "", reply_to)
        else:
            await self.control.post(f"{cmd.text}\n{commands.HELP}", reply_to=reply_to)

    async def _pause(self, pause: bool, chat: str | None, reply_to: int) -> None:
        if chat is None:
            self.store.set_flag("paused", pause)
            if not pause:
                self.store.set_flag("auto_disabled", False)
                self.store.set_flag("auto_paused_until", 0)
            text = "paused: no replies until /resume" if pause else "resumed"
            await self.control.post(text, reply_to=reply_to)
            return
        info = await self._listed(chat, reply_to)
        if info is None:
            return
        self.store.set_chat_paused(info.id, pause)
        await self.control.post(f"{label(info)}: {'paused' if pause else 'resumed'}",
                                reply_to=reply_to)

    async def _set_mode(self, chat: str, mode: str, reply_to: int) -> None:
        if mode not in MODES:
            await self.control.post(f"unknown mode {mode!r}: use {', '.join(MODES)}",
                                    reply_to=reply_to)
            return
        info = await self._listed(chat, reply_to)
        if info is None:
            return
        self.store.set_chat_mode(info.id, mode)
        await self.control.post(f"{label(info)}: mode {mode}", reply_to=reply_to)

    async def _listed(self, chat: str, reply_to: int) -> ChatInfo | None:
        """The allow-listed chat the owner named, or None after saying why not."""
        info = await self.policy.resolve_listed(chat)
        if isinstance(info, str):
            await self.control.post(info, reply_to=reply_to)
            return None
        return info
