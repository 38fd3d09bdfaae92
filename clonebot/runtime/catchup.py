"""What Telegram did not deliver as events: the time the bot was down, and lost updates.

Telethon runs without its own catch-up, so nothing missed while the bot was down arrives as
an event. Instead, on start, the bot reads back: in the control chat, the owner's answers
and commands it has not taken yet; in every allow-listed chat, the incoming messages that
no one has answered yet; both only if newer than ``bot.catch_up_minutes``. The store
remembers what was taken and answered, so a restart (even after ``kill -9``) never acts on
a message twice. On the very first start (a new store) the control chat's past is only
marked as seen: it holds the owner's notes, not commands meant for a bot that was not
running yet.

While running, the same read-back runs every minute over what arrived since the start
(``recheck``): an update a server or Telethon loses (a gap filled inconsistently) would
otherwise wait for Telethon's 15-minute no-update deadline, or forever.

A collaborator the bot owns (as it owns the policy and the delivery): it reads the
chats through the client and the store, and hands what it finds to the two callbacks it is
given, the same ones the live events reach (``handle_control``, ``handle_incoming``); it
never imports the bot.

Telegram dates messages in whole seconds; our clock has fractions. "Since" is compared in
whole seconds (the second that holds it), or a message from the bot's first second (dated
12:00:00 while the bot started at 12:00:00.4) would never be read back.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from clonebot.config import Settings
from clonebot.errors import UnknownChatError
from clonebot.runtime.answering import unanswered
from clonebot.runtime.clock import Clock
from clonebot.runtime.control import ControlChat
from clonebot.runtime.own_messages import OwnMessages
from clonebot.state.store import StateStore
from clonebot.telegram.client import ClientAdapter
from clonebot.telegram.messages import Msg

log = logging.getLogger(__name__)

_CONTROL_LOOKBACK = 50  # messages read back in the control chat
_CHAT_LOOKBACK = 20  # messages read back in each allow-listed chat
_RECHECK_WINDOW = 3600.0  # seconds a recheck looks back at most

OnMessage = Callable[[Msg], Awaitable[None]]


class CatchUp:
    def __init__(self, settings: Settings, client: ClientAdapter, store: StateStore,
                 clock: Clock, control: ControlChat, own: OwnMessages, *,
                 on_control: OnMessage, on_incoming: OnMessage):
        self.settings = settings
        self.client = client
        self.store = store
        self.clock = clock
        self.control = control
        self.own = own
        self.on_control = on_control
        self.on_incoming = on_incoming
        self.unresolved: set[int | str] = set()  # allow-listed chats Telegram would not resolve

    async def on_start(self) -> None:
        """Once per start."""
        minutes = self.settings.bot.catch_up_minutes
        if self.control.id is None:
            return
        if not self.store.get_flag("control_seen", False):
            try:
                for msg in await self.client.history(self.control.id, _CONTROL_LOOKBACK):
                    self.store.take_control_message(msg.id)
                self.store.set_flag("control_seen", True)
            except Exception as e:
                log.warning("cannot read the control chat: %s", e)
        if minutes > 0:
            await self.read_back(since=self.clock.now() - minutes * 60)

    async def recheck(self, started_at: float) -> None:
        """Every minute while running: what arrived since the start but never came as an
        event."""
        await self.read_back(since=max(started_at, self.clock.now() - _RECHECK_WINDOW))

    async def read_back(self, since: float) -> None:
        since = math.floor(since)  # Telegram's dates are whole seconds
        try:
            for msg in await self.client.history(self.control.id, _CONTROL_LOOKBACK):
                if msg.date >= since:
                    await self.on_control(msg)
        except Exception as e:
            log.warning("cannot read the control chat back: %s", e)
        for rule in self.settings.bot.chats:
            try:
                info = await self.client.get_chat(rule.chat)
                history = await self.client.history(info.id, _CHAT_LOOKBACK)
            except UnknownChatError as e:  # said once per run, not every minute
                if rule.chat not in self.unresolved:
                    self.unresolved.add(rule.chat)
                    log.warning("allow-listed chat %s", e)
                continue
            except Exception as e:
                log.warning("cannot read %s back: %s", rule.chat, e)
                continue
            waiting = unanswered(history, self.store.answered_upto(info.id),
                                 self.own.sent_by_bot)
            for msg in waiting:
                if msg.date >= since:
                    await self.on_incoming(msg)
