"""Which chats become training material: personal chats by default, groups on request,
never bots, Saved Messages, the replies feed, channels or Telegram's service chat (777000,
login codes); include/exclude lists by id or
name (``prepare.include_chats`` / ``--include-chat``).

One rule for every source of history: ``clonebot prepare`` applies it to an export's chats,
``clonebot fetch`` to the account's dialogs before downloading anything. Chats are named by
their Telegram Desktop export ``type`` (``personal_chat``, ``private_group``...), their bare
``id`` and their display ``name``.
"""

from __future__ import annotations

import re
from typing import Protocol

PERSONAL = frozenset({"personal_chat"})
GROUPS = frozenset({"private_group", "private_supergroup", "public_supergroup"})
# Never training material: bots, Saved Messages, the replies feed, channels.
NEVER = frozenset({"bot_chat", "saved_messages", "replies", "private_channel", "public_channel"})
# Telegram's service notifications (login codes, new-device alerts): a "personal chat" in an
# export, but never anyone's words, and its codes must not be stored anywhere.
SERVICE_IDS = frozenset({777000})

_NUMERIC = re.compile(r"-?[0-9]+")  # ASCII digits: "²".isdigit() is True, int("²") fails


class NamedChat(Protocol):
    id: int | None
    name: str | None
    type: str | None


def chat_ref(value: int | str) -> int | str:
    """An --include-chat / --exclude-chat value: a chat id if it is a number, else a name."""
    if isinstance(value, int):
        return value
    v = value.strip()
    return int(v) if _NUMERIC.fullmatch(v) else v


_CHANNEL_MARK = 10**12


def bare_chat_id(v: int) -> int:
    """The id an export gives a chat, from any id of it: Telethon's / the Bot API's marked
    ids (``-100XXXXXXXXXX`` = -(10**12 + id) for a channel or supergroup, ``-id`` for a
    basic group: "-10042" is chat 10042, not channel 42) or the bare id itself."""
    if v <= -_CHANNEL_MARK:
        return -v - _CHANNEL_MARK
    return abs(v)


class ChatFilter:
    def __init__(self, include: list, exclude: list, groups: bool):
        self.inc_ids, self.inc_names = self._split(include)
        self.exc_ids, self.exc_names = self._split(exclude)
        self.groups = groups

    @staticmethod
    def _split(items: list) -> tuple[set[int], set[str]]:
        ids, names = set(), set()
        for it in items:
            ref = chat_ref(it) if isinstance(it, (int, str)) else None
            if isinstance(ref, int) and not isinstance(ref, bool):
                ids.add(bare_chat_id(ref))
            elif isinstance(ref, str) and ref:
                names.add(ref.casefold())
        return ids, names

    def _named(self, chat: NamedChat, ids: set[int], names: set[str]) -> bool:
        return (chat.id is not None and abs(chat.id) in ids) or (
            chat.name is not None and chat.name.strip().casefold() in names
        )

    def reason(self, chat: NamedChat) -> str | None:
        """None if the chat is used, else why not."""
        if chat.id is None:
            return "bad_id"
        if abs(chat.id) in SERVICE_IDS:
            return "service"
        t = chat.type or "unknown"
        if t in NEVER:
            return f"type:{t}"
        if self._named(chat, self.exc_ids, self.exc_names):
            return "excluded"
        explicit = self.inc_ids or self.inc_names
        if explicit and not self._named(chat, self.inc_ids, self.inc_names):
            return "not_included"
        if t in PERSONAL:
            return None
        if t in GROUPS:
            # Naming a group in include_chats opts it in as well.
            return None if self.groups or explicit else f"type:{t}"
        return f"type:{t}"
