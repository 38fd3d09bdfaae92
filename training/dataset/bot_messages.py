"""Which messages of the owner's history the clone wrote: read from the bot's approval store.

Everything the bot sent from the owner's account (auto replies, suggestions approved with
``ok``, drafts the owner sent unchanged) is in a Desktop export and in ``clonebot fetch``'s
output as the owner's message. Learned as the owner's words, each new adapter would train on
the last one and the clone would converge on itself; so prepare marks those messages
(``records.bot``): they stay in the dialogue as context, as a ``bot`` turn, and are never a
reply to learn. The store is read through its own API (``StateStore.clone_messages``);
its chat ids are Telethon's marked ids, an export's are bare (``chat_selection.bare_chat_id``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from clonebot.state import StateStore, state_path
from clonebot.chat_selection import bare_chat_id
from clonebot.config import Settings
from clonebot.errors import DatasetError
from training.dataset.records import BotIds


def find_store(settings: Settings) -> Path | None:
    """``prepare.approval_store``: "auto" = the bot's store in ``paths.data_dir`` if there is
    one; "none" = no store; a path = that store (DatasetError if it is not there)."""
    where = settings.prepare.approval_store
    if where == "none":
        return None
    if where == "auto":
        path = state_path(Path(settings.paths.data_dir).expanduser())
        return path if path.is_file() else None
    path = Path(where).expanduser()
    if not path.is_file():
        raise DatasetError(f"no approval store at {path} (prepare.approval_store / --approvals): "
                           "give the bot's state.sqlite, or --no-approvals")
    return path


def bot_message_ids(path: Path | None) -> BotIds:
    """(chat id as an export names it, message id) of every message the clone sent."""
    if path is None:
        return frozenset()
    try:
        with StateStore(path) as store:
            return frozenset((bare_chat_id(c), m) for c, m in store.clone_messages())
    except (sqlite3.Error, OSError) as e:  # a damaged file, not a store at all
        raise DatasetError(f"cannot read the approval store {path}: {e}; "
                           "--no-approvals prepares without it") from None
