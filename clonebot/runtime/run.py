"""`clonebot run`: wire the real Telethon client, the store, the worker and the bot.

The model is loaded once, before connecting. SIGINT/SIGTERM stop cleanly (sends in flight
finish, the session file is closed); SIGHUP hot-reloads the adapter. When the connection
is lost for good (Telethon's own retries exhausted), we reconnect with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from clonebot.versions import current_adapter
from clonebot.approval.store import ApprovalStore
from clonebot.config import Settings
from clonebot.errors import ModelError, TelegramError
from clonebot.model.base import ReplyGenerator
from clonebot.runtime.bot import CloneBot
from clonebot.runtime.worker import GenerationWorker

log = logging.getLogger(__name__)


def store_path(settings: Settings) -> Path:
    return settings.paths.data_dir / "approvals.sqlite"


def resolve_adapter(settings: Settings, adapter_dir: Path | None) -> Path:
    path = adapter_dir or current_adapter(settings.paths.runs_dir)
    if path is None:
        raise ModelError(
            f"no adapter: nothing promoted under {settings.paths.runs_dir}; "
            "train one (clonebot train) or pass --adapter RUN_DIR"
        )
    if not Path(path).is_dir():
        raise ModelError(f"adapter directory not found: {path}")
    return Path(path)


def install_signal_handlers(bot: CloneBot, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: bot._spawn(bot.reload()))


def remove_signal_handlers() -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.remove_signal_handler(sig)


async def run_bot(
    settings: Settings,
    adapter_dir: Path | None = None,
    *,
    factory: Callable[[Path | None], ReplyGenerator] | None = None,
    on_status: Callable[[str], None] = lambda s: None,
) -> None:
    from clonebot.telegram.client import TelethonAdapter
    from clonebot.telegram.handlers import register
    from clonebot.telegram.session import make_client, secure_session_files, session_path

    if not session_path(settings).exists():
        raise TelegramError("not logged in: run `clonebot login` first")
    path = resolve_adapter(settings, adapter_dir)
    if factory is None:
        from clonebot.model import load_generator

        def factory(p: Path | None) -> ReplyGenerator:
            return load_generator(settings, p)

    worker = GenerationWorker(factory)
    worker.start()
    on_status(f"loading model + adapter {path} ...")
    try:
        await worker.load(path)
    except BaseException:
        worker.stop()
        raise
    client = make_client(settings)
    store = ApprovalStore(store_path(settings))
    stop = asyncio.Event()
    bot: CloneBot | None = None
    try:
        try:
            await client.connect()
            if not await client.is_user_authorized():
                raise TelegramError("the session is not authorized: run `clonebot login`")
            me = await client.get_me()
        except (OSError, ConnectionError) as e:
            raise TelegramError(f"cannot reach Telegram: {e}") from None
        bot = CloneBot(settings, TelethonAdapter(client, me.id), store, worker, adapter_dir=adapter_dir)
        register(client, bot)
        await bot.start()
        install_signal_handlers(bot, stop)
        n = len(settings.bot.chats)
        on_status(f"running as {me.id}; {n} allow-listed chat(s); Ctrl-C to stop")
        backoff = 5.0
        while not stop.is_set():
            if not client.is_connected():
                try:
                    await client.connect()
                    backoff = 5.0
                    log.warning("reconnected")
                except (OSError, ConnectionError) as e:
                    log.warning("reconnect failed (%s); retrying in %.0fs", e, backoff)
                    try:
                        await asyncio.wait_for(stop.wait(), backoff)
                    except asyncio.TimeoutError:
                        pass
                    backoff = min(backoff * 2, 300.0)
                    continue
            disconnected = asyncio.ensure_future(client.disconnected)
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for f in (disconnected, stopping):
                f.cancel()
            if not stop.is_set():
                log.warning("disconnected from Telegram; reconnecting")
        on_status("stopping ...")
    finally:
        if bot is not None:
            await bot.stop()
            remove_signal_handlers()
        worker.stop()
        if client.is_connected():
            await client.disconnect()
        store.close()
        secure_session_files(session_path(settings))
