"""The bot's own overhead: incoming message -> Telegram draft saved, model excluded.

Two ways, both through the real incoming handler, the real runtime (policy, debounce at 0 s,
history -> turns, worker-thread hop, SQLite store with fsync) and a scripted generator:

- ``--over fake`` (default): real Telethon events built offline, against the recording fake
  at our adapter boundary: the runtime's own cost. Goal: p95 <= 20 ms.
- ``--over double``: over the request-level Telegram double (tests/telegram_double): the
  message is pushed as an update through Telethon's update loop, and every call (history,
  entity, SaveDraft) is a serialized TL request answered by the double: adds Telethon's
  own cost, not the network's.

    python bench/bench_bot.py [--over fake|double] [--n 500] [--store-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures_telegram import ALICE, BOB, FakeTelegram, build_event, make_env, standard_chats  # noqa: E402
from fixtures_telegram_bot import bot_on_double  # noqa: E402
from telethon import functions  # noqa: E402

from clonebot.runtime.clock import Clock  # noqa: E402
from clonebot.telegram.handlers import incoming  # noqa: E402
from clonebot.telegram.messages import Msg  # noqa: E402

REPLY = "sure, see you at 7"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


async def over_fake(n: int, store_dir: Path) -> list[float]:
    clock = Clock()
    fake = FakeTelegram(clock=clock)
    standard_chats(fake)
    env = await make_env(store_dir, clock=clock, fake=fake, debounce_seconds=0,
                         chats=[{"chat": ALICE, "mode": "draft"}, {"chat": BOB, "mode": "draft"}],
                         replies=[REPLY])
    done = asyncio.Event()
    orig = fake.save_draft

    async def save_draft(chat_id, text):
        await orig(chat_id, text)
        done.set()

    fake.save_draft = save_draft
    lat = []
    for i in range(n + 20):
        chat = ALICE if i % 2 else BOB
        mid = fake.next_id()
        text = f"message number {i}, are you free?"
        fake.record(Msg(mid, chat, chat, False, text, clock.now()))
        fake.history_of[chat] = fake.history_of[chat][-50:]
        ev = build_event(env.client, msg_id=mid, chat_id=chat, text=text, out=False)
        done.clear()
        t0 = time.perf_counter()
        await incoming.handle(ev, env.bot)
        await done.wait()
        dt = time.perf_counter() - t0
        await env.bot.wait_idle()
        if i >= 20:  # warm-up
            lat.append(dt * 1000)
        # the owner sends each draft, as in real use (keeps the store realistic)
        await env.owner_writes(chat, REPLY)
    await env.close()
    return lat


async def over_double(n: int, store_dir: Path) -> list[float]:
    env = await bot_on_double(store_dir, replies=[REPLY], debounce_seconds=0,
                              chats=[{"chat": "@alice", "mode": "draft"},
                                     {"chat": "@bob", "mode": "draft"}])
    tg, p = env.tg, env.p
    tg.send(p.owner, p.alice, "hey")
    tg.send(p.owner, p.bob, "hey")
    lat = []
    for i in range(n + 20):
        friend = p.alice if i % 2 else p.bob
        seen = len(tg.requests)
        t0 = time.perf_counter()
        tg.send(friend, p.owner, f"message number {i}, are you free?")
        # look at the new requests only: scanning the whole log on every loop turn measured
        # the bench's own polling (it grows with the log), not the bot
        while not any(isinstance(r.request, functions.messages.SaveDraftRequest)
                      for r in tg.requests[seen:]):
            await asyncio.sleep(0)
        dt = time.perf_counter() - t0
        await env.settle()
        if i >= 20:
            lat.append(dt * 1000)
        await env.owner_types(friend, REPLY)  # the owner sends the draft from the phone
    await env.close()
    return lat


async def main(over: str, n: int, store_dir: Path) -> None:
    lat = await (over_double if over == "double" else over_fake)(n, store_dir)
    print(f"bot overhead over the {over}, message -> draft saved (n={n}, model excluded, "
          f"SQLite in {store_dir})")
    print(f"p50 {statistics.median(lat):.2f} ms   p95 {pct(lat, 95):.2f} ms   "
          f"p99 {pct(lat, 99):.2f} ms   max {max(lat):.2f} ms")
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"python {platform.python_version()}, cpus {os.cpu_count()} (shared: figures are noisy)")
    print("goal p95 <= 20 ms:", "met" if pct(lat, 95) <= 20 else "NOT met")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--over", choices=("fake", "double"), default="fake")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--store-dir", type=Path, default=None,
                    help="where the SQLite store goes (default: a temp dir)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.store_dir) as d:
        asyncio.run(main(a.over, a.n, Path(d)))
