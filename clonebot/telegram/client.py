"""The client-adapter boundary: the only calls the runtime makes to Telegram.

``TelethonAdapter`` implements it with Telethon 1.x calls that exist from 1.39 to 1.45
(``send_message``, ``get_messages``, ``iter_messages``, ``get_entity``, ``get_participants``,
``get_drafts``, ``action``, raw ``SaveDraftRequest``). Tests drive it over a Telegram double
that answers the raw requests under Telethon (tests/telegram_double), and the runtime's
policy over a recording fake with the same methods. Telethon's flood errors pass through
unchanged (re-exported here) so the runtime can react to them.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from telethon import TelegramClient, errors, functions, types, utils
from telethon.errors import FloodWaitError, PeerFloodError, RPCError

from clonebot.errors import UnknownChatError
from clonebot.telegram.messages import ChatInfo, Msg

__all__ = [
    "ClientAdapter", "TelethonAdapter", "FloodWaitError", "PeerFloodError", "RPCError",
    "chat_info_from_entity", "msg_from_message",
]

log = logging.getLogger(__name__)

# How far back a private chat is searched for a message of the owner's.
OWNER_SCAN_LIMIT = 500
# Dialogs loaded once to learn the access hashes of ids this session has not seen yet.
DIALOGS_FOR_IDS = 200


class ClientAdapter(Protocol):
    self_id: int

    async def get_chat(self, chat: int | str) -> ChatInfo: ...

    async def history(self, chat_id: int, limit: int) -> list[Msg]:
        """The last ``limit`` messages, oldest first."""
        ...

    async def owner_has_written(self, chat_id: int) -> bool:
        """Whether the owner has ever written in this chat (as far back as we look)."""
        ...

    async def other_members(self, chat: int | str) -> int:
        """How many people besides the owner can read this chat."""
        ...

    async def send_message(self, chat_id: int, text: str, reply_to: int | None = None) -> int:
        """Send ``text`` verbatim (no markdown) and return the new message id."""
        ...

    async def save_draft(self, chat_id: int, text: str) -> None: ...

    async def clear_draft(self, chat_id: int, text: str) -> bool:
        """Empty the chat's draft if it still holds exactly ``text``; True if it did."""
        ...

    def typing(self, chat_id: int) -> AbstractAsyncContextManager: ...

    async def find_sent(self, chat_id: int, text: str, since: float) -> int | None:
        """Id of an outgoing message with exactly ``text`` sent at/after ``since``, if any."""
        ...


def chat_info_from_entity(ent: object) -> ChatInfo:
    peer_id = utils.get_peer_id(ent)
    name = utils.get_display_name(ent) or ""
    username = getattr(ent, "username", None)
    if not username and getattr(ent, "usernames", None):  # newer layers: collectible names
        active = [u.username for u in ent.usernames if getattr(u, "active", False)]
        username = active[0] if active else None
    uname = f"@{username.lower()}" if username else None
    if isinstance(ent, types.User):
        kind = "self" if ent.is_self else "bot" if ent.bot else "user"
    elif isinstance(ent, types.Channel):
        kind = "group" if ent.megagroup or getattr(ent, "gigagroup", False) else "channel"
    else:  # types.Chat, ChatForbidden, ...
        kind = "group"
    return ChatInfo(id=peer_id, kind=kind, name=name, username=uname)


def msg_from_message(m: types.Message) -> Msg:
    return Msg(
        id=m.id,
        chat_id=m.chat_id,
        sender_id=m.sender_id,
        out=bool(m.out),
        text=m.message or "",
        date=m.date.timestamp() if m.date else 0.0,
        reply_to=m.reply_to_msg_id,
        forwarded=m.fwd_from is not None,
        via_bot=bool(m.via_bot_id),
        edited=m.edit_date is not None,
    )


class TelethonAdapter:
    def __init__(self, client: TelegramClient, self_id: int):
        self.client = client
        self.self_id = self_id
        self._chats: dict[int | str, ChatInfo] = {}
        self._dialogs_loaded = False
        self._unknown_names: dict[str, UnknownChatError] = {}

    def _unknown(self, chat: int | str) -> UnknownChatError:
        if isinstance(chat, int):
            return UnknownChatError(
                f"{chat}: this account has not met them yet (no chat with them), so Telegram "
                "will not look them up; the bot can answer once they write")
        e = UnknownChatError(f"{chat}: Telegram knows nobody by that name")
        self._unknown_names[chat] = e  # a name: asked for once per run
        return e

    async def get_chat(self, chat: int | str) -> ChatInfo:
        """The chat, or UnknownChatError (a plain sentence) when Telegram will not resolve it
        for this account. An id is looked up in the dialog list once per run; a name nobody
        has is asked for once per run."""
        if chat in self._chats:
            return self._chats[chat]
        if chat in self._unknown_names:
            raise self._unknown_names[chat]
        try:
            ent = await self.client.get_entity(chat)
        except ValueError:
            if not isinstance(chat, int):
                raise self._unknown(chat) from None
            if self._dialogs_loaded:  # the session's own cache: it learns them from updates
                raise self._unknown(chat) from None
            # An id this session has not met yet (a fresh login, an allow-list by id):
            # Telegram wants its access hash, and the dialog list carries it.
            self._dialogs_loaded = True
            await self.client.get_dialogs(limit=DIALOGS_FOR_IDS)
            try:
                ent = await self.client.get_entity(chat)
            except ValueError:
                raise self._unknown(chat) from None
        except (errors.UsernameInvalidError, errors.UsernameNotOccupiedError):
            raise self._unknown(chat) from None
        info = chat_info_from_entity(ent)
        self._chats[chat] = self._chats[info.id] = info
        return info

    async def history(self, chat_id: int, limit: int) -> list[Msg]:
        msgs = await self.client.get_messages(chat_id, limit=limit)
        return [msg_from_message(m) for m in reversed(msgs) if isinstance(m, types.Message)]

    async def owner_has_written(self, chat_id: int) -> bool:
        if chat_id > 0:
            # A private chat: Telegram ignores from_id in messages.search here, and Telethon
            # filters only the page it fetched, so from_user="me" with limit=1 misses the
            # owner whenever the other person wrote last. Walk the history instead.
            async for m in self.client.iter_messages(chat_id, limit=OWNER_SCAN_LIMIT):
                if m.out:
                    return True
            return False
        # Groups: Telegram filters by sender on its side.
        mine = await self.client.get_messages(chat_id, limit=1, from_user="me")
        return len(mine) > 0

    async def other_members(self, chat: int | str) -> int:
        ent = await self.client.get_entity(chat)
        if isinstance(ent, types.User):
            return 0 if ent.is_self else 1
        participants = await self.client.get_participants(ent, limit=0)
        return max(0, (participants.total or 0) - 1)

    async def send_message(self, chat_id: int, text: str, reply_to: int | None = None) -> int:
        target = "me" if chat_id == self.self_id else chat_id
        m = await self.client.send_message(target, text, reply_to=reply_to, link_preview=False,
                                           parse_mode=None)
        return m.id

    async def save_draft(self, chat_id: int, text: str) -> None:
        peer = await self.client.get_input_entity(chat_id)
        await self.client(functions.messages.SaveDraftRequest(peer=peer, message=text))

    async def clear_draft(self, chat_id: int, text: str) -> bool:
        draft = await self.client.get_drafts(chat_id)
        if draft is None or draft.raw_text != text:
            return False  # gone, or the owner has changed it: theirs now
        await self.save_draft(chat_id, "")
        return True

    def typing(self, chat_id: int) -> AbstractAsyncContextManager:
        return self.client.action(chat_id, "typing")

    async def find_sent(self, chat_id: int, text: str, since: float) -> int | None:
        async for m in self.client.iter_messages(chat_id, limit=50):
            if m.date and m.date.timestamp() < since - 60:  # clock skew slack
                break
            if m.out and (m.message or "") == text:
                return m.id
        return None
