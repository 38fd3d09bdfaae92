"""Time, injectable: the runtime never calls time.time() or asyncio.sleep() directly."""

from __future__ import annotations

import asyncio
import time


class Clock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
