"""The companion bot's side of Telegram: the only calls the runtime makes as the bot.

``TelethonCompanion`` implements ``CompanionClient`` with Telethon 1.x calls that exist from
1.39 to 1.45 (``send_message`` / ``edit_message`` with ``Button.inline``, raw
``SetBotCallbackAnswerRequest``, ``DeleteChatUserRequest``, ``LeaveChannelRequest``), run
over the Telegram double in tests. Buttons cross the boundary as plain rows of
``(label, callback data)``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from telethon import Button, TelegramClient, errors, functions, types, utils

log = logging.getLogger(__name__)

Buttons = Sequence[Sequence[tuple[str, bytes]]]  # rows of (label, callback data)
ANSWER_MAX = 200  # characters Telegram takes in a callback answer


class CompanionClient(Protocol):
    bot_id: int
    username: str | None

    async def send(self, chat_id: int, text: str, buttons: Buttons | None = None) -> int:
        """Send ``text`` verbatim (no markdown) with these buttons; the new message id."""
        ...

    async def edit(self, chat_id: int, msg_id: int, text: str, buttons: Buttons | None) -> bool:
        """Make the message say ``text`` with these buttons (None: none any more). False if
        the message is gone; unchanged text and buttons count as done."""
        ...

    async def answer(self, query_id: int, text: str | None = None, *, alert: bool = False) -> None:
        """Answer a press (a toast, or an ``alert`` box): stops the spinner on their screen."""
        ...

    async def leave(self, chat_id: int) -> None:
        """Leave a group or channel someone added the bot to."""
        ...


def _markup(buttons: Buttons | None) -> object:
    if not buttons:
        # an empty inline keyboard, not none: an edit without a keyboard keeps the old one on
        # some servers, an empty one removes it everywhere
        return types.ReplyInlineMarkup(rows=[])
    return [[Button.inline(label, data) for label, data in row] for row in buttons]


class TelethonCompanion:
    def __init__(self, client: TelegramClient, bot_id: int, username: str | None):
        self.client = client
        self.bot_id = bot_id
        self.username = username

    async def send(self, chat_id: int, text: str, buttons: Buttons | None = None) -> int:
        m = await self.client.send_message(chat_id, text, buttons=_markup(buttons) if buttons
                                           else None, link_preview=False, parse_mode=None)
        return m.id

    async def edit(self, chat_id: int, msg_id: int, text: str, buttons: Buttons | None) -> bool:
        try:
            await self.client.edit_message(chat_id, msg_id, text, buttons=_markup(buttons),
                                           link_preview=False, parse_mode=None)
        except errors.MessageNotModifiedError:
            return True
        except (errors.MessageIdInvalidError, errors.MessageAuthorRequiredError):
            return False
        return True

    async def answer(self, query_id: int, text: str | None = None, *, alert: bool = False) -> None:
        if text is not None and len(text) > ANSWER_MAX:
            text = text[:ANSWER_MAX - 1] + "…"
        try:
            await self.client(functions.messages.SetBotCallbackAnswerRequest(
                query_id=query_id, cache_time=0, alert=alert, message=text))
        except errors.QueryIdInvalidError:  # answered too late: their spinner already stopped
            log.info("a press was answered too late")

    async def leave(self, chat_id: int) -> None:
        peer, kind = utils.resolve_id(chat_id)
        if kind is types.PeerChat:
            await self.client(functions.messages.DeleteChatUserRequest(
                chat_id=peer, user_id=types.InputUserSelf()))
        elif kind is types.PeerChannel:
            await self.client(functions.channels.LeaveChannelRequest(
                await self.client.get_input_entity(chat_id)))
