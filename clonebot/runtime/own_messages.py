"""What the bot itself sent, known by message id: never by its text or a prefix.

Telethon does not dispatch the answer to our own sends as an event, but a server may still
push the same message to this session as an update, possibly before ``send_message``
returns its id. So a message that arrives while a send to its chat is in flight is judged
only after that send has returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from clonebot.state.store import StateStore
from clonebot.telegram.messages import Msg

log = logging.getLogger(__name__)

_WAIT_FOR_SEND = 60.0  # seconds a message waits for a send in flight to its chat


class OwnMessages:
    def __init__(self, store: StateStore):
        self.store = store
        self._in_flight: dict[int, int] = defaultdict(int)
        self._idle: dict[int, asyncio.Event] = {}
        self._ids: set[tuple[int, int]] = set()

    @asynccontextmanager
    async def sending(self, chat_id: int) -> AsyncIterator[None]:
        """Wrap a send: messages arriving in ``chat_id`` meanwhile wait for its id."""
        idle = self._idle.setdefault(chat_id, asyncio.Event())
        self._in_flight[chat_id] += 1
        idle.clear()
        try:
            yield
        finally:
            self._in_flight[chat_id] -= 1
            if not self._in_flight[chat_id]:
                idle.set()

    def add(self, chat_id: int, msg_id: int) -> None:
        self._ids.add((chat_id, msg_id))

    def sent_by_bot(self, chat_id: int, msg_id: int) -> bool:
        """A message the bot sent to a chat as a reply (not a control-chat post)."""
        return (chat_id, msg_id) in self._ids or self.store.is_sent_msg(chat_id, msg_id)

    async def is_own(self, msg: Msg, control_id: int | None) -> bool:
        if self._in_flight.get(msg.chat_id):
            try:
                await asyncio.wait_for(self._idle[msg.chat_id].wait(), _WAIT_FOR_SEND)
            except asyncio.TimeoutError:
                log.warning("a send to %s is still in flight; judging message %s without it",
                            msg.chat_id, msg.id)
        if self.sent_by_bot(msg.chat_id, msg.id):
            return True
        return msg.chat_id == control_id and self.store.is_own_post(msg.id)
