"""A fetch stopped at any point continues on the next run: nothing lost, nothing twice.

Stops are injected at named steps: in-process (an exception from the progress callback or
from inside a store transaction), and as real kills (``os._exit`` in a child process, this
file run as a script, mid-transaction and mid-way through writing result.json). Each time
the next fetch must give exactly the export an uninterrupted fetch gives.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from telethon import functions

from clonebot.fetch import store as store_module
from clonebot.fetch.events import ChatDone, ChatsSelected, FloodWait, Progress, Writing
from fixtures_fetch import fetching

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class Crash(Exception):
    pass


def run(coro):
    return asyncio.run(coro)


def reference(tmp_path: Path) -> dict:
    f, _ = fetching(tmp_path / "reference")
    run(f.run())
    return f.export()


def _at(step: str):
    """A progress callback that stops the fetch at ``step``."""
    def stop(event) -> None:
        hit = {
            "chats selected": isinstance(event, ChatsSelected),
            "first chat checked": isinstance(event, Progress) and event.chats_done == 0,
            "first page stored": isinstance(event, Progress) and event.chat_done == 100,
            "second page stored": isinstance(event, Progress) and event.chat_done == 200,
            "flood wait": isinstance(event, FloodWait) and event.seconds_left == 5,
            "chat done": isinstance(event, ChatDone) and event.chats_done == 2,
            "writing": isinstance(event, Writing),
        }[step]
        if hit:
            raise Crash(step)
    return stop


@pytest.mark.parametrize("step", ["chats selected", "first chat checked", "first page stored",
                                  "second page stored", "flood wait", "chat done", "writing"])
def test_a_fetch_stopped_at_any_step_continues_without_loss_or_duplicates(tmp_path, step):
    f, p = fetching(tmp_path / "run")
    f.tg.fail(functions.messages.GetHistoryRequest, "FLOOD_WAIT_10",
              when=lambda r: r.add_offset < 0)  # the first catch-up page waits once
    with pytest.raises(Crash):
        run(f.run(on_event=_at(step)))
    result = run(f.run())
    assert f.export() == reference(tmp_path)
    alice = f.chats()["Alice"]
    assert len(alice) == len({m["id"] for m in alice}) == 260
    assert result.messages == 272
    assert not list(f.out.parent.glob(".*.tmp"))


def test_a_stop_inside_a_store_transaction_leaves_no_half_page(tmp_path, monkeypatch):
    f, p = fetching(tmp_path / "run")
    real_dump, calls = store_module._dump, []

    def dump_then_fail(message):
        calls.append(message["id"])
        if len(calls) == 150:  # half-way through Alice's second page
            raise Crash("in the transaction")
        return real_dump(message)

    monkeypatch.setattr(store_module, "_dump", dump_then_fail)
    with pytest.raises(Crash):
        run(f.run())
    monkeypatch.setattr(store_module, "_dump", real_dump)
    result = run(f.run())
    assert result.new == 272 - 112  # Bob's 12 and Alice's first page were kept
    assert f.export() == reference(tmp_path)


# --- real kills -----------------------------------------------------------------------------

def _killed_child(data_dir: str, where: str) -> None:
    """Run as a script: fetch into ``data_dir`` and die (``os._exit``, no clean-up at all)
    at ``where``."""
    from clonebot.fetch import output

    f, _ = fetching(Path(data_dir))
    if where == "mid-transaction":
        real_dump, calls = store_module._dump, []

        def dump_then_die(message):
            calls.append(message)
            if len(calls) == 150:
                os._exit(9)
            return real_dump(message)

        store_module._dump = dump_then_die
    elif where == "mid-write":
        real_messages = store_module.HistoryStore.messages

        def messages_then_die(self, peer_id):
            for i, body in enumerate(real_messages(self, peer_id)):
                if i == 100:
                    os._exit(9)
                yield body

        store_module.HistoryStore.messages = messages_then_die
        assert output.HistoryStore is store_module.HistoryStore
    run(f.run())
    os._exit(3)  # not killed: the test fails


@pytest.mark.parametrize("where", ["mid-transaction", "mid-write"])
def test_a_killed_fetch_continues_on_the_next_run(tmp_path, where):
    child = subprocess.run(
        [sys.executable, str(Path(__file__)), str(tmp_path / "run"), where],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert child.returncode == 9, child.stderr[-2000:]
    f, p = fetching(tmp_path / "run")
    previous = f.out.exists()
    result = run(f.run())
    assert not previous and f.export() == reference(tmp_path)
    assert result.new == (272 - 112 if where == "mid-transaction" else 0)
    assert not list(f.out.parent.glob(".*.tmp"))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    _killed_child(sys.argv[1], sys.argv[2])
