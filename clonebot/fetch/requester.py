"""How a fetch talks to Telegram: inside a takeout session if it can, paced, and patient.

A **takeout session** is Telegram's data-export mode (what Telegram Desktop's export uses):
``account.initTakeoutSession`` opens it, every request is wrapped in
``invokeWithTakeout(takeout_id, ...)`` and gets gentler flood limits, and
``account.finishTakeoutSession`` closes it after a complete fetch. The first time, Telegram
asks the owner to confirm the export in their app and answers ``TAKEOUT_INIT_DELAY_<s>``
until they do: that becomes one clear ``TelegramError``. The takeout id is kept in the
Telethon session (as ``client.takeout()`` does), so a fetch that was killed continues in
the same takeout next time.

A server without takeout (our loopback MTProto server answers ``500 NOT_IMPLEMENTED``)
makes the fetch fall back to ordinary history requests at a slower pace. The probe goes
through Telethon's sender directly: Telethon's ``__call__`` retries a 500 five times with
2 s pauses and then raises a bare ``ValueError`` (≈12 s); the probe knows in one round trip.

Flood waits: Telethon's own silent sleeping is switched off for the fetch
(``flood_sleep_threshold = 0``); we sleep instead, reporting a countdown each second, up to
``fetch.max_flood_wait_seconds`` — longer, and the fetch stops with what it has.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telethon import errors, functions
from telethon.errors.rpcerrorlist import rpc_errors_dict

from clonebot.config import FetchSettings
from clonebot.errors import TelegramError
from clonebot.fetch.events import FloodWait, Notice, OnEvent

log = logging.getLogger(__name__)

TAKEOUT = "takeout"
PLAIN = "plain"


def describe_wait(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def confirmation_needed(seconds: float) -> TelegramError:
    return TelegramError(
        "Telegram wants you to confirm this data export: open Telegram on your phone, allow "
        "the 'Data export request' in the chat with Telegram, then run clonebot fetch again "
        f"(unconfirmed, Telegram allows it in {describe_wait(seconds)}); or fetch now without "
        "a takeout session: clonebot fetch --no-takeout")


_NAMES = {cls: name for name, cls in rpc_errors_dict.items()}


def error_name(e: errors.RPCError) -> str:
    """``PEER_ID_INVALID`` for Telethon's PeerIdInvalidError (whose ``message`` says only
    ``BAD_REQUEST``)."""
    return _NAMES.get(type(e), e.message)


def _unsupported(e: BaseException, *, probe: bool) -> str | None:
    """Why ``e`` means "this server has no takeout", if it does. The probe (initTakeoutSession)
    takes any refusal but waits and logins as that; a wrapped request only server errors."""
    if isinstance(e, errors.RPCError):
        if isinstance(e, (errors.FloodError, errors.UnauthorizedError, errors.AuthKeyError)):
            return None
        if probe or isinstance(e, errors.ServerError):
            return f"{e.code} {error_name(e)}"
        return None
    if isinstance(e, ValueError) and "unsuccessful" in str(e):  # Telethon after its retries
        return str(e)
    return None


class Requester:
    """``await requester(request)``: one request, paced, flood waits slept through, inside
    the takeout session while there is one."""

    def __init__(self, client: Any, settings: FetchSettings, on_event: OnEvent, *,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.settings = settings
        self.on_event = on_event
        self.sleep = sleep
        self.clock = clock
        self.mode = PLAIN
        self.requests = 0
        self._groups = False
        self._last: float | None = None
        self._threshold = client.flood_sleep_threshold

    @property
    def interval(self) -> float:
        s = self.settings
        return s.takeout_interval_seconds if self.mode == TAKEOUT else s.plain_interval_seconds

    # --- the session ----------------------------------------------------------------------

    async def open(self, *, takeout: bool, groups: bool) -> None:
        self.client.flood_sleep_threshold = 0  # flood waits are ours to sleep, visibly
        self._groups = groups
        if not takeout:
            self.on_event(Notice("plain history requests (no takeout session), "
                                 f"one every {self.interval:g} s"))
            return
        if self.client.session.takeout_id is not None:
            self.mode = TAKEOUT
            self.on_event(Notice("continuing in the takeout session of an earlier fetch"))
            return
        await self._init_takeout(groups)

    async def _init_takeout(self, groups: bool) -> None:
        request = functions.account.InitTakeoutSessionRequest(
            message_users=True, message_chats=groups or None, message_megagroups=groups or None)
        while True:
            await self._pace()
            try:
                result = await self._send_once(request)
                break
            except errors.TakeoutInitDelayError as e:
                raise confirmation_needed(e.seconds) from None
            except errors.FloodError as e:
                await self._flood_wait(e, request)
            except (errors.RPCError, ValueError) as e:
                why = _unsupported(e, probe=True)
                if why is None:
                    raise
                self.mode = PLAIN
                self.on_event(Notice(f"this server has no takeout sessions ({why}): plain "
                                     f"history requests, one every {self.interval:g} s"))
                return
        self.client.session.takeout_id = result.id
        self.client.session.save()
        self.mode = TAKEOUT
        self.on_event(Notice("takeout session open (Telegram's data-export mode)"))

    async def _send_once(self, request: Any) -> Any:
        """One attempt, no retries (see the module docstring)."""
        self.requests += 1
        sender = getattr(self.client, "_sender", None)
        if sender is None:  # pragma: no cover - every Telethon 1.x client has one
            return await self.client(request)
        return await sender.send(request)

    async def finish(self) -> None:
        """After a complete fetch: finish the takeout. (After an interrupted one it stays
        open, so the next fetch continues in it.)"""
        if self.mode != TAKEOUT:
            return
        takeout_id = self.client.session.takeout_id
        try:
            await self._send_once(functions.InvokeWithTakeoutRequest(
                takeout_id, functions.account.FinishTakeoutSessionRequest(success=True)))
        except (errors.RPCError, ValueError, ConnectionError) as e:
            log.info("finishing the takeout session failed: %s", e)
        self.client.session.takeout_id = None
        self.client.session.save()

    def release(self) -> None:
        """Give Telethon its own flood sleeping back."""
        self.client.flood_sleep_threshold = self._threshold

    # --- requests -------------------------------------------------------------------------

    async def __call__(self, request: Any) -> Any:
        reopened = False
        while True:
            await self._pace()
            sent = request
            if self.mode == TAKEOUT:
                sent = functions.InvokeWithTakeoutRequest(self.client.session.takeout_id, request)
            self.requests += 1
            try:
                return await self.client(sent)
            except (errors.TakeoutInvalidError, errors.TakeoutRequiredError) as e:
                if reopened:
                    raise TelegramError(f"Telegram keeps refusing the takeout session "
                                        f"({error_name(e)}); try clonebot fetch --no-takeout"
                                        ) from None
                # Finished or expired since an earlier fetch (or opened for fewer kinds of
                # chats than this one reads): open a new one.
                reopened = True
                self.client.session.takeout_id = None
                await self._init_takeout(self._groups)
            except errors.TakeoutInitDelayError as e:
                raise confirmation_needed(e.seconds) from None
            except errors.FloodError as e:
                await self._flood_wait(e, sent)
            except (errors.RPCError, ValueError) as e:
                why = _unsupported(e, probe=False) if self.mode == TAKEOUT else None
                if why is None:
                    if isinstance(e, ValueError) and "unsuccessful" in str(e):
                        raise TelegramError(f"Telegram keeps failing {type(request).__name__} "
                                            "(server errors); what was fetched is kept: run "
                                            "clonebot fetch again later") from None
                    raise
                self.mode = PLAIN
                self.client.session.takeout_id = None
                self.on_event(Notice(f"takeout requests fail on this server ({why}): plain "
                                     f"history requests, one every {self.interval:g} s"))

    async def _pace(self) -> None:
        now = self.clock()
        if self._last is not None:
            wait = self._last + self.interval - now
            if wait > 0:
                await self.sleep(wait)
        self._last = self.clock()

    async def _flood_wait(self, e: errors.FloodError, sent: Any) -> None:
        seconds = int(getattr(e, "seconds", 0) or 0)
        limit = self.settings.max_flood_wait_seconds
        if seconds > limit:
            raise TelegramError(
                f"Telegram asks to wait {describe_wait(seconds)} before more requests (longer "
                f"than fetch.max_flood_wait_seconds = {limit:g}); what was fetched is kept: run "
                "clonebot fetch again later") from None
        for left in range(seconds, 0, -1):
            self.on_event(FloodWait(left, seconds))
            await self.sleep(1)
        self.on_event(FloodWait(0, seconds))
        # Telethon remembers the wait per request type and would refuse early even after
        # we slept it out (its clock, not ours): the wait is over, forget it.
        getattr(self.client, "_flood_waited_requests", {}).pop(sent.CONSTRUCTOR_ID, None)
