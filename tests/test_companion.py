"""Approval cards from the companion bot, end to end on the Telegram double: the owner's phone
reads the cards and presses their buttons with Telethon's own ``Message.click``; the bot's
side runs Telethon's ``start(bot_token=...)``, ``events.CallbackQuery``, ``edit_message``."""

from __future__ import annotations

import asyncio
import logging

import pytest

from clonebot.approval.feedback import preference_pairs
from clonebot.runtime.cards.render import parse_press
from fixtures_telegram_companion import BOT_USERNAME, companion_on_double
from telegram_double import bots


def run(coro):
    return asyncio.run(coro)


async def _card_for(c, text: str = "free tonight?"):
    """Alice writes (the owner wrote to her before): a card comes."""
    c.tg.send(c.p.owner, c.p.alice, "hey")
    await c.settle()
    c.tg.send(c.p.alice, c.p.owner, text)
    await c.settle()
    return await c.card()


def _alice_got(c) -> list[str]:
    """What reached Alice from the owner after his first "hey"."""
    texts = [m.message for m in c.tg.history(c.p.alice, c.p.owner) if not m.out]
    return texts[1:]


def _buttons(card) -> list[str]:
    return [b.text for row in (card.buttons or []) for b in row]


def test_a_card_quotes_the_friend_shows_the_reply_and_has_four_buttons(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        card = await _card_for(c, "free tonight?\nwe could get dinner")
        [s] = c.store.pending()
        assert card.message.splitlines()[:4] == [
            f"💬 Alice (@alice) · #{s.id}", "› free tonight?", "› we could get dinner",
            "↳ sure, see you at 7"]
        assert _buttons(card) == ["✅ Send", "🔄 Another", "✏️ Edit", "✖ Skip"]
        for row in card.buttons:
            for b in row:  # an opaque id, never the text
                assert len(b.data) <= 64 and b"see you" not in b.data
                assert parse_press(b.data)[1] == s.id
        assert c.saved_posts() == []  # not in Saved Messages as well
        await c.close()

    run(go())


def test_send_sends_it_and_the_card_says_so_without_buttons(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        card = await _card_for(c)
        answer = await c.press("Send")
        assert answer.message.startswith("Sending to Alice")
        assert _alice_got(c) == ["sure, see you at 7"]
        after = await c.card()
        assert after.id == card.id and after.message.startswith("✅ Sent to Alice (@alice)")
        assert "↳ sure, see you at 7" in after.message and not after.buttons
        [d] = c.store.decisions()
        assert (d.decision, d.final_text) == ("sent", "sure, see you at 7")
        await c.close()

    run(go())


def test_another_shows_the_next_candidate_in_place(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path, replies=("first try", "second try"))
        card = await _card_for(c)
        await c.press("Another")
        again = await c.card()
        assert again.id == card.id  # the same message, edited
        assert "↳ second try" in again.message and _buttons(again)[0] == "✅ Send"
        [s] = c.store.pending()
        assert f"#{s.id}" in again.message
        await c.press("Send", again)
        assert _alice_got(c) == ["second try"]
        pairs = [(p["chosen"], p["rejected"]) for p in preference_pairs(c.store.decisions())]
        assert pairs == [("second try", "first try")]
        assert len([t for t in c.chat() if " · #" in t]) == 1  # one card, not two
        await c.close()

    run(go())


def test_edit_then_the_owners_next_message_is_sent_instead(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        await _card_for(c)
        await c.press("Edit")
        card = await c.card()
        assert "✏️ Send me your text for Alice" in card.message and card.buttons
        assert c.chat()[-1].startswith("✏️ Your reply to Alice")
        await c.tell_bot("sorry, busy tonight")
        assert _alice_got(c) == ["sorry, busy tonight"]
        card = await c.card()
        assert card.message.startswith("✏️ Sent your text to Alice")
        assert "↳ sorry, busy tonight" in card.message and not card.buttons
        [d] = c.store.decisions()
        assert (d.decision, d.final_text) == ("edited", "sorry, busy tonight")
        await c.tell_bot("and another thing")  # no card waits: nothing is sent
        assert _alice_got(c) == ["sorry, busy tonight"]
        assert "press ✏️ Edit" in c.chat()[-1]
        await c.close()

    run(go())


def test_a_press_delivered_twice_acts_once(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        card = await _card_for(c)
        await c.press_anyway(card, card.buttons[1][0].data, repeat=2)  # Edit, twice over
        assert len([t for t in c.chat() if t.startswith("✏️ Your reply to")]) == 1
        await c.close()

    run(go())


def test_skip_discards_it(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        await _card_for(c)
        assert (await c.press("Skip")).message == "Skipped"
        card = await c.card()
        assert card.message.startswith("✖ Skipped · Alice") and not card.buttons
        assert _alice_got(c) == []
        assert [d.decision for d in c.store.decisions()] == ["rejected"]
        await c.close()

    run(go())


def test_button_decisions_teach_what_typed_answers_teach(tmp_path):
    """The same decisions, by buttons and by typing in Saved Messages: the same pairs."""
    async def decide(c, how: str) -> list[tuple]:
        await _card_for(c)
        [s] = c.store.pending()
        if how == "buttons":
            await c.press("Another")
            await c.press("Edit")
            await c.tell_bot("my own words")
        else:
            await c.env.owner_types(c.p.owner, f"regen {s.id}")
            [s2] = c.store.pending()
            await c.env.owner_types(c.p.owner, f"edit {s2.id} my own words")
        await c.settle()
        return [(p["prompt"], p["chosen"], p["rejected"], p["decision"])
                for p in preference_pairs(c.store.decisions())]

    async def go():
        replies = ("first try", "second try")
        c = await companion_on_double(tmp_path / "a", replies=replies)
        by_buttons = await decide(c, "buttons")
        await c.close()
        c = await companion_on_double(tmp_path / "b", replies=replies)
        typed = await decide(c, "typed")
        await c.close()
        assert by_buttons == typed and len(typed) == 2

    run(go())


def test_a_typed_answer_in_saved_messages_closes_the_card_too(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        await _card_for(c)
        [s] = c.store.pending()
        await c.env.owner_types(c.p.owner, f"ok {s.id}")
        assert _alice_got(c) == ["sure, see you at 7"]
        card = await c.card()
        assert card.message.startswith("✅ Sent to Alice") and not card.buttons
        await c.close()

    run(go())


def test_a_newer_message_supersedes_the_card_and_its_buttons_do_nothing(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path, replies=("sure", "ok then"))
        old = await _card_for(c, "free tonight?")
        old_data = old.buttons[0][0].data
        c.tg.send(c.p.alice, c.p.owner, "actually, tomorrow?")
        await c.settle()
        superseded = await c.card(0)
        assert superseded.id == old.id
        assert superseded.message.startswith("⏭ Superseded: Alice (@alice) wrote again")
        assert not superseded.buttons
        new = await c.card()
        assert new.id != old.id and "› actually, tomorrow?" in new.message
        # a press that still reaches the bot (an old screen): it says so, sends nothing
        answer = await c.press_anyway(old, old_data)
        assert answer.message.startswith("Nothing to do: ⏭ Superseded")
        assert _alice_got(c) == []
        await c.close()

    run(go())


def test_the_owner_writing_in_the_chat_himself_closes_the_card(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        old = await _card_for(c)
        await c.env.owner_types(c.p.alice, "yes! 8pm?")  # from his phone, in Alice's chat
        card = await c.card()
        assert card.message.startswith("↩ You answered Alice (@alice) yourself")
        assert not card.buttons
        answer = await c.press_anyway(card, old.buttons[0][0].data)
        assert "yourself" in answer.message
        assert _alice_got(c) == ["yes! 8pm?"]
        await c.close()

    run(go())


def test_an_expired_card_says_so(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path, approval_ttl_minutes=10)
        await _card_for(c)
        c.env.clock.t += 11 * 60
        c.bot.sweep()
        await c.settle()
        card = await c.card()
        assert card.message.startswith("⌛ Expired · Alice") and not card.buttons
        await c.close()

    run(go())


def test_a_reply_holding_a_placeholder_is_never_sent_by_a_button(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path, replies=("call me at <PHONE_1>",))
        card = await _card_for(c)
        assert "⚠" in card.message  # flagged on the card
        answer = await c.press("Send")
        assert answer.alert and "<PHONE_1>" in answer.message
        assert _alice_got(c) == []
        await c.press("Edit")
        await c.tell_bot("call me tonight")
        assert _alice_got(c) == ["call me tonight"]
        await c.close()

    run(go())


def test_draft_mode_still_writes_the_draft_not_a_card(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        c.tg.send(c.p.owner, c.p.bob, "yo")
        await c.settle()
        c.tg.send(c.p.bob, c.p.owner, "lunch?")
        await c.settle()
        assert c.tg.draft(c.p.owner, c.p.bob) == "sure, see you at 7"
        assert [t for t in c.chat() if " · #" in t] == []
        await c.close()

    run(go())


# --- only the owner -------------------------------------------------------------------------

def test_strangers_get_nothing_from_the_bot(tmp_path, caplog):
    async def go():
        c = await companion_on_double(tmp_path)
        card = await _card_for(c)
        stranger = await c.tg.connect(c.p.stranger, name="stranger")
        await stranger.send_message("@" + BOT_USERNAME, "/start")
        await stranger.send_message("@" + BOT_USERNAME, "hello? send my text to alice")
        await c.settle()
        assert c.tg.texts(c.p.stranger, c.p.cards) == ["/start", "hello? send my text to alice"]
        # a press by someone else (that the server routed somehow): no answer, nothing sent
        c.tg.callback_timeout = 0.2
        with pytest.raises(Exception, match="BOT_RESPONSE_TIMEOUT"):
            await c.press_anyway(card, card.buttons[0][0].data, by=c.p.stranger)
        await c.settle()
        assert _alice_got(c) == [] and c.store.pending()
        assert "a press by" in caplog.text and "a message from" in caplog.text
        await stranger.disconnect()
        await c.close()

    with caplog.at_level(logging.WARNING, logger="clonebot"):
        run(go())


@pytest.mark.parametrize("kind", ["group", "supergroup"])
def test_the_bot_leaves_any_group_it_is_added_to(tmp_path, kind):
    async def go():
        c = await companion_on_double(tmp_path)
        if kind == "group":
            chat = c.tg.add_group("Party", [c.p.stranger, c.p.bob])
        else:
            chat = c.tg.add_channel("Party", [c.p.stranger, c.p.bob])
        bots.add_to_group(c.tg, chat, c.p.cards, by=c.p.stranger)
        await c.settle()
        assert c.p.cards not in bots.members(c.tg, chat)
        c.tg.send(c.p.stranger, chat, "hello bot, approve this")  # it hears nothing now
        await c.settle()
        said = [m for m in c.tg.history(c.p.stranger, chat)
                if getattr(m.from_id, "user_id", None) == c.p.cards]
        assert said == []  # it never wrote there
        await c.close()

    run(go())


# --- the same guarantees ----------------------------------------------------------------------

async def _restart(c, tmp_path, **kw):
    """The process goes away (no clean shutdown of the bot) and starts again on its files."""
    tg, p, clock = c.tg, c.p, c.env.clock
    c.bot.worker.stop()
    await c.companion.client.disconnect()
    await c.env.client.disconnect()
    await c.phone.disconnect()
    c.store.close()
    return await companion_on_double(tmp_path, tg=tg, p=p, clock=clock, restarted=True, **kw)


class Killed(BaseException):
    """kill -9 at this very point: nothing after it runs."""


def test_a_card_from_before_a_restart_still_works(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        card = await _card_for(c)
        c = await _restart(c, tmp_path)
        assert len([t for t in c.chat() if " · #" in t]) == 1  # not offered again
        await c.press("Send", await c.card())
        assert _alice_got(c) == ["sure, see you at 7"]
        assert (await c.card()).id == card.id
        await c.close()

    run(go())


def test_kill_9_after_the_press_before_the_send_neither_loses_nor_doubles(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        await _card_for(c)
        begin = c.store.begin_send

        def begin_then_die(*a, **k):
            claim = begin(*a, **k)
            raise Killed("kill -9 after the send intent, before Telegram")

        c.store.begin_send = begin_then_die
        c.tg.callback_timeout = 0.3
        await c.press("Send")
        assert _alice_got(c) == []
        c = await _restart(c, tmp_path)  # the intent is checked against the chat: not sent
        card = await c.card()
        assert card.buttons and "interrupted" in card.message
        await c.press("Send", card)
        assert _alice_got(c) == ["sure, see you at 7"]
        assert [d.decision for d in c.store.decisions()] == ["sent"]
        await c.close()

    run(go())


def test_kill_9_after_the_send_before_it_is_marked_sends_once(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        card = await _card_for(c)

        def die(*a, **k):
            raise Killed("kill -9 right after the message went out")

        c.store.finish_send = die
        await c.press("Send")
        assert _alice_got(c) == ["sure, see you at 7"]
        c = await _restart(c, tmp_path)  # found in the chat: confirmed, the card says sent
        card = await c.card()
        assert card.message.startswith("✅ Sent to Alice") and not card.buttons
        answer = await c.press_anyway(card, b"c1:s:" + c.store.decisions()[0].id.encode())
        assert answer.message.startswith("Nothing to do")
        assert _alice_got(c) == ["sure, see you at 7"]  # exactly once
        await c.close()

    run(go())


def test_edit_waits_across_a_restart_and_text_sent_while_down_is_caught_up_once(tmp_path):
    async def go():
        c = await companion_on_double(tmp_path)
        await _card_for(c)
        await c.press("Edit")
        tg, p, clock = c.tg, c.p, c.env.clock
        await c.close()  # a clean stop
        phone = await tg.connect(p.owner, name="phone2")
        await phone.send_message("@" + BOT_USERNAME, "written while the bot was down")
        await phone.disconnect()
        c = await companion_on_double(tmp_path, tg=tg, p=p, clock=clock, restarted=True)
        assert _alice_got(c) == ["written while the bot was down"]
        c = await _restart(c, tmp_path)  # the catch-up again: not sent twice
        assert _alice_got(c) == ["written while the bot was down"]
        await c.close()

    run(go())
