"""The bot with its companion bot (approval cards with buttons) on the Telegram double.

Everything real from Telethon down: the owner's session (``TelethonAdapter``, the user-side
handlers), the companion bot logged in with ``client.start(bot_token=...)`` on its own
session file (``make_companion_client``), its handlers, ``CloneBot`` with ``Cards``; the
owner's phone is a second Telethon session of the owner that reads the bot chat and presses
buttons with ``Message.click``, as a person would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from telethon import TelegramClient

from clonebot.runtime.cards import Cards
from clonebot.telegram.companion.client import TelethonCompanion
from clonebot.telegram.companion.handlers import register as register_companion
from clonebot.telegram.companion.login import log_in_companion, make_companion_client
from fixtures_telegram import ManualClock
from fixtures_telegram_bot import BotOnDouble, bot_on_double, people
from telegram_double import API_HASH, API_ID, TelegramDouble, bots

BOT_USERNAME = "clonecardsbot"


def companion_people(tg: TelegramDouble) -> SimpleNamespace:
    """The usual cast, and the owner's companion bot (with its token)."""
    p = people(tg)
    p.cards, p.token = bots.add_bot(tg, "Clone cards", BOT_USERNAME, owner=p.owner)
    return p


@dataclass
class CompanionOnDouble:
    env: BotOnDouble
    cards: Cards
    companion: TelethonCompanion
    phone: TelegramClient  # the owner's phone

    @property
    def tg(self) -> TelegramDouble:
        return self.env.tg

    @property
    def p(self) -> SimpleNamespace:
        return self.env.p

    @property
    def store(self):
        return self.env.store

    @property
    def bot(self):
        return self.env.bot

    async def settle(self) -> None:
        await self.tg.settle(self.env.client, self.companion.client, self.phone,
                             also=lambda: not self.bot.busy)

    def chat(self) -> list[str]:
        """The owner's chat with the companion bot, as the owner sees it (oldest first)."""
        return self.tg.texts(self.p.owner, self.p.cards)

    def saved_posts(self) -> list[str]:
        return self.env.posts()

    async def card(self, index: int = -1) -> Any:
        """A card as the owner's phone sees it (a Telethon message with its buttons)."""
        msgs = [m for m in await self.phone.get_messages(self.p.cards, limit=50)
                if not m.out and " · #" in (m.message or "").split("\n")[0]]
        msgs.reverse()
        return msgs[index]

    async def press(self, label: str, card: Any = None) -> Any:
        """The owner taps a button (by its label's word: Send, Another, Edit, Skip)."""
        card = card if card is not None else await self.card()
        answer = await card.click(filter=lambda b: label in b.text)
        await self.settle()
        return answer

    async def press_anyway(self, card: Any, data: bytes, by: int | None = None,
                           repeat: int = 1) -> Any:
        """A press that reaches the bot although the card has no such button any more (an
        old screen, a server that routes it): the bot's answer."""
        bot_id = bots.bot_message_id(self.tg, self.p.owner, self.p.cards, card.id)
        answer = await bots.press(self.tg, by or self.p.owner, self.p.cards, bot_id, data,
                                  repeat=repeat)
        await self.settle()
        return answer

    async def tell_bot(self, text: str) -> None:
        """The owner writes to the companion bot from the phone."""
        await self.phone.send_message(self.p.cards, text)
        await self.settle()

    async def close(self) -> None:
        await self.env.bot.stop(timeout=2)
        await self.companion.client.disconnect()
        await self.phone.disconnect()
        await self.env.close()


def companion_factory(tg: TelegramDouble):
    """The companion's client as clonebot makes it, answering on the double."""
    def make(settings, user_session):
        return tg.attach(make_companion_client(settings, user_session), name="companion",
                         retry_delay=0)
    return make


async def companion_on_double(tmp_path: Path, *, tg: TelegramDouble | None = None,
                              p: SimpleNamespace | None = None,
                              clock: ManualClock | None = None, start: bool = True,
                              token: str | None = None, restarted: bool = False,
                              **kw: Any) -> CompanionOnDouble:
    """``restarted``: the owner's session knows its chats already, as its session file
    would after a restart (the double's sessions live in memory)."""
    clock = clock or ManualClock(auto=True)
    if tg is None:
        tg = TelegramDouble(clock=clock.now)
        p = companion_people(tg)
    assert p is not None
    env = await bot_on_double(tmp_path, tg=tg, p=p, clock=clock, start=False,
                              approval_bot_token=token or p.token, **kw)
    if restarted:
        await env.client.get_dialogs()
    env.bot.settings.telegram.api_id = API_ID
    env.bot.settings.telegram.api_hash = API_HASH
    cards = Cards(env.bot)
    try:
        companion = await log_in_companion(
            env.bot.settings, env.client, p.owner,
            register=lambda c: register_companion(c, cards), client_factory=companion_factory(tg))
    except BaseException:
        await env.close()  # its worker thread must not outlive the test
        raise
    cards.use(companion)
    phone = await tg.connect(p.owner, name="phone")
    await phone.get_input_entity("@" + BOT_USERNAME)  # the phone knows the bot by name
    await phone.get_input_entity("@alice")
    out = CompanionOnDouble(env, cards, companion, phone)
    if start:
        await env.bot.start(sweeper=False)
        await cards.resync()
        await out.settle()
    return out
