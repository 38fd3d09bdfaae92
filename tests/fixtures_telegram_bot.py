"""The real bot (TelethonAdapter, the registered Telethon handlers, CloneBot) on a Telethon
client connected to the request-level Telegram double (tests/telegram_double).

People act through the double (``tg.send(alice, owner, ...)``); the bot hears them as real
updates through Telethon's update loop and answers through real requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from telethon import TelegramClient

from clonebot.approval.store import ApprovalStore
from clonebot.config import Settings
from clonebot.model.base import ScriptedGenerator
from clonebot.runtime.bot import CloneBot
from clonebot.runtime.control import BOT_PREFIX
from clonebot.runtime.worker import GenerationWorker
from clonebot.telegram.client import TelethonAdapter
from clonebot.telegram.handlers import register
from fixtures_telegram import ManualClock
from telegram_double import TelegramDouble

OWNER_PHONE = "15550000001"


def people(tg: TelegramDouble) -> SimpleNamespace:
    """The cast: the owner, two friends, a stranger, a bot, a family group."""
    p = SimpleNamespace(
        owner=tg.add_user("Owner", username="owner", phone=OWNER_PHONE),
        alice=tg.add_user("Alice", username="alice"),
        bob=tg.add_user("Bob", username="bob"),
        stranger=tg.add_user("Stranger", username="stranger"),
        helper=tg.add_user("Helper", username="helperbot", bot=True),
    )
    p.family = tg.add_group("Family", [p.owner, p.alice, p.bob])
    return p


def settings_for(tmp_path: Path, chats: list, **bot) -> Settings:
    bot.setdefault("debounce_seconds", 0)
    bot.setdefault("auto_delay_min_seconds", 1)
    bot.setdefault("auto_delay_max_seconds", 2)
    return Settings(paths={"data_dir": tmp_path / "data", "runs_dir": tmp_path / "runs"},
                    bot={"chats": chats, **bot})


@dataclass
class BotOnDouble:
    tg: TelegramDouble
    p: SimpleNamespace
    client: TelegramClient
    bot: CloneBot
    store: ApprovalStore
    clock: ManualClock

    async def settle(self) -> None:
        await self.tg.settle(self.client, also=lambda: not self.bot.busy)

    def posts(self) -> list[str]:
        """The bot's posts in Saved Messages (the owner's view), oldest first."""
        return [t for t in self.tg.texts(self.p.owner, self.p.owner) if t.startswith(BOT_PREFIX)]

    def last_post(self) -> tuple[str, int]:
        for m in reversed(self.tg.history(self.p.owner, self.p.owner)):
            if m.message.startswith(BOT_PREFIX + "#"):
                return m.message, m.id
        raise AssertionError("no suggestion posted")

    async def owner_types(self, chat: int, text: str, *, reply_to: int | None = None) -> None:
        """The owner writes from their phone (another session of the account)."""
        self.tg.send(self.p.owner, chat, text, reply_to=reply_to)
        await self.settle()

    async def close(self) -> None:
        await self.bot.stop(timeout=2)
        self.bot.worker.stop()
        await self.client.disconnect()
        self.store.close()


async def bot_on_double(tmp_path: Path, *, tg: TelegramDouble | None = None,
                        p: SimpleNamespace | None = None, clock: ManualClock | None = None,
                        replies=("sure, see you at 7",), chats: list | None = None,
                        start: bool = True, factory=None, **bot) -> BotOnDouble:
    """``factory(adapter_dir)`` makes the generator (default: a scripted one saying ``replies``)."""
    clock = clock or ManualClock(auto=True)
    if tg is None:
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
    assert p is not None
    if chats is None:
        chats = [{"chat": p.alice}, {"chat": "@bob", "mode": "draft"}, {"chat": p.family}]
    client = await tg.connect(p.owner)
    me = await client.get_me()
    worker = GenerationWorker(factory or (lambda path: ScriptedGenerator(list(replies))))
    await worker.load(None)
    store = ApprovalStore(tmp_path / "data" / "approvals.sqlite")
    settings = settings_for(tmp_path, chats, **bot)
    cb = CloneBot(settings, TelethonAdapter(client, me.id), store, worker, clock=clock)
    register(client, cb)
    env = BotOnDouble(tg, p, client, cb, store, clock)
    if start:
        await cb.start(sweeper=False)
        await env.settle()
    return env
