"""``fetch_to_export``: lock the data dir, connect with the owner's session, fetch, write.

The data-dir lock is the bot's (``clonebot/instance_lock.py``): the fetch uses the same
session file, so it runs while the bot is stopped (a second process on one SQLite session
would find it locked), and two fetches never write one store at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clonebot.config import Settings
from clonebot.errors import TelegramError
from clonebot.instance_lock import InstanceLock
from clonebot.fetch.events import FetchResult, OnEvent
from clonebot.fetch.fetcher import FetchOptions, fetch_history


def fetch_options(settings: Settings, *, out: Path | None = None,
                  include: Sequence[int | str] = (), exclude: Sequence[int | str] = (),
                  groups: bool = False, takeout: bool | None = None) -> FetchOptions:
    """The fetch's choices: flags on top of ``[prepare]`` (which chats) and ``[fetch]``."""
    p = settings.prepare
    target = Path(out).expanduser() if out is not None else settings.fetch.out
    if target.is_dir():  # like an export folder: the file inside it
        target = target / "result.json"
    return FetchOptions(
        out=target,
        include=(*p.include_chats, *include), exclude=(*p.exclude_chats, *exclude),
        groups=p.include_groups or groups,
        takeout=settings.fetch.takeout if takeout is None else takeout,
    )


async def fetch_to_export(settings: Settings, options: FetchOptions, on_event: OnEvent, *,
                          client_factory: Callable[[Settings], Any] | None = None,
                          sleep: Callable[[float], Any] | None = None) -> FetchResult:
    from clonebot.telegram.session import (connect_logged_in, make_client, private_umask,
                                           session_path)

    if not session_path(settings).exists():
        raise TelegramError("not logged in: run `clonebot login` first")
    with InstanceLock(settings.paths.data_dir), private_umask():
        client = (client_factory or make_client)(settings)
        try:
            me = await connect_logged_in(client)
            return await fetch_history(client, me, settings.paths.data_dir, options,
                                       settings.fetch, on_event, sleep=sleep)
        finally:
            await client.disconnect()
