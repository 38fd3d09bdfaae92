"""Who gets an answer: the allow-list, chat kinds, pauses and modes, "the owner wrote here".

The bot never writes first: in a chat where the owner has never written it stays silent.
A positive answer is remembered in the store, so it survives restarts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

from clonebot.state.store import StateStore
from clonebot.config import ChatRule, Mode, Settings
from clonebot.telegram.client import ClientAdapter
from clonebot.telegram.messages import ChatInfo

MODES: tuple[str, ...] = get_args(Mode)
_NUMERIC_ID = re.compile(r"-?[0-9]+")  # ASCII digits only: "²".isdigit() is True


@dataclass(frozen=True)
class Verdict:
    info: ChatInfo | None
    mode: str | None  # None: the bot stays silent in this chat
    why: str = ""


def label(info: ChatInfo) -> str:
    """How the owner sees a chat named in the control chat."""
    if info.username and info.name:
        return f"{info.name} ({info.username})"
    return info.name or info.username or str(info.id)


class ChatPolicy:
    def __init__(self, settings: Settings, client: ClientAdapter, store: StateStore):
        self.settings = settings
        self.client = client
        self.store = store
        self._owner_wrote: set[int] = set()

    def rule_for(self, info: ChatInfo) -> ChatRule | None:
        for rule in self.settings.bot.chats:
            if isinstance(rule.chat, int) and rule.chat == info.id:
                return rule
            if isinstance(rule.chat, str) and info.username and rule.chat == info.username:
                return rule
        return None

    async def decide(self, chat_id: int, control_id: int | None) -> Verdict:
        if chat_id in (control_id, self.client.self_id):
            return Verdict(None, None, "control chat / Saved Messages")
        info = await self.client.get_chat(chat_id)
        if info.kind in ("bot", "channel", "self"):
            return Verdict(info, None, f"never answers a {info.kind}")
        rule = self.rule_for(info)
        if rule is None:  # groups too: only when listed explicitly
            return Verdict(info, None, "not on the allow-list")
        override, paused = self.store.chat_state(info.id)
        if paused:
            return Verdict(info, None, "chat paused")
        return Verdict(info, override or rule.mode or self.settings.bot.default_mode)

    async def owner_has_written(self, chat_id: int) -> bool:
        if chat_id in self._owner_wrote or self.store.owner_wrote(chat_id):
            return True
        if await self.client.owner_has_written(chat_id):
            self.note_owner_wrote(chat_id)
            return True
        return False

    def note_owner_wrote(self, chat_id: int) -> None:
        if chat_id not in self._owner_wrote:
            self._owner_wrote.add(chat_id)
            self.store.set_owner_wrote(chat_id)

    async def resolve_listed(self, ref: str) -> ChatInfo | str:
        """An allow-listed chat named by the owner (id, @username or username), or why not."""
        key: int | str = int(ref) if _NUMERIC_ID.fullmatch(ref) else ref.lower()
        if isinstance(key, str) and not key.startswith("@"):
            key = "@" + key
        try:
            info = await self.client.get_chat(key)
        except Exception:  # Telethon's ValueError, an RPC error for a bad name, ...
            return f"unknown chat {ref}"
        if self.rule_for(info) is None:
            return f"{label(info)} is not on the allow-list (config bot.chats)"
        return info
