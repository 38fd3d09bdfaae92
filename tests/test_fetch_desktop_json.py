"""API objects in Desktop's export schema: text and entities, media, chat types, and the chat
rule fetch shares with prepare."""

from __future__ import annotations

import datetime
import random

import pytest
from telethon.tl import types

from clonebot.chat_selection import ChatFilter
from clonebot.fetch.desktop_json import chat_type, message_fields, text_fields
from training.export import TEXT, flatten_text, to_message

WHEN = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
OWNER, ALICE = 1000, 42


def test_entity_text_is_desktops_list_and_flattens_back_to_the_text():
    text = "hi Alice, see https://x.io 👍🏽 now"
    entities = [types.MessageEntityMentionName(3, 5, ALICE),
                types.MessageEntityUrl(14, 12), types.MessageEntitySpoiler(27, 4)]
    value, parts = text_fields(text, entities)
    assert value == ["hi ", {"type": "mention_name", "text": "Alice", "user_id": ALICE}, ", see ",
                     {"type": "link", "text": "https://x.io"}, " ",
                     {"type": "spoiler", "text": "👍🏽"}, " now"]
    assert parts[0] == {"type": "plain", "text": "hi "}
    assert text_fields("plain", None) == ("plain", [{"type": "plain", "text": "plain"}])
    assert text_fields("", None) == ("", [])


def test_any_entities_flatten_to_exactly_the_text():
    rng = random.Random(7)
    alphabet = ["a", " ", "é", "😂", "👍🏽", "\u200d", "ж", "\n"]
    kinds = [types.MessageEntityBold, types.MessageEntityItalic, types.MessageEntityCode]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        wide = len(text.encode("utf-16-le")) // 2
        entities = [rng.choice(kinds)(rng.randint(0, wide + 2), rng.randint(0, wide + 2))
                    for _ in range(rng.randint(0, 5))]  # nested, overlapping, out of range
        value, parts = text_fields(text, entities)
        assert flatten_text(value) == flatten_text(text)
        assert "".join(p["text"] for p in parts) == text


def _message(**fields):
    base = dict(id=7, peer_id=types.PeerUser(ALICE), date=WHEN, message="", out=False)
    return types.Message(**{**base, **fields})


@pytest.mark.parametrize("fields, kind, text", [
    ({"message": "hello"}, TEXT, "hello"),
    ({"media": types.MessageMediaDocument(document=types.Document(
        id=1, access_hash=0, file_reference=b"", date=WHEN, mime_type="image/webp", size=1,
        dc_id=2, attributes=[types.DocumentAttributeSticker("🙂", types.InputStickerSetEmpty())]))},
     TEXT, "🙂"),
    ({"media": types.MessageMediaPhoto(photo=types.PhotoEmpty(1))}, "media_only", ""),
    ({"media": types.MessageMediaPhoto(photo=types.PhotoEmpty(1)), "message": "caption"},
     TEXT, "caption"),
    ({"media": types.MessageMediaGeo(types.GeoPoint(1.5, 2.5, 0))}, "media_only", ""),
    ({"media": types.MessageMediaContact("+79161234567", "Ann", "", "", 5)}, "media_only", ""),
])
def test_messages_read_back_as_prepare_reads_desktop_exports(fields, kind, text):
    d = message_fields(_message(**fields), ALICE, OWNER, {})
    m = to_message(d, OWNER)
    assert (m.kind, m.text, m.sender, m.from_owner) == (kind, text, ALICE, False)
    assert "+79161234567" not in str(d) and "1.5" not in str(d)  # no phones, no places


def test_who_wrote_it_and_what_it_is():
    mine = message_fields(_message(out=True, message="x", edit_date=WHEN), ALICE, OWNER, {})
    assert mine["from_id"] == f"user{OWNER}" and mine["edited_unixtime"] == str(int(WHEN.timestamp()))
    hidden = message_fields(_message(message="x", edit_date=WHEN, edit_hide=True), ALICE, OWNER,
                            {})
    assert "edited" not in hidden
    post = message_fields(types.Message(id=1, peer_id=types.PeerChannel(5), date=WHEN,
                                        message="news", post=True), -1000000000005, OWNER, {})
    assert post["from_id"] == "channel5"
    service = message_fields(types.MessageService(
        id=2, peer_id=types.PeerUser(ALICE), date=WHEN, action=types.MessageActionPinMessage(),
        out=True), ALICE, OWNER, {})
    assert (service["type"], service["action"], service["actor_id"]) == (
        "service", "pin_message", f"user{OWNER}")
    created = message_fields(types.MessageService(
        id=1, peer_id=types.PeerChannel(5), date=WHEN, action=types.MessageActionChannelCreate(
            "Club")), -1000000000005, OWNER, {})
    assert created["action"] == "create_channel" and created["actor_id"] is None
    assert message_fields(types.MessageEmpty(3, types.PeerUser(ALICE)), ALICE, OWNER, {}) is None


def test_chat_types_as_desktop_names_them():
    def user(**kw):
        return types.User(id=kw.pop("id", ALICE), **kw)

    assert chat_type(user(), OWNER) == "personal_chat"
    assert chat_type(user(bot=True), OWNER) == "bot_chat"
    assert chat_type(user(id=OWNER, is_self=True), OWNER) == "saved_messages"
    assert chat_type(user(id=1271266957), OWNER) == "replies"
    assert chat_type(types.Chat(1, "g", None, 2, WHEN, 1), OWNER) == "private_group"
    channel = dict(id=5, title="c", photo=types.ChatPhotoEmpty(), date=WHEN)
    assert chat_type(types.Channel(**channel, megagroup=True), OWNER) == "private_supergroup"
    assert chat_type(types.Channel(**channel, megagroup=True, username="club"),
                     OWNER) == "public_supergroup"
    assert chat_type(types.Channel(**channel, broadcast=True), OWNER) == "private_channel"


class _Chat:
    def __init__(self, id, name, type):
        self.id, self.name, self.type = id, name, type


@pytest.mark.parametrize("include, chat, used", [
    (["-10042"], _Chat(10042, "Family", "private_group"), True),  # a basic group's -id
    (["-1001234567890"], _Chat(1234567890, "Club", "private_supergroup"), True),
    (["-1001234567890"], _Chat(1234567890, "x", "personal_chat"), True),
    (["-10042"], _Chat(42, "Alice", "personal_chat"), False),  # not channel 42
    (["  family "], _Chat(10042, "FAMILY", "private_group"), True),
    ([], _Chat(10042, "Family", "private_group"), False),
    (["Helper"], _Chat(7, "Helper", "bot_chat"), False),
])
def test_the_chat_rule_reads_ids_as_telegram_writes_them(include, chat, used):
    assert (ChatFilter(include, [], groups=False).reason(chat) is None) == used
