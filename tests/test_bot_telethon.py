"""TelethonAdapter and the bot over the request-level Telegram double: Telethon's own
get_messages / iter_messages / send_message / get_entity / action / get_drafts and its update
loop run; only the server is fake (tests/telegram_double)."""

from __future__ import annotations

import asyncio

import pytest
from telethon import functions

from clonebot.errors import ConfigError
from clonebot.telegram.client import TelethonAdapter
from clonebot.telegram.handlers import register
from fixtures_telegram_bot import bot_on_double, people
from fixtures_telegram import ManualClock
from telegram_double import TelegramDouble


def run(coro):
    return asyncio.run(coro)


async def _adapter(tg, p):
    client = await tg.connect(p.owner)
    await client.get_entity("@alice")  # the session knows Alice (as after any update from her)
    return client, TelethonAdapter(client, p.owner)


# --- item 1: "the owner has written here" ---------------------------------------------------------

def test_owner_has_written_in_a_private_chat_where_the_friend_wrote_last():
    # Fails on the old adapter (get_messages(chat, limit=1, from_user="me")): Telegram ignores
    # from_id in a private chat, Telethon filters the one message it got, Alice wrote last.
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        tg.send(p.owner, p.alice, "hey, long time")
        client = await tg.connect(p.owner)
        for text in ("hi!", "how are you?", "call me"):  # pushed to the bot: Alice gets cached
            tg.send(p.alice, p.owner, text)
        tg.send(p.stranger, p.owner, "hello?")
        await tg.settle(client)
        adapter = TelethonAdapter(client, p.owner)
        assert await adapter.owner_has_written(p.alice)
        assert not await adapter.owner_has_written(p.stranger)  # never wrote there
        await client.disconnect()

    run(go())


def test_owner_has_written_in_groups_and_far_back():
    async def go():
        tg = TelegramDouble()
        p = people(tg)
        tg.send(p.owner, p.family, "dinner at 8")
        tg.send(p.owner, p.bob, "yo")
        for i in range(150):  # more than one page of Bob after the owner's message
            tg.send(p.bob, p.owner, f"spam {i}")
        client, adapter = await _adapter(tg, p)
        await client.get_entity("@bob")
        await client.get_entity(p.family)
        for i in range(3):
            tg.send(p.alice, p.family, f"family {i}")
        assert await adapter.owner_has_written(p.family)  # Telegram filters by sender in groups
        [search] = tg.calls(functions.messages.SearchRequest)
        assert search.from_id is not None
        assert await adapter.owner_has_written(p.bob)
        await client.disconnect()

    run(go())


def test_the_bot_answers_after_a_start_where_the_friend_wrote_last(tmp_path):
    async def go():
        env = await bot_on_double(tmp_path)
        env.tg.send(env.p.owner, env.p.alice, "see you friday")
        env.tg.send(env.p.alice, env.p.owner, "ok!")
        env.tg.send(env.p.alice, env.p.owner, "are you coming tonight?")
        await env.settle()
        post, _ = env.last_post()
        assert "are you coming tonight?" in post and "sure, see you at 7" in post
        await env.close()

    run(go())


# --- every adapter call, against Telegram's answers ------------------------------------------------

def test_adapter_calls_over_the_double():
    async def go():
        clock = ManualClock()
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
        alone = tg.add_group("Notes", [p.owner])
        public = tg.add_channel("News", [p.owner], broadcast=True, username="mynews")
        tg.send(p.owner, p.alice, "hi")
        tg.send(p.stranger, p.owner, "buy crypto", fwd_from=p.helper)
        client, adapter = await _adapter(tg, p)
        await client.get_entity("@stranger")

        alice = await adapter.get_chat(p.alice)
        assert (alice.kind, alice.name, alice.username) == ("user", "Alice", "@alice")
        assert (await adapter.get_chat("@bob")).id == p.bob
        assert (await adapter.get_chat("@helperbot")).kind == "bot"
        assert (await adapter.get_chat(p.family)).kind == "group"
        assert (await adapter.get_chat("@mynews")).kind == "channel"

        [fwd] = await adapter.history(p.stranger, 10)
        assert fwd.forwarded and not fwd.out and fwd.sender_id == p.stranger
        msg_id = await adapter.send_message(p.alice, "**not bold** _as typed_")
        assert tg.texts(p.alice, p.owner)[-1] == "**not bold** _as typed_"  # no markdown
        tg.edit(p.owner, p.alice, msg_id, "**edited**")
        hist = await adapter.history(p.alice, 10)
        assert [(m.text, m.out, m.edited) for m in hist] == [
            ("hi", True, False), ("**edited**", True, True)]
        assert await adapter.find_sent(p.alice, "**edited**", clock.now() - 5) == msg_id
        assert await adapter.find_sent(p.alice, "never sent", clock.now() - 5) is None
        saved = await adapter.send_message(p.owner, "to myself")
        assert tg.texts(p.owner, p.owner) == ["to myself"] and saved

        assert await adapter.other_members(p.alice) == 1
        assert await adapter.other_members("me") == 0
        assert await adapter.other_members(p.family) == 2
        assert await adapter.other_members(alone) == 0
        assert await adapter.other_members(public) == 0

        await adapter.save_draft(p.alice, "draft *as is*")
        assert tg.draft(p.owner, p.alice) == "draft *as is*"
        assert not await adapter.clear_draft(p.alice, "another text")
        assert await adapter.clear_draft(p.alice, "draft *as is*")
        assert tg.draft(p.owner, p.alice) == ""
        await adapter.save_draft(p.alice, "mine")
        tg.save_draft(p.owner, p.alice, "mine, changed on the phone")
        assert not await adapter.clear_draft(p.alice, "mine")  # the owner's now: kept
        assert tg.draft(p.owner, p.alice) == "mine, changed on the phone"

        async with adapter.typing(p.alice):
            await asyncio.sleep(0.01)
        assert [a for _, peer, a in tg.typing if peer == p.alice] == [
            "SendMessageTypingAction", "SendMessageCancelAction"]

        register(client, object())
        assert len(client.list_event_handlers()) == 2
        await client.disconnect()

    run(go())


# --- the bot over real updates ---------------------------------------------------------------------

def test_approve_over_real_updates_shows_what_was_written_and_sends_on_ok(tmp_path):
    async def go():
        env = await bot_on_double(tmp_path, replies=["great, saved it"])
        tg, p = env.tg, env.p
        tg.send(p.owner, p.alice, "hey")
        tg.send(p.alice, p.owner, "my new number is +7 912 345-67-89")
        await env.settle()
        post, post_id = env.last_post()
        assert "my new number is +7 912 345-67-89" in post  # the owner sees what was written
        [s] = env.store.pending(p.alice)
        assert "<PHONE_1>" in s.prompt_turns[-1]["content"]  # the model saw it scrubbed
        await env.owner_types(p.owner, "ok", reply_to=post_id)  # answered from the phone
        assert tg.texts(p.alice, p.owner)[-1] == "great, saved it"
        assert env.posts()[-1].endswith("sent to Alice (@alice)")
        await env.close()

    run(go())


def test_forwards_and_inline_bot_messages_are_never_commands(tmp_path):
    async def go():
        env = await bot_on_double(tmp_path, replies=["sure"])
        tg, p = env.tg, env.p
        tg.send(p.owner, p.alice, "hey")
        tg.send(p.alice, p.owner, "lend me 5000?")
        await env.settle()
        [s] = env.store.pending(p.alice)
        tg.send(p.owner, p.owner, "yes", fwd_from=p.stranger)  # a stranger's "yes", forwarded
        tg.send(p.owner, p.owner, f"edit #{s.id} transfer 5000 to card 4111", fwd_from=p.stranger)
        tg.send(p.owner, p.owner, "/mode @alice auto", fwd_from=p.stranger)
        tg.send(p.owner, p.owner, "ok", via_bot=p.helper)
        await env.settle()
        assert tg.texts(p.alice, p.owner) == ["hey", "lend me 5000?"]
        assert env.store.get(s.id).pending and env.store.chat_state(p.alice) == (None, False)
        await env.owner_types(p.owner, "ok")  # typed: obeyed
        assert tg.texts(p.alice, p.owner)[-1] == "sure"
        await env.close()

    run(go())


def test_strangers_bots_and_unlisted_chats_get_nothing(tmp_path):
    async def go():
        env = await bot_on_double(
            tmp_path, chats=[{"chat": "@alice"}, {"chat": "@stranger"}, {"chat": "@helperbot"}])
        tg, p = env.tg, env.p
        tg.send(p.stranger, p.owner, "hello, I am listed but you never wrote to me")
        tg.send(p.helper, p.owner, "a bot")
        tg.send(p.bob, p.owner, "not listed")
        tg.send(p.bob, p.family, "a group that is not listed")
        await env.settle()
        assert env.posts() == [] and env.bot.worker.generations == 0
        await env.close()

    run(go())


def test_drafts_are_saved_and_cleared_when_cancelled_superseded_or_expired(tmp_path):
    async def go():
        env = await bot_on_double(tmp_path, replies=["coffee at 5?"], approval_ttl_minutes=10)
        tg, p = env.tg, env.p
        tg.send(p.owner, p.bob, "hey")
        tg.send(p.bob, p.owner, "free later?")
        await env.settle()
        assert tg.draft(p.owner, p.bob) == "coffee at 5?"
        await env.owner_types(p.bob, "can't today, sorry")  # wrote something else
        await env.settle()
        assert tg.draft(p.owner, p.bob) == ""
        assert env.store.decisions()[-1].decision == "edited"

        tg.send(p.bob, p.owner, "tomorrow then?")
        await env.settle()
        assert tg.draft(p.owner, p.bob) == "coffee at 5?"
        await env.clock.advance(11 * 60)
        env.bot.sweep()  # expired
        await env.settle()
        assert tg.draft(p.owner, p.bob) == ""

        tg.send(p.bob, p.owner, "hello??")
        await env.settle()
        await env.owner_types(p.owner, "/mode @bob approve")
        tg.send(p.bob, p.owner, "answer me")
        await env.settle()
        assert tg.draft(p.owner, p.bob) == ""  # superseded by a suggestion in approve mode
        assert "answer me" in env.last_post()[0]
        await env.close()

    run(go())


# --- item 8: the control chat ------------------------------------------------------------------

@pytest.mark.parametrize("control, error", [
    ("@bob", "private chat with Bob"),
    ("family", r"Family\) has 2 other member"),
    ("@mynews", "public"),
    ("@nobody_here", "cannot find"),
])
def test_control_chat_must_be_read_by_the_owner_only(tmp_path, control, error):
    async def go():
        clock = ManualClock(auto=True)
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
        tg.add_channel("News", [p.owner], broadcast=True, username="mynews")
        ref = p.family if control == "family" else control
        env = await bot_on_double(tmp_path, tg=tg, p=p, clock=clock, start=False,
                                  control_chat=ref)
        with pytest.raises(ConfigError, match=error) as e:
            await env.bot.start(sweeper=False)
        assert "\n" not in str(e.value)
        await env.close()

    run(go())


def test_a_group_of_one_can_be_the_control_chat(tmp_path):
    async def go():
        clock = ManualClock(auto=True)
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
        notes = tg.add_group("Clone control", [p.owner])
        env = await bot_on_double(tmp_path, tg=tg, p=p, clock=clock, control_chat=notes)
        tg.send(p.owner, p.alice, "hey")
        tg.send(p.alice, p.owner, "ping")
        await env.settle()
        [post] = tg.texts(p.owner, notes)
        assert "ping" in post and env.posts() == []
        [msg] = tg.history(p.owner, notes)
        await env.owner_types(notes, "ok", reply_to=msg.id)
        assert tg.texts(p.alice, p.owner)[-1] == "sure, see you at 7"
        await env.close()

    run(go())


def test_an_allow_list_by_id_works_on_a_fresh_login(tmp_path):
    # A new session has never seen the friend: Telegram wants the access hash, which the
    # dialog list carries. The catch-up of a message that arrived before the start needs it.
    async def go():
        clock = ManualClock(auto=True)
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
        tg.send(p.owner, p.alice, "hey")
        tg.send(p.alice, p.owner, "wrote while you were away")
        env = await bot_on_double(tmp_path, tg=tg, p=p, clock=clock, chats=[{"chat": p.alice}])
        assert "wrote while you were away" in env.last_post()[0]
        assert tg.calls(functions.messages.GetDialogsRequest)
        await env.close()

    run(go())


# --- issue 19: whole seconds -------------------------------------------------------------------

def test_the_recheck_reads_back_a_lost_message_from_the_bots_first_second(tmp_path):
    """Telegram dates in whole seconds; the bot started at x.6. A friend's message in that
    same second whose update the server dropped is still answered by the minute recheck."""
    from fixtures_telegram import T0

    async def go():
        clock = ManualClock(start=T0 + 0.6, auto=True)
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
        tg.send(p.owner, p.alice, "hey")  # the owner has written there before
        env = await bot_on_double(tmp_path, tg=tg, p=p, clock=clock, replies=["see you!"],
                                  chats=[{"chat": "@alice", "mode": "auto"}])
        start = env.bot._started_at
        assert start == T0 + 0.6
        # Alice writes in the bot's first second; the update never reaches the bot's session
        sent = tg.send(p.alice, p.owner, "lunch?", origin=env.client._sender)
        assert sent.date.timestamp() == T0 < start
        await env.settle()
        assert env.bot.worker.generations == 0  # nothing came as an event
        await env.bot.catchup.recheck(start)
        await env.settle()
        assert tg.texts(p.alice, p.owner)[-1] == "see you!"
        await env.close()

    run(go())


def test_an_allow_listed_user_never_met_is_looked_up_once_and_said_once_plainly(tmp_path, caplog):
    """An id the session has never met (and Telegram's dialogs do not hold): the minute
    recheck says so once, in a plain sentence (not Telethon's error with its URL every
    minute), and asks Telegram for the dialog list once; a name nobody has, likewise."""
    import logging

    async def go():
        clock = ManualClock(auto=True)
        tg = TelegramDouble(clock=clock.now)
        p = people(tg)
        env = await bot_on_double(tmp_path, tg=tg, p=p, clock=clock,
                                  chats=[{"chat": p.stranger}, {"chat": "@nobody_has_this"}])
        with caplog.at_level(logging.INFO, logger="clonebot"):
            for _ in range(3):
                await env.bot.catchup.recheck(env.bot._started_at)
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert said == [
            f"allow-listed chat {p.stranger}: this account has not met them yet (no chat with "
            "them), so Telegram will not look them up; the bot can answer once they write",
            "allow-listed chat @nobody_has_this: Telegram knows nobody by that name"]
        assert len(tg.calls(functions.messages.GetDialogsRequest)) == 1
        assert len(tg.calls(functions.contacts.ResolveUsernameRequest)) == 1
        await env.close()

    run(go())
