"""`clonebot fetch` and `clonebot retrain --from-telegram` as commands: progress on stderr, a
summary on stdout, one-line errors, and the fetched export handed to retrain."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from clonebot.cli import _register_builtin, cli
from clonebot.config import Settings
from clonebot.instance_lock import InstanceLock
from clonebot.telegram import session
from fixtures_fetch import FakeTime, build_world
from telegram_double import API_HASH, API_ID
from telegram_double.takeout import needs_confirmation
from training.commands import retrain as retrain_cmd

_register_builtin()
retrain_cmd.register(cli)


@pytest.fixture
def account(tmp_path, monkeypatch):
    """The double's account, logged in through a session file in data_dir (as after
    `clonebot login`), and the environment the commands read."""
    monkeypatch.chdir(tmp_path)
    tg, p = build_world(FakeTime(), alice_messages=30)
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
           "CLONEBOT_TELEGRAM__API_ID": str(API_ID), "CLONEBOT_TELEGRAM__API_HASH": API_HASH,
           "CLONEBOT_FETCH__TAKEOUT_INTERVAL_SECONDS": "0",
           "CLONEBOT_FETCH__PLAIN_INTERVAL_SECONDS": "0"}
    settings = Settings(paths={"data_dir": tmp_path / "data"},
                        telegram={"api_id": API_ID, "api_hash": API_HASH})
    client = tg.attach(session.make_client(settings), user=p.owner)
    client.session.save()
    client.session.close()
    real = session.make_client
    monkeypatch.setattr(session, "make_client", lambda s, **kw: tg.attach(real(s, **kw)))
    return tg, p, env


def test_fetch_prints_progress_and_a_summary(account, tmp_path):
    tg, p, env = account
    res = CliRunner().invoke(cli, ["fetch", "--out", "exports/mine.json"], env=env)
    assert res.exit_code == 0, res.output
    assert "takeout session open" in res.stderr
    assert "2 chats to fetch (left out: 1 bot_chat, 1 private_group" in res.stderr
    assert "Alice: 30 new, 0 edited" in res.stderr
    assert res.stdout.startswith("fetched 42 new messages (0 edited)")
    assert "-> exports/mine.json: 2 chats, 42 messages" in res.stdout
    assert "next: clonebot prepare exports/mine.json" in res.stdout
    assert (tmp_path / "exports" / "mine.json").is_file()
    again = CliRunner().invoke(cli, ["fetch", "--out", "exports/mine.json"], env=env)
    assert again.exit_code == 0 and again.stdout.startswith("fetched 0 new messages")


def test_fetch_errors_are_one_line(account, tmp_path):
    tg, p, env = account
    needs_confirmation(tg, p.owner, delay=7200)
    res = CliRunner().invoke(cli, ["fetch"], env=env)
    assert res.exit_code == 1
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("error: Telegram wants you to confirm this data export")
    assert "2 h 00 min" in line and "Traceback" not in res.output
    assert CliRunner().invoke(cli, ["fetch", "--no-takeout"], env=env).exit_code == 0
    with InstanceLock(tmp_path / "data"):  # the bot is running on this session
        res = CliRunner().invoke(cli, ["fetch"], env=env)
    assert res.exit_code == 1
    assert res.stderr.strip() == (f"error: clonebot is already running (pid {os.getpid()}) "
                                  f"with data_dir {tmp_path / 'data'}: stop it first")
    env["CLONEBOT_PATHS__DATA_DIR"] = str(tmp_path / "elsewhere")
    res = CliRunner().invoke(cli, ["fetch"], env=env)
    assert res.stderr.strip() == "error: not logged in: run `clonebot login` first"


def test_retrain_from_telegram_fetches_then_retrains_on_the_fetched_export(account, tmp_path,
                                                                          monkeypatch):
    import training.retrain
    from training.retrain import RetrainResult

    tg, p, env = account
    seen = []

    def fake_retrain(settings, export, **kwargs):
        seen.append(export)
        return RetrainResult(action="skipped", reason="nothing new in the export",
                             prepare={"messages_new": 0})

    monkeypatch.setattr(training.retrain, "retrain", fake_retrain)
    res = CliRunner().invoke(cli, ["retrain", "--from-telegram"], env=env)
    assert res.exit_code == 0, res.output
    assert seen == [Settings().fetch.out] and seen[0].is_file()
    assert "fetched 42 new messages" in res.stderr and "retrain: skipped" in res.stdout
    for args in (["retrain"], ["retrain", "x.json", "--from-telegram"]):
        res = CliRunner().invoke(cli, args, env=env)
        assert res.exit_code == 2 and "EXPORT or --from-telegram" in res.output


def test_progress_on_a_terminal_is_one_status_line_rewritten_in_place(capsys):
    from clonebot.cli.fetch import ProgressLines
    from clonebot.fetch.events import ChatDone, FloodWait, Progress

    lines = ProgressLines(tty=True)
    lines(Progress("Alice", 100, 260, 0, 2, 100, 272, 125.0, 95.0))
    lines(FloodWait(30, 30))
    lines(FloodWait(29, 30))
    lines(ChatDone("Alice", 260, 1, 1, 2))
    lines.close()
    err = capsys.readouterr().err  # (click drops the erase-line code outside a terminal)
    assert err.replace("\x1b[K", "").split("\r") == [
        "", "[0/2 chats] Alice: 100/260 ETA 1:35 | all: 100/272 messages, ETA 2:05",
        "Telegram asks to wait 0:30 (flood limit): 0:30 left",
        "Telegram asks to wait 0:30 (flood limit): 0:29 left", "[1/2] Alice: 260 new, 1 edited\n"]
