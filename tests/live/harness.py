"""The live suite's harness: the humans (Telethon clients) and the bot (a subprocess).

Skipped unless ``CLONEBOT_LIVE_ACCOUNTS`` is set (docs/live-suite.md). The humans are
Telethon clients in this process: the owner's phone (a second login of the bot's account),
a friend and a stranger. The bot is ``tests/live/clonebot_live.py`` (the real CLI, with a
counting generator) in a subprocess, on a ``.session`` file made from the owner's login.

Environment:
  CLONEBOT_LIVE_ACCOUNTS   JSON file {"owner", "owner_phone", "friend", "stranger"}: each
                           {"id", "phone", "username", "session"} (a Telethon StringSession);
                           owner and owner_phone are two logins of one account; optionally
                           "companion": {"id", "username", "token"}, the owner's companion bot
                           for the button flows (tests/live/make_companion_bot.py adds it)
  CLONEBOT_LIVE_RSA_KEY    the server's RSA public key (PEM), for a server Telethon does not
                           know (a loopback server); unset for Telegram's test DCs
  CLONEBOT_LIVE_API_ID, CLONEBOT_LIVE_API_HASH   (default: any values, as a loopback server
                           accepts; Telegram's test DCs need yours from my.telegram.org)
  CLONEBOT_LIVE_LOGIN_CODE the login code every login gets (default 22222: the loopback
                           server's, and test DC 2's)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ACCOUNTS = os.environ.get("CLONEBOT_LIVE_ACCOUNTS")
RSA_KEY = os.environ.get("CLONEBOT_LIVE_RSA_KEY")
API_ID = int(os.environ.get("CLONEBOT_LIVE_API_ID", "12345"))
API_HASH = os.environ.get("CLONEBOT_LIVE_API_HASH", "0123456789abcdef0123456789abcdef")
LOGIN_CODE = os.environ.get("CLONEBOT_LIVE_LOGIN_CODE", "22222")
BOT_PREFIX = "🤖 "
WAIT = 90.0  # seconds to wait for something the bot should do (a lost update: its recheck, 60 s)
QUIET = 6.0  # seconds of nothing that mean "the bot did not act"


def tag() -> str:
    """A token that names one test's messages on a server that keeps every earlier run."""
    return "t" + uuid.uuid4().hex[:8]


def accounts() -> dict:
    return json.loads(Path(ACCOUNTS).read_text())


def trust_server_key() -> None:
    if RSA_KEY:
        from telethon.crypto import rsa

        rsa.add_key(Path(RSA_KEY).read_text(), old=False)


class Humans:
    """The owner's phone, the friend and the stranger, as Telethon clients."""

    def __init__(self) -> None:
        from telethon import TelegramClient
        from telethon.sessions import StringSession

        trust_server_key()
        self.acc = accounts()
        self.ids = {name: a["id"] for name, a in self.acc.items()}
        self.clients = {
            name: TelegramClient(StringSession(self.acc[name]["session"]), API_ID, API_HASH)
            for name in ("owner_phone", "friend", "stranger")
        }

    @property
    def phone(self):
        return self.clients["owner_phone"]

    @property
    def friend(self):
        return self.clients["friend"]

    @property
    def stranger(self):
        return self.clients["stranger"]

    async def __aenter__(self) -> "Humans":
        for name, client in self.clients.items():
            await client.connect()
            for other in ("owner", "friend", "stranger", "companion"):  # ids resolve here
                if other in self.acc and self.ids[other] != self.ids[name]:
                    await client.get_entity("@" + self.acc[other]["username"])
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for client in self.clients.values():
            await client.disconnect()

    async def wait_for(self, client: Any, chat: Any, pred: Callable[[Any], bool],
                       timeout: float = WAIT, limit: int = 30) -> Any:
        """The newest message in ``chat`` (as ``client`` sees it) that ``pred`` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            for m in await client.get_messages(chat, limit=limit):
                if pred(m):
                    return m
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing matching appeared in {chat} within {timeout:.0f}s")
            await asyncio.sleep(0.5)

    async def never(self, client: Any, chat: Any, pred: Callable[[Any], bool],
                    wait: float = QUIET) -> None:
        await asyncio.sleep(wait)
        found = [m.message for m in await client.get_messages(chat, limit=30) if pred(m)]
        assert not found, f"unexpected in {chat}: {found}"

    async def post_quoting(self, text: str, *, after: int = 0) -> Any:
        """The bot's newest suggestion post (in the owner's Saved Messages) quoting ``text``."""
        return await self.wait_for(self.phone, "me", lambda m: m.id > after and (
            m.message or "").startswith(BOT_PREFIX + "#") and text in m.message)

    async def bot_says(self, text: str, *, after: int) -> Any:
        return await self.wait_for(self.phone, "me", lambda m: m.id > after and (
            m.message or "").startswith(BOT_PREFIX) and text in m.message)

    async def friend_gets(self, text: str, *, after: int) -> Any:
        """The friend receives ``text`` from the owner after their message ``after``."""
        owner = self.ids["owner"]
        return await self.wait_for(self.friend, owner, lambda m: m.id > after and not m.out
                                   and (m.message or "") == text)

    async def friend_writes(self, text: str) -> Any:
        return await self.friend.send_message(self.ids["owner"], text)

    async def fresh_start(self) -> None:
        """The owner writes last in the friend's chat: nothing from earlier runs is pending."""
        await self.phone.send_message(self.ids["friend"], f"(live test {tag()})")


def suggestion_text(post: Any) -> str:
    """The suggested reply inside a suggestion post (the line after the blank one)."""
    lines = post.message.splitlines()
    return lines[lines.index("") + 1]


class Bot:
    """`clonebot run` (tests/live/clonebot_live.py) as a subprocess on its own data dir;
    ``companion=True``: with the accounts file's companion bot (approval cards)."""

    def __init__(self, root: Path, chats: list[dict], *, companion: bool = False, **bot: Any):
        self.companion = accounts()["companion"] if companion else None
        self.root = root
        self.data = root / "data"
        self.lines: list[str] = []
        self.proc: subprocess.Popen | None = None
        bot.setdefault("debounce_seconds", 1)
        bot.setdefault("auto_delay_min_seconds", 1)
        bot.setdefault("auto_delay_max_seconds", 2)
        bot.setdefault("typing_chars_per_second", 100)
        bot.setdefault("catch_up_minutes", 30)
        toml = ["[paths]", f'data_dir = "{self.data}"', f'runs_dir = "{root / "runs"}"', "[bot]"]
        rules = ", ".join("{ " + ", ".join(f'{k} = {json.dumps(v)}' for k, v in c.items()) + " }"
                          for c in chats)
        toml.append(f"chats = [{rules}]")
        toml += [f"{k} = {json.dumps(v)}" for k, v in bot.items()]
        self.config = root / "config.toml"
        self.config.write_text("\n".join(toml) + "\n")
        self._adapter_dir(root / "adapter")

    @staticmethod
    def _adapter_dir(path: Path) -> None:
        """A run dir the bot accepts (manifest + adapter config); the live generator reads
        only its manifest, as the remote backend does, and loads no weights."""
        from clonebot.model.manifest import new_manifest, write_manifest

        path.mkdir(exist_ok=True)
        (path / "adapter_config.json").write_text(json.dumps({"r": 8}))
        write_manifest(path, new_manifest(base_model="smollm2-135m", revision=None,
                                          eos_token="<|im_end|>", context_turns=4))

    def env(self) -> dict:
        env = {**os.environ, "CLONEBOT_TELEGRAM__API_ID": str(API_ID),
               "CLONEBOT_TELEGRAM__API_HASH": API_HASH}
        if self.companion is not None:
            env["CLONEBOT_BOT__APPROVAL_BOT_TOKEN"] = self.companion["token"]
        return env

    def seed_session(self, *, logged_in: bool = True) -> Path:
        """``clonebot.session`` on the owner's login (or only pointing at the server)."""
        from telethon.sessions import SQLiteSession, StringSession

        self.data.mkdir(parents=True, exist_ok=True, mode=0o700)
        login = StringSession(accounts()["owner"]["session"])
        path = self.data / "clonebot.session"
        session = SQLiteSession(str(path))
        session.set_dc(login.dc_id, login.server_address, login.port)
        if logged_in:
            session.auth_key = login.auth_key
        session.save()
        session.close()
        return path

    def cli(self, *args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(HERE / "clonebot_live.py"), "--config",
                               str(self.config), *args], input=stdin, env=self.env(),
                              cwd=self.root, capture_output=True, text=True, timeout=timeout)

    def start(self, timeout: float = 120) -> "Bot":
        if not (self.data / "clonebot.session").exists():
            self.seed_session()
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "clonebot_live.py"), "--config", str(self.config), "-v",
             "run", "--adapter", str(self.root / "adapter")],
            env=self.env(), cwd=self.root, stderr=subprocess.PIPE, text=True)
        running = threading.Event()

        def read() -> None:
            for line in self.proc.stderr:
                self.lines.append(line)
                if line.startswith("running as"):
                    running.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not running.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the bot did not start:\n" + "".join(self.lines[-30:]))
        return self

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(30)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # kill -9: no cleanup at all
        self.proc.wait(30)

    def log(self) -> str:
        return "".join(self.lines)


def run_live(scenario: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Run ``scenario(humans, *args)`` with the humans connected."""

    async def go() -> None:
        async with Humans() as humans:
            await scenario(humans, *args)

    asyncio.run(go())
