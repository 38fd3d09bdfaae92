"""The double's bots behave as Telegram's do, through Telethon's own code: a token login, a
bot never writing first, inline buttons, a press and its answer, edits, leaving groups."""

from __future__ import annotations

import asyncio

import pytest
from telethon import Button, errors, events, functions, types

from telegram_double import TelegramDouble, bots


def run(coro):
    return asyncio.run(coro)


async def _world():
    tg = TelegramDouble()
    owner = tg.add_user("Owner", username="owner", phone="15550001")
    bot, token = bots.add_bot(tg, "Cards", "cardsbot", owner=owner)
    phone = await tg.connect(owner, name="phone")
    bc = tg.client(None, name="companion")
    return tg, owner, bot, token, phone, bc


def test_a_bot_logs_in_with_its_token_only():
    async def go():
        tg, owner, bot, token, phone, bc = await _world()
        with pytest.raises(errors.AccessTokenInvalidError):
            await bc.start(bot_token=f"{bot}:not-the-token")
        await bc.start(bot_token=token)
        me = await bc.get_me()
        assert (me.id, me.bot, me.username) == (bot, True, "cardsbot")
        await bc.disconnect()
        await phone.disconnect()

    run(go())


def test_a_bot_writes_only_to_who_wrote_to_it_and_calls_no_user_methods():
    async def go():
        tg, owner, bot, token, phone, bc = await _world()
        await bc.start(bot_token=token)
        peer = types.InputPeerUser(owner, tg.users[owner].access_hash)
        with pytest.raises(errors.PeerIdInvalidError):
            await bc(functions.messages.SendMessageRequest(peer, "hi", random_id=1))
        await phone.send_message("@cardsbot", "/start")
        await tg.settle(bc, phone)
        await bc.send_message(owner, "hello")
        with pytest.raises(errors.BotMethodInvalidError):
            await bc.get_messages(owner, limit=1)  # messages.getHistory: users only
        with pytest.raises(errors.UserBotRequiredError):
            await phone(functions.messages.SetBotCallbackAnswerRequest(query_id=1, cache_time=0))
        await bc.disconnect()
        await phone.disconnect()

    run(go())


def test_buttons_a_press_and_its_answer():
    async def go():
        tg, owner, bot, token, phone, bc = await _world()
        seen = []

        @bc.on(events.CallbackQuery)
        async def on_press(event):
            seen.append((event.sender_id, event.data, event.message_id, event.chat_id))
            if event.data == b"yes":
                await event.answer("got it", alert=True)
            elif event.data == b"long":
                with pytest.raises(errors.MessageTooLongError):
                    await event.answer("x" * 201)
            # b"no": never answered

        await bc.start(bot_token=token)
        await phone.send_message("@cardsbot", "/start")
        await tg.settle(bc, phone)
        sent = await bc.send_message(owner, "pick", buttons=[
            [Button.inline("Yes", b"yes"), Button.inline("No", b"no")], [Button.inline("L", b"long")]])
        [card] = await phone.get_messages("@cardsbot", limit=1)
        assert [[b.text for b in row] for row in card.buttons] == [["Yes", "No"], ["L"]]
        answer = await card.click(text="Yes")
        assert (answer.message, answer.alert) == ("got it", True)
        tg.callback_timeout = 0.2
        assert await card.click(text="No") is None  # Telethon: BOT_RESPONSE_TIMEOUT -> None
        with pytest.raises(errors.DataInvalidError):
            await card.click(data=b"maybe")
        assert seen[0] == (owner, b"yes", sent.id, owner)
        # a user's buttons are not kept: only bots send inline keyboards
        await phone.send_message("@cardsbot", "mine", buttons=[Button.inline("x", b"x")])
        [mine] = await phone.get_messages("@cardsbot", limit=1)
        assert mine.buttons is None
        await bc.disconnect()
        await phone.disconnect()

    run(go())


def test_edits_reach_every_copy_and_drop_or_keep_buttons_as_told():
    async def go():
        tg, owner, bot, token, phone, bc = await _world()
        edits = []

        @phone.on(events.MessageEdited)
        async def on_edit(event):
            edits.append((event.raw_text, bool(event.message.buttons)))

        await bc.start(bot_token=token)
        await phone.send_message("@cardsbot", "/start")
        await tg.settle(bc, phone)
        sent = await bc.send_message(owner, "v1", buttons=[Button.inline("Go", b"go")])
        await bc.edit_message(owner, sent.id, "v2", buttons=[Button.inline("Go", b"go")])
        with pytest.raises(errors.MessageNotModifiedError):
            await bc.edit_message(owner, sent.id, "v2", buttons=[Button.inline("Go", b"go")])
        await bc.edit_message(owner, sent.id, "v3")  # no keyboard given: it goes
        await tg.settle(bc, phone)
        await bc.edit_message(owner, sent.id, "v4", buttons=types.ReplyInlineMarkup(rows=[]))
        await tg.settle(bc, phone)
        [card] = await phone.get_messages("@cardsbot", limit=1)
        assert card.message == "v4" and card.edit_date is not None and not card.buttons
        assert edits == [("v2", True), ("v3", False), ("v4", False)]
        [start] = [m for m in await phone.get_messages("@cardsbot", limit=5) if m.out]
        with pytest.raises(errors.MessageAuthorRequiredError):
            await bc.edit_message(owner, bots.bot_message_id(tg, owner, bot, start.id), "mine now")
        await bc.disconnect()
        await phone.disconnect()

    run(go())


def test_a_bot_added_to_a_group_hears_it_and_can_leave():
    async def go():
        tg, owner, bot, token, phone, bc = await _world()
        added = []

        @bc.on(events.ChatAction)
        async def on_action(event):
            added.append((event.chat_id, event.user_added, event.user_ids))

        await bc.start(bot_token=token)
        group = tg.add_group("Party", [owner])
        bots.add_to_group(tg, group, bot, by=owner)
        await tg.settle(bc, phone)
        assert added == [(group, True, [bot])]
        await bc(functions.messages.DeleteChatUserRequest(chat_id=-group,
                                                          user_id=types.InputUserSelf()))
        assert bot not in bots.members(tg, group)
        await bc.disconnect()
        await phone.disconnect()

    run(go())
