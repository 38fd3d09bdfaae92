"""Setting up the companion bot: its token is a secret, its login, where approvals go (and
``/status`` / ``clonebot status`` saying which), a card that cannot be sent."""

from __future__ import annotations

import asyncio
import logging
import stat

import pytest
from click.testing import CliRunner

from clonebot.cli import _register_builtin, cli
from clonebot.config import Settings, load_settings
from clonebot.errors import ConfigError, TelegramError
from clonebot.instance_lock import InstanceLock
from clonebot.telegram.companion.login import companion_session_path
from fixtures_telegram_bot import bot_on_double
from fixtures_telegram_companion import (
    BOT_USERNAME, companion_on_double, companion_people,
)
from telegram_double import TelegramDouble, bots
from fixtures_telegram import ManualClock

TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123456"


def run(coro):
    return asyncio.run(coro)


# --- the token -----------------------------------------------------------------------------------

def test_the_token_comes_from_the_environment_and_never_shows(monkeypatch):
    monkeypatch.setenv("CLONEBOT_BOT__APPROVAL_BOT_TOKEN", TOKEN)
    s = load_settings(None)
    assert s.bot.approval_bot_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())


def test_the_token_in_the_toml_file_is_refused(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[bot]\napproval_bot_token = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert "CLONEBOT_BOT__APPROVAL_BOT_TOKEN" in str(e.value) and TOKEN not in str(e.value)


@pytest.mark.parametrize("bad", ["AAEabcdefghijklmnop", "12345:short", "123 456:AAEabcdefghij"])
def test_a_malformed_token_is_one_line_that_does_not_repeat_it(monkeypatch, bad):
    monkeypatch.setenv("CLONEBOT_BOT__APPROVAL_BOT_TOKEN", bad)
    with pytest.raises(ConfigError) as e:
        load_settings(None)
    msg = str(e.value)
    assert "bot.approval_bot_token" in msg and "@BotFather" in msg and bad not in msg


def test_no_token_means_no_companion():
    assert Settings().bot.approval_bot_token is None


def test_the_token_is_never_logged_and_its_session_is_private(tmp_path, caplog):
    async def go():
        c = await companion_on_double(tmp_path)
        token = c.p.token
        c.tg.send(c.p.owner, c.p.alice, "hey")
        await c.settle()
        c.tg.send(c.p.alice, c.p.owner, "free?")
        await c.settle()
        await c.press("Send")
        path = companion_session_path(c.bot.settings)
        await c.close()
        return token, path

    with caplog.at_level(logging.DEBUG):  # every logger, Telethon's too
        token, path = run(go())
    assert caplog.records and token not in caplog.text
    assert token.split(":")[1] not in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token.encode() not in path.read_bytes()  # the session holds a key, not the token


def test_a_refused_token_is_one_line_without_the_token(tmp_path):
    async def go():
        tg = TelegramDouble()
        p = companion_people(tg)
        bots.revoke_token(tg, p.token)
        with pytest.raises(TelegramError) as e:
            await companion_on_double(tmp_path, tg=tg, p=p)
        return p.token, str(e.value)

    token, msg = run(go())
    assert "refused bot.approval_bot_token" in msg and "@BotFather" in msg
    assert token not in msg and "\n" not in msg


def test_the_owners_session_starts_the_bot_it_has_never_talked_to(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        chat = c.chat()
        assert chat[0] == "/start" and chat[1].startswith("🤖 I bring you")
        await c.close()
        c = await companion_on_double(tmp_path, tg=c.tg, p=c.p, restarted=True)
        assert c.chat()[:2] == chat[:2] and len(c.chat()) == 2  # once, not on every start
        await c.close()

    run(go())


# --- where approvals go -----------------------------------------------------------------------

def test_without_a_token_approvals_stay_in_saved_messages_and_status_says_so(tmp_path):
    async def go():
        env = await bot_on_double(tmp_path)
        env.tg.send(env.p.owner, env.p.alice, "hey")
        env.tg.send(env.p.alice, env.p.owner, "free?")
        await env.settle()
        assert env.last_post()[0].startswith("🤖 #")
        await env.owner_types(env.p.owner, "/status")
        status = env.posts()[-1]
        await env.close()
        return status

    status = run(go())
    assert "approvals: typed answers in Saved Messages (no bot.approval_bot_token)" in status


def test_with_a_token_status_names_the_companion(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        await c.env.owner_types(c.p.owner, "/status")
        status = c.saved_posts()[-1]
        await c.close()
        return status

    assert f"approvals: cards with buttons from @{BOT_USERNAME}" in run(go())


def test_clonebot_status_says_where_approvals_go(tmp_path):
    _register_builtin()
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data")}
    res = CliRunner().invoke(cli, ["status"], env=env)
    assert res.exit_code == 0, res.output
    assert "approvals: typed answers in Saved Messages" in res.output
    assert "bot: not running" in res.output and "not logged in" in res.output

    async def go():  # a bot that ran with its companion leaves its name in the state
        c = await companion_on_double(tmp_path)
        await c.close()

    run(go())
    res = CliRunner().invoke(cli, ["status"], env={**env, "CLONEBOT_BOT__APPROVAL_BOT_TOKEN": TOKEN})
    assert res.exit_code == 0, res.output
    assert f"approvals: cards with buttons from @{BOT_USERNAME}" in res.output
    assert "waiting for you: 0" in res.output and "schema v" in res.output
    with InstanceLock(tmp_path / "data"):
        res = CliRunner().invoke(cli, ["status"], env=env)
    import os
    assert f"bot: running (pid {os.getpid()})" in res.output


def test_a_card_that_cannot_be_sent_goes_to_saved_messages(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        c.tg.send(c.p.owner, c.p.alice, "hey")
        await c.settle()
        c.tg.fail(__import__("telethon").functions.messages.SendMessageRequest,
                  "USER_IS_BLOCKED", code=403, when=lambda r: True)  # the owner blocked it
        c.tg.send(c.p.alice, c.p.owner, "free tonight?")
        await c.settle()
        post = c.env.last_post()[0]
        assert post.startswith("🤖 #") and "free tonight?" in post
        await c.env.owner_types(c.p.owner, "ok", reply_to=c.env.last_post()[1])
        assert [m.message for m in c.tg.history(c.p.alice, c.p.owner)][-1] == \
            "sure, see you at 7"
        await c.close()

    run(go())


def test_the_companion_transport_knows_no_policy():
    """clonebot/telegram/companion/ turns Telegram into plain data and back; what a press
    does, who counts, what a card says are the runtime's (clonebot/runtime/cards/)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "clonebot" / "telegram" / "companion"
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names
                          if n.startswith(("clonebot.runtime", "clonebot.state"))]
    assert offenders == []
