"""Fuzz ``clonebot prepare`` with mutated real exports (issues 10 and 22).

A few hundred exports are derived from the real fixtures (and the bundled sample, which
yields many samples) by seeded mutations, byte-level
(truncation, deleted/duplicated spans, stray quotes, brackets, escapes, invalid UTF-8) and
JSON-level (a value swapped for a wrong type, an out-of-range number, a lone surrogate, deep
nesting, a duplicated ``messages`` array, sorted keys, a whitespace-only file; since issue 22
message ids given twice, chats sharing an id, keys given twice in a message, a huge message).
Some cases arrive through a pipe that goes on after the export (zeros, whitespace, an
unclosed string, numbers: an endless stream, cut at 48 MB by the feeder, 32 MB by
prepare.pipe_limit_gb). Each one must end with exit code 0 (a dataset at --out) or 1
(exactly one ``error:`` line, nothing at --out), never a traceback, and the whole run must
stay within a fixed memory bound.

All cases run in one fresh interpreter (its peak RSS is the bound checked) through the real
CLI. Reproducible: ``CLONEBOT_FUZZ_SEED`` and ``CLONEBOT_FUZZ_CASES`` change the run; a
failure names its case and keeps the file.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).resolve().parent / "fixtures" / "telegram-exports"
SAMPLE = ROOT / "exports" / "sample" / "result.json"  # ours: the one with many samples
SEED = int(os.environ.get("CLONEBOT_FUZZ_SEED", "20261122"))
CASES = int(os.environ.get("CLONEBOT_FUZZ_CASES", "300"))
MAX_RSS_MB = 500

WEIRD_VALUES = [None, True, False, 0, -1, 10**30, -(10**25), 1.5, 1e300, "", " ", "²",
                "user--5", "user²", "--200", "user" + "9" * 30, "\udc80", "x \ud800 y",
                [], {}, [1, [2, [3]]], {"type": "bold", "text": 5}, ["a", {"text": None}],
                "9" * 28, "1970-01-01T00:00:00", "99999-01-01T00:00:00"]


def _nodes(obj, path=()):
    """Every (container, key) in a JSON value, to pick one to mutate."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield obj, k
            yield from _nodes(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield obj, i
            yield from _nodes(v, path + (i,))


def _chats(data) -> list[dict]:
    if isinstance(data, dict) and isinstance(data.get("chats"), dict):
        return [c for c in data["chats"].get("list", []) if isinstance(c, dict)]
    return [data] if isinstance(data, dict) else []


def _messages(data) -> list[dict]:
    return [m for c in _chats(data) for m in (c.get("messages") or []) if isinstance(m, dict)]


def _issue22_mutation(rng: random.Random, data) -> tuple[str, str] | None:
    """Message ids given twice, chats sharing an id, keys given twice, a huge message."""
    msgs, chats = _messages(data), _chats(data)
    what = rng.choice(["dup_ids", "same_id", "shared_chat_id", "dup_key", "huge_text"])
    if what == "dup_ids" and msgs:
        for m in rng.sample(msgs, min(len(msgs), rng.randint(1, 20))):
            m["id"] = rng.choice([msgs[0].get("id"), 0, 1])
    elif what == "same_id" and chats:  # a whole chat with one id
        for m in chats[0].get("messages") or []:
            if isinstance(m, dict):
                m["id"] = 7
    elif what == "shared_chat_id" and len(chats) > 1:
        for c in rng.sample(chats, rng.randint(2, len(chats))):
            c["id"] = chats[0].get("id")
            if rng.random() < 0.5:
                c["name"] = f"renamed {rng.random()}"
    elif what == "huge_text" and msgs:
        rng.choice(msgs)["text"] = rng.choice(["я1 ", "word ", "\n"]) * rng.choice(
            [5000, 400_000])
    elif what != "dup_key" or not msgs:
        return None
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5)
    if what == "dup_key":
        key = rng.choice(["from_id", "forwarded_from", "via_bot", "saved_from"])
        value = rng.choice(['"user1"', '"user5333333333"', "false", "null", '"x"', "5"])
        for _ in range(rng.randint(1, 10)):
            i = text.find('"id": ', rng.randrange(len(text)))
            if i >= 0:
                j = text.find(", ", i)
                text = text[: j + 2] + f'"{key}": {value}, "{key}": {value[::-1]}, ' + text[j + 2:]
    return what, text


def _json_mutation(rng: random.Random, data) -> tuple[str, str]:
    if rng.random() < 0.35:
        got = _issue22_mutation(rng, data)
        if got is not None:
            return got
    nodes = list(_nodes(data))
    what = rng.choice(["value", "value", "value", "delete", "nest", "sorted", "dup_messages",
                       "swap_lists"])
    if what in ("value", "delete", "nest") and nodes:
        for _ in range(rng.randint(1, 4)):
            container, key = rng.choice(nodes)
            if what == "value":
                container[key] = rng.choice(WEIRD_VALUES)
            elif what == "delete" and isinstance(container, dict):
                container.pop(key, None)
            elif what == "nest":
                depth = rng.choice([3, 50, 99, 101, 500, 5000, 100_000])
                v = "deep"
                container[key] = "@@NEST@@"
                text = json.dumps(data, ensure_ascii=rng.random() < 0.5)
                return f"nest {depth}", text.replace('"@@NEST@@"', "[" * depth + json.dumps(v) + "]" * depth, 1)
        return what, json.dumps(data, ensure_ascii=rng.random() < 0.5)
    if what == "sorted":
        return what, json.dumps(data, sort_keys=True)
    if what == "swap_lists":
        return what, json.dumps(data).replace('"messages": [', '"messages": {"item": ', 1).replace(
            "]", "}", 0)
    text = json.dumps(data, ensure_ascii=False)
    return what, text.replace('"messages": [', '"messages": [], "messages": [', 1)


def _byte_mutation(rng: random.Random, raw: bytes) -> tuple[str, bytes]:
    n = len(raw)
    what = rng.choice(["truncate", "delete", "duplicate", "insert", "insert", "flip",
                       "long_number", "whitespace"])
    if what == "truncate":
        return what, raw[: rng.randrange(n)]
    if what == "whitespace":
        return what, b" \n\t" * rng.randint(0, 50)
    a = rng.randrange(n)
    b = min(n, a + rng.randint(1, 200))
    if what == "delete":
        return what, raw[:a] + raw[b:]
    if what == "duplicate":
        return what, raw[:b] + raw[a:b] + raw[b:]
    if what == "flip":
        out = bytearray(raw)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(n)] = rng.randrange(256)
        return what, bytes(out)
    if what == "long_number":
        return what, raw[:a] + b"1" * rng.choice([20, 400, 5000]) + raw[a:]
    junk = rng.choice([b'"', b"\\", b"\\udc80", b"\\ud83d", b"[", b"{", b"]", b"}", b",",
                       b"\xff\xfe", b"\x00", b"\xef\xbb\xbf", b"[" * 300, b"1e999", b"null"])
    return f"insert {junk[:12]!r}", raw[:a] + junk + raw[a:]


def make_cases(tmp: Path) -> list[dict]:
    rng = random.Random(SEED)
    sources = sorted(FIX.glob("*.result.json"))
    raw = {p: p.read_bytes() for p in [*sources, SAMPLE]}
    cases = []
    for i in range(CASES):
        src = SAMPLE if rng.random() < 0.4 else rng.choice(sources)
        if rng.random() < 0.5:
            what, text = _json_mutation(rng, json.loads(raw[src]))
            data = text.encode("utf-8", "surrogatepass")
        else:
            what, data = _byte_mutation(rng, raw[src])
        path = tmp / f"case-{i:03d}.json"
        path.write_bytes(data)
        args = []
        if "single_chat" in src.name or rng.random() < 0.2:
            args += ["--owner-id", rng.choice(["5333333333", "1", "11111111"])]
        if rng.random() < 0.5:
            args.append("--groups")
        # Through a pipe, the case then an endless tail (cut by the feeder at 48 MB).
        tail = rng.choice(TAILS) if rng.random() < 0.06 else None
        cases.append({"i": i, "source": src.name, "mutation": what + (f" | {tail}" if tail else ""),
                      "path": str(path), "out": str(tmp / f"out-{i:03d}" / "ds"), "args": args,
                      "tail": tail})
    return cases


TAILS = ["zeros", "spaces", "open string", "numbers", "the export again"]


RUNNER = r"""
import json, os, re, sys, threading, traceback
from pathlib import Path
from click.testing import CliRunner
from clonebot.cli import cli
from training.commands import prepare as prepare_cmd
prepare_cmd.register(cli)
cases = json.loads(Path(sys.argv[1]).read_text())
TAIL = {"zeros": b"\0" * 65536, "spaces": b" " * 65536, "open string": b'"' + b"a" * 65535,
        "numbers": b"1," * 32768}
def feed(w, data, tail):
    try:
        os.write(w, data) if len(data) < 65536 else [os.write(w, data[i:i + 65536])
                                                      for i in range(0, len(data), 65536)]
        sent = 0
        chunk = TAIL.get(tail) or data
        while sent < 48 << 20:
            sent += os.write(w, chunk)
    except OSError:
        pass
    finally:
        os.close(w)
results = []
for c in cases:
    out = Path(c["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    path, feeder = c["path"], None
    if c["tail"]:
        r_fd, w_fd = os.pipe()
        feeder = threading.Thread(target=feed, args=(w_fd, Path(c["path"]).read_bytes(),
                                                     c["tail"]), daemon=True)
        feeder.start()
        path = f"/dev/fd/{r_fd}"
    r = CliRunner().invoke(cli, ["prepare", path, "--out", c["out"], *c["args"]])
    if feeder is not None:
        os.close(r_fd)
        feeder.join(30)
    exc = None
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        exc = "".join(traceback.format_exception(r.exception))[-3000:]
    results.append({
        "i": c["i"], "code": r.exit_code, "stderr": r.stderr, "exception": exc,
        "out_is_dataset": (out / "stats.json").is_file() and (out / "dataset_dict.json").is_file(),
        "out_exists": out.exists(),
        "left": sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".ds.")),
    })
hwm = int(re.search(r"VmHWM:\s*(\d+)", open("/proc/self/status").read())[1])
print(json.dumps({"results": results, "peak_rss_kb": hwm}))
"""


def test_mutated_real_exports(tmp_path):
    cases = make_cases(tmp_path)
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps(cases))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLONEBOT_PREPARE__PIPE_LIMIT_GB": "0.032"}
    for k in ("CLONEBOT_PREPARE__OWNER_ID", "CLONEBOT_PREPARE__WORKERS"):
        env.pop(k, None)
    p = subprocess.run([sys.executable, "-c", RUNNER, str(spec)], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=1200)
    assert p.returncode == 0, p.stderr[-3000:]
    report = json.loads(p.stdout.strip().splitlines()[-1])
    problems = []
    for c, r in zip(cases, report["results"]):
        where = f"case {c['i']} (seed {SEED}: {c['source']}, {c['mutation']}, {c['path']})"
        lines = r["stderr"].strip().splitlines()
        if r["exception"]:
            problems.append(f"{where}: raised\n{r['exception']}")
        elif r["code"] == 0:
            if not r["out_is_dataset"]:
                problems.append(f"{where}: exit 0 without a dataset")
        elif r["code"] == 1:
            if len(lines) != 1 or not lines[0].startswith("error: ") or "Traceback" in r["stderr"]:
                problems.append(f"{where}: not one clean line: {r['stderr'][-500:]!r}")
            if r["out_exists"]:
                problems.append(f"{where}: failed but left output at --out")
        else:
            problems.append(f"{where}: exit code {r['code']}: {r['stderr'][-500:]!r}")
        if r["left"]:
            problems.append(f"{where}: left {r['left']} beside --out")
    assert not problems, "\n".join(problems[:20])
    codes = [r["code"] for r in report["results"]]
    assert codes.count(0) >= CASES // 20 and codes.count(1) >= CASES // 4, codes  # both kinds ran
    assert report["peak_rss_kb"] / 1024 < MAX_RSS_MB, report["peak_rss_kb"]
