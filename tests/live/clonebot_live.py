"""The real `clonebot` CLI for the live suite, with two test-only changes: it trusts the
live server's RSA key (``CLONEBOT_LIVE_RSA_KEY``, for a server Telethon does not know, such
as a loopback one), and a counting generator stands in for the model ("clone says hi (n)":
clean, and different on every call so a regen is visible).

    python tests/live/clonebot_live.py --config CFG run --adapter DIR
    python tests/live/clonebot_live.py --config CFG login
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path


class CountingGenerator:
    def __init__(self, adapter_dir) -> None:
        from clonebot.model.manifest import read_manifest

        # as every generator: the context length the adapter was trained with (its manifest)
        self.context_turns = read_manifest(adapter_dir)["context_turns"]
        self._n = itertools.count(1)

    def generate(self, turns, n=1):
        return [f"clone says hi ({next(self._n)})" for _ in range(n)]


def main() -> None:
    key = os.environ.get("CLONEBOT_LIVE_RSA_KEY")
    if key:
        from telethon.crypto import rsa

        rsa.add_key(Path(key).read_text(), old=False)
    if os.environ.get("CLONEBOT_LIVE_DEBUG"):
        import logging

        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for name in ("clonebot", "telethon.client.updates"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        if os.environ.get("CLONEBOT_LIVE_DEBUG") == "trace":  # every update Telethon applies
            logging.getLogger("telethon.messagebox").setLevel(1)
    import clonebot.cli
    import clonebot.model

    clonebot.model.load_generator = lambda settings, path: CountingGenerator(path)
    clonebot.cli.main()


if __name__ == "__main__":
    main()
