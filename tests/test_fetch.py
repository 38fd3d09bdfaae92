"""`clonebot fetch` over the request-level Telegram double: Telethon's client and its takeout
machinery run for real; only the server is fake (tests/telegram_double)."""

from __future__ import annotations

import asyncio
import stat

import pytest
from telethon import functions

from clonebot.config import FetchSettings
from clonebot.errors import TelegramError
from clonebot.fetch.events import ChatDone, FloodWait, Notice, Progress
from clonebot.fetch.store import store_path
from fixtures_fetch import fetching
from telegram_double.dialogs import archive, pin
from telegram_double.takeout import confirm, needs_confirmation, without_takeout
from training.export import TEXT, ExportReader

History = functions.messages.GetHistoryRequest
Dialogs = functions.messages.GetDialogsRequest


def run(coro):
    return asyncio.run(coro)


def ids(messages: list[dict]) -> list[int]:
    return [m["id"] for m in messages]


def history_calls(f, since: int = 0) -> list:
    return [r for r in f.tg.requests[since:] if isinstance(r.request, History)]


def test_first_fetch_takes_the_personal_chats_through_a_takeout_session(tmp_path):
    f, p = fetching(tmp_path)
    result = run(f.run())
    chats = f.chats()
    assert set(chats) == {"Alice", "Bob Builder"}  # no bot, Saved Messages, group, channel
    assert ids(chats["Alice"]) == sorted(set(ids(chats["Alice"]))) and len(chats["Alice"]) == 260
    assert result.mode == "takeout" and result.new == result.messages == 272
    [init] = f.tg.calls(functions.account.InitTakeoutSessionRequest)
    assert init.message_users and not init.message_chats and not init.message_megagroups
    reads = [r for r in f.tg.requests if isinstance(r.request, (History, Dialogs))]
    assert reads and all(r.takeout_id is not None for r in reads)
    assert f.tg.takeouts == {} and f.session.takeout_id is None  # finished after a full fetch
    # prepare's reader takes it as a full export of the owner's
    reader = ExportReader(f.out)
    texts = {c.name: [m.text for m in c.messages() if m.kind == TEXT] for c in reader}
    assert reader.owner_id == p.owner and reader.kind == "full"
    assert texts["Bob Builder"][:3] == ["hey, got a minute?", "sure 🙂 what's up", "😂"]
    assert stat.S_IMODE(f.out.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_path(f.data_dir, p.owner).stat().st_mode) == 0o600


def test_groups_and_named_chats_follow_prepares_rule(tmp_path):
    f, p = fetching(tmp_path)
    run(f.run(groups=True))
    assert set(f.chats()) == {"Alice", "Bob Builder", "Family", "Club"}  # never News, bot, me
    assert {(c["name"], c["type"], c["id"]) for c in f.export()["chats"]["list"]} == {
        ("Alice", "personal_chat", p.alice), ("Bob Builder", "personal_chat", p.bob),
        ("Family", "private_group", -p.family), ("Club", "private_supergroup",
                                                 int(str(p.club)[4:]))}
    [init] = [c for c in f.tg.calls(functions.account.InitTakeoutSessionRequest)]
    assert init.message_chats and init.message_megagroups
    run(f.run(include=("alice",)))
    assert set(f.chats()) == {"Alice"}
    run(f.run(exclude=(p.alice,), include=("Club",)))  # naming a group opts it in
    assert set(f.chats()) == {"Club"}
    run(f.run(include=(str(p.club),)))  # the -100... id
    assert set(f.chats()) == {"Club"}
    run(f.run(include=("News", "Helper")))
    assert f.chats() == {}


def test_a_second_fetch_with_nothing_new_costs_one_request_per_chat(tmp_path):
    f, p = fetching(tmp_path)
    run(f.run())
    before = f.out.read_bytes()
    mark = len(f.tg.requests)
    result = run(f.run())
    assert result.new == result.edited == 0
    assert len(history_calls(f, mark)) == 2  # Alice and Bob: their latest messages, once
    assert f.out.read_bytes() == before
    mark = len(f.tg.requests)
    result = run(f.run(settings=FetchSettings(edit_window=0)))
    assert history_calls(f, mark) == []  # top messages already stored: nothing to ask
    # Telegram allows edits for 48 h: once a check has come after that, a quiet chat can
    # no longer change and costs nothing
    f.time.advance(3 * 86400)
    mark = len(f.tg.requests)
    run(f.run())
    assert len(history_calls(f, mark)) == 2  # edits made after the last check, if any
    mark = len(f.tg.requests)
    run(f.run())
    assert history_calls(f, mark) == []
    f.tg.send(p.bob, p.owner, "back again")
    mark = len(f.tg.requests)
    assert run(f.run()).new == 1
    assert [r.request.peer.user_id for r in history_calls(f, mark)] == [p.bob]


def test_new_messages_and_edits_are_fetched_incrementally(tmp_path):
    f, p = fetching(tmp_path)
    run(f.run())
    first = f.chats()["Alice"]
    for i in range(150):  # more than one page behind
        f.tg.send(p.alice, p.owner, f"later {i}")
    recent = first[-3]["id"]
    f.tg.edit(p.owner, p.alice, recent, "changed my mind")
    mark = len(f.tg.requests)
    result = run(f.run())
    assert (result.new, result.edited) == (150, 1)
    alice = f.chats()["Alice"]
    assert len(alice) == 410 and len(set(ids(alice))) == 410 and ids(alice) == sorted(ids(alice))
    [edited] = [m for m in alice if m["id"] == recent]
    assert edited["text"] == "changed my mind" and int(edited["edited_unixtime"]) > 0
    assert [m["text"] for m in alice[-2:]] == ["later 148", "later 149"]
    # only what is newer than the stored messages was asked for, oldest first
    asked = [r.request for r in history_calls(f, mark)]
    catch_up = [r for r in asked if r.add_offset < 0]
    offsets = [r.offset_id for r in catch_up]
    assert offsets[0] == max(ids(first)) + 1 and offsets == sorted(set(offsets))
    assert len(asked) == 2 + 1 + len(catch_up)  # Bob, Alice's latest + her latest stored


def test_takeout_confirmation_is_one_clear_line_then_it_works(tmp_path):
    f, p = fetching(tmp_path)
    needs_confirmation(f.tg, p.owner, delay=90000)
    with pytest.raises(TelegramError) as caught:
        run(f.run())
    message = str(caught.value)
    assert "\n" not in message and "confirm" in message and "1 d 1 h" in message
    assert "--no-takeout" in message
    assert history_calls(f) == [] and not f.out.exists()
    assert f.client.flood_sleep_threshold == 60  # Telethon's own sleeping given back
    confirm(f.tg, p.owner)
    assert run(f.run()).mode == "takeout"
    assert f.client.flood_sleep_threshold == 60
    assert set(f.chats()) == {"Alice", "Bob Builder"}


def test_no_takeout_means_plain_requests_at_the_plain_pace(tmp_path):
    f, p = fetching(tmp_path)
    needs_confirmation(f.tg, p.owner)
    result = run(f.run(takeout=False, settings=FetchSettings(plain_interval_seconds=2.5)))
    assert result.mode == "plain" and result.new == 272
    assert f.tg.calls(functions.account.InitTakeoutSessionRequest) == []
    assert all(r.takeout_id is None for r in f.tg.requests)
    assert f.time.sleeps.count(2.5) == result.requests - 1  # every request after the first


def test_a_server_without_takeout_falls_back_at_once_to_paced_plain_requests(tmp_path):
    f, p = fetching(tmp_path)
    without_takeout(f.tg)
    result = run(f.run())
    assert result.mode == "plain" and set(f.chats()) == {"Alice", "Bob Builder"}
    # one probe, not Telethon's five retries of a 500 (~12 s on the loopback server)
    assert len(f.tg.calls(functions.account.InitTakeoutSessionRequest)) == 1
    [notice] = [e.text for e in f.events if isinstance(e, Notice)]
    assert "no takeout" in notice and "500 NOT_IMPLEMENTED" in notice
    assert all(r.takeout_id is None for r in f.tg.requests)
    assert f.time.sleeps.count(1.0) == result.requests - 1


def test_a_server_that_answers_nothing_inside_its_takeout_falls_back_too(tmp_path):
    f, p = fetching(tmp_path)
    without_takeout(f.tg, but_init=True)
    # (Telethon retries a 500 request_retries times, 2 s apart, before its ValueError)
    result = run(f.run(client_options={"request_retries": 0}))
    assert result.mode == "plain" and set(f.chats()) == {"Alice", "Bob Builder"}
    assert "takeout requests fail on this server (Request was unsuccessful" in [
        e.text for e in f.events if isinstance(e, Notice)][1]
    assert [r.takeout_id is None for r in f.tg.requests if isinstance(r.request, Dialogs)] == [
        False, True]


def test_flood_waits_are_slept_through_with_a_countdown(tmp_path):
    f, p = fetching(tmp_path)
    f.tg.fail(History, "FLOOD_WAIT_30", when=lambda r: r.offset_id > 0)  # a catch-up page
    result = run(f.run())
    waits = [e.seconds_left for e in f.events if isinstance(e, FloodWait)]
    assert waits == [*range(30, 0, -1), 0]
    assert f.time.sleeps.count(1) >= 30
    assert result.new == 272 and len(f.chats()["Alice"]) == 260


def test_a_longer_flood_wait_stops_and_keeps_what_was_fetched(tmp_path):
    f, p = fetching(tmp_path)
    pages = []

    def second_page(request):
        pages.append(request)
        return len(pages) == 2

    f.tg.fail(History, "FLOOD_WAIT_7200", when=lambda r: r.offset_id > 0 and second_page(r))
    with pytest.raises(TelegramError, match="wait 2 h 00 min.*what was fetched is kept"):
        run(f.run(settings=FetchSettings(max_flood_wait_seconds=600)))
    assert not f.out.exists()
    mark = len(f.tg.requests)
    result = run(f.run())
    assert result.new == 260 - 100  # Bob's chat and Alice's first page were kept
    [first_ask] = [r.request for r in history_calls(f, mark) if r.request.offset_id][:1]
    assert first_ask.offset_id == 101
    alice = f.chats()["Alice"]
    assert len(alice) == 260 == len(set(ids(alice)))


class Stop(Exception):
    """A stop at a chosen point of a fetch (see test_fetch_resume.py for kills)."""


def test_a_fetch_continues_in_its_takeout_or_opens_a_new_one_when_it_expired(tmp_path):
    f, p = fetching(tmp_path)

    def stop_after_first_page(event):
        if isinstance(event, Progress) and event.chat_done >= 100:
            raise Stop

    with pytest.raises(Stop):
        run(f.run(on_event=stop_after_first_page))
    assert f.session.takeout_id is not None  # kept for the next run
    run(f.run())
    assert "continuing in the takeout session" in f.events[0].text
    assert len(f.tg.calls(functions.account.InitTakeoutSessionRequest)) == 1
    assert f.session.takeout_id is None
    f.session.takeout_id = 12345  # left by a killed run; the server has ended it since
    f.tg.send(p.alice, p.owner, "one more")
    result = run(f.run())
    assert result.new == 1 and result.mode == "takeout"
    assert len(f.tg.calls(functions.account.InitTakeoutSessionRequest)) == 2


def test_a_chat_telegram_refuses_is_skipped_with_a_notice(tmp_path):
    f, p = fetching(tmp_path)
    f.tg.fail(History, "PEER_ID_INVALID", times=None,
              when=lambda r: getattr(r.peer, "user_id", None) == p.bob)
    result = run(f.run())
    assert set(f.chats()) == {"Alice", "Bob Builder"} and f.chats()["Bob Builder"] == []
    assert "skipped Bob Builder: Telegram says PEER_ID_INVALID" in [
        e.text for e in f.events if isinstance(e, Notice)]
    assert result.new == 260


def test_progress_names_each_chat_and_the_whole_run_with_an_eta(tmp_path):
    f, p = fetching(tmp_path)
    run(f.run())
    progress = [e for e in f.events if isinstance(e, Progress)]
    catch_up = [e for e in progress if e.chat == "Alice" and e.total is not None]
    assert [e.chat_done for e in catch_up] == [0, 100, 200, 260]
    assert all(e.chat_total == 260 and e.total == 272 for e in catch_up)
    etas = [e.eta_seconds for e in catch_up]
    assert etas[0] > etas[1] > etas[2] > 0 == etas[3]
    assert catch_up[1].chat_eta_seconds == pytest.approx(etas[1])
    done = [e for e in f.events if isinstance(e, ChatDone)]
    assert [(e.chat, e.new, e.chats_done, e.chats_total) for e in done] == [
        ("Bob Builder", 12, 1, 2), ("Alice", 260, 2, 2)]


@pytest.mark.parametrize("listed_apart", [False, True])
def test_every_dialog_page_pinned_and_archived_chats_included(tmp_path, listed_apart):
    f, p = fetching(tmp_path, alice_messages=3)
    friends = [f.tg.add_user(f"Friend {i}") for i in range(230)]
    for i, friend in enumerate(friends):
        f.time.advance(1)
        f.tg.send(friend, p.owner, f"hi {i}")
    pin(f.tg, p.owner, p.alice)
    archive(f.tg, p.owner, friends[5], listed_apart=listed_apart)
    archive(f.tg, p.owner, friends[200], listed_apart=listed_apart)
    result = run(f.run())
    assert len(f.chats()) == 232 and result.messages == 230 + 3 + 12
    pages = f.tg.calls(Dialogs)
    assert len(pages) == (4 if listed_apart else 3)  # 100 + 100 + rest (+ the archive)
    assert pages[1].exclude_pinned and not pages[0].exclude_pinned


def test_the_service_chat_with_login_codes_is_never_fetched_and_purged_from_an_old_store(tmp_path):
    """777000 (Telegram's notifications: login codes) is a "personal chat" to Telegram; fetch
    leaves it out of result.json and the history database, and deletes what an older fetch
    stored of it."""
    import json
    import sqlite3

    from clonebot.fetch.store import HistoryStore

    f, p = fetching(tmp_path, alice_messages=10)
    service = f.tg.add_user("Telegram", id=777000)
    f.tg.send(service, p.owner, "Login code: 40125. Do not give this code to anyone")
    old = {"id": 1, "type": "message", "date": "2023-11-14T22:13:20",
           "date_unixtime": "1700000000", "from": "Telegram", "from_id": "user777000",
           "text": "Login code: 11111", "text_entities": []}
    with HistoryStore(store_path(f.data_dir, p.owner), p.owner) as store:  # an older fetch's
        store.note_chats([(777000, "Telegram", "personal_chat")])
        store.add_page(777000, [old], 1)
    result = run(f.run())
    assert "Telegram" not in f.chats() and set(f.chats()) == {"Alice", "Bob Builder"}
    assert "Login code" not in f.out.read_text()
    assert result.skipped.get("service") == 1
    db = sqlite3.connect(store_path(f.data_dir, p.owner))
    assert db.execute("SELECT COUNT(*) FROM messages WHERE peer_id = 777000").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM chats WHERE peer_id = 777000").fetchone() == (0,)
    assert "Login code" not in json.dumps(db.execute("SELECT body FROM messages").fetchall())
    db.close()
