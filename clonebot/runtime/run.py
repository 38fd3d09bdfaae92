"""`clonebot run`: lock, connect, check the login, start the bot, load the model, serve.

The order is the owner's: a second instance, a missing ``api_id`` or an expired session is
reported in seconds, before minutes of loading a 7B model. The bot takes events while the
model loads (approvals work meanwhile; replies queue behind the load in the worker), so
nothing that arrives during the load is lost; what arrived while the bot was down is caught
up once on start (``catchup.py``).

Reconnection is Telethon's alone: the client's own reconnect loop retries for as long as it
takes and fills the gap with ``updates.getDifference``. If the connection ends for good
(the session was ended elsewhere), ``run_bot`` raises and the process exits.

SIGINT/SIGTERM stop cleanly at any point, during the model load too (sends in flight
finish, the session file is closed); SIGHUP hot-reloads the adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from clonebot import versions
from clonebot.config import Settings
from clonebot.errors import TelegramError
from clonebot.instance_lock import InstanceLock
from clonebot.model.base import ReplyGenerator
from clonebot.runtime.bot import CloneBot
from clonebot.runtime.worker import GenerationWorker
from clonebot.state.store import StateStore, state_path

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class _Stopped(Exception):
    """SIGINT/SIGTERM arrived while run_bot was waiting for something."""


def install_signal_handlers(stop: asyncio.Event, on_hangup: Callable[[], Any] | None = None) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if on_hangup is not None:
        loop.add_signal_handler(signal.SIGHUP, on_hangup)


def remove_signal_handlers() -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.remove_signal_handler(sig)


async def _until_stopped(stop: asyncio.Event, awaitable: Awaitable[_T]) -> _T:
    """Await ``awaitable`` unless a stop comes first (then cancel it and raise _Stopped)."""
    task = asyncio.ensure_future(awaitable)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        stopping.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    raise _Stopped


async def run_bot(
    settings: Settings,
    adapter_dir: Path | None = None,
    *,
    factory: Callable[[Path | None], ReplyGenerator] | None = None,
    on_status: Callable[[str], None] = lambda s: None,
    client_factory: Callable[[Settings], Any] | None = None,
    companion_factory: Callable[[Settings, Any], Any] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (returns) or until the connection ends for good (raises).

    When it returns, a model load or generation may still be running in the worker thread
    (``worker.generation_thread_alive()``): the caller must then end the process with
    ``os._exit``, because tearing the interpreter down under a thread that is inside native
    code aborts the process.
    """
    from clonebot.telegram.session import make_client, session_path

    if not session_path(settings).exists():
        raise TelegramError("not logged in: run `clonebot login` first")
    path = versions.resolve(settings.paths.runs_dir, adapter_dir)
    if factory is None:
        from clonebot.model import load_generator

        factory = partial(load_generator, settings)
    client_factory = client_factory or partial(make_client, reconnect_forever=True)
    with InstanceLock(settings.paths.data_dir):
        await _serve(settings, adapter_dir, path, factory, client_factory, on_status,
                     companion_factory)


async def _serve(settings: Settings, adapter_dir: Path | None, path: Path,
                 factory: Callable[[Path | None], ReplyGenerator],
                 client_factory: Callable[[Settings], Any],
                 on_status: Callable[[str], None],
                 companion_factory: Callable[[Settings, Any], Any] | None = None) -> None:
    from clonebot.telegram.client import TelethonAdapter
    from clonebot.telegram.handlers import register
    from clonebot.telegram.session import connect_logged_in, secure_session_files, session_path

    stop = asyncio.Event()
    bot: CloneBot | None = None
    install_signal_handlers(stop, lambda: bot.spawn(bot.reload()) if bot else None)
    worker = GenerationWorker(factory)
    store: StateStore | None = None
    client = companion = None
    try:
        client = client_factory(settings)
        me = await _until_stopped(stop, connect_logged_in(client))
        store = StateStore(state_path(settings.paths.data_dir))
        bot = CloneBot(settings, TelethonAdapter(client, me.id), store, worker,
                       adapter_dir=adapter_dir)
        register(client, bot)
        cards = None
        if settings.bot.approval_bot_token is not None:  # approval cards from the companion bot
            from clonebot.runtime.cards import Cards
            from clonebot.telegram.companion.handlers import register as register_companion
            from clonebot.telegram.companion.login import log_in_companion

            cards = Cards(bot)
            companion = await _until_stopped(stop, log_in_companion(
                settings, client, me.id, register=lambda c: register_companion(c, cards),
                client_factory=companion_factory))
            cards.use(companion)
            on_status(f"approval cards from @{companion.username}")
        await _until_stopped(stop, bot.start())
        if cards is not None:
            await _until_stopped(stop, cards.resync())
        on_status(f"loading model + adapter {path} ...")
        await _until_stopped(stop, worker.load(path))
        on_status(f"running as {me.id}; {len(settings.bot.chats)} allow-listed chat(s); "
                  "Ctrl-C to stop")
        try:
            await _until_stopped(stop, client.disconnected)
            why = "it closed"
        except _Stopped:
            raise
        except Exception as e:  # e.g. AuthKeyNotFound: the login was revoked
            why = type(e).__name__
        raise TelegramError(f"the connection to Telegram ended for good ({why}): was this "
                            "session ended on another device? run `clonebot login`")
    except _Stopped:
        on_status("stopping ...")
    finally:
        remove_signal_handlers()
        if bot is not None:
            await bot.stop()
        if companion is not None:
            await companion.client.disconnect()
        if client is not None:
            await client.disconnect()
        if store is not None:
            store.close()
        secure_session_files(session_path(settings))
        if settings.bot.approval_bot_token is not None:
            from clonebot.telegram.companion.login import companion_session_path

            secure_session_files(companion_session_path(settings))
        worker.stop()
