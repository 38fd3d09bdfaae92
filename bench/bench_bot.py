"""The bot's own overhead: incoming Telethon event -> Telegram draft saved, model excluded.

Drives the real incoming handler with real (offline-built) Telethon events, the real
runtime (policy, debounce at 0 s, history -> turns, worker-thread hop, SQLite store with
fsync) and a scripted generator, against the recording fake client. Goal: p95 <= 20 ms.

    python bench/bench_bot.py [--n 500] [--store-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures_telegram import ALICE, BOB, FakeTelegram, build_event, make_env, standard_chats  # noqa: E402

from clonebot.runtime.clock import Clock  # noqa: E402
from clonebot.telegram.handlers import incoming  # noqa: E402
from clonebot.telegram.messages import Msg  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


async def main(n: int, store_dir: Path) -> None:
    clock = Clock()
    fake = FakeTelegram(clock=clock)
    standard_chats(fake)
    env = await make_env(store_dir, clock=clock, fake=fake, debounce_seconds=0,
                         chats=[{"chat": ALICE, "mode": "draft"}, {"chat": BOB, "mode": "draft"}],
                         replies=["sure, see you at 7"])
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
        await env.owner_writes(chat, "sure, see you at 7")
    await env.close()
    print(f"bot overhead, event -> draft saved (n={n}, model excluded, SQLite in {store_dir})")
    print(f"p50 {statistics.median(lat):.2f} ms   p95 {pct(lat, 95):.2f} ms   "
          f"p99 {pct(lat, 99):.2f} ms   max {max(lat):.2f} ms")
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"python {platform.python_version()}, cpus {__import__('os').cpu_count()}")
    print("goal p95 <= 20 ms:", "met" if pct(lat, 95) <= 20 else "NOT met")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--store-dir", type=Path, default=None,
                    help="where the SQLite store goes (default: a temp dir)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.store_dir) as d:
        asyncio.run(main(a.n, Path(d)))
