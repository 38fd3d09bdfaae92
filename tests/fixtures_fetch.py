"""`clonebot fetch` on the request-level Telegram double: an account with every kind of chat,
a fake clock whose sleeps pass instantly (and are recorded), and a one-call fetch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from telethon.sessions import MemorySession
from telethon.tl import types

from clonebot.config import FetchSettings
from clonebot.fetch.events import Event, FetchResult
from clonebot.fetch.fetcher import FetchOptions, fetch_history
from telegram_double import TelegramDouble
from telegram_double.history import add_service, attach_media, photo, sticker
from telegram_double.tl import make

T0 = 1_700_000_000.0


class FakeTime:
    """Wall clock for the double and monotonic clock for the fetch, in one: ``sleep``
    moves it forward at once and is recorded."""

    def __init__(self, start: float = T0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def build_world(time: FakeTime, *, alice_messages: int = 260) -> tuple[TelegramDouble,
                                                                        SimpleNamespace]:
    """The owner's account: a long chat with Alice, a short one with Bob full of special
    messages (sticker, photo with caption, forward, inline bot, reply, entities, a call), a
    bot, Saved Messages, a basic group, a supergroup and a channel. Deterministic."""
    tg = TelegramDouble(clock=time, seed=0)
    p = SimpleNamespace(
        owner=tg.add_user("Olga", last_name="Owner", username="owner", phone="15550001"),
        alice=tg.add_user("Alice", username="alice"),
        bob=tg.add_user("Bob", last_name="Builder"),
        helper=tg.add_user("Helper", username="helperbot", bot=True),
        gifbot=tg.add_user("Gif", username="gif", bot=True),
    )
    p.family = tg.add_group("Family", [p.owner, p.alice, p.bob])
    p.club = tg.add_channel("Club", [p.owner, p.alice])
    p.news = tg.add_channel("News", [p.owner, p.alice], broadcast=True, creator=p.alice,
                            username="news")
    for i in range(alice_messages):
        time.advance(5 * 3600 if i % 40 == 0 else 60)
        if i % 3 == 0:
            tg.send(p.owner, p.alice, f"me to alice {i}")
        else:
            tg.send(p.alice, p.owner, f"alice says {i}")
    time.advance(3600)
    tg.send(p.bob, p.owner, "hey, got a minute?")
    tg.send(p.owner, p.bob, "sure 🙂 what's up")
    tg.send(p.bob, p.owner, "")
    attach_media(tg, p.owner, p.bob, _newest(tg, p.owner, p.bob), sticker("😂"))
    tg.send(p.owner, p.bob, "")  # a photo without caption: media only
    attach_media(tg, p.owner, p.bob, _newest(tg, p.owner, p.bob), photo())
    tg.send(p.owner, p.bob, "look at this view")  # a photo with a caption: its text counts
    attach_media(tg, p.owner, p.bob, _newest(tg, p.owner, p.bob), photo())
    tg.send(p.owner, p.bob, "forwarded words", fwd_from=p.alice)
    tg.send(p.owner, p.bob, "a gif found inline", via_bot=p.gifbot)
    tg.send(p.bob, p.owner, "can you call me?")
    tg.send(p.owner, p.bob, "calling now", reply_to=_newest(tg, p.owner, p.bob))
    add_service(tg, p.owner, p.bob, make(types.MessageActionPhoneCall, call_id=1, video=False,
                                          reason=types.PhoneCallDiscardReasonMissed()),
                actor=p.owner)
    tg.deliver(p.owner, p.bob, "bold and 👍🏽 link done", entities=[
        types.MessageEntityBold(0, 4), types.MessageEntityItalic(2, 8),
        types.MessageEntityTextUrl(14, 4, "https://example.com")])
    time.advance(60)
    tg.send(p.bob, p.owner, "thanks!")
    # one chat after the other: the dialog list is News, Club, Family, Saved Messages,
    # Helper, Bob, Alice (most recent first)
    for sender, chat, text in [
            (p.owner, p.helper, "/start"), (p.helper, p.owner, "Hi, I am a bot"),
            (p.owner, p.owner, "note to self: buy milk"),
            (p.alice, p.family, "dinner at 7?"), (p.owner, p.family, "I'll bring cake"),
            (p.alice, p.club, "club meeting tomorrow"), (p.owner, p.club, "count me in"),
            (p.alice, p.news, "breaking news")]:
        time.advance(60)
        tg.send(sender, chat, text)
    return tg, p


def _newest(tg: TelegramDouble, viewer: int, peer: int) -> int:
    """``viewer``'s id of the newest message in their chat ``peer``."""
    return tg.history(viewer, peer)[-1].id


@dataclass
class Fetching:
    """Fetches on one double, as the owner, with the store in ``data_dir``."""

    tg: TelegramDouble
    owner: int
    time: FakeTime
    data_dir: Path
    session: MemorySession = field(default_factory=MemorySession)
    events: list[Event] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return self.data_dir.parent / "exports" / "result.json"

    async def run(self, *, on_event: Any = None, settings: FetchSettings | None = None,
                  client_options: dict | None = None, **options: Any) -> FetchResult:
        settings = settings or FetchSettings()
        self.events.clear()

        def record(event: Event) -> None:
            self.events.append(event)
            if on_event is not None:
                on_event(event)

        options.setdefault("out", self.out)
        client = self.client = self.tg.client(self.owner, session=self.session,
                                              **(client_options or {}))
        await client.connect()
        try:
            me = await client.get_me()
            return await fetch_history(client, me, self.data_dir, FetchOptions(**options),
                                       settings, record, sleep=self.time.sleep,
                                       clock=self.time, now=self.time)
        finally:
            await client.disconnect()

    def export(self) -> dict:
        return json.loads(self.out.read_text())

    def chats(self) -> dict[str, list[dict]]:
        return {c["name"]: c["messages"] for c in self.export()["chats"]["list"]}


def fetching(tmp_path: Path, *, alice_messages: int = 260) -> tuple[Fetching, SimpleNamespace]:
    time = FakeTime()
    tg, p = build_world(time, alice_messages=alice_messages)
    return Fetching(tg, p.owner, time, tmp_path / "data"), p
