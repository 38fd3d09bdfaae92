"""What a fetch tells its caller while it runs (the library never prints: the CLI does).

One callback gets every event, in order: ``Notice`` (how the fetch talks to Telegram, and
why), ``ChatsSelected``, ``Progress`` after every stored page (per chat and overall, with an
ETA once a rate is known), ``FloodWait`` once a second while Telegram makes us wait,
``ChatDone``, ``Writing``, and at the end the ``FetchResult`` is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Notice:
    text: str


@dataclass(frozen=True)
class ChatsSelected:
    selected: int
    skipped: dict[str, int]  # reason -> chats (type:bot_chat, excluded, ...)


@dataclass(frozen=True)
class Progress:
    chat: str  # the chat's name (or id)
    chat_done: int  # messages of this chat fetched in this run
    chat_total: int | None  # how many this chat should bring in this run (estimate)
    chats_done: int
    chats_total: int
    done: int  # messages fetched in this run, all chats
    total: int | None  # estimate for the whole run (None until every chat was checked)
    eta_seconds: float | None
    chat_eta_seconds: float | None


@dataclass(frozen=True)
class FloodWait:
    seconds_left: int
    seconds: int  # the whole wait Telegram asked for


@dataclass(frozen=True)
class ChatDone:
    chat: str
    new: int
    edited: int
    chats_done: int
    chats_total: int


@dataclass(frozen=True)
class Writing:
    path: Path
    chats: int


@dataclass
class FetchResult:
    out: Path
    mode: str  # "takeout" | "plain"
    chats: int  # chats in the export
    messages: int  # messages in the export
    new: int  # fetched in this run
    edited: int  # stored messages replaced by a newer edit
    requests: int
    seconds: float
    skipped: dict[str, int] = field(default_factory=dict)


Event = Notice | ChatsSelected | Progress | FloodWait | ChatDone | Writing
OnEvent = Callable[[Event], None]
