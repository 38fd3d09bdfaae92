"""The message pass's fast path (issue 23): orjson where it can be sure, yajl where it
cannot -- the same messages and the same errors as yajl alone, however the reads cut."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from ijson.backends import yajl2_c as ijson_c

from fixtures_mutate import FIX, mutated, small_exports
from training.export.fast_items import FastItems
from training.export.guard import FileGuard, GuardedFile
from training.export.messages import to_message
from training.export.reader import ExportReader

FULL = "chats.list.item.messages.item"
TRICKY = ['a ] } { [ " \\ \\" ]', "\\u005d }", "]]]}}}", '"messages": [', "", "\\\\", "ё 😀"]


class _Chunks:
    """A file whose reads return a few bytes at a time."""

    def __init__(self, data: bytes, rnd: random.Random):
        self.f, self.rnd = io.BytesIO(data), rnd

    def read(self, n: int = -1) -> bytes:
        return self.f.read(self.rnd.randint(1, 40))


def _export(rnd: random.Random, odd: bool) -> dict:
    chats = []
    for c in range(4):
        msgs: list = []
        for i in range(rnd.randint(0, 8)):
            text = rnd.choice(TRICKY) + str(i)
            if odd and rnd.random() < 0.15:
                msgs.append(rnd.choice([7, "a string ]", None, [{"id": i}, "]"], {}]))
                continue
            msgs.append({"id": i, "type": "message", "from_id": "user1",
                         "text": [text, {"type": "bold", "text": "]{"}],
                         "text_entities": [{"type": "plain", "text": text}]})
        chats.append({"name": rnd.choice(TRICKY), "type": "personal_chat", "id": c,
                      "messages": msgs})
    # containers at the messages' depth outside any chat, and a "messages" key elsewhere
    other = {"list": [{"messages": [{"id": 99}], "x": [[{"id": 98}]]}]}
    return {"about": "x", "personal_information": {"user_id": 1}, "contacts": other,
            "chats": {"about": "{[", "list": chats}, "left_chats": {"list": []}}


def _items(data: bytes, rnd: random.Random | None, prefix: str = FULL) -> tuple[list, bool]:
    guard = FileGuard("t")

    def slow():
        return ijson_c.items(GuardedFile(io.BytesIO(data), guard), prefix)

    f = _Chunks(data, rnd) if rnd is not None else io.BytesIO(data)
    fast = FastItems(GuardedFile(f, guard), prefix, slow)
    return list(fast), fast.fell_back


@pytest.mark.parametrize("seed", range(40))
def test_the_messages_are_those_yajl_gives_however_reads_cut(seed):
    rnd = random.Random(seed)
    odd = seed % 4 == 3  # values that are not messages among them: yajl's to give
    doc = _export(rnd, odd)
    data = json.dumps(doc, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice([None, 1])).encode()
    got, fell_back = _items(data, rnd)
    assert got == list(ijson_c.items(io.BytesIO(data), FULL))
    assert got == [m for c in doc["chats"]["list"] for m in c["messages"]]
    scalars = any(not isinstance(m, (dict, list)) for c in doc["chats"]["list"]
                  for m in c["messages"])
    assert fell_back == scalars


def test_a_single_chat_export_is_read_at_its_own_depth():
    doc = {"name": "A ]", "type": "personal_chat", "id": 5,
           "messages": [{"id": 1, "text": "}"}, {"id": 2, "text": ["x", {"text": "]"}]}]}
    got, fell_back = _items(json.dumps(doc).encode(), random.Random(1), "messages.item")
    assert got == doc["messages"] and not fell_back


def _doc(messages: str) -> bytes:
    return ('{"personal_information": {"user_id": 1}, "chats": {"list": [{"name": "a", '
            '"type": "personal_chat", "id": 2, "messages": [' + messages + "]}]}}").encode()


M1 = '{"id": 1, "type": "message", "text": "hi", "from_id": "user1"}'
M2 = '{"id": 2, "type": "message", "text": "yo", "from_id": "user2"}'


@pytest.mark.parametrize("case, fast", [
    (M1 + ", " + M2, True),
    ("", True),
    (M1 + ", 5, " + M2, False),  # a value that is not a container
    (M1 + ", " + M2 + ", ", False),  # a trailing comma: yajl's error
    (M1 + " " + M2, False),  # no comma
    # beyond 64 bits: a float to orjson, an int to yajl, to_message's MALFORMED either way
    ('{"id": 123456789012345678901234567890, "type": "message"}', True),
    ('{"id": 1, "type": "message", "x": 1e999}', False),
    ('{"id": 1, "from_id": "user1", "from_id": "user2"}', False),  # renamed by the guard
    ('{"id": 1, "text": "a\tb"}', False),  # a raw tab in a string
])
def test_what_orjson_cannot_be_sure_of_is_yajls(case, fast):
    data = _doc(case)
    try:
        want = ("read", [to_message(v, 1) if isinstance(v, dict) else v for v in
                         ijson_c.items(GuardedFile(io.BytesIO(data), FileGuard("t")), FULL)])
    except Exception as e:  # noqa: BLE001 - compared
        want = ("error", type(e).__name__)
    try:
        got, fell_back = _items(data, None)
        got = ("read", [to_message(v, 1) if isinstance(v, dict) else v for v in got])
    except Exception as e:  # noqa: BLE001 - compared
        got, fell_back = ("error", type(e).__name__), True
    assert got == want
    assert fell_back == (not fast)


def test_a_path_key_written_with_an_escape_is_yajls():
    data = _doc(M1).replace(b'"messages"', b'"\\u006dessages"')
    got, fell_back = _items(data, None)
    assert fell_back and got == [json.loads(M1)]


def _read(path: Path, fast: bool) -> tuple:
    """What reading ``path`` gives: every chat and message, or the error."""
    try:
        out = []
        reader = ExportReader(path, owner_id=1, fast=fast)
        for chat in reader:
            got = (list(chat.messages()) if chat.index % 3 else chat.skip())
            out.append((chat.id, chat.name, chat.type, got, chat.message_count))
        return ("read", out, reader.messages_read, reader.repaired_surrogates)
    except Exception as e:  # noqa: BLE001 - compared, not handled
        return (type(e).__name__, str(e))


def test_real_exports_are_read_on_the_fast_path(tmp_path):
    """The fixtures, 2020-2026 schema eras: the same as yajl's, and never a fallback."""
    for path in sorted(FIX.glob("*.json")):
        reader = ExportReader(path, owner_id=1)
        for chat in reader:
            chat.skip()
        assert reader._fast is not None and not reader._fast.fell_back, path.name
        assert _read(path, True) == _read(path, False), path.name


@pytest.mark.parametrize("seed", range(8))
def test_broken_exports_read_as_yajl_reads_them(tmp_path, seed):
    """Bytes deleted, inserted and changed in real exports: the same chats and messages, or
    the same error at the same place, with the fast path and without."""
    rnd = random.Random(seed)
    sources = small_exports()
    inserts = [b"{", b"}", b"[", b"]", b'"', b",", b"\\", b":", b" x", b"5, ", b"1e999",
               b"18446744073709551616", b"\t", b'"from_id": "user7", ', b"\\ud800", b"\xff"]
    path = tmp_path / "result.json"
    for _ in range(50):
        path.write_bytes(mutated(rnd, sources, inserts, delete=0.3, insert=0.75))
        assert _read(path, True) == _read(path, False)


def test_left_chats_cut_strings_and_repairs_are_read_on_the_fast_path(tmp_path):
    """Chats you left (a second walk), a string past the guard's cut, a message spanning
    many reads, a lone surrogate and a byte order mark: as yajl reads them, no fallback."""
    def chat(cid: int, n: int, big: object = None) -> dict:
        return {"name": f"c{cid}", "type": "personal_chat", "id": cid, "messages": [
            {"id": i, "type": "message", "date_unixtime": str(1_700_000_000 + i),
             "from_id": f"user{1 + i % 2}", "text": big if big is not None and i == 3
             else f"line {i} \ud800"} for i in range(1, n + 1)]}

    doc = {"personal_information": {"user_id": 1},
           "chats": {"list": [chat(5, 20, "ж" * 300_000), chat(6, 10, ["q" * 999] * 300)]},
           "left_chats": {"list": [chat(7, 30), chat(8, 0)]}}
    path = tmp_path / "result.json"
    path.write_text("\ufeff" + json.dumps(doc, indent=1), encoding="utf-8")
    reader = ExportReader(path, owner_id=1)
    texts = [len(m.text) for c in reader for m in c.messages()]
    assert reader._fast is not None and not reader._fast.fell_back
    assert reader.repaired_surrogates == 58 and len(texts) == 60 and max(texts) == 4096
    assert _read(path, True) == _read(path, False)


def test_the_message_pass_takes_the_scans_the_outline_made(tmp_path, monkeypatch):
    """The chat pass's outline scans every chunk first: the message pass, reading the same
    chunks later, takes those scans instead of scanning again, and reads the same."""
    from training.export import fast_items

    rnd = random.Random(5)
    chats = [{"name": f"c{c}", "type": "personal_chat", "id": c, "messages": [
        {"id": i, "type": "message", "date_unixtime": str(1_700_000_000 + i),
         "from_id": f"user{1 + i % 2}", "text": rnd.choice(TRICKY) * rnd.randint(1, 9),
         "text_entities": [{"type": "plain", "text": "]"}]} for i in range(1, 1500)]}
        for c in range(3)]
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"personal_information": {"user_id": 1},
                                "chats": {"list": chats}}, indent=1), encoding="utf-8")
    assert path.stat().st_size > 8 * (1 << 16)
    scanned = []
    real = fast_items._Walk._scan
    monkeypatch.setattr(fast_items._Walk, "_scan",
                        lambda self, arr: scanned.append(len(arr)) or real(self, arr))
    assert _read(path, True) == _read(path, False)
    assert not scanned


def test_without_orjson_the_reader_keeps_to_yajl(monkeypatch):
    from training.export import fast_items

    path = FIX / "frozenspider_telegram_2025-12.result.json"
    fast = _read(path, True)
    monkeypatch.setattr(fast_items, "AVAILABLE", False)
    reader = ExportReader(path, owner_id=1)
    for chat in reader:
        chat.skip()
    assert reader._fast is None
    assert _read(path, True) == fast and fast[0] == "read" and fast[2] > 0
