"""The Telegram double answers like Telegram: checked through Telethon's own methods."""

from __future__ import annotations

import asyncio

import pytest
from telethon import events, functions, types
from telethon.errors import FloodWaitError

from telegram_double import TelegramDouble


def run(coro):
    return asyncio.run(coro)


async def settle(client, rounds: int = 20) -> None:
    """Let the update loop and the handler tasks it spawns run."""
    for _ in range(rounds):
        await asyncio.sleep(0)
        if client._updates_queue.empty() and not client._event_handler_tasks:
            await asyncio.sleep(0)


def _world():
    tg = TelegramDouble()
    owner = tg.add_user("Owner", username="owner", phone="15550001")
    alice = tg.add_user("Alice", username="alice")
    bob = tg.add_user("Bob", username="bob")
    return tg, owner, alice, bob


def test_history_pages_and_offsets_like_telegram():
    async def go():
        tg, owner, alice, _ = _world()
        for i in range(250):
            tg.send(alice if i % 3 else owner, owner if i % 3 else alice, f"m{i}")
        client = await tg.connect(owner)
        await client.get_entity("@alice")
        texts = [m.text async for m in client.iter_messages(alice, limit=300)]  # three pages
        assert texts == [f"m{i}" for i in reversed(range(250))]
        assert len(tg.calls(functions.messages.GetHistoryRequest)) == 3
        oldest = [m.text async for m in client.iter_messages(alice, limit=5, reverse=True)]
        assert oldest == ["m0", "m1", "m2", "m3", "m4"]
        ids = [m.id for m in await client.get_messages(alice, limit=300)]
        mid = ids[100]
        between = await client.get_messages(alice, min_id=ids[110], max_id=mid, limit=100)
        assert [m.id for m in between] == ids[101:110]
        before = await client.get_messages(alice, offset_id=mid, limit=2)
        assert [m.id for m in before] == ids[101:103]
        small = await client.get_messages(alice, limit=10)
        assert small.total == 250  # a slice says how many there are
        await client.disconnect()

    run(go())


def test_whole_history_is_messages_and_search_ignores_from_id_in_private_chats():
    async def go():
        tg, owner, alice, bob = _world()
        family = tg.add_group("Family", [owner, alice, bob])
        tg.send(owner, alice, "old one from me")
        tg.send(alice, owner, "newest, from alice")
        tg.send(owner, family, "mine in the group")
        tg.send(bob, family, "bob's in the group")
        client = await tg.connect(owner)
        await client.get_entity("@alice")
        result = await client(functions.messages.GetHistoryRequest(
            await client.get_input_entity(alice), 0, None, 0, 10, 0, 0, 0))
        assert isinstance(result, types.messages.Messages)
        # Telethon sends no from_id in a private chat and filters the one message it got
        assert await client.get_messages(alice, limit=1, from_user="me") == []
        [search] = tg.calls(functions.messages.SearchRequest)
        assert search.from_id is None
        # raw: Telegram ignores from_id in a private chat ...
        raw = await client(functions.messages.SearchRequest(
            await client.get_input_entity(alice), "", types.InputMessagesFilterEmpty(), None, None,
            0, 0, 10, 0, 0, 0, from_id=types.InputPeerSelf()))
        assert [m.message for m in raw.messages] == ["newest, from alice", "old one from me"]
        # ... and honours it in a group
        await client.get_entity(family)
        mine = await client.get_messages(family, limit=1, from_user="me")
        assert [m.text for m in mine] == ["mine in the group"]
        await client.disconnect()

    run(go())


@pytest.mark.parametrize("form", ["short", "updates"])
def test_sends_answer_in_both_forms_and_are_not_echoed_to_the_sender(form):
    async def go():
        tg, owner, alice, _ = _world()
        tg.send_result = form
        client = await tg.connect(owner)
        phone = await tg.connect(owner, name="phone")
        seen, seen_on_phone = [], []
        client.add_event_handler(lambda e: seen.append(e.raw_text) or asyncio.sleep(0),
                                 events.NewMessage())
        phone.add_event_handler(lambda e: seen_on_phone.append(e.raw_text) or asyncio.sleep(0),
                                events.NewMessage())
        await client.get_entity("@alice")
        sent = await client.send_message(alice, "**hi**", parse_mode=None)
        await settle(client)
        await settle(phone)
        assert (sent.text, sent.out) == ("**hi**", True)
        assert sent.id == tg.history(owner, alice)[-1].id
        assert tg.texts(alice, owner) == ["**hi**"]
        assert seen == [] and seen_on_phone == ["**hi**"]  # the other session is told
        await client.disconnect()
        await phone.disconnect()

    run(go())


def test_missed_updates_arrive_through_get_difference_after_an_outage():
    async def go():
        tg, owner, alice, _ = _world()
        client = await tg.connect(owner, connection_retries=-1)  # retry until the network is back
        seen = []

        async def on_new(event):
            seen.append(event.raw_text)

        client.add_event_handler(on_new, events.NewMessage(incoming=True))
        tg.send(alice, owner, "one")
        await settle(client)
        tg.go_offline()
        tg.send(alice, owner, "two, while offline")
        await asyncio.sleep(0.05)
        tg.go_online()
        for _ in range(100):  # Telethon's own reconnect loop (retry_delay=0)
            if client._sender._transport_connected():
                break
            await asyncio.sleep(0.01)
        tg.send(alice, owner, "three")  # reveals the pts gap
        for _ in range(200):
            if len(seen) == 3:
                break
            await asyncio.sleep(0.01)
        assert seen == ["one", "two, while offline", "three"]
        assert tg.calls(functions.updates.GetDifferenceRequest)
        await client.disconnect()

    run(go())


def test_faults_access_hashes_and_unanswered_requests():
    async def go():
        tg, owner, alice, _ = _world()
        client = await tg.connect(owner, flood_sleep_threshold=0)
        await client.get_entity("@alice")
        tg.fail(functions.messages.SendMessageRequest, "FLOOD_WAIT_120")
        with pytest.raises(FloodWaitError) as e:
            await client.send_message(alice, "x")
        assert e.value.seconds == 120
        with pytest.raises(FloodWaitError):  # Telethon itself holds the next one back
            await client.send_message(alice, "y")
        assert len(tg.calls(functions.messages.SendMessageRequest)) == 1
        with pytest.raises(Exception, match="PEER_ID_INVALID|invalid"):
            await client(functions.messages.SetTypingRequest(
                types.InputPeerUser(alice, 12345), types.SendMessageTypingAction()))
        with pytest.raises(NotImplementedError, match="GetContactsRequest"):
            await client(functions.contacts.GetContactsRequest(hash=0))
        tg.log_out_everywhere(owner)
        assert await client.get_me() is None
        await client.disconnect()

    run(go())
