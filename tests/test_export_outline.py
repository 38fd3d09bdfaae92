"""The outline the chat pass reads (issue 23: one full JSON parse instead of two): every
message emptied, everything else as it was, however the reads cut the file."""

from __future__ import annotations

import io
import json
import random

import pytest

from fixtures_mutate import mutated, small_exports
from training.export.guard import FileGuard, GuardedFile
from training.export.outline import Outline
from training.export.reader import ExportReader

TRICKY = ['a ] } { [ " \\ \\" ]', "\\u005d }", "]]]}}}", '{"messages": [1, 2]}', "", "\\\\"]


def _export(rnd: random.Random) -> dict:
    chats = []
    for c in range(5):
        msgs: list = []
        for i in range(rnd.randint(0, 8)):
            text = rnd.choice(TRICKY) + str(i)
            shape = rnd.random()
            if shape < 0.7:
                msgs.append({"id": i, "type": "message", "text": [text, {"type": "bold", "text": "]{"}],
                             "text_entities": [{"type": "plain", "text": text}], "from_id": "user1"})
            elif shape < 0.8:
                msgs.append(rnd.choice([7, "a string ]", None, True, -1.5e3]))
            elif shape < 0.9:
                msgs.append([{"id": i}, "]"])
            else:
                msgs.append({})
        chats.append({"name": rnd.choice(TRICKY), "type": "personal_chat", "id": c, "messages": msgs})
    return {"about": "x", "personal_information": {"user_id": 1},
            "chats": {"about": "{[", "list": chats}, "left_chats": {"list": []}}


def _emptied(value, depth: int):
    """``value`` with every container ``depth`` levels in (1: its own items) emptied."""
    if isinstance(value, dict):
        return {} if depth == 1 else {k: _emptied(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [] if depth == 1 else [_emptied(v, depth - 1) for v in value]
    return value


class _Chunks:
    """A file whose reads return a few bytes at a time."""

    def __init__(self, data: bytes, rnd: random.Random):
        self.f, self.rnd = io.BytesIO(data), rnd

    def read(self, n: int = -1) -> bytes:
        return self.f.read(self.rnd.randint(1, 40))


@pytest.mark.parametrize("seed", range(30))
def test_messages_are_emptied_and_the_rest_is_kept_however_reads_cut(seed):
    rnd = random.Random(seed)
    doc = _export(rnd)
    data = json.dumps(doc, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice([None, 1])).encode()
    src = GuardedFile(_Chunks(data, rnd), FileGuard("t"))
    outline = Outline(src, depth=6)
    got = b"".join(iter(lambda: outline.read(1 << 16), b""))
    assert json.loads(got) == _emptied(doc, 6)
    assert len(got) < len(data) or not any(c["messages"] for c in doc["chats"]["list"])


def test_a_single_chat_export_is_emptied_at_its_own_depth():
    doc = {"name": "A ]", "type": "personal_chat", "id": 5,
           "messages": [{"id": 1, "text": "}"}, 3, [1, [2]]]}
    src = GuardedFile(io.BytesIO(json.dumps(doc).encode()), FileGuard("t"))
    assert json.loads(Outline(src, depth=3).read(1 << 16)) == {**doc, "messages": [{}, 3, []]}


def test_the_reader_counts_every_message_however_shaped(tmp_path):
    doc = _export(random.Random(7))
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    counts = [chat.skip() for chat in ExportReader(path)]
    assert counts == [len(c["messages"]) for c in doc["chats"]["list"]]
    assert sum(counts) > 10


def test_broken_json_in_a_message_is_placed_where_it_is(tmp_path):
    """The chat pass never parses the message, the message pass does: its error, placed."""
    good = json.dumps({"personal_information": {"user_id": 1}, "chats": {"list": [
        {"name": "a", "type": "personal_chat", "id": 2, "messages": [
            {"id": 1, "type": "message", "text": "hi", "from_id": "user1"},
            {"id": 2, "type": "message", "text": "BROKEN", "from_id": "user1"}]}]}}, indent=1)
    path = tmp_path / "result.json"
    path.write_text(good.replace('"BROKEN"', '"x" "y"'), encoding="utf-8")
    line = good[: good.index('"BROKEN"')].count("\n") + 1
    with pytest.raises(Exception) as err:
        for chat in ExportReader(path):
            chat.skip()
    assert f"is not valid JSON at line {line}," in str(err.value)


def _read(path, reader_module, outline) -> tuple:
    """What reading ``path`` gives: every chat and message, or the error."""
    reader_module.Outline = outline
    try:
        out = []
        reader = reader_module.ExportReader(path, owner_id=1)
        for chat in reader:
            got = ([(m.id, m.kind, m.text, m.sender) for m in chat.messages()]
                   if chat.index % 2 == 0 else chat.skip())
            out.append((chat.id, chat.name, chat.type, got, chat.message_count))
        return ("read", out, reader.messages_read)
    except Exception as e:  # noqa: BLE001 - compared, not handled
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("seed", range(8))
def test_broken_exports_read_as_with_both_passes_in_full(tmp_path, seed, monkeypatch):
    """Bytes deleted, inserted and changed in real exports: the reader with the outline
    gives what it gave reading the chats in full (the outline off): the same chats and
    messages, or the same error at the same place."""
    import training.export.reader as reader_module

    monkeypatch.setattr(reader_module, "Outline", Outline)  # put back after the test
    rnd = random.Random(seed)
    sources = small_exports()
    inserts = [b"{", b"}", b"[", b"]", b'"', b",", b"\\", b":", b" x", b'"messages": [1,',
               b'"name": "n", ']
    path = tmp_path / "result.json"
    for _ in range(60):
        path.write_bytes(mutated(rnd, sources, inserts))
        with_outline = _read(path, reader_module, Outline)
        in_full = _read(path, reader_module, lambda src, depth, scans=None: src)
        assert with_outline == in_full


def test_keys_out_of_order_are_the_plain_one_line_error(tmp_path):
    from clonebot.errors import ExportError

    path = tmp_path / "result.json"
    path.write_text(json.dumps({"personal_information": {"user_id": 1}, "chats": {"list": [
        {"messages": [{"id": 1, "text": "]"}], "name": "a", "type": "personal_chat", "id": 2}]}}),
        encoding="utf-8")
    with pytest.raises(ExportError) as err:
        for chat in ExportReader(path):
            chat.skip()
    assert type(err.value) is ExportError and "no name, type or id before its messages" in str(err.value)
