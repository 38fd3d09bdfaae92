"""The bot on a real MTProto server, driven as its owner, a friend and a stranger would.

Each test starts its own `clonebot run` (fresh data dir) and names its messages with a
fresh tag: the server keeps everything earlier runs wrote.
"""

from __future__ import annotations

import asyncio
import stat

from harness import LOGIN_CODE, accounts, run_live, suggestion_text, tag

FRIEND = "@friend"


def _friend_rule(mode: str) -> list[dict]:
    return [{"chat": accounts()["friend"]["id"], "mode": mode}]


def test_login_and_login_errors(bot_factory):
    bot = bot_factory([])
    session = bot.seed_session(logged_in=False)  # points at the server, not logged in
    phone = accounts()["owner"]["phone"]
    res = bot.cli("login", stdin=f"{phone}\n{LOGIN_CODE}\n")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "logged in as" in res.stdout
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    res = bot.cli("logout")
    assert res.returncode == 0, res.stdout + res.stderr

    # a mistyped code is said at once, and the next try goes in
    bot.seed_session(logged_in=False)
    wrong = "11111" if LOGIN_CODE != "11111" else "33333"
    res = bot.cli("login", stdin=f"{phone}\n{wrong}\n{LOGIN_CODE}\n")
    assert res.returncode == 0 and "wrong code, try again" in res.stderr, res.stdout + res.stderr
    assert "logged in as" in res.stdout
    assert bot.cli("logout").returncode == 0

    # (a number without an account: "unoccupied", or "invalid" where the server says so)
    for number, errors in (("abc", ("is not a phone number",)),
                           ("+99966209999", ("no Telegram account uses", "not a valid number"))):
        bot.seed_session(logged_in=False)
        res = bot.cli("login", stdin=f"{number}\n{LOGIN_CODE}\n")
        assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
        last = res.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and any(e in last for e in errors), res.stderr
        assert not session.exists()  # nothing half-made is left


def test_draft_then_cleared_when_the_owner_writes_something_else(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        await h.friend_writes(f"{t} free tonight?")
        friend = h.ids["friend"]
        deadline = asyncio.get_running_loop().time() + 30
        while not (await h.phone.get_drafts(friend)).raw_text.startswith("clone says hi"):
            assert asyncio.get_running_loop().time() < deadline, bot.log()
            await asyncio.sleep(0.5)
        await h.phone.send_message(friend, f"{t} busy, sorry")  # not the draft
        while (await h.phone.get_drafts(friend)).raw_text:
            assert asyncio.get_running_loop().time() < deadline + 30, bot.log()
            await asyncio.sleep(0.5)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("draft")))


def test_approve_ok_edit_no_regen_and_reply(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} one?")  # ok
        post = await h.post_quoting(f"{t} one?")
        await h.phone.send_message("me", "ok", reply_to=post.id)
        await h.friend_gets(suggestion_text(post), after=mine.id)

        mine = await h.friend_writes(f"{t} two?")  # edit
        post = await h.post_quoting(f"{t} two?")
        await h.phone.send_message("me", f"edit {t} edited by the owner", reply_to=post.id)
        await h.friend_gets(f"{t} edited by the owner", after=mine.id)

        mine = await h.friend_writes(f"{t} three?")  # no
        post = await h.post_quoting(f"{t} three?")
        answer = await h.phone.send_message("me", "no", reply_to=post.id)
        await h.bot_says("discarded", after=answer.id)
        await h.never(h.friend, h.ids["owner"], lambda m: m.id > mine.id and not m.out)

        mine = await h.friend_writes(f"{t} four?")  # regen, then ok on the new one
        first = await h.post_quoting(f"{t} four?")
        await h.phone.send_message("me", "regen", reply_to=first.id)
        second = await h.post_quoting(f"{t} four?", after=first.id)
        assert suggestion_text(second) != suggestion_text(first)
        await h.phone.send_message("me", "ok", reply_to=second.id)
        await h.friend_gets(suggestion_text(second), after=mine.id)

        mine = await h.friend_writes(f"{t} five?")  # a reply with the owner's own words
        post = await h.post_quoting(f"{t} five?")
        await h.phone.send_message("me", f"{t} my own words", reply_to=post.id)
        await h.friend_gets(f"{t} my own words", after=mine.id)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("approve")))


def test_auto_mode_answers_by_itself(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        mine = await h.friend_writes(f"{tag()} you there?")
        owner = h.ids["owner"]
        await h.wait_for(h.friend, owner, lambda m: m.id > mine.id and not m.out and (
            m.message or "").startswith("clone says hi"))
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("auto")))


def test_a_stranger_is_ignored(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        await h.stranger.send_message(h.ids["owner"], f"{t} hello, I am a stranger")
        await h.friend_writes(f"{t} and I am a friend")
        await h.post_quoting(f"{t} and I am a friend")  # the bot is alive and answering...
        await h.never(h.phone, "me", lambda m: "stranger" in (m.message or "") and t in m.message)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("approve")))


def test_the_owner_writing_cancels_the_suggestion(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} call me?")
        post = await h.post_quoting(f"{t} call me?")
        await h.phone.send_message(h.ids["friend"], f"{t} calling you now")  # answered herself
        await asyncio.sleep(2)
        answer = await h.phone.send_message("me", "ok", reply_to=post.id)
        await h.bot_says("no longer pending: rejected (owner replied)", after=answer.id)
        await h.never(h.friend, h.ids["owner"], lambda m: m.id > mine.id and not m.out
                      and (m.message or "").startswith("clone says hi"))
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("approve")))


def test_kill_9_with_a_pending_approval_then_restart(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} still on for friday?")
        post = await h.post_quoting(f"{t} still on for friday?")
        bot.kill()
        bot.start()
        await h.phone.send_message("me", "ok", reply_to=post.id)
        await h.friend_gets(suggestion_text(post), after=mine.id)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("approve")))


def test_catch_up_after_a_stop_once(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} dinner?")
        post = await h.post_quoting(f"{t} dinner?")
        assert bot.stop() == 0
        # while the bot is down: the owner approves from the phone, the friend writes again
        answer = await h.phone.send_message("me", "ok", reply_to=post.id)
        later = await h.friend_writes(f"{t} and lunch tomorrow?")
        bot.start()
        await h.friend_gets(suggestion_text(post), after=mine.id)
        second = await h.post_quoting(f"{t} and lunch tomorrow?", after=answer.id)
        assert bot.stop() == 0
        bot.start()  # once only: nothing is done again
        await h.never(h.phone, "me", lambda m: m.id > second.id and t in (m.message or ""))
        sent = [m for m in await h.friend.get_messages(h.ids["owner"], limit=20)
                if m.id > later.id and not m.out]
        assert [m.message for m in sent] == [suggestion_text(post)]
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("approve")))


def test_forwarded_commands_are_ignored(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} lend me 5000?")
        post = await h.post_quoting(f"{t} lend me 5000?")
        sid = post.message.split()[1]
        # a stranger's "ok" and "/mode", forwarded into Saved Messages by the owner
        for text in ("ok", f"/mode {FRIEND} auto"):
            await h.stranger.send_message(h.ids["owner"], text)
        owner_side = await h.phone.get_messages(h.ids["stranger"], limit=2)
        await h.phone.forward_messages("me", list(reversed(owner_side)))
        await h.never(h.friend, h.ids["owner"], lambda m: m.id > mine.id and not m.out)
        status = await h.phone.send_message("me", "/status")
        reply = await h.bot_says("status:", after=status.id)
        assert f"pending: 1 — {sid}" in reply.message and "override" not in reply.message
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_friend_rule("approve")))
