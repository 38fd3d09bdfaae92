"""The control chat: where the bot asks for approval and the owner answers and commands.

Approval posts quote what friends wrote and what the clone would answer, so the control
chat must be a place only the owner reads: Saved Messages (``"me"``, the default), or a
group or channel with no other member and no public username. Anything else is refused
when the bot starts. Posts start with a robot emoji for the owner's eyes; the bot itself
knows its posts by message id.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from clonebot.state.store import StateStore, Suggestion
from clonebot.config import Settings
from clonebot.errors import ConfigError
from clonebot.runtime.own_messages import OwnMessages
from clonebot.runtime.policy import label
from clonebot.telegram.client import ClientAdapter

log = logging.getLogger(__name__)

BOT_PREFIX = "🤖 "


class CardOffers(Protocol):
    async def offer(self, s: Suggestion, note: str | None = None) -> bool:
        """Show ``s`` on an approval card; False if that cannot be done now."""
        ...
_ONLY_OWNER = 'use "me" (Saved Messages) or a group where you are the only member'


def hhmm(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


def shorten(text: str, n: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"


class ControlChat:
    def __init__(self, settings: Settings, client: ClientAdapter, store: StateStore,
                 own: OwnMessages):
        self.settings = settings
        self.client = client
        self.store = store
        self.own = own
        self.id: int | None = None
        # Approval cards with buttons (the companion bot), when configured: suggestions are
        # offered there, and here only when a card cannot be sent.
        self.cards: CardOffers | None = None

    async def resolve(self) -> int:
        """Find the control chat and make sure only the owner reads it (ConfigError if not)."""
        ref = self.settings.bot.control_chat
        if ref in ("me", self.client.self_id):
            self.id = self.client.self_id
            return self.id
        where = f"bot.control_chat = {ref!r}"
        try:
            info = await self.client.get_chat(ref)
        except Exception as e:
            raise ConfigError(f"{where}: cannot find that chat ({e})") from None
        if info.kind == "self":
            self.id = info.id
            return self.id
        if info.kind in ("user", "bot"):
            raise ConfigError(
                f"{where} is a private chat with {label(info)}, who would read every suggestion "
                f"and your friends' messages: {_ONLY_OWNER}")
        if info.username:
            raise ConfigError(f"{where} is public ({info.username}): {_ONLY_OWNER}")
        others = await self.client.other_members(info.id)
        if others:
            raise ConfigError(f"{where} ({label(info)}) has {others} other member(s) besides you: "
                              f"{_ONLY_OWNER}")
        self.id = info.id
        return self.id

    async def post(self, text: str, *, reply_to: int | None = None) -> int | None:
        """Post in the control chat; failures are logged, never raised."""
        if self.id is None:
            return None
        try:
            async with self.own.sending(self.id):
                msg_id = await self.client.send_message(self.id, BOT_PREFIX + text,
                                                        reply_to=reply_to)
                self.own.add(self.id, msg_id)
        except Exception as e:
            log.error("cannot post in the control chat: %s", e)
            return None
        self.store.add_own_post(msg_id)
        return msg_id

    async def post_suggestion(self, s: Suggestion, reason: str | None = None) -> None:
        if self.cards is not None and await self.cards.offer(s, reason):
            return
        lines = [f"#{s.id} · {s.chat_name} · {s.mode}"]
        if reason:
            lines.append(f"⚠ {reason}")
        if s.pii:
            lines.append("⚠ check before sending: " + ", ".join(s.pii))
        lines += [f"› {shorten(s.incoming)}", "", s.suggestion, ""]
        lines.append(f"ok · edit <text> · no · regen — expires {hhmm(s.expires_at)}")
        msg_id = await self.post("\n".join(lines))
        if msg_id is not None:
            self.store.set_control_msg(s.id, msg_id)
