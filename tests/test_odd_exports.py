"""Odd exports that lost messages silently: message ids given twice
in a chat, chats sharing one id, a key given twice in a message, forwards marked ``false``,
and messages longer than Telegram allows (cut, counted, in bounded memory)."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from clonebot.cli import cli
from fixtures_dataset import assert_one_line_error, leftovers
import training.commands.prepare
from training.export import TEXT
from training.export.guard import _MARKS, AUTHORSHIP_KEYS, FileGuard, GuardedFile, _mark_keys
from training.export.messages import MAX_TEXT

training.commands.prepare.register(cli)
ROOT = Path(__file__).resolve().parents[1]
OWNER, FRIEND, OTHER = 111, 222, 333

pytestmark = pytest.mark.usefixtures("clean_prepare_env")


def msg(mid: int, sender: int, text, t: int | None = None, **extra) -> dict:
    m = {"id": mid, "type": "message",
         "date_unixtime": str(1_700_000_000 + (mid if t is None else t) * 60),
         "from": f"U{sender}", "from_id": f"user{sender}", "text": text}
    m.update(extra)
    return m


def dialogue(n: int = 6, start: int = 1, friend: int = FRIEND, word: str = "line") -> list[dict]:
    return [msg(i, friend if i % 2 else OWNER, f"{word} {i}") for i in range(start, start + n)]


def export(chats: list[dict]) -> dict:
    return {"personal_information": {"user_id": OWNER}, "chats": {"list": chats}}


def chat(messages: list, cid=5, name="Friend", ctype="personal_chat") -> dict:
    return {"name": name, "type": ctype, "id": cid, "messages": messages}


def write(tmp_path: Path, data, name: str = "result.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
    return p


def run(*args):
    return CliRunner().invoke(cli, ["prepare", *map(str, args)])


def prepared(tmp_path: Path, data, *args, name: str = "ds") -> tuple[dict, Path]:
    out = tmp_path / name
    r = run(write(tmp_path, data, f"{name}.json"), "--out", out, *args)
    assert r.exit_code == 0, r.output
    return json.loads((out / "stats.json").read_text()), out


def records(out: Path) -> list[dict]:
    return pq.read_table(out / "messages.parquet").to_pylist()


def clone_texts(out: Path) -> list[str]:
    import datasets

    d = datasets.load_from_disk(str(out))
    return [t["content"] for split in d.values() for row in split["messages"] for t in row
            if t["role"] == "clone"]


# -- message ids given twice in a chat --------------------------------------------------------
def test_a_chat_whose_messages_share_one_id_is_counted_and_named(tmp_path):
    """All messages of a chat with id 0 collapsed into one row, counted as 'kept'."""
    msgs = [m | {"id": 0} for m in dialogue(8)] + dialogue(6, start=100)
    st, out = prepared(tmp_path, export([chat(msgs, cid=5, name="Zero"),
                                         chat(dialogue(6), cid=6, name="Fine")]))
    assert st["skipped"]["duplicate_id"] == 7  # 8 different messages, one id: one is kept
    assert st["messages_kept"] == 1 + 6 + 6 == st["messages_new"] == len(records(out))
    named = st["duplicates"]["chats_with_duplicate_message_ids"]
    assert named == [{"id": 5, "name": "Zero", "messages_dropped": 7}]
    r = run(write(tmp_path, export([chat(msgs, cid=5, name="Zero")]), "b.json"),
            "--out", tmp_path / "ds2")
    assert "chat 'Zero' (5) gives message ids twice: 7 messages dropped" in r.output


def test_the_same_message_twice_is_one_message_and_an_edit_wins(tmp_path):
    msgs = dialogue(6)
    again = [dict(m) for m in msgs[:3]]  # an export concatenated with itself, in part
    edited = msg(4, OWNER, "line 4, edited", edited_unixtime=str(1_700_000_000 + 4 * 60 + 30))
    st, out = prepared(tmp_path, export([chat(msgs + again + [edited])]))
    assert st["skipped"]["duplicate_message"] == 3 and st["skipped"]["duplicate_id"] == 1
    assert st["messages_kept"] == 6
    texts = {r["message_id"]: r["text"] for r in records(out)}
    assert texts[4] == "line 4, edited"  # the newer edit wins, as in a merge


def test_chats_that_share_an_id_are_not_merged(tmp_path):
    """Two personal chats with one id merged into one conversation, all messages 'kept'."""
    a = chat(dialogue(6, word="alice"), cid=5, name="Alice")
    b = chat(dialogue(6, start=50, friend=OTHER, word="bob"), cid=5, name="Bob")
    c = chat(dialogue(6, start=80, friend=OTHER, word="carol"), cid=5, name="Carol")
    st, out = prepared(tmp_path, export([a, b, c]))
    assert st["chats_skipped"]["shared_id"] == 2
    assert st["duplicates"]["chats_sharing_an_id"] == [
        {"id": 5, "kept": "Alice", "left_out": ["Bob", "Carol"]}]
    assert st["messages_kept"] == 6 == len(records(out))
    assert st["skipped"]["chat_not_used"] == 12
    assert {r["sender"] for r in records(out)} == {OWNER, FRIEND}
    assert not any("bob" in t or "carol" in t for t in clone_texts(out))


def test_a_chat_listed_twice_under_its_name_is_one_chat(tmp_path):
    a = chat(dialogue(6), cid=5, name="Alice")
    again = chat(dialogue(6, start=4), cid=5, name="Alice")  # overlaps messages 4-6
    st, out = prepared(tmp_path, export([a, again]))
    assert "shared_id" not in st["chats_skipped"]
    assert st["skipped"]["duplicate_message"] == 3 and "duplicate_id" not in st["skipped"]
    assert "chats_sharing_an_id" not in st["duplicates"]
    assert [r["message_id"] for r in records(out)] == list(range(1, 10))


# -- keys given twice ---------------------------------------------------------------------------
def test_from_id_twice_never_makes_a_friends_words_the_owners(tmp_path):
    msgs = dialogue(6)
    msgs.insert(3, msg(40, FRIEND, "this is MINE", t=4))
    text = json.dumps(export([chat(msgs)]))
    # The friend's message names the owner as its sender a second time: in a dict the
    # last value wins, and the friend's words became the owner's.
    twice = text.replace('"from_id": "user222", "text": "this is MINE"',
                         '"from_id": "user222", "x": 1, "from_id": "user111", '
                         '"text": "this is MINE"', 1)
    assert twice != text
    st, out = prepared(tmp_path, twice)
    assert st["skipped"]["duplicate_key"] == 1
    assert 40 not in [r["message_id"] for r in records(out)]
    assert not any("MINE" in t for t in clone_texts(out))
    # The same value twice decides nothing new: the message is kept.
    same = twice.replace('"x": 1, "from_id": "user111"', '"x": 1, "from_id": "user222"')
    st, out = prepared(tmp_path, same, name="same")
    assert "duplicate_key" not in st["skipped"] and 40 in [r["message_id"] for r in records(out)]


@pytest.mark.parametrize("key", ["forwarded_from", "saved_from", "via_bot"])
def test_a_forward_marker_given_twice_ending_false_is_not_trusted(key, tmp_path):
    """``"via_bot": false`` is not a forward; but a second key must not turn one off."""
    msgs = dialogue(6)
    text = json.dumps(export([chat(msgs)]))
    text = text.replace('"id": 2, ', f'"id": 2, "{key}": "Someone", "{key}": false, ', 1)
    st, out = prepared(tmp_path, text)
    assert st["skipped"]["duplicate_key"] == 1
    assert 2 not in [r["message_id"] for r in records(out)]


def test_false_means_not_forwarded_and_null_is_a_forward(tmp_path):
    """``false`` (from another tool) says "not forwarded"; tdesktop writes
    ``"forwarded_from": null`` for a forward from an account with no name (a deleted one),
    and clonebot fetch for an origin it cannot name: those stay forwards."""
    msgs = dialogue(8)
    msgs[1]["via_bot"] = False
    msgs[3]["forwarded_from"] = False
    msgs[5]["forwarded_from"] = None
    msgs[7]["via_bot"] = None
    st, out = prepared(tmp_path, export([chat(msgs)]))
    kept = {r["message_id"] for r in records(out)}
    assert {2, 4} <= kept and not {6, 8} & kept
    assert st["skipped"] == {"forwarded": 1, "via_bot": 1}


def _authorship_reference(text: str):
    """What the guard must make of ``text``: every authorship key given again in one object
    renamed ('#' the second time, '$' after), as pairs, in order."""
    def hook(pairs):
        seen: dict = {}
        out = []
        for k, v in pairs:
            if k in AUTHORSHIP_KEYS:
                seen[k] = seen.get(k, 0) + 1
                k = k if seen[k] == 1 else ("#" if seen[k] == 2 else "$") + k[1:]
            out.append((k, v))
        return out
    return json.loads(text, object_pairs_hook=hook)


def _random_json(rng: random.Random, depth: int = 0) -> str:
    keys = [*AUTHORSHIP_KEYS, "text", "id"]
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(['"from_id"', '"v"', "1", "null", "false", '"a\\\\\\"b\\u00e9"'])
    if rng.random() < 0.3:
        return "[" + ",".join(_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    ws = rng.choice(["", " ", "  \n "])
    return "{" + ",".join(f'"{rng.choice(keys)}"{ws}:{ws}{_random_json(rng, depth + 1)}'
                          for _ in range(rng.randint(0, 5))) + "}"


def test_duplicate_keys_are_found_whatever_the_reads():
    """The byte-level scan agrees with a JSON parser that sees every pair, for nested
    objects, keys that are also values, space before colons, and any read size."""
    rng = random.Random(22)
    for _ in range(400):
        text = "[" + ",".join(_random_json(rng) for _ in range(rng.randint(1, 6))) + "]"
        want = _authorship_reference(text)
        for size in (1, 3, 7, 64, 65536):
            src = GuardedFile(io.BytesIO(text.encode()), FileGuard("t"))
            out = b""
            while chunk := src.read(size):
                out += chunk
            assert json.loads(out, object_pairs_hook=list) == want, (text, size)


def test_keys_are_marked_as_one_replace_per_key_would():
    """The scan finds the five keys with three searches: what it marks is what replacing
    each key in turn marks, however keys, near-keys and shared quotes run together."""
    def one_replace_per_key(s: bytes):
        marked = []
        for m, (literal, marker) in _MARKS.items():
            if literal in s:
                s = s.replace(literal, marker)
                marked.append(m)
        return s, marked

    parts = [b'"', b"ed_from", b"_id", b"x", b":", b"forwarded", b"saved", b"_from",
             b'"from_id"', b'"via_bot"', b'"saved_from"', b'"forwarded_from"',
             b'"forwarded_from_id"']
    rng = random.Random(23)
    for i in range(20000):
        s = b"".join(rng.choice(parts) for _ in range(rng.randint(0, 300 if i % 50 == 0 else 12)))
        assert _mark_keys(s) == one_replace_per_key(s), s


# -- messages longer than Telegram allows ----------------------------------------------------------
def test_long_texts_are_cut_to_what_a_message_holds_and_counted(tmp_path):
    msgs = dialogue(6)
    msgs[1]["text"] = "x" * MAX_TEXT  # exactly the limit: kept whole
    msgs[3]["text"] = "я" * 5000
    msgs[5]["text"] = ["a" * 3000, {"type": "bold", "text": "b" * 3000}]  # entities joined
    st, out = prepared(tmp_path, export([chat(msgs)]))
    assert st["cut"] == {"long_message": 2}
    lengths = {r["message_id"]: len(r["text"]) for r in records(out)}
    assert lengths[2] == lengths[4] == lengths[6] == MAX_TEXT
    r = run(write(tmp_path, export([chat(msgs)]), "b.json"), "--out", tmp_path / "ds2")
    assert "cut to 4096 characters (what a Telegram message holds): long_message 2" in r.output


def test_a_cut_message_says_so():
    from training.export.messages import to_message

    m = to_message(msg(1, OWNER, "z" * 10_000), OWNER)
    assert m.kind == TEXT and m.cut and len(m.text) == MAX_TEXT
    assert not to_message(msg(1, OWNER, "z" * MAX_TEXT), OWNER).cut


def _prepare_in_subprocess(export_path: Path, out: Path) -> tuple[subprocess.CompletedProcess, float]:
    code = ("import re, sys; from clonebot.cli import main; sys.argv = ['clonebot', "
            f"'prepare', {str(export_path)!r}, '--out', {str(out)!r}]\n"
            "try:\n    main()\nfinally:\n"
            "    hwm = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1]\n"
            "    print('maxrss', hwm, file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLONEBOT_PREPARE__WORKERS": "0"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=out.parent, timeout=300)
    return p, int(p.stderr.rsplit("maxrss", 1)[1]) / 1024


@pytest.mark.parametrize("body", ["ascii", "cyrillic and digits"])
def test_a_50_mb_message_is_cut_in_bounded_memory(body, tmp_path):
    """One 50 MB message took 2.8 GB (and a Cyrillic one never finished scrubbing)."""
    unit = "word " if body == "ascii" else "пароль 12 "
    huge = unit * (50_000_000 // len(unit.encode()))
    msgs = dialogue(6)
    msgs[3]["text"] = huge
    path = write(tmp_path, export([chat(msgs)]))
    assert path.stat().st_size > 50_000_000
    out = tmp_path / "ds"
    p, peak_mb = _prepare_in_subprocess(path, out)
    assert p.returncode == 0, p.stderr[-2000:]
    assert peak_mb < 400, peak_mb
    st = json.loads((out / "stats.json").read_text())
    assert st["cut"] == {"long_message": 1}
    assert max(len(r["text"]) for r in records(out)) == MAX_TEXT


def test_a_message_of_millions_of_entities_is_refused_in_bounded_memory(tmp_path):
    msgs = dialogue(6)
    msgs[3]["text"] = [{"type": "plain", "text": "ab"}] * 700_000  # ~23 MB of small objects
    path = write(tmp_path, export([chat(msgs)]))
    out = tmp_path / "ds"
    p, peak_mb = _prepare_in_subprocess(path, out)
    lines = [ln for ln in p.stderr.splitlines() if not ln.startswith("maxrss")]
    assert p.returncode == 1 and len(lines) == 1, p.stderr[-2000:]
    assert "one message is larger than 16 MiB" in lines[0]
    assert peak_mb < 400, peak_mb
    assert not out.exists() and leftovers(out) == []
