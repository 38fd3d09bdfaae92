"""Chat pieces spread over worker processes, results handed back in the order sent.

The reading process parses the export (one core's worth of work: yajl plus message
normalisation) and sends each chat, in pieces, to one worker (a chat's scrubbing and windows
carry state from piece to piece). Results are taken strictly in the order the pieces were
sent, so the output is byte-identical whatever the number of workers. At most ``DEPTH``
messages per worker are in flight, so memory does not grow with the export.

``workers`` = 0 runs ``ChatWork`` in this process (no pickling, no processes); N > 0 starts
N processes (``workers_for`` says how many "auto" is). ``clonebot prepare`` starts them first
thing (``start_early``): a worker's own start-up (Python, the PII patterns: ~0.3 CPU s) then
runs on the core the reading process leaves idle while it imports pyarrow and the rest, instead
of after it, when both cores are busy. The first is spawned, not forked (forking a process that
has threads, pyarrow's, tqdm's, can deadlock); on Linux it forks the others once it has started
up, so that start-up is paid once (``_serve_forking``). All are this process's descendants,
reaped, so their CPU time shows in its rusage. A worker whose parent is killed dies with it
(Linux: the kernel's parent-death signal; elsewhere it notices within a second); a worker that
dies is reported as a ``DatasetError``, never a hang.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sys
import time
import traceback
import types
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from clonebot.errors import DatasetError
from training.dataset.chat_work import ChatWork, PieceResult, WorkSettings

if TYPE_CHECKING:  # a worker imports this module: not the config's pydantic, not the reader
    from clonebot.config import Settings
    from training.export.inputs import Inputs

log = logging.getLogger(__name__)

# Messages in flight per worker: slack for a worker the scheduler holds back. Counted in
# messages, not pieces: the small chats at an export's start come as many small pieces,
# and a count of pieces had the reader wait for a worker still starting up.
DEPTH = 32_000
_PIECE_WEIGHT = 50  # what a piece counts beyond its messages (an empty last piece too)
_POLL = 1.0  # seconds between liveness checks while waiting

# Below this size an export is read in this process: starting workers would cost more.
SMALL_EXPORT = 8 << 20
# Past ~3 workers the reading process is the bottleneck (it parses at one core's speed), and
# each worker adds ~25 MB.
_MAX_AUTO_WORKERS = 3

Consume = Callable[[PieceResult], None]


def workers_for(settings: Settings, inputs: Inputs | Path, piped: int = 0) -> int:
    """``prepare.workers``: "auto" = one worker process per usable core, at most 3 (this
    one reads the exports meanwhile; an extra process also keeps the pipeline moving when
    the cores are shared), none for small exports or a single core; 0 = everything in this
    process; N = N worker processes. ``piped``: bytes arriving through pipes."""
    n = settings.prepare.workers
    if n != "auto":
        return n
    try:
        if isinstance(inputs, Path):
            size = inputs.stat().st_size
        else:
            size = (sum(p.stat().st_size for p in inputs.telegram)
                    + sum(f.size for f in inputs.whatsapp))
        if size + piped < SMALL_EXPORT:
            return 0
    except OSError:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 0 if (cores or 1) < 2 else min(cores, _MAX_AUTO_WORKERS)


class InlineWorkers:
    """``workers = 0``: the work happens here, results are consumed at once."""

    def __init__(self, settings: WorkSettings, consume: Consume):
        self.work = ChatWork(settings)
        self.consume = consume

    def send(self, seq: int, chat_id: int, kind: str, rows: list, last: bool,
             want_samples: bool = True) -> None:
        self.consume(self.work.piece(seq, chat_id, kind, rows, last, want_samples))

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessWorkers:
    """N worker processes; see the module docstring."""

    def __init__(self, settings: WorkSettings, consume: Consume | None, n: int):
        """``consume``: None for workers started early (``start_early``), until ``start``
        hands them to a pipeline."""
        self.settings = settings
        self.consume = consume
        ctx = _context()
        self.tasks = [ctx.Queue() for _ in range(n)]
        self.results = [ctx.Queue() for _ in range(n)]
        self.procs: list
        if _FORKS and n > 1:
            slots = ctx.RawArray("q", n - 1)  # the pids of the workers the first one forks
            first = ctx.Process(target=_serve_forking,
                                args=(settings, self.tasks, self.results, os.getpid(), slots),
                                name="clonebot-prepare-0", daemon=True)
            self.procs = [first, *(_Forked(first, slots, i) for i in range(n - 1))]
        else:
            self.procs = [
                ctx.Process(target=_serve, args=(settings, self.tasks[i], self.results[i],
                                                 os.getpid()),
                            name=f"clonebot-prepare-{i}", daemon=True)
                for i in range(n)
            ]
        try:
            with _main_not_rerun():
                for p in self.procs:
                    if isinstance(p, multiprocessing.process.BaseProcess):
                        p.start()
        except BaseException:
            self.close()
            raise
        self.in_flight = [0] * n  # messages sent to each worker, not yet consumed
        self.order: deque[tuple[int, int]] = deque()  # (worker, weight) of every piece sent, in order
        self.chat_worker: dict[int, int] = {}  # open chat seq -> its worker

    @property
    def pids(self) -> list[int]:
        """The workers' pids (a forked one's once the first worker has forked it)."""
        return [pid for p in self.procs
                if (pid := p.wait_pid() if isinstance(p, _Forked) else p.pid) is not None]

    def send(self, seq: int, chat_id: int, kind: str, rows: list, last: bool,
             want_samples: bool = True) -> None:
        w = self.chat_worker.get(seq)
        if w is None:  # a new chat goes to the least busy worker
            w = min(range(len(self.procs)), key=self.in_flight.__getitem__)
            self.chat_worker[seq] = w
        if last:
            del self.chat_worker[seq]
        weight = len(rows) + _PIECE_WEIGHT
        while self.in_flight[w] + weight > DEPTH and self.in_flight[w]:
            self._take_one()
        self.tasks[w].put((seq, chat_id, kind, rows, last, want_samples))
        self.in_flight[w] += weight
        self.order.append((w, weight))
        while self.order and not self.results[self.order[0][0]].empty():
            self._take_one()

    def finish(self) -> None:
        """Consume every result still due."""
        while self.order:
            self._take_one()

    def _take_one(self) -> None:
        w, weight = self.order[0]
        while True:
            try:
                res = self.results[w].get(timeout=_POLL)
                break
            except queue.Empty:
                p = self.procs[w]
                if not p.is_alive():
                    code = p.exitcode or 0
                    how = (f"was killed by signal {-code}" + (" (out of memory?)" if code == -9 else "")
                           if code < 0 else f"exited with code {code}")
                    raise DatasetError(f"a prepare worker {how}; try again, or with --workers 0") from None
        if isinstance(res, str):  # a bug in the worker: its traceback
            raise RuntimeError(f"prepare worker failed:\n{res}")
        self.order.popleft()
        self.in_flight[w] -= weight
        assert self.consume is not None, "workers started early are handed over by start()"
        self.consume(res)

    def close(self) -> None:
        """Stop the workers (also after an error: nothing is left running)."""
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in self.procs:
            if p.pid is None:  # never started
                continue
            p.join(timeout=2)
            if p.is_alive():
                p.kill()
                p.join(timeout=2)
        for q in (*self.tasks, *self.results):
            q.close()
            q.cancel_join_thread()


def _context():
    return multiprocessing.get_context("spawn")


# The first worker forks the others where /proc tells this process how they are (it is not
# their parent); elsewhere each is spawned.
_FORKS = sys.platform.startswith("linux")


class _Forked:
    """A worker the first one forked: what ``multiprocessing.Process`` offers the pool, from
    its pid (in ``slots`` once forked) and /proc."""

    def __init__(self, first, slots, i: int):
        self.first, self.slots, self.i = first, slots, i

    @property
    def pid(self) -> int | None:
        return self.slots[self.i] or None

    def wait_pid(self) -> int | None:
        """The pid, once the first worker has forked this one (None if it died first)."""
        while not self.slots[self.i] and self.first.is_alive():
            time.sleep(0.01)
        return self.pid

    def _stat(self) -> list[str] | None:
        pid = self.pid
        if pid is None:
            return None
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None

    def is_alive(self) -> bool:
        if self.pid is None:  # not forked yet: alive while the first worker is
            return self.first.is_alive()
        stat = self._stat()
        return stat is not None and stat[0] != "Z"

    @property
    def exitcode(self) -> int | None:
        """As ``Process.exitcode`` (-N: killed by signal N), read from the zombie the first
        worker has not reaped yet; else the first worker's (its end ends this one)."""
        stat = self._stat()
        if stat is not None and stat[0] == "Z" and len(stat) >= 50:
            status = int(stat[49])  # field 52, exit_code, as waitpid reports it
            return -(status & 0x7F) if status & 0x7F else status >> 8
        return None if self.first.is_alive() else self.first.exitcode

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < end:
            time.sleep(0.01)

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)


@contextlib.contextmanager
def _main_not_rerun():
    """Spawn runs the parent's main script again in each child (as ``__mp_main__``) unless it
    is a package's ``__main__``: started from the ``clonebot`` console script, every worker
    imported the whole CLI (click, pydantic, the config: ~0.25 CPU s and ~20 MB each) before
    its first piece. A worker needs nothing of it (its target and arguments are imported
    by name), so while the workers start, the main module is one that names no script."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _die_with(parent: int) -> None:
    """Linux: have the kernel kill this process when its parent dies, even if we are
    blocked reading half a message the parent never finished writing."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before we asked
        os._exit(0)


def _become_worker(parent: int) -> None:
    _die_with(parent)
    # Ctrl-C and SIGTERM (sent to the whole process group) are the parent's to handle: it
    # stops us after removing what it built.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _serve(settings: WorkSettings, tasks, results, parent: int) -> None:
    """A worker process: pieces in, results out, until told to stop or orphaned."""
    _become_worker(parent)
    _loop(ChatWork(settings), tasks, results, parent)


def _serve_forking(settings: WorkSettings, tasks: list, results: list, parent: int,
                   slots) -> None:
    """The first worker, when it forks the others: it starts up once (Python, the PII
    patterns: ~0.3 CPU s that each spawned worker would spend again), then forks one worker
    per other pair of queues, each with a copy of all that (no thread runs here yet, so
    forking is safe), and serves the first pair itself. The pids go in ``slots`` for the
    parent; the forked ones are reaped here, so their CPU time counts in the parent's."""
    _become_worker(parent)
    work = ChatWork(settings)
    me = os.getpid()
    children = []
    for i in range(1, len(tasks)):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _die_with(me)
                _loop(work, tasks[i], results[i], me)
                results[i].close()
                results[i].join_thread()  # os._exit does not wait for the queue's thread
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
        slots[i - 1] = pid
    try:
        _loop(work, tasks[0], results[0], parent)
    finally:
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _loop(work: ChatWork, tasks, results, parent: int) -> None:
    while True:
        try:
            task = tasks.get(timeout=_POLL)
        except queue.Empty:
            # Orphaned (the parent was killed: we were handed to init, even while it is a
            # zombie nobody reaped): nobody reads our results any more.
            if os.getppid() != parent:
                results.cancel_join_thread()
                return
            continue
        if task is None:
            return
        try:
            results.put(work.piece(*task))
        except BaseException:  # noqa: BLE001 - the parent re-raises it with this traceback
            results.put(traceback.format_exc())
            return


@contextlib.contextmanager
def start_early(settings: WorkSettings, n: int) -> Iterator[ProcessWorkers | None]:
    """N worker processes started now, for ``start`` to hand to the pipeline that will want
    them; stopped when the block ends, whoever used them. None when N is 0 or processes
    cannot be started here (``start`` then says why)."""
    pool = None
    if n > 0:
        with contextlib.suppress(OSError):
            pool = ProcessWorkers(settings, None, n)
    try:
        yield pool
    finally:
        if pool is not None:
            pool.close()


def start(settings: WorkSettings, consume: Consume, n: int,
          early: ProcessWorkers | None = None) -> InlineWorkers | ProcessWorkers:
    """N worker processes, or this process when N is 0 or processes cannot be started here
    (no /dev/shm for their queues' semaphores, a process limit). ``early``: workers from
    ``start_early``, taken when they are N, alive and have these settings, else stopped."""
    if early is not None:
        if (early.settings == settings and len(early.procs) == n and not early.order
                and all(p.is_alive() for p in early.procs)):
            early.consume = consume
            return early
        early.close()
    if n > 0:
        try:
            return ProcessWorkers(settings, consume, n)
        except OSError as e:
            log.warning("cannot start prepare workers (%s); working in this process", e)
    return InlineWorkers(settings, consume)
