"""Streaming reader of Telegram Desktop exports (training/export.py), on the real fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clonebot.errors import ExportError
from training.export import EMPTY, MEDIA, SERVICE, TEXT, ExportReader, flatten_text
from training.export.messages import peer_id, to_message, visible_text

FIX = Path(__file__).resolve().parent / "fixtures" / "telegram-exports"
SINGLE = FIX / "frozenspider_telegram_2026-08_1to1_single_chat.result.json"
F2020 = FIX / "frozenspider_telegram_2020-01.result.json"


def read_all(path, owner_id=None, **kw):
    r = ExportReader(path, owner_id, **kw)
    chats = [(c, list(c.messages())) for c in r]
    return r, chats


def by_id(chats, chat_id):
    return {m.id: m for c, ms in chats if c.id == chat_id for m in ms}


def test_every_real_fixture_streams_like_json_load(real_exports):
    assert len(real_exports) >= 8
    for path in real_exports:
        data = json.loads(path.read_text(encoding="utf-8"))
        owner = None if "personal_information" in data else 5333333333
        r, chats = read_all(path, owner)
        if "chats" in data:
            want = [c for c in data["chats"]["list"]] + list(data.get("left_chats", {}).get("list", []))
            assert r.kind == "full" and r.owner_id == data["personal_information"]["user_id"]
        else:
            want = [data]
            assert r.kind == "single" and r.owner_id == owner
        assert [(c.id, c.type, c.name) for c, _ in chats] == [
            (w["id"], w["type"], w.get("name")) for w in want], path.name
        assert [[m.id for m in ms] for _, ms in chats] == [
            [m["id"] for m in w["messages"]] for w in want], path.name
        assert r.messages_read == sum(len(w["messages"]) for w in want)
        for _, ms in chats:
            for m in ms:
                assert (m.kind == TEXT) == bool(m.text), (path.name, m)
                assert "{'type'" not in m.text and "\u200b" not in m.text


def test_entity_lists_flatten_to_visible_text():
    _, chats = read_all(F2020)
    m = by_id(chats, 8123123123)[10415]
    assert m.text == ("девиз Вольво:\nhttp://cs5.pikabu.ru/post_img/big/2015/12/04/5/"
                      "1449210847155432089.jpgгыгы")
    assert flatten_text(["a ", {"type": "bold", "text": "b"}, {"type": "text_link", "text": "\u200b",
                                                              "href": "x"}]) == "a b"
    # blockquote with `collapsed`, custom emoji in 2023-01
    _, c24 = read_all(FIX / "frozenspider_telegram_2024-06_blockquote-collapsed.result.json")
    assert c24[0][1][0].text == "Blockquote with collapsed property"
    _, c23 = read_all(FIX / "frozenspider_telegram_2023-01.result.json")
    assert by_id(c23, 123123123)[111111].text.startswith("this contains a lot of stuff: 😁")


def test_stickers_media_service_kinds():
    _, chats = read_all(F2020)
    personal = by_id(chats, 9777777777)
    assert personal[32616].kind == TEXT and personal[32616].text == "👍"  # sticker -> emoji
    assert personal[33500].kind == MEDIA and personal[33500].text == ""  # photo only
    assert personal[124030].kind == MEDIA  # pdf file, no caption
    assert personal[40149].kind == SERVICE  # phone_call
    group = by_id(chats, 8123123123)
    assert group[74752].kind == MEDIA  # contact card (phone number!) never becomes text
    assert group[10355].via_bot and group[10355].kind == MEDIA
    _, c25 = read_all(FIX / "frozenspider_telegram_2025-12.result.json")
    g = by_id(c25, 123123123)
    assert g[11111].kind == SERVICE  # unknown action paid_messages_price_change: no crash
    assert g[11113].kind == MEDIA  # todo_list
    assert g[11115].kind == MEDIA  # "(File unavailable...)"
    _, cb = read_all(FIX / "frozenspider_telegram_2024-01_inline-bot-buttons.result.json")
    assert by_id(cb, 123123123)[11113].kind == EMPTY


def test_owner_by_id_integer_from_id_and_null_from():
    _, chats = read_all(F2020)
    group = by_id(chats, 8123123123)
    assert group[39740].from_owner and group[39740].sender == 11111111  # integer from_id
    assert not group[39739].from_owner
    nameless = [ms for c, ms in chats if c.id == 4321012345][0]
    assert [m.sender for m in nameless] == [32507588] * 5 and not any(m.from_owner for m in nameless)
    # Same timestamp, order kept.
    assert [m.id for m in nameless] == [24712, 24713, 24714, 24715, 24716]
    _, c25 = read_all(FIX / "frozenspider_telegram_2025-12.result.json")
    fwd = by_id(c25, 123123123)[11112]
    assert fwd.forwarded and not fwd.from_owner  # "channel..." from_id is never the owner


def test_a_sender_read_before_is_read_the_same_for_every_owner():
    """from_id strings already seen are looked up, not parsed again: the owner is still
    decided per call, and a "user" prefix with more than an id is still no user."""
    for fid in ("user42", "user42", "user0042", "user4²", "user" + "9" * 19, "chat42"):
        for owner in (42, 7, 42):
            m = to_message({"id": 1, "type": "message", "date_unixtime": "5", "from_id": fid,
                            "text": "hi"}, owner)
            want = peer_id(fid)
            assert m.sender == want
            assert m.from_owner == (want == owner and fid.startswith("user"))


def test_owner_is_not_matched_by_name(tmp_path):
    data = json.loads(SINGLE.read_text())
    data["messages"][0]["from"] = "Me"  # the other person renamed to the owner's name
    p = tmp_path / "r.json"
    p.write_text(json.dumps(data))
    _, chats = read_all(p, 5333333333)
    assert [m.from_owner for m in chats[0][1]] == [False, True]


def test_forwarded_and_edits():
    _, chats = read_all(F2020)
    group = by_id(chats, 8123123123)
    assert group[39125].forwarded and group[39125].from_owner
    assert group[4730].edited == 0  # "1970-01-01T05:00:00" means never edited
    assert group[67346].edited > group[67346].date
    _, c24 = read_all(FIX / "frozenspider_telegram_2024-06_blockquote-collapsed.result.json")
    assert c24[0][1][0].edited == 1665499755


def test_single_chat_owner_required_flag_or_config():
    with pytest.raises(ExportError, match="--owner-id") as e:
        read_all(SINGLE)
    assert "senders in this chat: 5222222222 (Someone, 1 msgs), 5333333333 (Me, 1 msgs)" in str(e.value)
    r, chats = read_all(SINGLE, 5333333333)
    assert [m.from_owner for m in chats[0][1]] == [False, True]
    r = ExportReader(SINGLE, default_owner_id=5333333333)
    assert [m.from_owner for c in r for m in c.messages()] == [False, True]
    # The export's own owner beats the config default; the flag beats both.
    r = ExportReader(F2020, default_owner_id=1)
    list(c.skip() for c in r)
    assert r.owner_id == 11111111


def test_invalid_json_fixture_names_the_position(invalid_export):
    with pytest.raises(ExportError) as e:
        read_all(invalid_export)
    msg = str(e.value)
    assert "not valid JSON" in msg and "line 12, column 25" in msg and "\n" not in msg


def test_truncated_and_wrong_schema(tmp_path):
    cut = tmp_path / "cut.json"
    cut.write_bytes(F2020.read_bytes()[:20000])
    with pytest.raises(ExportError, match="truncated"):
        read_all(cut)
    cases = {
        "[1, 2]": "top level is an array",
        '{"about": "x", "contacts": {"list": []}}': "not a Telegram Desktop export",
        "": "empty",
        '"just a string"': "not an object",
    }
    for text, want in cases.items():
        p = tmp_path / "x.json"
        p.write_text(text)
        with pytest.raises(ExportError, match=want):
            read_all(p)


def test_unreadable_missing_and_directory(tmp_path, monkeypatch):
    with pytest.raises(ExportError, match="not found"):
        read_all(tmp_path / "nope.json")
    with pytest.raises(ExportError, match="directory"):
        read_all(tmp_path)
    p = tmp_path / "r.json"
    p.write_bytes(F2020.read_bytes())

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")

    import training.export.reader as ex

    monkeypatch.setattr(ex, "open", deny, raising=False)
    with pytest.raises(ExportError, match="cannot read export .*Permission denied"):
        read_all(p)


def _big_export(path: Path, chats: int, per_chat: int) -> None:
    with path.open("w") as f:
        f.write('{"personal_information": {"user_id": 1}, "chats": {"list": [')
        for c in range(chats):
            msgs = ",".join(json.dumps({
                "id": i, "type": "message", "date_unixtime": str(1000 + i * 60),
                "from_id": f"user{1 + i % 2}", "text": "x" * 200}) for i in range(per_chat))
            f.write(("," if c else "") + json.dumps({"name": f"c{c}", "type": "personal_chat",
                                                      "id": c + 10})[:-1] + f', "messages": [{msgs}]}}')
        f.write("]}}")


def test_streams_at_message_level(tmp_path):
    """The first message arrives after reading a small part of a big file."""
    p = tmp_path / "big.json"
    _big_export(p, chats=40, per_chat=300)
    read = [0]
    r = ExportReader(p, progress=lambda n: read.__setitem__(0, read[0] + n))
    chats = iter(r)
    chat = next(chats)
    next(chat.messages())
    assert read[0] < p.stat().st_size / 5


def test_left_chats_are_read_after_chats(tmp_path):
    data = json.loads((FIX / "frozenspider_telegram_2024-01.result.json").read_text())
    left = json.loads(json.dumps(data["chats"]["list"][0]))
    left.update(id=777, name="Left group", type="private_supergroup")
    data["left_chats"] = {"about": "", "list": [left]}
    p = tmp_path / "r.json"
    p.write_text(json.dumps(data))
    r, chats = read_all(p)
    assert [(c.id, len(ms)) for c, ms in chats] == [(123123123, 2), (777, 2)]
    assert r.messages_read == 4


def test_messages_only_while_the_chat_is_current():
    r = ExportReader(F2020)
    it = iter(r)
    first = next(it)
    second = next(it)  # first was skipped
    assert first.message_count == 31
    with pytest.raises(RuntimeError):
        first.messages()
    assert len(list(second.messages())) == 12


@pytest.mark.parametrize("mark", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
@pytest.mark.parametrize("text", ["привет{}мир", "hi{}", ["при{}вет ", {"type": "bold", "text": "да{}"}]])
def test_invisible_characters_leave_every_text_shape(mark, text):
    """A plain string is looked at by a fast path of its own (issue 23): the same result."""
    raw = [p.format(mark) if isinstance(p, str) else {**p, "text": p["text"].format(mark)}
           for p in text] if isinstance(text, list) else text.format(mark)
    m = to_message({"id": 1, "type": "message", "date_unixtime": "1700000000", "from_id": "user1",
                    "text": raw}, 1)
    assert mark not in m.text and m.text == (visible_text(raw) or "")
    assert m.text in ("приветмир", "hi", "привет да")
