"""Hot reload, the generation worker, feedback export, session safety and the bot CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import threading

import pytest
from click.testing import CliRunner

from clonebot.approval.feedback import preference_pairs
from clonebot.state.store import StateStore, state_path
from clonebot.cli import _register_builtin, cli
from clonebot.config import Settings
from clonebot.model.base import ScriptedGenerator
from clonebot.runtime import commands
from clonebot.runtime.run import install_signal_handlers, remove_signal_handlers
from clonebot.runtime.worker import GenerationWorker
from clonebot.versions import promote
from fixtures_telegram import ALICE, BOB, SlowScripted, make_env
from fixtures_versions import fake_run

_register_builtin()


def run(coro):
    return asyncio.run(coro)


def _version(runs, name):
    return fake_run(runs / name)


# --- hot reload -------------------------------------------------------------------------------

def test_reload_finishes_in_flight_generation_on_the_old_adapter(tmp_path):
    async def go():
        runs = tmp_path / "runs"
        v1, v2 = _version(runs, "v001-a"), _version(runs, "v002-b")
        promote(runs, v1.name)
        gate = threading.Event()

        def factory(path):
            return SlowScripted([f"reply from {path.name}"], gate if path == v1 else None)

        env = await make_env(tmp_path, factory=factory, adapter_dir=v1)
        env.bot.adapter_arg = None  # like `clonebot run` without --adapter: follow CURRENT
        await env.incoming(ALICE, "hi")
        for _ in range(100):  # generation on v1 is now running (held by the gate)
            if env.bot.worker.busy:
                break
            await asyncio.sleep(0.01)
        assert env.bot.worker.busy
        promote(runs, v2.name)
        await env.command("/reload")
        await env.incoming(BOB, "hello")  # receiving updates is not blocked meanwhile
        await asyncio.sleep(0.05)
        assert env.bot.worker.adapter_dir == v1 and env.bot.worker.loads == 1
        gate.set()
        await env.settle()
        post_alice = [p for p in env.fake.posts() if "Alice" in p][0]
        assert "reply from v001-a" in post_alice  # the in-flight one finished on v1
        assert env.fake.drafts[BOB] == "reply from v002-b"  # queued after the reload: v2
        assert env.bot.worker.adapter_dir == v2
        assert any("reloaded adapter v002-b" in p for p in env.fake.posts())
        await env.close()

    run(go())


def test_failed_reload_keeps_the_old_model(tmp_path):
    async def go():
        runs = tmp_path / "runs"
        v1 = _version(runs, "v001-a")
        broken = _version(runs, "v002-broken")

        def factory(path):
            if path == broken:
                raise RuntimeError("adapter weights missing")
            return ScriptedGenerator(["still v1"])

        env = await make_env(tmp_path, factory=factory, adapter_dir=v1)
        env.bot.adapter_arg = None
        promote(runs, broken.name)
        assert await env.bot.reload() is False
        assert "failed" in env.fake.posts()[-1] and env.bot.worker.adapter_dir == v1
        await env.incoming(ALICE, "hi")
        await env.settle()
        assert "still v1" in env.last_suggestion_post()[0]
        await env.close()

    run(go())


def test_sighup_reloads_and_sigterm_stops(tmp_path):
    async def go():
        runs = tmp_path / "runs"
        v1 = _version(runs, "v001-a")
        env = await make_env(tmp_path, adapter_dir=v1)  # explicit --adapter: reload that one
        stop = asyncio.Event()
        install_signal_handlers(stop, lambda: env.bot.spawn(env.bot.reload()))
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            for _ in range(200):
                if env.bot.worker.loads == 2:
                    break
                await asyncio.sleep(0.01)
            assert env.bot.worker.loads == 2 and env.bot.worker.adapter_dir == v1
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(stop.wait(), 2)
        finally:
            remove_signal_handlers()
        await env.close()

    run(go())


def test_worker_runs_off_the_event_loop():
    async def go():
        gate = threading.Event()
        worker = GenerationWorker(lambda p: SlowScripted(["x"], gate))
        await worker.load(None)
        # A model run on the loop would block it until the gate opens (a timer thread, in
        # case it does): the loop's own steps would then only come after the reply.
        opener = threading.Timer(5, gate.set)
        opener.start()
        t = asyncio.ensure_future(worker.generate([{"role": "user", "content": "hi"}]))
        for _ in range(5):  # the loop keeps turning while the model "thinks"
            await asyncio.sleep(0)
        assert not t.done()
        opener.cancel()
        gate.set()
        assert await t == ["x"]
        worker.stop()

    run(go())


# --- commands ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, reply, kind, sid, arg", [
    ("ok", False, "ok", None, None),
    ("OK #k7q2", False, "ok", "k7q2", None),
    ("edit k7q2 see you at 8", False, "edit", "k7q2", "see you at 8"),
    ("edit see you at 8", False, "edit", None, "see you at 8"),
    ("regen", True, "regen", None, None),
    ("ok then, see you", True, "reply_text", None, "ok then, see you"),
    ("ok then, see you", False, None, None, None),
    ("milk, bread", False, None, None, None),
    ("sounds good", True, "reply_text", None, "sounds good"),
])
def test_parse_approval_answers(text, reply, kind, sid, arg):
    cmd = commands.parse(text, is_reply=reply)
    if kind is None:
        assert cmd is None
    else:
        assert (cmd.kind, cmd.sid, cmd.text) == (kind, sid, arg)


def test_parse_slash_commands():
    assert commands.parse("/mode @alice auto", is_reply=False) == commands.Command(
        "mode", chat="@alice", mode="auto")
    assert commands.parse("/pause", is_reply=False).kind == "pause"
    assert commands.parse("/mode alice", is_reply=False).kind == "unknown"


# --- feedback export --------------------------------------------------------------------------

def test_feedback_pairs_from_real_decisions(tmp_path):
    async def go():
        env = await make_env(tmp_path, replies=["meh", "yes, at 7", "nope", "ok!"])
        await env.incoming(ALICE, "dinner?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.command("regen", reply_to=pid)  # "meh" discarded
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.command("ok", reply_to=pid)  # "yes, at 7" approved
        await env.settle()
        await env.incoming(ALICE, "bring wine?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.command("edit sure, red or white?", reply_to=pid)  # "nope" -> edited
        await env.settle()
        await env.incoming(ALICE, "thanks")
        await env.settle()
        await env.command("no")  # "ok!" rejected, nothing chosen: no pair
        await env.settle()
        pairs = list(preference_pairs(env.store.decisions(), eos="<|im_end|>"))
        got = [(p["chosen"], p["rejected"], p["decision"]) for p in pairs]
        assert got == [("yes, at 7", "meh", "sent"), ("sure, red or white?", "nope", "edited")]
        assert pairs[0]["prompt"][-1] == {"role": "user", "content": "dinner?"}
        assert pairs[0]["prompt_text"].endswith("### User:\ndinner?\n### Clone:\n")
        await env.close()

    run(go())


def test_feedback_export_cli_writes_jsonl(tmp_path):
    """prompt_text is rendered with the adapter's EOS (its manifest), not a guess."""
    from fixtures_versions import fake_run

    settings = Settings(paths={"data_dir": tmp_path / "data", "runs_dir": tmp_path / "runs"})
    store = StateStore(state_path(settings.paths.data_dir))
    turns = [{"role": "user", "content": "привет"}, {"role": "clone", "content": "о, привет"},
             {"role": "user", "content": "как ты?"}]
    s = store.create(chat_id=1, mode="approve", prompt_turns=turns, suggestion="здравствуйте",
                     now=1.0, ttl_seconds=60)
    assert store.begin_send(s.id, "норм)", now=2.0, by="owner", decision="edited").status == "new"
    store.finish_send(s.id, 99, now=3.0)
    store.close()
    run_dir = fake_run(tmp_path / "runs" / "v001", eos_token="<|im_end|>")
    out = tmp_path / "pairs.jsonl"
    runner = CliRunner()
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
           "CLONEBOT_PATHS__RUNS_DIR": str(tmp_path / "runs")}
    res = runner.invoke(cli, ["feedback", "export", "--out", str(out), "--adapter", str(run_dir)],
                        env=env)
    assert res.exit_code == 0, res.output
    [line] = out.read_text(encoding="utf-8").splitlines()
    pair = json.loads(line)
    assert (pair["chosen"], pair["rejected"]) == ("норм)", "здравствуйте")
    assert pair["prompt"] == turns
    assert pair["prompt_text"] == ("### User:\nпривет\n### Clone:\nо, привет<|im_end|>\n"
                                   "### User:\nкак ты?\n### Clone:\n")
    # No adapter anywhere: one line saying so, not a guessed EOS.
    res = runner.invoke(cli, ["feedback", "export"], env=env)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(cli, ["feedback", "export"],
                        env={**env, "CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "none")})
    assert res.exit_code == 1 and "no state store" in res.output


# --- session and CLI safety -------------------------------------------------------------------

def test_session_file_is_private_and_secrets_are_required(tmp_path):
    from clonebot.errors import ConfigError
    from clonebot.telegram.session import make_client, session_path

    with pytest.raises(ConfigError, match="my.telegram.org"):
        make_client(Settings(paths={"data_dir": tmp_path}))
    settings = Settings(paths={"data_dir": tmp_path / "d"},
                        telegram={"api_id": 12345, "api_hash": "0123456789abcdef"})
    old = os.umask(0o022)
    try:
        client = make_client(settings)
    finally:
        os.umask(old)
    path = session_path(settings)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "0123456789abcdef" not in repr(settings)
    client.session.close()


def test_run_refuses_without_login_or_adapter(tmp_path):
    runner = CliRunner()
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
           "CLONEBOT_PATHS__RUNS_DIR": str(tmp_path / "runs")}
    res = runner.invoke(cli, ["run"], env=env)
    assert res.exit_code == 1 and "clonebot login" in res.output
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "clonebot.session").write_bytes(b"")
    res = runner.invoke(cli, ["run"], env=env)
    assert res.exit_code == 1 and "no adapter" in res.output


# --- the Telethon side of the adapter, offline ------------------------------------------------

def test_chat_kinds_from_real_telethon_entities():
    from telethon import types

    from clonebot.telegram.client import chat_info_from_entity

    user = types.User(id=42, first_name="Alice", username="Alice_W")
    assert chat_info_from_entity(user) == chat_info_from_entity(user)
    info = chat_info_from_entity(user)
    assert (info.id, info.kind, info.name, info.username) == (42, "user", "Alice", "@alice_w")
    assert chat_info_from_entity(types.User(id=5, bot=True, first_name="B")).kind == "bot"
    assert chat_info_from_entity(types.User(id=6, is_self=True, first_name="Me")).kind == "self"
    chan = dict(id=99, title="T", photo=types.ChatPhotoEmpty(), date=None)
    assert chat_info_from_entity(types.Channel(**chan, megagroup=True)).kind == "group"
    assert chat_info_from_entity(types.Channel(**chan, broadcast=True)).kind == "channel"
    assert chat_info_from_entity(types.Channel(**chan, broadcast=True)).id == -1000000000099
    grp = types.Chat(id=7, title="Family", photo=types.ChatPhotoEmpty(), participants_count=3,
                     date=None, version=1)
    assert (chat_info_from_entity(grp).kind, chat_info_from_entity(grp).id) == ("group", -7)
