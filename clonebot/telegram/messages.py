"""Plain data the runtime works with, decoupled from Telethon's classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChatKind = Literal["user", "bot", "self", "group", "channel"]


@dataclass(frozen=True)
class ChatInfo:
    id: int
    kind: ChatKind
    name: str = ""
    username: str | None = None  # lower case, with the leading "@"


@dataclass(frozen=True)
class Msg:
    id: int
    chat_id: int
    sender_id: int | None
    out: bool
    text: str
    date: float  # unix seconds
    reply_to: int | None = None
    forwarded: bool = False
    via_bot: bool = False  # sent through an inline bot
    edited: bool = False

    @property
    def authored(self) -> bool:
        """Typed here by its sender: not a forward, not via an inline bot, not an edit."""
        return not (self.forwarded or self.via_bot or self.edited)


@dataclass(frozen=True)
class Press:
    """Someone pressed an inline button on one of the companion bot's messages."""

    query_id: int  # to answer it (stop the spinner on their screen)
    sender_id: int
    chat_id: int
    msg_id: int  # the bot's message that carries the button
    data: bytes
