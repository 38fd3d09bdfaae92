"""The `clonebot` CLI in its own process, on the Telegram double (for tests that need a real
process: signals, exit codes).

The owner's session file in ``paths.data_dir`` is logged in on an in-process double; the
model load is replaced by ``CLONEBOT_TEST_LOAD`` (``busy``: native torch work for a
minute, as a 7B load keeps a thread inside native code).

    python tests/run_on_double.py run --adapter DIR
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from telegram_double import TelegramDouble  # noqa: E402

from clonebot.config import load_settings  # noqa: E402
from clonebot.model.base import ScriptedGenerator  # noqa: E402
from clonebot.telegram import session  # noqa: E402


def busy_load(settings, path):
    import torch

    a = torch.randn(600, 600)
    started = time.time()
    while time.time() - started < 60:
        a = (a @ a).clamp(-1, 1)
    return ScriptedGenerator(["x"])


def main() -> None:
    tg = TelegramDouble()
    owner = tg.add_user("Owner", username="owner", phone="15550000001")
    real_make_client = session.make_client
    settings = load_settings()
    client = tg.attach(real_make_client(settings), user=owner)
    client.session.save()
    client.session.close()
    session.make_client = lambda s, **kw: tg.attach(real_make_client(s, **kw))
    if os.environ.get("CLONEBOT_TEST_LOAD") == "busy":
        import clonebot.model

        clonebot.model.load_generator = busy_load
    import clonebot.cli

    clonebot.cli.main()


if __name__ == "__main__":
    main()
