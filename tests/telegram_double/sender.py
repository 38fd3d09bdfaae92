"""``DoubleSender``: Telethon's own ``MTProtoSender`` with the wire replaced by the double.

Only the byte-level network is swapped out. Telethon's real code keeps running around it:
``TelegramClient.__call__``/``_call`` (entity resolution, flood-wait sleeping, the session's
entity cache), ``connect()``/``disconnect()``, the update loop and its ``MessageBox``
(pts checks, gaps, ``updates.getDifference``), and ``MTProtoSender``'s own reconnect loop
(``_start_reconnect``/``_reconnect``) and ``_store_own_updates``.

What the double changes: ``_connect`` "opens a socket" to the in-memory Telegram (failing
while it is unreachable, like a dead network; making an auth key on first use, like the
real key exchange), ``send`` hands each request to the double instead of the send loop,
and pushed updates go straight into the client's update queue.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import struct
from typing import TYPE_CHECKING, Any

from telethon import helpers, utils
from telethon.errors import InvalidBufferError
from telethon.network.mtprotosender import MTProtoSender
from telethon.network.requeststate import RequestState

from telegram_double.tl import copy, read_result

if TYPE_CHECKING:
    from telegram_double.world import TelegramDouble


class DoubleSender(MTProtoSender):
    def __init__(self, world: "TelegramDouble", name: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.world = world
        self.name = name  # which device this is, in the request log ("bot", "phone", ...)
        self.online = False  # the transport is up (False while Telethon reconnects)
        self._waiting: list[RequestState] = []  # sent while the network was down
        world.sessions.append(self)

    @property
    def user(self) -> int | None:
        return self.world.user_of(self.auth_key)

    # --- the network part of MTProtoSender ------------------------------------------------

    async def _connect(self) -> None:
        for _ in helpers.retry_range(self._retries):
            if self.world.reachable:
                break
            await asyncio.sleep(self._delay)
        else:
            raise ConnectionError(f"Connection to Telegram failed {self._retries} time(s)")
        if self.world.forgot(self.auth_key):
            # what a server answers to an unknown auth key: the transport error -404
            raise InvalidBufferError(struct.pack("<i", -404))
        if not self.auth_key:  # the real sender runs the key exchange here
            self.auth_key.key = os.urandom(256)
            if self._auth_key_callback is not None:
                result = self._auth_key_callback(self.auth_key)  # sync in 1.39, async in 1.45
                if inspect.isawaitable(result):
                    await result
        self.world.auth_keys.setdefault(self.auth_key.key, None)
        self.online = True
        loop = asyncio.get_running_loop()
        if self._disconnected.done():  # as MTProtoSender._connect does
            if hasattr(self, "_MTProtoSender__disconnected"):  # 1.45: a property
                self._MTProtoSender__disconnected = loop.create_future()
            else:  # 1.39: a plain attribute
                self._disconnected = loop.create_future()
        waiting, self._waiting = self._waiting, []
        for state in waiting:
            self._enqueue(state)

    async def _disconnect(self, error: BaseException | None = None) -> None:
        self.online = False
        waiting, self._waiting = self._waiting, []
        for state in waiting:
            if not state.future.done():
                state.future.set_exception(error) if error else state.future.cancel()
        await super()._disconnect(error)

    def _transport_connected(self) -> bool:
        return self.online and not self._reconnecting

    def _keepalive_ping(self, rnd_id: int) -> None:
        pass  # no socket to keep alive

    def send(self, request: Any, ordered: bool = False) -> Any:
        if not self._user_connected:
            raise ConnectionError("Cannot send requests while disconnected")
        if utils.is_list_like(request):
            states = [RequestState(r) for r in request]  # bytes(r): bad requests fail here
            for state in states:
                self._enqueue(state)
            return [s.future for s in states]
        state = RequestState(request)
        self._enqueue(state)
        return state.future

    # --- the double's side ----------------------------------------------------------------

    def _enqueue(self, state: RequestState) -> None:
        if self._transport_connected():
            asyncio.get_running_loop().call_soon(self._answer, state)
        else:
            self._waiting.append(state)

    def _answer(self, state: RequestState) -> None:
        if state.future.done():
            return
        if not self._transport_connected():  # the network dropped meanwhile
            self._waiting.append(state)
            return
        try:
            answer = self.world.handle(self, state.request)
            if inspect.isawaitable(answer):  # it waits on someone else (a bot's answer)
                asyncio.ensure_future(self._answer_later(state, answer))
                return
            result = read_result(state.request, answer)
        except Exception as e:  # RPCError, or a request the double does not answer yet
            state.future.set_exception(e)
            return
        self._store_own_updates(result)  # MTProtoSender's own: process, do not dispatch
        state.future.set_result(result)

    async def _answer_later(self, state: RequestState, answer: Any) -> None:
        try:
            result = read_result(state.request, await answer)
        except Exception as e:
            if not state.future.done():
                state.future.set_exception(e)
            return
        if not state.future.done():
            self._store_own_updates(result)
            state.future.set_result(result)

    def push(self, updates: Any) -> None:
        """An update Telegram pushes over this connection (lost while it is down)."""
        if self._transport_connected():
            self._updates_queue.put_nowait(copy(updates))

    def drop(self) -> None:
        """The connection breaks: Telethon's own reconnect loop takes over."""
        if self.online:
            self.online = False
            self._start_reconnect(ConnectionError("connection lost"))
