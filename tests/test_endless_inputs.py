"""Endless and odd input streams, and SIGTERM: a stream that cannot
be an export is refused on its first bytes, a pipe is parsed while it is copied (so bad JSON
stops it before the stream ends) and capped in size, Ctrl-C on a FIFO nobody writes to and
SIGTERM at any time leave nothing behind. Each case runs the real CLI in a fresh process with
a timeout: before the fix they copied the stream to the disk until it ended (never)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fixtures_dataset import leftovers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "exports" / "sample" / "result.json"
OWNER, FRIEND = 111, 222

pytestmark = pytest.mark.usefixtures("clean_prepare_env")


def clonebot(*args: str, env: dict | None = None, timeout: float = 90,
             **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clonebot", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})}, **popen)


def one_line(p: subprocess.CompletedProcess, *needles: str) -> str:
    err = p.stderr.strip()
    assert p.returncode == 1, (p.returncode, p.stderr[-2000:])
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    for n in needles:
        assert n in err, err
    return err


def export_bytes(n: int = 6) -> bytes:
    msgs = [{"id": i, "type": "message", "date_unixtime": str(1_700_000_000 + i * 60),
             "from_id": f"user{FRIEND if i % 2 else OWNER}", "text": f"line {i}"}
            for i in range(1, n + 1)]
    return json.dumps({"personal_information": {"user_id": OWNER},
                       "chats": {"list": [{"name": "F", "type": "personal_chat", "id": 5,
                                           "messages": msgs}]}}).encode()


class Feeder:
    """The write end of a pipe, fed by a thread: ``chunks`` then (``endless``) the last
    chunk forever, or (``hold``) nothing more without closing. Counts what the reader took."""

    def __init__(self, chunks: list[bytes], *, endless: bool = False, hold: bool = False):
        self.r, self.w = os.pipe()
        self.written = 0
        self.stop = threading.Event()

        def run():
            try:
                for c in chunks:
                    self.written += os.write(self.w, c)
                while endless and not self.stop.is_set():
                    self.written += os.write(self.w, chunks[-1])
                while hold and not self.stop.is_set():
                    time.sleep(0.05)
            except OSError:  # the reader is gone
                pass
            finally:
                os.close(self.w)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    @property
    def path(self) -> str:
        return f"/dev/fd/{self.r}"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        os.close(self.r)


def prepare_from(feeder: Feeder, out: Path, **kw) -> subprocess.CompletedProcess:
    try:
        return clonebot("prepare", feeder.path, "--out", str(out), pass_fds=(feeder.r,), **kw)
    finally:
        feeder.close()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_that_is_no_export_is_refused_on_its_first_bytes(device, tmp_path):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    out = tmp_path / "ds"
    t0 = time.monotonic()
    p = clonebot("prepare", device, "--out", str(out), timeout=60)
    err = one_line(p)
    # Random bytes that start with "{", "[" or whitespace (6 of 256 first bytes) get as far as
    # the parser: then the error is where the JSON breaks.
    assert "is not JSON" in err or "not a Telegram Desktop export" in err or "is not valid JSON" in err
    assert time.monotonic() - t0 < 45
    assert not out.exists() and leftovers(out) == []


@pytest.mark.parametrize("name, chunks, needle", [
    ("zeros", [b"\0" * 65536], "its first byte is 0x00"),
    ("binary", [b"PK\x03\x04" + b"\1" * 65536], "a zip archive?"),
    ("whitespace", [b" \n" * 32768], "holds only whitespace"),
    ("numbers outside strings", [b"{\"a\": [" + b"1," * 1000, b"1," * 32768], "with no string"),
])
def test_an_endless_pipe_is_refused_without_filling_the_disk(name, chunks, needle, tmp_path):
    feeder = Feeder(chunks, endless=True)
    out = tmp_path / "ds"
    one_line(prepare_from(feeder, out), needle)
    assert feeder.written < 64 << 20  # stopped early, not after gigabytes
    assert not out.exists() and leftovers(out) == []


def test_a_pipe_is_parsed_while_it_is_copied(tmp_path):
    """Bad JSON early in a stream that never closes is found without waiting for its end."""
    feeder = Feeder([b'{"personal_information": {"user_id": 111}, "chats": {"list": [}'],
                    hold=True)
    out = tmp_path / "ds"
    one_line(prepare_from(feeder, out), "is not valid JSON")
    assert not out.exists() and leftovers(out) == []


def test_a_pipe_longer_than_the_limit_is_refused_and_the_limit_named(tmp_path):
    data = export_bytes(20_000)
    assert len(data) > 1_000_000
    out = tmp_path / "ds"
    small = {"CLONEBOT_PREPARE__PIPE_LIMIT_GB": "0.001"}
    one_line(prepare_from(Feeder([data]), out, env=small), "prepare.pipe_limit_gb", "0.001 GB")
    assert not out.exists() and leftovers(out) == []
    ok = prepare_from(Feeder([export_bytes(6)]), out, env=small)
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_a_piped_export_gives_the_same_dataset_as_the_file(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert clonebot("prepare", str(SAMPLE), "--out", str(a)).returncode == 0
    p = prepare_from(Feeder([SAMPLE.read_bytes()[i:i + 4096]
                             for i in range(0, SAMPLE.stat().st_size, 4096)]), b)
    assert p.returncode == 0, p.stderr
    for f in ("train/data-00000-of-00001.arrow", "eval/data-00000-of-00001.arrow",
              "messages.parquet"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a", "b"]


def _signal_while_running(tmp_path: Path, args: list[str], sig: int, env: dict,
                          wait_for) -> tuple[int, str]:
    p = subprocess.Popen([sys.executable, "-m", "clonebot", *args], stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True, cwd=tmp_path,
                         env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 60
        while not wait_for() and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.1)
        time.sleep(0.3)
        p.send_signal(sig)
        err = p.communicate(timeout=60)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, err


def test_ctrl_c_on_a_fifo_nobody_writes_to(tmp_path):
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    out = tmp_path / "ds"
    code, err = _signal_while_running(tmp_path, ["prepare", str(fifo), "--out", str(out)],
                                      signal.SIGINT, {}, lambda: bool(leftovers(out)))
    assert code == 130 and err.strip() == "interrupted", (code, err)
    assert not out.exists() and leftovers(out) == []


@pytest.mark.parametrize("workers", ["0", "2"])
def test_sigterm_during_prepare_says_so_and_leaves_nothing(tmp_path, workers):
    """It used to exit silently, leaving its build and a leaked-semaphore warning."""
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    out = tmp_path / "ds"
    # A writer that sends an export and never closes: prepare is mid-build, waiting.
    writer = subprocess.Popen(["sh", "-c", f"exec 3>'{fifo}'; cat '{SAMPLE}' >&3; sleep 120"])
    try:
        code, err = _signal_while_running(
            tmp_path, ["prepare", str(fifo), "--out", str(out)], signal.SIGTERM,
            {"CLONEBOT_PREPARE__WORKERS": workers}, lambda: bool(leftovers(out)))
    finally:
        writer.kill()
        writer.wait()
    assert code == 128 + signal.SIGTERM, (code, err)
    assert err.strip() == f"terminated: nothing was changed at {out}", err
    assert not out.exists() and leftovers(out) == []
