"""The bot's handlers, driven with real Telethon events built offline, against the fake adapter."""

from __future__ import annotations

import asyncio

import pytest
from telethon import events
from telethon.errors import FloodWaitError, PeerFloodError

from clonebot.state.store import StateStore
from clonebot.telegram.messages import Msg
from clonebot.telegram.handlers import incoming, outgoing
from fixtures_telegram import (
    ALICE, BOB, CHANNEL, GROUP, OWNER, SOME_BOT, STRANGER, FakeTelegram, ManualClock,
    bot_settings, build_event, make_env, offline_client, standard_chats,
)


def run(coro):
    return asyncio.run(coro)


# --- the offline events are real Telethon events ----------------------------------------------

def test_offline_events_behave_like_live_ones():
    async def go():
        client = offline_client()
        ev = build_event(client, msg_id=7, chat_id=ALICE, text="hi", out=False)
        assert isinstance(ev, events.NewMessage.Event)
        assert (ev.chat_id, ev.sender_id, ev.raw_text, ev.is_private, ev.out) == (
            ALICE, ALICE, "hi", True, False)
        inc, outg = events.NewMessage(incoming=True), events.NewMessage(outgoing=True)
        await inc.resolve(client)
        await outg.resolve(client)
        assert inc.filter(ev) and not outg.filter(ev)
        mine = build_event(client, msg_id=8, chat_id=OWNER, text="ok", out=True, reply_to=7)
        assert outg.filter(mine) and not inc.filter(mine)
        assert (mine.chat_id, mine.reply_to_msg_id) == (OWNER, 7)
        assert incoming.event().incoming is True and outgoing.event().outgoing is True

    run(go())


# --- approve mode ------------------------------------------------------------------------------

def test_approve_ok_sends_once_and_records_decision(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "are you coming tonight?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == []  # approve never sends by itself
        post, post_id = env.last_suggestion_post()
        assert "Alice (@alice)" in post and "are you coming tonight?" in post
        assert "sure, see you at 7" in post
        sid = post.split()[1].lstrip("#")
        assert len(sid) == 4 and env.store.get(sid).pending
        await env.command("ok", reply_to=post_id)
        await env.settle()
        await env.command("ok", reply_to=post_id)  # a second ok must not send again
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["sure, see you at 7"]
        assert "no longer pending: sent" in env.fake.posts()[-1]
        [d] = env.store.decisions()
        assert (d.decision, d.final_text, d.suggestion) == ("sent", "sure, see you at 7",
                                                             "sure, see you at 7")
        assert d.prompt_turns[-1] == {"role": "user", "content": "are you coming tonight?"}
        assert d.decided_at >= d.created_at
        await env.close()

    run(go())


def test_approve_edit_reply_text_no_and_id_forms(tmp_path):
    async def go():
        env = await make_env(tmp_path, replies=["r1", "r2", "r3"])
        await env.incoming(ALICE, "one")
        await env.settle()
        post, pid = env.last_suggestion_post()
        sid = post.split()[1].lstrip("#")
        await env.command(f"edit #{sid} actually, 8 works better")  # by id, no reply
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["actually, 8 works better"]

        await env.incoming(ALICE, "two")
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.command("on my way", reply_to=pid)  # a plain reply = send that text
        await env.settle()
        assert env.fake.sent_to(ALICE)[-1] == "on my way"

        await env.incoming(ALICE, "three")
        await env.settle()
        await env.command("no")  # the only pending one
        await env.settle()
        assert len(env.fake.sent_to(ALICE)) == 2
        kinds = [(d.decision, d.final_text) for d in env.store.decisions()]
        assert kinds == [("edited", "actually, 8 works better"), ("edited", "on my way"),
                         ("rejected", None)]
        await env.close()

    run(go())


def test_regen_makes_a_new_candidate_in_the_same_thread(tmp_path):
    async def go():
        env = await make_env(tmp_path, replies=["first try", "second try"])
        await env.incoming(ALICE, "dinner?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.command("regen", reply_to=pid)
        await env.settle()
        post2, pid2 = env.last_suggestion_post()
        assert pid2 != pid and "second try" in post2
        await env.command("ok", reply_to=pid2)
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["second try"]
        d1, d2 = env.store.decisions()
        assert (d1.decision, d2.decision) == ("regenerated", "sent")
        assert d1.thread == d2.thread and d1.prompt_turns == d2.prompt_turns
        await env.close()

    run(go())


def test_ambiguous_ok_asks_and_notes_are_ignored(tmp_path):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE}, {"chat": BOB}])
        await env.incoming(ALICE, "hi")
        await env.incoming(BOB, "hello")
        await env.settle()
        n_posts = len(env.fake.posts())
        await env.command("buy milk, call mum")  # an ordinary note in Saved Messages
        await env.settle()
        assert len(env.fake.posts()) == n_posts
        await env.command("ok")
        await env.settle()
        assert "2 suggestions pending" in env.fake.posts()[-1]
        assert env.fake.sent_to(ALICE) == env.fake.sent_to(BOB) == []
        await env.close()

    run(go())


@pytest.mark.parametrize("echo", ["before", "after"])
def test_bot_tells_its_own_posts_apart(tmp_path, echo):
    async def go():
        # the reply text is a command word: if the bot mistook its own echo, it would act on it
        env = await make_env(tmp_path, replies=["no"], echo=echo)
        await env.incoming(ALICE, "shall we?")
        await env.settle()
        post, pid = env.last_suggestion_post()
        sid = post.split()[1].lstrip("#")
        assert env.store.get(sid).pending  # its own post did not count as an answer
        # even a post of ours without the prefix is known by its id after a restart
        ev = build_event(env.client, msg_id=pid, chat_id=OWNER, text="no", out=True)
        await outgoing.handle(ev, env.bot)
        assert env.store.get(sid).pending
        await env.command("ok", reply_to=pid)
        await env.settle()
        # the echo of the sent "no" in Alice's chat is not "the owner wrote"
        assert env.store.get(sid).decision == "sent"
        assert env.fake.sent_to(ALICE) == ["no"]
        await env.close()

    run(go())


# --- draft mode ----------------------------------------------------------------------------------

def test_draft_mode_saves_draft_and_learns_what_owner_sent(tmp_path):
    async def go():
        env = await make_env(tmp_path, replies=["yes!", "maybe later"])
        await env.incoming(BOB, "coffee?")  # @bob is draft mode in the settings
        await env.settle()
        assert env.fake.drafts == {BOB: "yes!"}
        assert env.fake.sent_to(BOB) == [] and env.fake.posts() == []
        await env.owner_writes(BOB, "yes!")  # sent the draft as is
        await env.incoming(BOB, "now?")
        await env.settle()
        assert env.fake.drafts[BOB] == "maybe later"
        await env.owner_writes(BOB, "give me 10 minutes")
        got = [(d.decision, d.final_text, d.note) for d in env.store.decisions()]
        assert got == [("sent", "yes!", "draft"), ("edited", "give me 10 minutes", "draft")]
        assert env.fake.sent_to(BOB) == []  # the bot itself never sends in draft mode
        await env.close()

    run(go())


# --- auto mode ---------------------------------------------------------------------------------

def test_auto_mode_types_waits_then_sends(tmp_path):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE, "mode": "auto"}],
                             auto_delay_min_seconds=3, auto_delay_max_seconds=4)
        t0 = env.clock.now()
        await env.incoming(ALICE, "you there?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["sure, see you at 7"]
        assert env.fake.typing_log == [ALICE]
        assert env.clock.now() - t0 >= 3 + len("sure, see you at 7") / 8.0 - 1e-6
        assert env.fake.posts() == []
        [rec] = env.store.sent_log()
        assert (rec.by, rec.state, rec.chat_id) == ("auto", "done", ALICE)
        await env.close()

    run(go())


@pytest.mark.parametrize("reply, shown", [
    ("write me at alice.smith@example.com", "email"),
    ("it's about Project Falcon, shh", "Project Falcon"[:2]),
])
def test_auto_falls_back_to_approve_on_pii(tmp_path, reply, shown):
    async def go():
        env = await make_env(tmp_path, replies=[reply], chats=[{"chat": ALICE, "mode": "auto"}])
        await env.incoming(ALICE, "how do I reach you?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        post, pid = env.last_suggestion_post()
        assert "PII found" in post and shown in post
        warning = post.splitlines()[1]
        assert "alice.smith@example.com" not in warning and "Project Falcon" not in warning
        await env.command("ok", reply_to=pid)  # the owner may still approve it
        await env.settle()
        assert env.fake.sent_to(ALICE) == [reply]
        await env.close()

    run(go())


def test_candidates_prefer_a_reply_without_pii(tmp_path):
    async def go():
        settings = bot_settings(tmp_path, chats=[{"chat": ALICE, "mode": "auto"}])
        settings.generate.candidates = 2
        env = await make_env(tmp_path, settings=settings,
                             replies=["call me at +7 912 345-67-89", "text me later)"])
        await env.incoming(ALICE, "how do I reach you?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["text me later)"]  # the clean candidate, auto-sent
        assert env.fake.posts() == []
        await env.close()

    run(go())


def test_auto_rate_cap_falls_back_to_approve(tmp_path):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE, "mode": "auto"}],
                             per_chat_per_hour=1)
        await env.incoming(ALICE, "a")
        await env.settle()
        await env.incoming(ALICE, "b")
        await env.settle()
        assert len(env.fake.sent_to(ALICE)) == 1
        post, _ = env.last_suggestion_post()
        assert "per-chat cap" in post
        await env.close()

    run(go())


# --- cancel when the owner writes first ---------------------------------------------------------

def test_owner_writing_cancels_pending_approval(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "call me?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.owner_writes(ALICE, "calling you now")
        await env.command("ok", reply_to=pid)
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        assert "no longer pending: rejected (owner replied)" in env.fake.posts()[-1]
        [d] = env.store.decisions()
        assert (d.decision, d.final_text) == ("rejected", "calling you now")
        await env.close()

    run(go())


def test_owner_writing_during_debounce_or_auto_delay_cancels(tmp_path):
    async def go():
        clock = ManualClock()
        env = await make_env(tmp_path, clock=clock, chats=[{"chat": ALICE, "mode": "auto"}],
                             debounce_seconds=5, auto_delay_min_seconds=10,
                             auto_delay_max_seconds=10)
        await env.incoming(ALICE, "hello?")
        await clock.advance(2)
        await env.owner_writes(ALICE, "hi!")  # during the debounce
        await clock.advance(10)
        await env.settle()
        assert env.bot.worker.generations == 0

        await env.incoming(ALICE, "still there?")
        await clock.advance(6)  # debounce over, generation, now in the auto delay
        for _ in range(50):
            if env.store.pending(ALICE):
                break
            await asyncio.sleep(0.01)
        assert env.store.pending(ALICE) and env.fake.typing_log == []
        await env.owner_writes(ALICE, "yes, here")
        await clock.advance(60)
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        assert env.store.decisions()[-1].final_text == "yes, here"
        await env.close()

    run(go())


# --- who gets a reply ---------------------------------------------------------------------------

def test_allow_list_and_chat_kinds(tmp_path):
    async def go():
        settings = bot_settings(tmp_path, chats=[{"chat": ALICE}, {"chat": STRANGER},
                                                 {"chat": SOME_BOT}, {"chat": "@news"}])
        env = await make_env(tmp_path, settings=settings)
        await env.incoming(BOB, "not listed")
        await env.incoming(STRANGER, "listed, but the owner never wrote there: first message")
        await env.incoming(SOME_BOT, "a bot")
        await env.incoming(-GROUP, "a group that is not listed", sender_id=BOB)
        await env.incoming(-1_000_000_000_000 - CHANNEL, "a channel post", post=True)
        await env.settle()
        assert env.fake.posts() == [] and env.bot.worker.generations == 0
        await env.incoming(ALICE, "listed")
        await env.settle()
        assert env.bot.worker.generations == 1
        await env.close()

    run(go())


def test_empty_allow_list_answers_nobody_and_groups_need_listing(tmp_path):
    async def go():
        env = await make_env(tmp_path, settings=bot_settings(tmp_path, chats=[]))
        await env.incoming(ALICE, "hi")
        await env.settle()
        assert env.bot.worker.generations == 0
        await env.command("/status")
        assert "allow-list: empty" in env.fake.posts()[-1]
        await env.close()
        env = await make_env(tmp_path / "2")  # the standard list has the group -777
        await env.incoming(-GROUP, "dinner at 8?", sender_id=BOB)
        await env.settle()
        post, _ = env.last_suggestion_post()
        assert "Family" in post
        await env.close()

    run(go())


def test_debounce_answers_a_burst_once(tmp_path):
    async def go():
        clock = ManualClock()
        env = await make_env(tmp_path, clock=clock, debounce_seconds=5)
        for text in ("wait", "I have a question", "are you free tomorrow?"):
            await env.incoming(ALICE, text)
            await clock.advance(2)
        await clock.advance(0.5)  # 2.5 s after the last one
        assert env.bot.worker.generations == 0
        await clock.advance(3)
        await env.settle()
        assert env.bot.worker.generations == 1
        [call] = env.gens[None].calls
        assert call[-1] == {"role": "user",
                            "content": "wait\nI have a question\nare you free tomorrow?"}
        assert len(env.store.pending(ALICE)) == 1
        await env.close()

    run(go())


# --- control commands ---------------------------------------------------------------------------

@pytest.mark.parametrize("trained", [2, 4])
def test_the_model_gets_the_context_its_adapter_was_trained_with(tmp_path, trained):
    """The bot used to send 5 turns (bot.history_turns) to adapters trained on 4: it now
    gives exactly the number the adapter records (the generator's context_turns)."""
    from clonebot.model.base import ScriptedGenerator

    async def go():
        gens = []

        def factory(path):
            gens.append(ScriptedGenerator(["ok"], context_turns=trained))
            return gens[-1]

        env = await make_env(tmp_path, factory=factory)
        for i, (sender, out) in enumerate([(ALICE, False), (OWNER, True)] * 3):
            env.fake.record(Msg(env.fake.next_id(), ALICE, sender, out, f"m{i}",
                                env.clock.now() - 60 + i))
        await env.incoming(ALICE, "and now?")
        await env.settle()
        [call] = gens[0].calls
        assert [t["content"] for t in call] == ["m2", "m3", "m4", "m5", "and now?"][-trained:]
        await env.close()

    run(go())


def test_pause_resume_mode_status(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.command("/pause")
        await env.incoming(ALICE, "hi")
        await env.settle()
        assert env.bot.worker.generations == 0
        await env.command("/resume")
        await env.command("/mode @stranger auto")
        assert "not on the allow-list" in env.fake.posts()[-1]
        await env.command("/mode @nobody auto")
        assert "unknown chat" in env.fake.posts()[-1]
        await env.command("/mode alice loud")
        assert "unknown mode" in env.fake.posts()[-1]
        await env.command("/mode @alice draft")
        await env.incoming(ALICE, "hi again")
        await env.settle()
        assert env.fake.drafts.get(ALICE) == "sure, see you at 7"
        await env.command(f"/pause {ALICE}")
        await env.incoming(ALICE, "paused chat")
        await env.settle()
        assert env.bot.worker.generations == 1
        await env.command("/status")
        status = env.fake.posts()[-1]
        assert "running" in status and "(paused)" in status and "draft" in status
        await env.close()

    run(go())


def test_approvals_expire(tmp_path):
    async def go():
        env = await make_env(tmp_path, approval_ttl_minutes=1)
        await env.incoming(ALICE, "hi")
        await env.settle()
        _, pid = env.last_suggestion_post()
        await env.clock.advance(61)
        await env.command("ok", reply_to=pid)
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        assert "expired" in env.fake.posts()[-1]
        await env.incoming(ALICE, "hello?")
        await env.settle()
        await env.clock.advance(120)
        env.bot.sweep()
        assert [d.decision for d in env.store.decisions()] == ["expired", "expired"]
        await env.close()

    run(go())


# --- flood errors --------------------------------------------------------------------------------

def test_long_flood_wait_pauses_auto_mode(tmp_path):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE, "mode": "auto"}])
        env.fake.send_errors.append(FloodWaitError(request=None, capture=3600))
        await env.incoming(ALICE, "hi")
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        post, pid = env.last_suggestion_post()
        assert "flood wait of 3600s" in post
        await env.incoming(ALICE, "hello??")
        await env.settle()
        post, pid = env.last_suggestion_post()
        assert "auto paused" in post and env.fake.sent_to(ALICE) == []
        await env.command("/status")
        assert "auto: paused until" in env.fake.posts()[-1]
        await env.close()

    run(go())


def test_peer_flood_switches_auto_off_and_tells_owner(tmp_path):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE, "mode": "auto"}])
        env.fake.send_errors.append(PeerFloodError(request=None))
        await env.incoming(ALICE, "hi")
        await env.settle()
        post, _ = env.last_suggestion_post()
        assert "PeerFlood" in post and env.fake.sent_to(ALICE) == []
        assert env.store.get_flag("auto_disabled") is True
        await env.incoming(ALICE, "hi again")
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        await env.command("/resume")
        await env.incoming(ALICE, "and now?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["sure, see you at 7"]
        await env.close()

    run(go())


# --- durability ----------------------------------------------------------------------------------

def test_pending_approval_survives_restart(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "still on for friday?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        fake = env.fake
        await env.close()  # the process goes away
        env2 = await make_env(tmp_path, fake=fake, clock=env.clock)
        assert env2.store is not env.store
        await env2.command("ok", reply_to=pid)
        await env2.settle()
        assert fake.sent_to(ALICE) == ["sure, see you at 7"]
        assert env2.store.decisions()[0].decision == "sent"
        await env2.close()

    run(go())


def test_crash_between_send_and_mark_never_double_sends(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "ping")
        await env.settle()
        _, pid = env.last_suggestion_post()

        def crash(*a, **k):
            raise SystemExit("kill -9 right after the message went out")

        env.store.finish_send = crash
        with pytest.raises(SystemExit):
            await env.bot.on_outgoing(
                Msg(env.fake.next_id(), OWNER, OWNER, True, "ok", env.clock.now(), pid))
        fake = env.fake
        assert fake.sent_to(ALICE) == ["sure, see you at 7"]
        env.bot.worker.stop()
        env.store.close()  # no clean shutdown

        env2 = await make_env(tmp_path, fake=fake, clock=env.clock)  # start() reconciles
        assert env2.store.in_doubt() == []
        await env2.command("ok", reply_to=pid)
        await env2.settle()
        assert fake.sent_to(ALICE) == ["sure, see you at 7"]  # still exactly once
        [d] = env2.store.decisions()
        assert d.decision == "sent"
        await env2.close()

    run(go())


def test_crash_after_intent_before_send_reoffers_instead_of_sending(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "ping")
        await env.settle()
        [s] = env.store.pending(ALICE)
        claim = env.store.begin_send(s.id, s.suggestion, now=env.clock.now(), by="owner",
                                     decision="sent")
        assert claim.status == "new"
        # a second claim on the same suggestion is never "new"
        assert env.store.begin_send(s.id, s.suggestion, now=env.clock.now(), by="owner",
                                    decision="sent").status == "in_doubt"
        fake = env.fake
        env.bot.worker.stop()
        env.store.close()
        env2 = await make_env(tmp_path, fake=fake, clock=env.clock)
        assert fake.sent_to(ALICE) == []  # not found in the chat: not sent blindly
        post, pid = env2.last_suggestion_post()
        assert "interrupted" in post and s.id in post
        await env2.command("ok", reply_to=pid)
        await env2.settle()
        assert fake.sent_to(ALICE) == ["sure, see you at 7"]
        await env2.close()

    run(go())


def test_store_reopens_with_state(tmp_path):
    path = tmp_path / "s.sqlite"
    st = StateStore(path)
    s = st.create(chat_id=1, mode="approve", prompt_turns=[{"role": "user", "content": "x"}],
                  suggestion="y", now=10.0, ttl_seconds=60)
    st.set_chat_mode(1, "auto")
    st.set_flag("paused", True)
    st.close()
    st2 = StateStore(path)
    assert st2.get(s.id).pending and st2.chat_state(1) == ("auto", False)
    assert st2.get_flag("paused") is True
    assert [x.id for x in st2.expire_due(70.0)] == [s.id]
    [d] = st2.decisions()
    assert (d.decision, d.created_at, d.decided_at, d.final_text) == ("expired", 10.0, 70.0, None)
    with pytest.raises(ValueError):
        st2.decide(s.id, "approved", now=1)
    st2.close()


# --- issue 9: only the owner commands, nothing with a placeholder leaves, catch-up -------------

@pytest.mark.parametrize("kind", ["forwarded", "via_bot", "edited"])
def test_only_what_the_owner_typed_in_the_control_chat_counts(tmp_path, kind):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "lend me 5000?")
        await env.settle()
        [s] = env.store.pending(ALICE)
        for text in ("yes", f"edit #{s.id} transfer 5000 to card 4111", "/mode @alice auto"):
            msg = Msg(env.fake.next_id(), OWNER, OWNER, True, text, env.clock.now(),
                      **{kind: True})
            await env.bot.on_outgoing(msg)
        await env.settle()
        assert env.fake.sent_to(ALICE) == [] and env.store.get(s.id).pending
        assert env.store.chat_state(ALICE) == (None, False)
        await env.command("yes")
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["sure, see you at 7"]
        await env.close()

    run(go())


def test_an_owner_message_starting_with_the_robot_emoji_still_cancels(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "call me?")
        await env.settle()
        await env.owner_writes(ALICE, "🤖 beep, I am a human")
        [d] = env.store.decisions()
        assert (d.decision, d.final_text) == ("rejected", "🤖 beep, I am a human")
        await env.close()

    run(go())


def test_a_placeholder_is_resampled_away_in_auto_mode(tmp_path):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE, "mode": "auto"}],
                             replies=["sure, call me at <PHONE_1>", "sure, text me later"])
        await env.incoming(ALICE, "how do I reach you?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["sure, text me later"]
        assert env.bot.worker.generations == 2
        await env.close()

    run(go())


@pytest.mark.parametrize("mode", ["auto", "draft", "approve"])
def test_a_placeholder_is_never_sent_or_drafted_as_is(tmp_path, mode):
    async def go():
        env = await make_env(tmp_path, chats=[{"chat": ALICE, "mode": mode}],
                             replies=["sure, call me at <PHONE_1>"])
        await env.incoming(ALICE, "how do I reach you?")
        await env.settle()
        assert env.fake.sent_to(ALICE) == [] and env.fake.drafts == {}
        post, pid = env.last_suggestion_post()
        assert "<PHONE_1>" in post and "placeholder" in post
        assert env.bot.worker.generations == 3  # resampled twice, nothing clean came back
        await env.command("ok", reply_to=pid)
        await env.settle()
        assert env.fake.sent_to(ALICE) == [] and "<PHONE_1>" in env.fake.posts()[-1]
        await env.command("edit sure, call me at +1 555 0100", reply_to=pid)
        await env.settle()
        assert env.fake.sent_to(ALICE) == ["sure, call me at +1 555 0100"]
        await env.close()

    run(go())


def test_a_bad_chat_name_in_a_command_is_answered_not_raised(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.command("/mode ² auto")
        assert "unknown chat ²" in env.fake.posts()[-1]
        await env.command("/pause ¹²")
        assert "unknown chat" in env.fake.posts()[-1]
        await env.close()

    run(go())


def test_the_owner_having_written_is_remembered_across_restarts(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "hi")
        await env.settle()
        assert env.fake.calls["owner_has_written"] == 1
        fake = env.fake
        await env.close()
        fake.history_of[ALICE] = [m for m in fake.history_of[ALICE] if not m.out]  # scrolled away
        env2 = await make_env(tmp_path, fake=fake, clock=env.clock)
        await env2.incoming(ALICE, "still there?")
        await env2.settle()
        assert fake.calls["owner_has_written"] == 1  # not asked again: the store remembers
        assert "still there?" in env2.last_suggestion_post()[0]
        await env2.close()

    run(go())


def test_catch_up_once_across_restarts(tmp_path):
    async def go():
        env = await make_env(tmp_path, catch_up_minutes=30)
        await env.incoming(ALICE, "dinner?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        fake, clock = env.fake, env.clock
        await env.close()  # down: the owner answers from the phone, friends write
        await clock.advance(600)
        fake.record(Msg(fake.next_id(), OWNER, OWNER, True, "ok", clock.now(), pid))
        fake.record(Msg(fake.next_id(), OWNER, OWNER, True, "/mode @alice draft", clock.now()))
        fake.record(Msg(fake.next_id(), -GROUP, BOB, False, "too old", clock.now() - 3600))
        fake.record(Msg(fake.next_id(), BOB, BOB, False, "coffee?", clock.now()))
        fake.record(Msg(fake.next_id(), BOB, BOB, False, "at 5?", clock.now()))

        env2 = await make_env(tmp_path, fake=fake, clock=clock, catch_up_minutes=30,
                              replies=["sure!"])
        await env2.settle()
        assert fake.sent_to(ALICE) == ["sure, see you at 7"]  # the "ok" sent while down
        assert env2.store.chat_state(ALICE) == ("draft", False)
        assert fake.drafts == {BOB: "sure!"}
        [call] = env2.gens[None].calls  # Bob's burst answered once; the group's is too old
        assert call[-1]["content"] == "coffee?\nat 5?"
        posts = len(fake.posts())
        await env2.close()

        env3 = await make_env(tmp_path, fake=fake, clock=clock, catch_up_minutes=30)
        await env3.settle()  # a second start acts on none of it again
        assert fake.sent_to(ALICE) == ["sure, see you at 7"] and len(fake.posts()) == posts
        assert env3.bot.worker.generations == 0
        await env3.close()

    run(go())


def test_the_first_start_does_not_obey_old_notes_in_saved_messages(tmp_path):
    async def go():
        clock = ManualClock(auto=True)
        fake = FakeTelegram(clock=clock)
        standard_chats(fake)
        fake.record(Msg(fake.next_id(), OWNER, OWNER, True, "/pause", clock.now() - 60))
        env = await make_env(tmp_path, fake=fake, clock=clock)
        assert not env.store.get_flag("paused", False) and env.fake.posts() == []
        await env.close()

    run(go())


def test_catch_up_in_order_an_approval_while_down_then_a_new_message(tmp_path):
    # The owner approved "dinner?" from the phone, then Alice wrote again, all while the bot
    # was down. The approved reply goes out first; it does not count as the answer to the
    # newer message, which gets its own suggestion.
    async def go():
        env = await make_env(tmp_path, replies=["yes, 8pm", "sure, noon"])
        await env.incoming(ALICE, "dinner?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        fake, clock = env.fake, env.clock
        await env.close()
        fake.record(Msg(fake.next_id(), OWNER, OWNER, True, "ok", clock.now(), pid))
        fake.record(Msg(fake.next_id(), ALICE, ALICE, False, "and lunch tomorrow?", clock.now()))
        env2 = await make_env(tmp_path, fake=fake, clock=clock, replies=["sure, noon"])
        await env2.settle()
        assert fake.sent_to(ALICE) == ["yes, 8pm"]
        post, _ = env2.last_suggestion_post()
        assert "and lunch tomorrow?" in post and "sure, noon" in post
        [call] = env2.gens[None].calls
        assert call[-1] == {"role": "user", "content": "dinner?\nand lunch tomorrow?"}
        await env2.close()

    run(go())


def test_recheck_picks_up_what_never_came_as_an_event_once(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        start = env.clock.now()
        await env.incoming(ALICE, "hi")
        await env.settle()
        _, pid = env.last_suggestion_post()
        fake = env.fake  # updates lost on the way: in the history, never dispatched
        fake.record(Msg(fake.next_id(), OWNER, OWNER, True, "ok", env.clock.now(), pid))
        fake.record(Msg(fake.next_id(), BOB, BOB, False, "coffee?", env.clock.now()))
        for _ in range(2):
            await env.bot.catchup.recheck(start)
            await env.settle()
        assert fake.sent_to(ALICE) == ["sure, see you at 7"] and fake.drafts == {
            BOB: "sure, see you at 7"}
        assert env.bot.worker.generations == 2
        await env.close()

    run(go())


def test_an_approval_is_not_sent_if_the_owner_wrote_in_the_chat_unseen(tmp_path):
    # The owner's own message never arrived as an event (a lost update): the chat still says
    # the owner has answered, so "ok" must not send on top of it.
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "call me?")
        await env.settle()
        _, pid = env.last_suggestion_post()
        env.fake.record(Msg(env.fake.next_id(), ALICE, OWNER, True, "calling now", env.clock.now()))
        await env.command("ok", reply_to=pid)
        await env.settle()
        assert env.fake.sent_to(ALICE) == []
        assert "no longer pending: rejected (owner replied)" in env.fake.posts()[-1]
        [d] = env.store.decisions()
        assert (d.decision, d.final_text) == ("rejected", "calling now")
        await env.close()

    run(go())


def test_a_suggestion_quotes_what_came_since_the_last_reply(tmp_path):
    async def go():
        env = await make_env(tmp_path)
        await env.incoming(ALICE, "are you free tonight?")
        await env.settle()
        await env.incoming(ALICE, "my number is +7 912 345-67-89")
        await env.settle()
        post, pid = env.last_suggestion_post()  # the first one was superseded: quoted too
        assert "are you free tonight?\nmy number is +7 912 345-67-89" in post  # as written
        old, new = env.store.decisions()[0], env.store.pending(ALICE)[0]
        assert old.decision == "expired" and "<PHONE_1>" in new.prompt_turns[-1]["content"]
        await env.command("ok", reply_to=pid)
        await env.incoming(ALICE, "great, 8pm")
        await env.settle()
        assert "› great, 8pm\n" in env.last_suggestion_post()[0]  # answered ones are not
        await env.close()

    run(go())
