"""Writing files so that a crash or a reader never sees half of one."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from typing import Any
from pathlib import Path


def stage_text(path: Path | str, text: str) -> Path:
    """``text`` written and synced to a temp file beside ``path``, for ``commit`` to move
    into place later (several files staged first: a full disk fails before any of them
    replaces anything). On failure nothing is left behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def commit(tmp: Path, path: Path | str) -> None:
    os.replace(tmp, path)


def discard(tmps) -> None:
    for tmp in tmps:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def atomic_write_text(path: Path | str, text: str, *, fsync: bool = True) -> Path:
    """Write ``text`` to a temp file beside ``path``, then ``os.replace`` it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


# --------------------------------------------------------------------------- full disks

_FULL = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(e: BaseException | None) -> bool:
    """Did ``e`` (or what caused it) come from a full disk or an exhausted quota? Arrow and
    torch wrap the OS error in their own exceptions, with the message kept."""
    seen = 0
    while e is not None and seen < 8:
        if isinstance(e, OSError) and e.errno in _FULL:
            return True
        text = str(e)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False


def mount_point(path: Path | str) -> Path:
    """The mount point of the file system ``path`` (or its nearest existing parent) is on."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p.parent != p:
        p = p.parent
    try:
        dev = p.stat().st_dev
        while p.parent != p and p.parent.stat().st_dev == dev:
            p = p.parent
    except OSError:
        pass
    return p


def free_bytes(path: Path | str) -> int | None:
    p = Path(os.path.abspath(path))
    while not p.exists() and p.parent != p:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def size_text(n: int | float | None) -> str:
    if n is None:
        return "?"
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} TB"  # pragma: no cover


def disk_full_message(what: str, where: Path | str, needed: int | None) -> str:
    """One line: the disk that is full, what could not be written there, the space it
    needs (an estimate when ``needed`` is), and how much is free now."""
    need = f"it needs about {size_text(needed)}, " if needed else ""
    return (f"no space left on {mount_point(where)} for {what} ({where}): {need}"
            f"{size_text(free_bytes(where))} free; free some space and try again")


def tree_size(path: Path | str) -> int:
    """Bytes in the files under ``path`` (0 if it is gone)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


# --------------------------------------------------------------------------- small state files


class NotASmallFile(ValueError):
    """A state file that is not a small regular file (a FIFO, a device, huge, nested too
    deep): reading it could block, never end or exhaust memory."""


def read_small_text(path: Path | str, limit: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes. A FIFO, a device or a
    link to one is refused without blocking, and so is a bigger file (OSError when it
    cannot be opened, NotASmallFile / UnicodeDecodeError, both ValueErrors, otherwise)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotASmallFile(f"{path} is not a regular file (a pipe, a device or a link "
                                "to one?)")
        if st.st_size > limit:
            raise NotASmallFile(f"{path} is {size_text(st.st_size)}, far more than it can "
                                f"hold (at most {size_text(limit)})")
        chunks, got = [], 0
        while got <= limit:
            data = os.read(fd, limit + 1 - got)
            if not data:
                break
            chunks.append(data)
            got += len(data)
        if got > limit:
            raise NotASmallFile(f"{path} is more than {size_text(limit)}")
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def json_or_none(path: Path | str, limit: int = 16 << 20) -> Any:
    """A small JSON file clonebot wrote (eval.json, stats.json, trainer_state.json...), or
    None when it is missing, unreadable, too big or not JSON: for readers that show what
    there is and say nothing of what is not."""
    try:
        return read_small_json(path, limit)
    except (OSError, ValueError):
        return None


def read_small_json(path: Path | str, limit: int):
    """``read_small_text`` parsed as JSON; nesting too deep for Python is a ValueError."""
    text = read_small_text(path, limit)
    try:
        return json.loads(text)
    except RecursionError:
        raise NotASmallFile(f"{path} nests too deep to be what clonebot writes") from None
