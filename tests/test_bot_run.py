"""`clonebot run` / `login` end to end over the request-level Telegram double: the order of
start-up, one instance per data dir, reconnection owned by Telethon, clean stops."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from telethon import functions

from clonebot.cli import _register_builtin, cli
from clonebot.config import Settings
from clonebot.errors import AlreadyRunningError, ConfigError, TelegramError
from clonebot.instance_lock import InstanceLock
from clonebot.model.base import ScriptedGenerator
from clonebot.runtime.run import run_bot
from clonebot.runtime.worker import generation_thread_alive
from clonebot.telegram import session
from clonebot.telegram.session import login, make_client, session_path
from fixtures_telegram_bot import OWNER_PHONE, people
from telegram_double import API_HASH, API_ID, TelegramDouble

_register_builtin()


def run(coro):
    return asyncio.run(coro)


def _settings(tmp_path: Path, **bot) -> Settings:
    bot.setdefault("debounce_seconds", 0)
    return Settings(
        paths={"data_dir": tmp_path / "data", "runs_dir": tmp_path / "runs"},
        telegram={"api_id": API_ID, "api_hash": API_HASH},
        bot=bot,
    )


def _logged_in(tmp_path: Path, tg: TelegramDouble, user: int, **bot) -> Settings:
    """Settings whose session file holds a key the double knows as ``user`` (as after login)."""
    settings = _settings(tmp_path, **bot)
    client = tg.attach(make_client(settings), user=user)
    client.session.save()
    client.session.close()
    _fake_adapter(tmp_path)
    return settings


def _fake_adapter(tmp_path: Path) -> Path:
    """A dir that versions.resolve() accepts as a run dir (the fake loader never reads it)."""
    path = tmp_path / "adapter"
    path.mkdir(exist_ok=True)
    (path / "adapter_config.json").write_text("{}")
    return path


class Running:
    """run_bot as a task, on the double, with a scripted generator."""

    def __init__(self, settings: Settings, tg: TelegramDouble, tmp_path: Path,
                 factory=None, replies=("sure, see you at 7",)):
        self.statuses: list[str] = []
        self.running = asyncio.Event()
        self.clients: list = []
        self.loads = 0

        def default_factory(path):
            self.loads += 1
            return ScriptedGenerator(list(replies))

        def client_factory(s):
            self.clients.append(tg.attach(make_client(s, reconnect_forever=True), retry_delay=0))
            return self.clients[-1]

        def on_status(text):
            self.statuses.append(text)
            if text.startswith("running"):
                self.running.set()

        self.task = asyncio.ensure_future(run_bot(
            settings, tmp_path / "adapter", factory=factory or default_factory,
            on_status=on_status, client_factory=client_factory))

    async def started(self) -> None:
        waiter = asyncio.ensure_future(self.running.wait())
        await asyncio.wait({waiter, self.task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            self.task.result()  # raises what run_bot raised
        assert self.running.is_set(), self.statuses

    async def stop(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # run_bot's own handler
        await asyncio.wait_for(self.task, 10)


# --- item 4/5: the login is checked first, in a second; one instance ------------------------------

def test_a_logged_out_session_is_reported_before_the_model_loads(tmp_path):
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        settings = _logged_in(tmp_path, tg, p.owner)
        tg.log_out_everywhere(p.owner)  # ended on another device
        bot = Running(settings, tg, tmp_path)
        with pytest.raises(TelegramError, match="no longer logged in"):
            await asyncio.wait_for(bot.task, 5)
        assert bot.loads == 0 and not any("loading" in s for s in bot.statuses)

    run(go())


def test_missing_api_id_is_reported_before_the_model_loads(tmp_path):
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        settings = _logged_in(tmp_path, tg, p.owner)
        settings.telegram.api_id = None
        bot = Running(settings, tg, tmp_path)
        with pytest.raises(ConfigError, match="api_id"):
            await asyncio.wait_for(bot.task, 5)
        assert bot.loads == 0

    run(go())


def test_a_second_instance_says_already_running(tmp_path):
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        settings = _logged_in(tmp_path, tg, p.owner)
        first = Running(settings, tg, tmp_path)
        await first.started()
        second = Running(settings, tg, tmp_path)
        with pytest.raises(AlreadyRunningError, match=rf"already running \(pid {os.getpid()}\)"):
            await asyncio.wait_for(second.task, 5)
        assert len(second.clients) == 0  # it never opened the session file
        await first.stop()

    run(go())


def test_cli_run_while_running_is_one_line(tmp_path):
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
           "CLONEBOT_TELEGRAM__API_ID": "1", "CLONEBOT_TELEGRAM__API_HASH": "x" * 32}
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "clonebot.session").write_bytes(b"")
    _fake_adapter(tmp_path)
    with InstanceLock(tmp_path / "data"):
        for args in (["run", "--adapter", str(tmp_path / "adapter")], ["login"], ["logout"]):
            res = CliRunner().invoke(cli, args, env=env)
            assert res.exit_code == 1, res.output
            assert res.output.strip().splitlines()[-1] == (
                f"error: clonebot is already running (pid {os.getpid()}) with data_dir "
                f"{tmp_path / 'data'}: stop it first")


def test_a_stop_during_the_model_load_ends_run_bot_without_waiting_for_it(tmp_path):
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        settings = _logged_in(tmp_path, tg, p.owner)
        release = threading.Event()
        loading = threading.Event()

        def slow_factory(path):
            loading.set()
            release.wait(30)  # a 7B model takes minutes
            return ScriptedGenerator(["x"])

        bot = Running(settings, tg, tmp_path, factory=slow_factory)
        for _ in range(500):
            if loading.is_set():
                break
            await asyncio.sleep(0.01)
        assert loading.is_set()
        await bot.stop()  # returns at once: the load is left to the CLI's os._exit
        assert bot.statuses[-1] == "stopping ..." and generation_thread_alive()
        assert not bot.clients[0].is_connected()
        release.set()

    run(go())


# --- item 6: Telethon owns reconnection --------------------------------------------------------

def test_after_an_outage_telethon_reconnects_and_missed_messages_are_answered(tmp_path, caplog):
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        tg.send(p.owner, p.alice, "hey")
        settings = _logged_in(tmp_path, tg, p.owner, chats=[{"chat": "@alice"}])
        bot = Running(settings, tg, tmp_path)
        await bot.started()
        [client] = bot.clients
        tg.go_offline()
        tg.send(p.alice, p.owner, "are you there?")  # lost with the connection
        await asyncio.sleep(0.2)  # longer than any finite retry budget at retry_delay=0
        tg.go_online()
        for _ in range(500):
            if client._sender._transport_connected():
                break
            await asyncio.sleep(0.01)
        tg.send(p.alice, p.owner, "hello??")  # reveals the gap: Telethon gets the difference
        for _ in range(500):
            if any("hello??" in t for t in tg.texts(p.owner, p.owner)):
                break
            await asyncio.sleep(0.01)
        [post] = tg.texts(p.owner, p.owner)
        assert "are you there?\nhello??" in post
        assert len(tg.calls(functions.help.GetConfigRequest)) == 1  # one connect(), by us
        assert "Should not be applying the difference" not in caplog.text
        await bot.stop()

    with caplog.at_level(logging.INFO, logger="telethon"):
        run(go())


def test_a_revoked_session_ends_the_run_with_a_clear_error(tmp_path):
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        settings = _logged_in(tmp_path, tg, p.owner)
        bot = Running(settings, tg, tmp_path)
        await bot.started()
        tg.revoke(p.owner)
        with pytest.raises(TelegramError, match="ended for good"):
            await asyncio.wait_for(bot.task, 10)

    run(go())


# --- item 5: login errors leave nothing half-made -------------------------------------------------

@pytest.mark.parametrize("number, error", [
    ("abc", "is not a phone number"),
    ("+1 555 000 0099", "no Telegram account uses"),
])
def test_login_errors_are_one_line_and_leave_no_session_file(tmp_path, number, error):
    async def go():
        tg = TelegramDouble()
        people(tg)
        settings = _settings(tmp_path)
        with pytest.raises(TelegramError, match=error) as e:
            await login(settings, phone=lambda: number, code=lambda: tg.login_code,
                        password=lambda: "", client_factory=lambda s: tg.attach(make_client(s)))
        assert "\n" not in str(e.value)
        assert not session_path(settings).exists()
        assert not list(session_path(settings).parent.glob("*.session*"))

    run(go())


def test_login_works_and_keeps_the_session_private(tmp_path):
    async def go():
        tg = TelegramDouble()
        people(tg)
        settings = _settings(tmp_path)
        who = await login(settings, phone=lambda: "+" + OWNER_PHONE, code=lambda: tg.login_code,
                          password=lambda: "", client_factory=lambda s: tg.attach(make_client(s)))
        assert who == "Owner (@owner)"
        assert oct(session_path(settings).stat().st_mode & 0o777) == "0o600"

    run(go())


def _login_on_double(tmp_path, monkeypatch, typed: str) -> tuple[TelegramDouble, Any]:
    """`clonebot login` (the CLI) with the session's client on the double; ``typed`` is
    stdin, ``{code}`` in it the right login code."""
    tg = TelegramDouble()
    people(tg)
    real = session.make_client
    monkeypatch.setattr(session, "make_client", lambda s, **kw: tg.attach(real(s, **kw)))
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
           "CLONEBOT_TELEGRAM__API_ID": "1", "CLONEBOT_TELEGRAM__API_HASH": "x" * 32}
    return tg, CliRunner().invoke(cli, ["login"], input=typed.format(code=tg.login_code), env=env)


def test_cli_login_error_is_one_line(tmp_path, monkeypatch):
    _, res = _login_on_double(tmp_path, monkeypatch, "+1 555 000 0099\n{code}\n")
    assert res.exit_code == 1
    assert res.output.splitlines()[-1] == (
        "error: no Telegram account uses 15*******99: sign up in a Telegram app first, "
        "then run clonebot login again")
    assert "Traceback" not in res.output


@pytest.mark.parametrize("typed", ["", "+{phone}\n"])
def test_login_with_stdin_closed_says_what_it_needs(tmp_path, monkeypatch, typed):
    """Stdin closed before the number or before the code: one line naming what login
    needs (it was click's "Aborted!", exit 1, or "interrupted"), and no session file."""
    _, res = _login_on_double(tmp_path, monkeypatch, typed.replace("{phone}", OWNER_PHONE))
    assert res.exit_code == 1, res.output
    [line] = [x for x in res.output.splitlines() if x.startswith("error: ")]
    assert line.startswith("error: login needs your answers on stdin") and "terminal" in line
    assert "Traceback" not in res.output and "WARNING" not in res.output
    assert not list((tmp_path / "data").glob("*.session*"))


def test_ctrl_c_during_the_model_load_exits_cleanly(tmp_path):
    # The old run aborted here: "terminate called without an active exception", exit 134
    # (Python finalizing while the load thread was inside torch).
    import subprocess
    import sys
    import time

    _fake_adapter(tmp_path)
    env = {**os.environ, "CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
           "CLONEBOT_TELEGRAM__API_ID": str(API_ID), "CLONEBOT_TELEGRAM__API_HASH": API_HASH,
           "CLONEBOT_TEST_LOAD": "busy"}
    script = Path(__file__).parent / "run_on_double.py"
    proc = subprocess.Popen([sys.executable, str(script), "run", "--adapter",
                             str(tmp_path / "adapter")], env=env, cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("loading model"):
            break
    time.sleep(1.0)  # well inside the load
    proc.send_signal(signal.SIGINT)
    try:
        rest = proc.communicate(timeout=30)[1]
    finally:
        proc.kill()
    out = "".join(seen) + rest
    assert proc.returncode == 0, out
    assert "stopped" in out and "terminate called" not in out and "Traceback" not in out


def test_a_wrong_login_code_is_said_at_once_then_asked_again(tmp_path, monkeypatch):
    """Through Telethon's sign_in on the double: the first wrong code is answered "wrong
    code, try again" before the next prompt, not only after the third."""
    _, res = _login_on_double(tmp_path, monkeypatch, f"+{OWNER_PHONE}\n11111\n{{code}}\n")
    assert res.exit_code == 0, res.output
    out = res.output
    first, second = [i for i in range(len(out)) if out.startswith("Login code", i)]
    assert first < out.index("wrong code, try again") < second
    assert "logged in as Owner" in out
