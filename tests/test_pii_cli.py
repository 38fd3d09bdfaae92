"""`clonebot pii scan|redact`: one line out per line in, bad input handled."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from clonebot.cli import _register_builtin, cli

_register_builtin()


def run(args, data: bytes, tmp_path=None, config: str | None = None):
    pre = []
    if config is not None:
        cfg = tmp_path / "c.toml"
        cfg.write_text(config, encoding="utf-8")
        pre = ["--config", str(cfg)]
    r = CliRunner().invoke(cli, pre + ["pii", *args], input=data, catch_exceptions=False)
    return r


def test_redact_keeps_line_count_order_and_terminators():
    data = "привет\nмой номер 8 912 345 67 89\r\n\nпочта a@b.ru".encode()
    r = run(["redact"], data)
    assert r.exit_code == 0
    assert r.stdout_bytes == "привет\nмой номер <PHONE_1>\r\n\nпочта <EMAIL_1>".encode()


def test_scan_one_json_list_per_line():
    data = "ok\nкарта 4111 1111 1111 1111, пин 1234\n".encode()
    r = run(["scan"], data)
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == []
    found = json.loads(lines[1])
    assert [(f["kind"], f["text"]) for f in found] == [("card", "4111 1111 1111 1111"), ("password", "1234")]
    assert found[0]["masked"] == "card **** 1111"
    masked = json.loads(run(["scan", "--masked"], data).stdout.splitlines()[1])
    assert "text" not in masked[0]


def test_arguments_instead_of_stdin():
    r = run(["redact", "звони +79123456789", "ничего"], b"")
    assert r.stdout == "звони <PHONE_1>\nничего\n"


def test_dialogue_mode_and_stats():
    data = b"+79123456789\n+79123456780\n+79123456789\n"
    assert run(["redact"], data).stdout == "<PHONE_1>\n<PHONE_1>\n<PHONE_1>\n"
    r = run(["redact", "--dialogue", "--stats"], data)
    assert r.stdout == "<PHONE_1>\n<PHONE_2>\n<PHONE_1>\n"
    assert "phone=3" in r.stderr


def test_denylist_from_settings(tmp_path):
    r = run(["redact"], "я на Бобруйской 17\n".encode(), tmp_path,
            config='[pii]\ndenylist = ["бобруйской 17"]\n')
    assert r.stdout == "я на <PRIVATE_1>\n"


def test_invalid_utf8_replaced_with_one_warning():
    data = b"ok\n\xff\xfe 89123456789\nfine\n\xc3\n"
    r = run(["redact"], data)
    assert r.exit_code == 0
    out = r.stdout.split("\n")
    assert out[:4] == ["ok", "\ufffd\ufffd <PHONE_1>", "fine", "\ufffd"]
    warn = [x for x in r.stderr.splitlines() if x.startswith("warning")]
    assert len(warn) == 1 and "2 line(s)" in warn[0] and "line 2" in warn[0]
    r = run(["scan"], data)
    assert len(r.stdout.splitlines()) == 4


def test_non_utf8_argument_is_replaced_like_stdin():
    """A real process: Python hands argv's bad bytes over as lone surrogates."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    p = subprocess.run([sys.executable, "-m", "clonebot", "pii", "redact", b"\xff 89123456789", "ok"],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == "\ufffd <PHONE_1>\nok\n"
    err = p.stderr.decode().splitlines()
    assert err == ["warning: 1 argument(s) were not valid UTF-8 (first: argument 1); "
                   "undecodable bytes were replaced with U+FFFD"]


def test_empty_input():
    r = run(["scan"], b"")
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == ""
    assert run(["redact"], b"").stdout == ""


def test_bad_config_is_one_clear_error(tmp_path):
    r = run(["redact"], b"x\n", tmp_path, config="[pii]\ndenylist = 5\n")
    assert r.exit_code == 1 and r.stderr.startswith("error: ")


def test_megabyte_line_real_process(tmp_path):
    """Through a real pipe: 1 MB line (with PII at the end) in bounded time."""
    line = ("ничего интересного тут нет, просто текст " * 25000)[:1_000_000] + " 89123456789"
    data = (line + "\nвторая строка\n").encode()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    p = subprocess.run([sys.executable, "-m", "clonebot", "pii", "redact"], input=data,
                       capture_output=True, env=env, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode().split("\n")
    assert len(out) == 3 and out[0].endswith(" <PHONE_1>") and out[1] == "вторая строка"
    assert len(out[0]) == len(line) - len("89123456789") + len("<PHONE_1>")


class _CountingOut:
    """A stdout buffer that counts flushes and says whether it is a terminal."""

    def __init__(self, tty: bool):
        self.tty, self.flushes, self.writes, self.data = tty, 0, 0, b""

    def isatty(self) -> bool:
        return self.tty

    def write(self, data: bytes) -> int:
        self.data += data
        self.writes += 1
        return len(data)

    def flush(self) -> None:
        self.flushes += 1


@pytest.mark.parametrize("command", ["redact", "scan"])
@pytest.mark.parametrize("tty", [False, True])
def test_output_is_flushed_per_line_only_on_a_terminal(monkeypatch, command, tty):
    import clonebot.cli.pii as pii_cli

    out = _CountingOut(tty)

    class _Sys:  # the real sys, but stdout.buffer is ours (CliRunner swaps sys.stdout itself)
        stdout = type("Stdout", (), {"buffer": out})()

        def __getattr__(self, name):
            return getattr(sys, name)

    monkeypatch.setattr(pii_cli, "sys", _Sys())
    lines = [f"строка {i} звони +7912345{i:04d}" for i in range(50)]
    r = run([command], ("\n".join(lines) + "\n").encode())
    assert r.exit_code == 0
    assert out.data.count(b"\n") == 50
    # on a terminal a write and a flush per line; into a pipe one write at the end (stdout may be
    # unbuffered: PYTHONUNBUFFERED), whatever Python's own buffering
    assert (out.writes, out.flushes) == ((50, 51) if tty else (1, 1))
