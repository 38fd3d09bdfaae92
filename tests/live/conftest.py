"""The opt-in live suite: the real `clonebot` process against a real MTProto server.

Skipped unless ``CLONEBOT_LIVE_ACCOUNTS`` is set; the variables are described in
``harness.py`` and in docs/live-suite.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import ACCOUNTS, HERE, Bot


def pytest_collection_modifyitems(config: Any, items: list) -> None:
    if ACCOUNTS:
        return
    skip = pytest.mark.skip(reason="live suite: set CLONEBOT_LIVE_ACCOUNTS (docs/live-suite.md)")
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)


@pytest.fixture
def bot_factory(tmp_path: Path):
    bots: list[Bot] = []

    def make(chats: list[dict], **bot: Any) -> Bot:
        root = tmp_path / f"bot{len(bots)}"
        root.mkdir()
        bots.append(Bot(root, chats, **bot))
        return bots[-1]

    yield make
    for i, b in enumerate(bots):
        if b.proc is not None and b.proc.poll() is None:
            b.kill()
        print(f"--- bot {i} log ---\n{b.log()}")  # shown when the test fails
