"""Bad exports: wrong types, numbers out of range, lone surrogates, deep nesting,
huge numbers, misleading layouts. Each one is skipped with a counted reason in stats.json
or refused with one clean line (exit 1) -- never a traceback, never unbounded memory.
(training/export/, the prepare CLI)"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from clonebot.cli import cli
from clonebot.errors import ExportError
from fixtures_dataset import assert_one_line_error
import training.commands.prepare
from training.export import MALFORMED, TEXT, ExportReader
from training.export.guard import MAX_DEPTH, FileGuard, GuardedFile, _scan_slowly

training.commands.prepare.register(cli)
ROOT = Path(__file__).resolve().parents[1]
OWNER, FRIEND = 111, 222


pytestmark = pytest.mark.usefixtures("clean_prepare_env")


def msg(mid: int, sender: int, text, t: int = 0, **extra) -> dict:
    m = {"id": mid, "type": "message", "date": "2024-01-01T10:00:00",
         "date_unixtime": str(1_700_000_000 + mid * 10 + t), "from": f"U{sender}",
         "from_id": f"user{sender}", "text": text}
    m.update(extra)
    return m


def dialogue(n: int = 6) -> list[dict]:
    return [msg(i, FRIEND if i % 2 else OWNER, f"line {i}") for i in range(1, n + 1)]


def full_export(chats: list[dict]) -> dict:
    return {"personal_information": {"user_id": OWNER, "first_name": "Me"},
            "chats": {"about": "", "list": chats}}


def chat(messages: list, cid=5, name="Friend", ctype="personal_chat") -> dict:
    return {"name": name, "type": ctype, "id": cid, "messages": messages}


def write(tmp_path: Path, data, name="result.json") -> Path:
    p = tmp_path / name
    if isinstance(data, (bytes, bytearray)):
        p.write_bytes(data)
    else:
        p.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
                     encoding="utf-8")
    return p


def read_all(path, owner_id=None):
    r = ExportReader(path, owner_id)
    return r, [(c, list(c.messages())) for c in r]


def run(*args):
    return CliRunner().invoke(cli, ["prepare", *map(str, args)])


assert_refused = assert_one_line_error


def stats_of(out: Path) -> dict:
    return json.loads((out / "stats.json").read_text())


# -- wrong types and ranges inside a message ------------------------------------------------
BAD_MESSAGES = {
    "entity text is a number": {"text": ["hi ", {"type": "bold", "text": 5}]},
    "entity text is a list": {"text": [{"type": "bold", "text": ["x"]}]},
    "text list holds a number": {"text": ["a", 7]},
    "text is a number": {"text": 12},
    "text is an object": {"text": {"type": "bold", "text": "x"}},
    "from_id user--5": {"from_id": "user--5"},
    "from_id superscript digit": {"from_id": "user²"},
    "from_id is a list": {"from_id": [1]},
    "from_id 10^30": {"from_id": 10**30},
    "id 10^30": {"id": 10**30},
    "id is a string": {"id": "7"},
    "id is true": {"id": True},
    "date_unixtime superscript and no date": {"date_unixtime": "²", "date": None},
    "date_unixtime 30 digits and no date": {"date_unixtime": "9" * 30, "date": "x"},
    "date year 99999": {"date_unixtime": None, "date": "99999-01-01T00:00:00"},
}


@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
def test_a_bad_field_makes_the_message_malformed_not_a_crash(case, tmp_path):
    msgs = dialogue()
    bad = msg(99, OWNER, "ok")
    bad.update(BAD_MESSAGES[case])
    msgs.insert(3, bad)
    _, chats = read_all(write(tmp_path, full_export([chat(msgs)])))
    kinds = [m.kind for m in chats[0][1]]
    assert kinds.count(MALFORMED) == 1 and kinds.count(TEXT) == 6, kinds


def test_odd_but_readable_fields_keep_the_message(tmp_path):
    msgs = [
        msg(1, FRIEND, "hi", date_unixtime="²"),  # falls back to the ISO date
        msg(2, OWNER, "", media_type="sticker", sticker_emoji=5),  # no emoji: media only
        msg(3, OWNER, "", media_type="sticker", sticker_emoji=["😀"]),
        msg(4, OWNER, "yo", edited_unixtime="9" * 30, edited="garbage"),  # edit time ignored
        msg(5, OWNER, "yo", edited_unixtime="²"),
        msg(6, FRIEND, "ok", from_id=None),  # deleted account: no sender
    ]
    _, chats = read_all(write(tmp_path, full_export([chat(msgs)])))
    got = {m.id: m for m in chats[0][1]}
    assert got[1].kind == TEXT and got[1].date == 1_704_103_200
    assert got[2].kind == got[3].kind == "media_only"
    assert got[4].edited == 0 and got[5].edited == 0 and got[4].kind == TEXT
    assert got[6].sender is None and not got[6].from_owner


def test_bad_chat_ids_skip_the_chat_with_a_reason(tmp_path):
    chats = [chat(dialogue(), cid="--200"), chat(dialogue(), cid=10**30, name="Big"),
             chat(dialogue(), cid=7, name="Good")]
    out = tmp_path / "ds"
    r = run(write(tmp_path, full_export(chats)), "--out", out)
    assert r.exit_code == 0, r.output
    st = stats_of(out)
    assert st["chats_skipped"] == {"bad_id": 2} and st["chats_used"] == 1
    assert st["skipped"]["chat_not_used"] == 12


def test_malformed_messages_are_counted_in_stats(tmp_path):
    msgs = dialogue()
    msgs[1:1] = [msg(50, OWNER, "x", id=10**30), msg(51, OWNER, "x", date_unixtime="9" * 28,
                                                     date=None),
                 msg(52, OWNER, ["a", {"type": "bold", "text": 1}])]
    out = tmp_path / "ds"
    r = run(write(tmp_path, full_export([chat(msgs)])), "--out", out)
    assert r.exit_code == 0, r.output
    assert stats_of(out)["skipped"]["malformed"] == 3


def test_owner_id_of_the_wrong_type_is_one_clean_line(tmp_path):
    data = full_export([chat(dialogue())])
    data["personal_information"]["user_id"] = "111"
    out = tmp_path / "ds"
    assert_refused(run(write(tmp_path, data), "--out", out), out,
                   "personal_information.user_id is not a user id", "--owner-id")
    r = run(write(tmp_path, data), "--out", out, "--owner-id", OWNER)
    assert r.exit_code == 0, r.output


# -- lone surrogates, byte order marks, encodings -------------------------------------------
def _with_text(data: dict, raw_text: str) -> str:
    return json.dumps(data, ensure_ascii=False).replace('"@@"', raw_text)


@pytest.mark.parametrize("layout", ["single", "full"])
def test_lone_surrogate_escapes_are_read_as_replacement_characters(layout, tmp_path):
    msgs = dialogue()
    msgs[3]["text"] = "@@"
    data = ({"name": "Friend", "type": "personal_chat", "id": 5, "messages": msgs}
            if layout == "single" else full_export([chat(msgs)]))
    p = write(tmp_path, _with_text(data, '"x \\udc80 and \\ud83d\\ude00 and \\uD800"'))
    r, chats = read_all(p, OWNER)
    assert chats[0][1][3].text == "x \ufffd and \U0001F600 and \ufffd"
    assert r.repaired_surrogates == 2
    out = tmp_path / "ds"
    res = run(p, "--out", out, "--owner-id", OWNER)
    assert res.exit_code == 0, res.output
    assert stats_of(out)["repaired"] == {"lone_surrogate": 2}


def test_escaped_backslash_before_u_is_text_not_an_escape(tmp_path):
    msgs = dialogue()
    msgs[3]["text"] = "@@"
    p = write(tmp_path, _with_text(full_export([chat(msgs)]), '"C:\\\\udc80"'))
    r, chats = read_all(p)
    assert chats[0][1][3].text == "C:\\udc80" and r.repaired_surrogates == 0


@pytest.mark.parametrize("size", [1, 5, 11, 12, 13, 64, 4097])
def test_escapes_split_across_reads_are_judged_whole(size):
    text = b'["a\\ud83d\\ude00b", "\\\\\\udc80", "\\\\\\\\udc80", "x\\ud800"]'
    src = GuardedFile(io.BytesIO(text), FileGuard("t"))
    out = b""
    while chunk := src.read(size):
        out += chunk
    assert json.loads(out) == ["a\U0001F600b", "\\\ufffd", "\\\\udc80", "x\ufffd"]
    assert src.guard.repaired == 2


def test_byte_order_mark_is_read_and_utf16_is_named(tmp_path):
    data = json.dumps(full_export([chat(dialogue())])).encode()
    _, chats = read_all(write(tmp_path, b"\xef\xbb\xbf" + data))
    assert len(chats[0][1]) == 6
    with pytest.raises(ExportError, match="not valid JSON|UTF-16") as e:
        read_all(write(tmp_path, data.decode().encode("utf-16"), "u16.json"))
    assert "\n" not in str(e.value)


def test_invalid_utf8_is_named(tmp_path):
    msgs = dialogue()
    msgs[2]["text"] = "@@"
    p = write(tmp_path, _with_text(full_export([chat(msgs)]), '"bad \xff"').encode("latin-1"))
    with pytest.raises(ExportError, match="is not UTF-8 text at line 1"):
        read_all(p)


# -- nesting and numbers the parser must never see ----------------------------------------
def _nested(depth: int) -> str:
    inner = "[" * depth + '"deep"' + "]" * depth
    msgs = dialogue()
    msgs[2]["text"] = "@@"
    return _with_text(full_export([chat(msgs)]), inner)


def test_deep_nesting_is_refused_before_it_costs_memory(tmp_path):
    p = write(tmp_path, _nested(5000))  # ~62 MB of prefix strings in ijson if parsed
    tracemalloc.start()
    try:
        with pytest.raises(ExportError, match=f"nests deeper than {MAX_DEPTH} levels") as e:
            read_all(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak
    assert "\n" not in str(e.value) and "byte" in str(e.value)


def test_nesting_within_the_limit_is_read(tmp_path):
    _, chats = read_all(write(tmp_path, _nested(MAX_DEPTH - 8)))
    assert chats[0][1][2].kind == MALFORMED  # a list in a text list: not tdesktop's shape
    assert [m.kind for m in chats[0][1]].count(TEXT) == 5


def test_brackets_in_strings_do_not_count_as_nesting(tmp_path):
    msgs = dialogue()
    msgs[2]["text"] = "[" * 5000 + '\\"{' * 300 + "\\\\"
    _, chats = read_all(write(tmp_path, full_export([chat(msgs)])))
    assert chats[0][1][2].text.startswith("[[[")


def _prepare_in_subprocess(export: Path, out: Path) -> subprocess.CompletedProcess:
    # A separate interpreter: before the guard, yajl2_c crashed it outright (SIGSEGV).
    # Its peak RSS from VmHWM (getrusage's maxrss would include this big process, forked).
    code = ("import re, sys; from clonebot.cli import main; sys.argv = ['clonebot', "
            f"'prepare', {str(export)!r}, '--out', {str(out)!r}]\n"
            "try:\n    main()\nfinally:\n"
            "    hwm = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1]\n"
            "    print('maxrss', hwm, file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=out.parent, timeout=120)


def test_huge_numbers_and_100k_nesting_in_a_fresh_process(tmp_path):
    big = full_export([chat(dialogue())])
    big["chats"]["list"][0]["messages"][2]["id"] = "@@"
    cases = {
        "big-int.json": (_with_text(big, "1" * 5000), "a number with more than"),
        "deep.json": (_nested(100_000), "nests deeper than"),
    }
    for name, (text, needle) in cases.items():
        out = tmp_path / f"out-{name}"
        p = _prepare_in_subprocess(write(tmp_path, text, name), out)
        lines = [ln for ln in p.stderr.splitlines() if not ln.startswith("maxrss")]
        assert p.returncode == 1, (name, p.returncode, p.stderr[-2000:])
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
        maxrss_mb = int(p.stderr.rsplit("maxrss", 1)[1]) / 1024
        assert maxrss_mb < 400, maxrss_mb
        assert not out.exists()


def test_long_digit_runs_inside_strings_are_text(tmp_path):
    msgs = dialogue()
    msgs[2]["text"] = "pi: 3." + "1415926535" * 600
    _, chats = read_all(write(tmp_path, full_export([chat(msgs)])))
    assert chats[0][1][2].text.endswith("535")


_OUTSIDE = [b"[", b"]", b"{", b"}", b"1", b"0" * 40, b" ", b":", b","]
_INSIDE = [b"a", b"[", b"]", b"{", b"}", b"7" * 30, b'\\"', b"\\\\", b"\\n", b"\\udc80",
           b"\\ud800", b"\\ud83d\\ude00", b"\\u0041", b"\\\\udc80", b"\\uDBFF\\uDFFF"]


def _random_json_ish(rng: random.Random) -> bytes:
    """Random bytes with backslashes only inside strings (elsewhere yajl stops first)."""
    out, inside = [], False
    for _ in range(rng.randint(0, 300)):
        if rng.random() < 0.15:
            out.append(b'"')
            inside = not inside
        else:
            out.append(rng.choice(_INSIDE if inside else _OUTSIDE))
    return b"".join(out)


def test_fast_scan_agrees_with_the_state_machine():
    """The numpy scan, fed in random reads, ends in the state the plain byte-by-byte
    machine reaches; what is handed out differs only by repaired lone surrogates."""
    rng = random.Random(1234)
    for _ in range(400):
        data = _random_json_ish(rng)
        guard = FileGuard("t")
        src = GuardedFile(io.BytesIO(data), guard)
        out = b""
        slow_in, slow_depth, stop = _scan_slowly(data, False, 0)
        try:
            while chunk := src.read(rng.randint(1, 50)):
                out += chunk
        except ExportError:
            assert stop < len(data), data  # the slow machine also went too deep
            continue
        assert stop == len(data), data
        assert (guard.in_string, guard.depth) == (slow_in, slow_depth), data
        assert len(out) == len(data)
        assert out.count(b"\\ufffd") - data.count(b"\\ufffd") == guard.repaired


def test_handed_out_strings_decode_like_json_with_surrogates_replaced():
    rng = random.Random(99)
    for _ in range(200):
        parts = [b"".join(rng.choice(_INSIDE) for _ in range(rng.randint(0, 12)))
                 for _ in range(rng.randint(1, 6))]
        data = b"[" + b", ".join(b'"' + p + b'"' for p in parts) + b"]"
        src = GuardedFile(io.BytesIO(data), FileGuard("t"))
        out = b""
        while chunk := src.read(rng.randint(1, 30)):
            out += chunk
        want = [re.sub("[\ud800-\udfff]", "\ufffd", x) for x in json.loads(data)]
        assert json.loads(out) == want, data


# -- misleading layouts ---------------------------------------------------------------------
def test_whitespace_only_file_is_not_called_truncated(tmp_path):
    out = tmp_path / "ds"
    err = assert_refused(run(write(tmp_path, " \n\t\n" * 100), "--out", out), out, "whitespace")
    assert "truncated" not in err


def test_duplicate_messages_key_is_named(tmp_path):
    text = json.dumps(full_export([chat(dialogue(), cid=5)]))
    text = text.replace('"messages": [', '"messages": [], "messages": [', 1)
    out = tmp_path / "ds"
    assert_refused(run(write(tmp_path, text), "--out", out), out, "two 'messages' arrays")
    single = json.dumps({"name": "F", "type": "personal_chat", "id": 5, "messages": dialogue()})
    single = single.replace('"messages": [', '"messages": [], "messages": [', 1)
    assert_refused(run(write(tmp_path, single, "s.json"), "--out", out, "--owner-id", OWNER),
                   out, "two 'messages' arrays")


def test_keys_out_of_tdesktop_order_are_refused_not_misread(tmp_path):
    # A tool that sorts keys puts name/type after messages: the next chat would inherit them.
    chats = [chat(dialogue(), cid=5, ctype="public_channel"), chat(dialogue(), cid=6)]
    text = json.dumps(full_export(chats), sort_keys=True)
    out = tmp_path / "ds"
    assert_refused(run(write(tmp_path, text), "--out", out), out, "out of Telegram Desktop's order")
    single = json.dumps({"name": "F", "type": "personal_chat", "id": 5, "messages": dialogue()},
                        sort_keys=True)
    assert_refused(run(write(tmp_path, single, "s.json"), "--out", out, "--owner-id", OWNER),
                   out, "out of Telegram Desktop's order")


def test_messages_as_an_object_is_refused(tmp_path):
    data = full_export([chat({"item": msg(1, FRIEND, "x")}), chat(dialogue(), cid=6)])
    out = tmp_path / "ds"
    assert_refused(run(write(tmp_path, data), "--out", out), out, "'messages' is an object")


def _serve_through_pipe(data: bytes) -> tuple[str, threading.Thread]:
    r, w = os.pipe()

    def feed():
        try:
            with os.fdopen(w, "wb") as f:
                f.write(data)
        except BrokenPipeError:  # the reader refused the pipe
            pass

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return f"/dev/fd/{r}", t


def test_export_from_a_pipe_is_read(tmp_path):
    data = json.dumps(full_export([chat(dialogue())])).encode()
    path, feeder = _serve_through_pipe(data)
    out = tmp_path / "ds"
    r = run(path, "--out", out)
    feeder.join(5)
    assert r.exit_code == 0, r.output
    assert stats_of(out)["export"] == path and stats_of(out)["samples"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_reader_on_a_pipe_says_a_file_is_needed(tmp_path):
    path, feeder = _serve_through_pipe(b"{}")
    with pytest.raises(ExportError, match="not a regular file"):
        read_all(path)
    os.close(int(path.rsplit("/", 1)[1]))
    feeder.join(5)


@pytest.mark.parametrize("given", ["folder", "messages.html", "renamed.json", "pipe"])
def test_an_html_export_says_to_export_json_again(tmp_path, given):
    """Telegram Desktop exports HTML by default: it was 'holds no Telegram export', or read
    as a WhatsApp chat with no messages, or 'its first byte is 0x3c'."""
    import subprocess
    import sys

    folder = tmp_path / "ChatExport_2026-12-06"
    folder.mkdir()
    page = b'<!DOCTYPE html>\n<html>\n <head>\n  <meta charset="utf-8"/>\n  <title>Exported Data</title>'
    (folder / "messages.html").write_bytes(page)
    (folder / "renamed.json").write_bytes(page)
    out = tmp_path / "ds"
    if given == "pipe":
        p = subprocess.run([sys.executable, "-m", "clonebot", "prepare", "/dev/stdin", "--out",
                            str(out)], input=page, capture_output=True, timeout=60)
        code, err = p.returncode, p.stderr.decode()
    else:
        arg = folder if given == "folder" else folder / given
        r = CliRunner().invoke(cli, ["prepare", str(arg), "--out", str(out)])
        code, err = r.exit_code, r.output
    assert code == 1 and "Traceback" not in err, err
    assert "HTML export" in err and "Machine-readable JSON" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
