"""One generation at a time, in a worker thread, so the event loop keeps receiving updates.

Jobs run in submission order. A reload is a job like any other: the generation that is
running when it arrives finishes on the old model, everything queued after it uses the new
one. The model object lives only in the worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clonebot.model.base import ReplyGenerator

log = logging.getLogger(__name__)

GeneratorFactory = Callable[[Path | None], ReplyGenerator]
_THREAD_NAME = "clonebot-generate"


def generation_thread_alive() -> bool:
    """A worker thread is still running (a model load or a generation in native code)."""
    return any(t.name == _THREAD_NAME and t.is_alive() for t in threading.enumerate())


class GenerationWorker:
    def __init__(self, factory: GeneratorFactory):
        self._factory = factory
        self._q: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._gen: ReplyGenerator | None = None
        self.adapter_dir: Path | None = None
        self.loads = 0
        self.generations = 0
        self.busy = False
        self.loading = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=_THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Let the running generation finish (up to ``timeout``; a model load is not waited
        for) and end the thread. False if it is still running."""
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        self._q.put(None)
        thread.join(0 if self.loading else timeout)
        return not thread.is_alive()

    async def load(self, adapter_dir: Path | None) -> Path | None:
        """(Re)load the generator; queued behind the job in flight."""
        return await self._submit("load", adapter_dir)

    async def generate(self, turns: Sequence[dict], n: int = 1) -> list[str]:
        return await self._submit("generate", ([dict(t) for t in turns], n))

    async def context_turns(self) -> int:
        """Turns of context the generator was trained with; queued like a generation, so
        it answers for the model the next generation will run on (a reload before it
        counts)."""
        return await self._submit("context_turns", None)

    @property
    def pending(self) -> int:
        return self._q.qsize()

    async def _submit(self, kind: str, arg: Any) -> Any:
        self.start()
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._q.put((kind, arg, fut, loop))
        return await fut

    def _run(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            kind, arg, fut, loop = job
            self.busy = True
            self.loading = kind == "load"
            try:
                if kind == "load":
                    gen = self._factory(arg)  # a failed load keeps the old generator
                    self._gen, self.adapter_dir = gen, arg
                    self.loads += 1
                    result: Any = arg
                elif self._gen is None:
                    raise RuntimeError("no model loaded")
                elif kind == "context_turns":
                    result = self._gen.context_turns
                else:
                    turns, n = arg
                    result = [r for r in self._gen.generate(turns, n=n) if r and r.strip()]
                    self.generations += 1
            except BaseException as e:  # reported to the awaiting coroutine
                _reply(loop, fut, None, e)
            else:
                _reply(loop, fut, result, None)
            finally:
                self.busy = self.loading = False


def _reply(loop: asyncio.AbstractEventLoop, fut: asyncio.Future, result: Any,
           exc: BaseException | None) -> None:
    try:
        loop.call_soon_threadsafe(_set, fut, result, exc)
    except RuntimeError:  # the loop is gone (shutdown while generating): nobody waits
        log.debug("generation finished after the event loop closed")


def _set(fut: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if fut.cancelled():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
