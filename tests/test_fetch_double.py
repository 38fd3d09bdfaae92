"""The double's additions for `clonebot fetch` answer like Telegram, checked through
Telethon's own methods: ``iter_dialogs`` paging, ``client.takeout()``, takeout refusals."""

from __future__ import annotations

import asyncio

import pytest
from telethon import errors, functions, types

from telegram_double import TelegramDouble
from telegram_double.dialogs import archive, pin
from telegram_double.takeout import confirm, expire, needs_confirmation, without_takeout


def run(coro):
    return asyncio.run(coro)


def _account(n_friends: int):
    clock = [1_700_000_000.0]
    tg = TelegramDouble(clock=lambda: clock[0])
    owner = tg.add_user("Owner", username="owner")
    friends = [tg.add_user(f"Friend {i}") for i in range(n_friends)]
    for i, friend in enumerate(friends):
        clock[0] += 60
        tg.send(friend, owner, f"hello from {i}")
    return tg, owner, friends


def test_iter_dialogs_pages_through_every_chat_newest_first():
    async def go():
        tg, owner, friends = _account(230)
        group = tg.add_group("Group", [owner, friends[0]])
        tg.send(friends[0], group, "newest of all")
        client = await tg.connect(owner)
        dialogs = [d async for d in client.iter_dialogs()]
        assert [d.id for d in dialogs] == [group, *reversed(friends)]
        assert len(tg.calls(functions.messages.GetDialogsRequest)) == 3  # 100 + 100 + 31
        first = await client(functions.messages.GetDialogsRequest(
            None, 0, types.InputPeerEmpty(), 10, 0))
        assert isinstance(first, types.messages.DialogsSlice) and first.count == 231
        assert dialogs[1].message.message == "hello from 229"
        await client.disconnect()

    run(go())


def test_pinned_dialogs_come_first_and_archived_ones_sit_in_their_folder():
    async def go():
        tg, owner, friends = _account(5)
        pin(tg, owner, friends[0])
        archive(tg, owner, friends[1])
        client = await tg.connect(owner)
        every = [d.id async for d in client.iter_dialogs()]  # no folder: all of them
        assert every[0] == friends[0] and set(every) == set(friends)
        main = await client(functions.messages.GetDialogsRequest(
            None, 0, types.InputPeerEmpty(), 100, 0, folder_id=0))
        assert isinstance(main.dialogs[0], types.DialogFolder)
        assert friends[1] not in [getattr(d.peer, "user_id", None) for d in main.dialogs[1:]]
        archived = [d.id async for d in client.iter_dialogs(folder=1)]
        assert archived == [friends[1]]
        whole = await client(functions.messages.GetDialogsRequest(
            None, 0, types.InputPeerEmpty(), 100, 0))
        assert isinstance(whole, types.messages.Dialogs)
        await client.disconnect()

    run(go())


def test_takeout_wraps_requests_and_finishes():
    async def go():
        tg, owner, friends = _account(2)
        client = await tg.connect(owner)
        await client.get_dialogs()  # entities cached, as after any dialog listing
        async with client.takeout(users=True) as takeout:
            texts = [m.text async for m in takeout.iter_messages(friends[0])]
            takeout_id = client.session.takeout_id
        assert texts == ["hello from 0"]
        [history] = [r for r in tg.requests if isinstance(r.request, functions.messages.GetHistoryRequest)]
        assert history.takeout_id == takeout_id is not None
        assert client.session.takeout_id is None and tg.takeouts == {}
        [init] = tg.calls(functions.account.InitTakeoutSessionRequest)
        assert init.message_users
        await client.disconnect()

    run(go())


def test_takeout_needs_the_owners_confirmation_first():
    async def go():
        tg, owner, friends = _account(1)
        needs_confirmation(tg, owner, delay=3600)
        client = await tg.connect(owner)
        await client.get_dialogs()
        with pytest.raises(errors.TakeoutInitDelayError) as caught:
            async with client.takeout(users=True):
                pass
        assert caught.value.seconds == 3600
        confirm(tg, owner)
        async with client.takeout(users=True) as takeout:
            assert [m.text async for m in takeout.iter_messages(friends[0])] == ["hello from 0"]
        await client.disconnect()

    run(go())


def test_an_expired_takeout_is_refused_and_a_server_without_takeout_answers_500():
    async def go():
        tg, owner, friends = _account(1)
        client = await tg.connect(owner, request_retries=0)
        await client.get_dialogs()
        async with client.takeout(finalize=False, users=True) as takeout:
            expire(tg, owner)
            with pytest.raises(errors.TakeoutInvalidError):
                await takeout.get_messages(friends[0])
        client.session.takeout_id = None
        without_takeout(tg)
        # Telethon treats 500 as Telegram's internal trouble: retries, then a bare ValueError
        with pytest.raises(ValueError, match="unsuccessful"):
            await client(functions.account.InitTakeoutSessionRequest(message_users=True))
        assert len(await client.get_messages(friends[0])) == 1  # plain requests still work
        await client.disconnect()

    run(go())
