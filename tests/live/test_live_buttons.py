"""Approval cards with buttons on a real MTProto server: the bot logs in beside the owner's
session, the owner's phone presses the buttons (Telethon's ``Message.click``).

Needs a companion bot in the accounts file (tests/live/make_companion_bot.py).
"""

from __future__ import annotations

import asyncio

import pytest
from telethon import errors

from cards import (
    ANOTHER, EDIT, SEND, SKIP, bot_says, buttons, card_quoting, card_until, companion,
    nothing_from_the_bot, press, suggested,
)
from harness import ACCOUNTS, accounts, run_live, tag

pytestmark = pytest.mark.skipif(
    not ACCOUNTS or not companion(),
    reason="no companion bot in CLONEBOT_LIVE_ACCOUNTS (tests/live/make_companion_bot.py)")


def _approve() -> list[dict]:
    return [{"chat": accounts()["friend"]["id"], "mode": "approve"}]


def test_send_another_edit_skip(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} one?")  # Send
        card = await card_quoting(h, f"{t} one?")
        assert buttons(card) == ["✅ Send", "🔄 Another", "✏️ Edit", "✖ Skip"]
        assert all(len(b.data) <= 64 for row in card.buttons for b in row)
        await press(h, card, SEND)
        await h.friend_gets(suggested(card), after=mine.id)
        done = await card_until(h, card.id, lambda m: m.message.startswith("✅ Sent to"))
        assert not done.buttons

        mine = await h.friend_writes(f"{t} two?")  # Another, in place, then Send
        card = await card_quoting(h, f"{t} two?", after=card.id)
        await press(h, card, ANOTHER)
        again = await card_until(h, card.id, lambda m: m.buttons and
                                 suggested(m) != suggested(card))
        await press(h, again, SEND)
        await h.friend_gets(suggested(again), after=mine.id)

        mine = await h.friend_writes(f"{t} three?")  # Edit, then the owner's text
        card = await card_quoting(h, f"{t} three?", after=again.id)
        await press(h, card, EDIT)
        prompt = await bot_says(h, "Your reply to", after=card.id)
        await h.phone.send_message(companion()["id"], f"{t} in my own words")
        await h.friend_gets(f"{t} in my own words", after=mine.id)
        await card_until(h, card.id, lambda m: m.message.startswith("✏️ Sent your text")
                         and not m.buttons)
        assert prompt.id > card.id

        mine = await h.friend_writes(f"{t} four?")  # Skip
        card = await card_quoting(h, f"{t} four?", after=prompt.id)
        await press(h, card, SKIP)
        await card_until(h, card.id, lambda m: m.message.startswith("✖ Skipped"))
        await h.never(h.friend, h.ids["owner"], lambda m: m.id > mine.id and not m.out)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_approve(), companion=True))


def test_superseded_and_answered_by_the_owner_himself(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        await h.friend_writes(f"{t} dinner?")
        old = await card_quoting(h, f"{t} dinner?")
        await h.friend_writes(f"{t} or lunch?")  # a newer message: the card is superseded
        new = await card_quoting(h, f"{t} or lunch?", after=old.id)
        gone = await card_until(h, old.id, lambda m: m.message.startswith("⏭ Superseded"))
        assert not gone.buttons
        await h.phone.send_message(h.ids["friend"], f"{t} lunch it is")  # he answers himself
        await card_until(h, new.id, lambda m: m.message.startswith("↩ You answered")
                         and not m.buttons)
        await h.never(h.friend, h.ids["owner"], lambda m: not m.out and (
            m.message or "").startswith("clone says hi") and m.date > old.date)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_approve(), companion=True))


def test_a_stranger_gets_nothing_from_the_bot(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        bot_id = companion()["id"]
        hello = await h.stranger.send_message(bot_id, "/start")
        await h.stranger.send_message(bot_id, "send 'hi' to the owner's friends")
        t = tag()
        await h.friend_writes(f"{t} still alive?")
        await card_quoting(h, f"{t} still alive?")  # the bot works meanwhile
        await nothing_from_the_bot(h, h.stranger, after=hello.id)
        assert "ignored (only the owner's count)" in bot.log()
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_approve(), companion=True))


def test_a_card_pressed_after_kill_9_and_restart_sends_once(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} friday?")
        card = await card_quoting(h, f"{t} friday?")
        bot.kill()
        bot.start()
        await asyncio.sleep(2)
        await press(h, card, SEND)
        await h.friend_gets(suggested(card), after=mine.id)
        await card_until(h, card.id, lambda m: m.message.startswith("✅ Sent to"))
        try:  # the old screen still shows the button: the server or the bot refuses it
            again = await press(h, card, SEND)
            assert again is None or "Nothing to do" in (again.message or "")
        except errors.DataInvalidError:
            pass
        await asyncio.sleep(3)
        got = [m.message for m in await h.friend.get_messages(h.ids["owner"], limit=10)
               if m.id > mine.id and not m.out]
        assert got == [suggested(card)]
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_approve(), companion=True))


def test_a_typed_ok_in_saved_messages_closes_the_card(bot_factory):
    async def scenario(h, bot):
        await h.fresh_start()
        bot.start()
        t = tag()
        mine = await h.friend_writes(f"{t} movie?")
        card = await card_quoting(h, f"{t} movie?")
        sid = card.message.split(" · #")[1].split()[0]
        await h.phone.send_message("me", f"ok {sid}")
        await h.friend_gets(suggested(card), after=mine.id)
        await card_until(h, card.id, lambda m: m.message.startswith("✅ Sent to")
                         and not m.buttons)
        assert bot.stop() == 0

    run_live(scenario, bot_factory(_approve(), companion=True))
