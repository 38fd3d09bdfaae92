"""One clonebot process per data directory: the session file and the store are SQLite
databases that a second writer would find locked (``database is locked``).

An ``flock`` on ``<data_dir>/clonebot.lock``, which holds the owner's pid. The kernel drops
the lock when the process ends, however it ends (``kill -9`` leaves no stale lock).

Below both of its users: the running bot (``runtime/run.py``) and the fetch
(``fetch/run.py``) take it, and so do login and logout (``cli/bot.py``).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from clonebot.errors import AlreadyRunningError


class InstanceLock:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "clonebot.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunningError(
                f"clonebot is already running (pid {holder}) with data_dir {self.path.parent}: "
                "stop it first") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the lock
            self._fd = None

    def __enter__(self) -> "InstanceLock":
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def running_pid(data_dir: Path) -> int | None:
    """The pid of the clonebot that holds ``data_dir``, if one does (read-only: a shared lock
    taken and dropped at once, never in the way of a bot that starts)."""
    path = Path(data_dir) / "clonebot.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            return int(holder) if holder.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
