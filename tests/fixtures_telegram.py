"""Telegram test helpers for the bot's POLICY tests: real Telethon events built offline,
and a fake client adapter.

All use of Telethon's private API (``event._set_client``) is kept in this module.
Checked on Telethon 1.45: a never-connected ``TelegramClient(None, 1, "1")`` is enough
for ``events.NewMessage.build(update, self_id=...)`` events whose ``chat_id``,
``sender_id``, ``out``, ``raw_text`` and ``reply_to_msg_id`` are right.

``FakeTelegram`` sits at OUR boundary (``clonebot.telegram.client.ClientAdapter``): it
implements the adapter's contract (not Telegram's), keeps per-chat history, records drafts
/ sends / typing, can raise Telethon's ``FloodWaitError`` / ``PeerFloodError``, and can
echo our own sends back through the handlers (before or after ``send_message`` returns).
Whether ``TelethonAdapter`` keeps that contract with Telegram is tested one layer down,
over the request-level double (tests/telegram_double, tests/test_bot_telethon.py).
"""

from __future__ import annotations

import asyncio
import datetime
import heapq
import itertools
from collections import defaultdict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from telethon import TelegramClient, events, types

from clonebot.state.store import StateStore, state_path
from clonebot.config import Settings
from clonebot.model.base import ScriptedGenerator
from clonebot.runtime.bot import CloneBot
from clonebot.runtime.clock import Clock
from clonebot.runtime.worker import GenerationWorker
from clonebot.telegram.handlers import incoming, outgoing
from clonebot.telegram.messages import ChatInfo, Msg

OWNER = 1000
ALICE = 42
BOB = 43
STRANGER = 44
SOME_BOT = 45
GROUP = 777  # basic group: peer id -777
CHANNEL = 1_500_000_000  # peer id -1001500000000
T0 = 1_700_000_000.0


# --- real Telethon events, offline -----------------------------------------------------------

def offline_client() -> TelegramClient:
    return TelegramClient(None, 1, "1")  # MemorySession, never connected


def _peer(chat_id: int):
    if chat_id > 0:
        return types.PeerUser(chat_id)
    if chat_id < -1_000_000_000_000:
        return types.PeerChannel(-chat_id - 1_000_000_000_000)
    return types.PeerChat(-chat_id)


def build_event(
    client: TelegramClient,
    *,
    msg_id: int,
    chat_id: int,
    text: str,
    out: bool,
    sender_id: int | None = None,
    reply_to: int | None = None,
    date: float = T0,
    post: bool = False,
    self_id: int = OWNER,
    fwd_from: int | None = None,
) -> events.NewMessage.Event:
    sender = sender_id if sender_id is not None else (self_id if out else chat_id)
    when = datetime.datetime.fromtimestamp(date, datetime.timezone.utc)
    msg = types.Message(
        id=msg_id,
        peer_id=_peer(chat_id),
        from_id=None if post else types.PeerUser(sender),
        date=when,
        message=text,
        out=out,
        post=post,
        reply_to=types.MessageReplyHeader(reply_to_msg_id=reply_to) if reply_to else None,
        fwd_from=types.MessageFwdHeader(date=when, from_id=types.PeerUser(fwd_from))
        if fwd_from else None,
    )
    update = types.UpdateNewMessage(message=msg, pts=msg_id, pts_count=1)
    event = events.NewMessage.build(update, self_id=self_id)
    event._set_client(client)  # private API: only here
    return event


# --- time ------------------------------------------------------------------------------------

class ManualClock(Clock):
    """Virtual time. ``auto=True``: every sleep just advances time (no waiting at all)."""

    def __init__(self, start: float = T0, auto: bool = False):
        self.t = start
        self.auto = auto
        self._waiters: list = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        if self.auto:
            self.t += max(0.0, seconds)
            await asyncio.sleep(0)
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.t + max(0.0, seconds), next(self._seq), fut))
        await fut

    async def advance(self, seconds: float) -> None:
        self.t += seconds
        while self._waiters and self._waiters[0][0] <= self.t:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)
        for _ in range(10):
            await asyncio.sleep(0)


# --- the fake client adapter -----------------------------------------------------------------

class FakeTelegram:
    def __init__(self, self_id: int = OWNER, clock: Clock | None = None):
        self.self_id = self_id
        self.clock = clock or Clock()
        self.chats: dict[int | str, ChatInfo] = {}
        self.history_of: dict[int, list[Msg]] = defaultdict(list)
        self.sent: list[tuple[int, str, int | None, int]] = []  # chat, text, reply_to, id
        self.drafts: dict[int, str] = {}
        self.draft_log: list[tuple[int, str]] = []
        self.members: dict[int | str, int] = {}  # other_members() answers; default 1
        self.typing_log: list[int] = []
        self.send_errors: list[BaseException] = []  # raised by the next send_message calls
        self.on_send = None  # async callback(Msg) before/after returning, set by BotEnv
        self.echo: str | None = None  # "before" | "after" | None
        self.calls: dict[str, int] = defaultdict(int)
        self._ids = itertools.count(5000)
        self.add_chat(ChatInfo(self_id, "self", "Saved Messages", "@owner"), owner_wrote=False)

    def next_id(self) -> int:
        return next(self._ids)

    def add_chat(self, info: ChatInfo, *, owner_wrote: bool = True) -> None:
        self.chats[info.id] = info
        if info.username:
            self.chats[info.username] = info
        if owner_wrote:
            self.history_of[info.id].append(
                Msg(self.next_id(), info.id, self.self_id, True, "hey", self.clock.now() - 60)
            )

    def record(self, msg: Msg) -> None:
        self.history_of[msg.chat_id].append(msg)

    # ClientAdapter
    async def get_chat(self, chat: int | str) -> ChatInfo:
        self.calls["get_chat"] += 1
        if chat not in self.chats:
            raise ValueError(f"Cannot find any entity corresponding to {chat!r}")
        return self.chats[chat]

    async def history(self, chat_id: int, limit: int) -> list[Msg]:
        self.calls["history"] += 1
        return list(self.history_of[chat_id][-limit:])

    async def owner_has_written(self, chat_id: int) -> bool:
        self.calls["owner_has_written"] += 1
        return any(m.out for m in self.history_of[chat_id])

    async def send_message(self, chat_id: int, text: str, reply_to: int | None = None) -> int:
        self.calls["send_message"] += 1
        if self.send_errors:
            raise self.send_errors.pop(0)
        msg = Msg(self.next_id(), chat_id, self.self_id, True, text, self.clock.now(), reply_to)
        self.record(msg)
        self.sent.append((chat_id, text, reply_to, msg.id))
        if self.echo == "before" and self.on_send:
            # the update is dispatched (as its own task, as Telethon does) before we return
            asyncio.ensure_future(self.on_send(msg))
            for _ in range(3):
                await asyncio.sleep(0)
        elif self.echo == "after" and self.on_send:
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(self.on_send(msg))
            )
        return msg.id

    async def other_members(self, chat: int | str) -> int:
        info = await self.get_chat(chat)
        return 0 if info.kind == "self" else self.members.get(info.id, 1)

    async def save_draft(self, chat_id: int, text: str) -> None:
        self.calls["save_draft"] += 1
        self.drafts[chat_id] = text
        self.draft_log.append((chat_id, text))

    async def clear_draft(self, chat_id: int, text: str) -> bool:
        if self.drafts.get(chat_id) != text:
            return False
        del self.drafts[chat_id]
        return True

    @asynccontextmanager
    async def typing(self, chat_id: int):
        self.typing_log.append(chat_id)
        yield

    async def find_sent(self, chat_id: int, text: str, since: float) -> int | None:
        for m in reversed(self.history_of[chat_id]):
            if m.out and m.text == text and m.date >= since - 60:
                return m.id
        return None

    # what the tests read
    def sent_to(self, chat_id: int) -> list[str]:
        return [t for c, t, _, _ in self.sent if c == chat_id]

    def posts(self) -> list[str]:
        return self.sent_to(self.self_id)


# --- one bot wired to the fake, driven through the real handlers -----------------------------

class SlowScripted(ScriptedGenerator):
    """A scripted generator whose calls can be held back (to test in-flight work)."""

    def __init__(self, replies, gate=None):
        super().__init__(replies)
        self.gate = gate

    def generate(self, turns, n=1):
        if self.gate is not None:
            self.gate.wait(10)
        return super().generate(turns, n)


@dataclass
class BotEnv:
    bot: CloneBot
    fake: FakeTelegram
    store: StateStore
    clock: ManualClock
    client: TelegramClient
    store_path: Path
    gens: dict = field(default_factory=dict)

    async def incoming(self, chat_id: int, text: str, *, sender_id: int | None = None,
                       post: bool = False) -> Msg:
        mid = self.fake.next_id()
        msg = Msg(mid, chat_id, sender_id or chat_id, False, text, self.clock.now())
        self.fake.record(msg)
        ev = build_event(self.client, msg_id=mid, chat_id=chat_id, text=text, out=False,
                         sender_id=sender_id, date=self.clock.now(), post=post)
        await incoming.handle(ev, self.bot)
        return msg

    async def owner_writes(self, chat_id: int, text: str) -> Msg:
        mid = self.fake.next_id()
        msg = Msg(mid, chat_id, OWNER, True, text, self.clock.now())
        self.fake.record(msg)
        await self.deliver_outgoing(msg)
        return msg

    async def deliver_outgoing(self, msg: Msg) -> None:
        """What Telegram does with any outgoing message: the outgoing handler sees it."""
        ev = build_event(self.client, msg_id=msg.id, chat_id=msg.chat_id, text=msg.text,
                         out=True, reply_to=msg.reply_to, date=msg.date,
                         fwd_from=STRANGER if msg.forwarded else None)
        await outgoing.handle(ev, self.bot)

    async def command(self, text: str, reply_to: int | None = None, *,
                      forwarded: bool = False) -> Msg:
        mid = self.fake.next_id()
        msg = Msg(mid, OWNER, OWNER, True, text, self.clock.now(), reply_to, forwarded=forwarded)
        self.fake.record(msg)
        await self.deliver_outgoing(msg)
        return msg

    async def settle(self) -> None:
        for _ in range(3):
            await self.bot.wait_idle()
            for _ in range(5):
                await asyncio.sleep(0)

    async def close(self) -> None:
        await self.bot.stop(timeout=2)
        self.bot.worker.stop()
        self.store.close()

    def last_suggestion_post(self) -> tuple[str, int]:
        for chat, text, _, mid in reversed(self.fake.sent):
            if chat == OWNER and text.startswith("🤖 #"):
                return text, mid
        raise AssertionError("no suggestion posted")


def bot_settings(tmp_path: Path, chats=None, **bot) -> Settings:
    bot.setdefault("debounce_seconds", 0)
    bot.setdefault("auto_delay_min_seconds", 1)
    bot.setdefault("auto_delay_max_seconds", 2)
    if chats is None:
        chats = [{"chat": ALICE}, {"chat": "@bob", "mode": "draft"}, {"chat": -GROUP}]
    bot["chats"] = chats
    return Settings(
        paths={"data_dir": tmp_path / "data", "runs_dir": tmp_path / "runs"},
        bot=bot,
        pii={"denylist": ["Project Falcon"]},
    )


def standard_chats(fake: FakeTelegram) -> None:
    fake.add_chat(ChatInfo(ALICE, "user", "Alice", "@alice"))
    fake.add_chat(ChatInfo(BOB, "user", "Bob", "@bob"))
    fake.add_chat(ChatInfo(STRANGER, "user", "Stranger", "@stranger"), owner_wrote=False)
    fake.add_chat(ChatInfo(SOME_BOT, "bot", "Some Bot", "@somebot"))
    fake.add_chat(ChatInfo(-GROUP, "group", "Family", None))
    fake.add_chat(ChatInfo(-1_000_000_000_000 - CHANNEL, "channel", "News", "@news"))


async def make_env(
    tmp_path: Path,
    *,
    replies=("sure, see you at 7",),
    settings: Settings | None = None,
    clock: ManualClock | None = None,
    fake: FakeTelegram | None = None,
    factory=None,
    adapter_dir: Path | None = None,
    echo: str | None = "after",
    start: bool = True,
    **bot,
) -> BotEnv:
    clock = clock or ManualClock(auto=True)
    settings = settings or bot_settings(tmp_path, **bot)
    if fake is None:
        fake = FakeTelegram(clock=clock)
        standard_chats(fake)
    gens: dict = {}

    def default_factory(path):
        gens[path] = ScriptedGenerator(list(replies))
        return gens[path]

    worker = GenerationWorker(factory or default_factory)
    await worker.load(adapter_dir)
    store_path = state_path(tmp_path / "data")
    store = StateStore(store_path)
    cb = CloneBot(settings, fake, store, worker, clock=clock, adapter_dir=adapter_dir)
    env = BotEnv(cb, fake, store, clock, offline_client(), store_path, gens)
    fake.echo = echo
    fake.on_send = env.deliver_outgoing
    if start:
        await cb.start(sweeper=False)
    return env
