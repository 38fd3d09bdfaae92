"""An export that arrives through a pipe or a device (``<(unzip -p export.zip result.json)``,
``/dev/stdin``): read once, copied to a file beside the dataset *as the reader's passes get
to it*, so it is parsed while it is copied.

The reader walks an export three times, so the bytes have to be kept; but nothing is copied
ahead of the pass that is furthest. A stream that is not an export is refused on its first
bytes (``/dev/zero`` stops after one read), a stream that never ends stops at
``limit`` bytes (``prepare.pipe_limit_gb``), and Ctrl-C while waiting on a pipe nobody
writes to interrupts the read; the caller removes the copy in every case.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable
from pathlib import Path

from clonebot.errors import ExportError
from training.export.guard import first_byte_problem

_READ = 1 << 20


class SpooledPipe:
    """``source`` (a pipe or device) copied into ``path`` as far as the readers need it."""

    def __init__(self, source: Path, path: Path, limit: int, limit_name: str,
                 check: Callable[[str, bytes], str | None] = first_byte_problem):
        """``check``: why the stream's first bytes cannot be what is expected (or None)."""
        self.source = Path(source)
        self.check = check
        self.path = Path(path)
        self.limit = limit
        self.limit_name = limit_name  # how the user raises the limit, for the error
        self.copied = 0
        self.eof = False
        try:
            self._src = os.open(source, os.O_RDONLY)
        except OSError as e:
            raise ExportError(f"cannot read export {source}: {e.strerror or e}") from None
        try:
            self._out = open(path, "wb")
        except BaseException:
            os.close(self._src)
            raise

    @property
    def name(self) -> str:
        return str(self.source)

    def pull(self, upto: int, seconds: float | None = None) -> None:
        """Copy until ``upto`` bytes are in the file, or the stream ends (or, with
        ``seconds``, that much time passed: a slow writer is not waited for)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while self.copied < upto and not self.eof:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._src], [], [], left)[0]:
                    break
            try:
                data = os.read(self._src, _READ)
            except OSError as e:
                raise ExportError(f"cannot read export {self.source}: {e.strerror or e}") \
                    from None
            if not data:
                self.eof = True
                break
            if not self.copied:
                problem = self.check(self.name, data)
                if problem:
                    raise ExportError(problem)
            if self.copied + len(data) > self.limit:
                raise ExportError(
                    f"{self.source} goes on past {self.limit / 1e9:g} GB ({self.limit_name}): "
                    "an endless stream? Save the export to a file and pass that, or raise "
                    f"{self.limit_name}")
            self._out.write(data)
            self.copied += len(data)
        self._out.flush()

    def head(self, n: int = 4096) -> bytes:
        """The first ``n`` bytes copied so far."""
        with open(self.path, "rb") as f:
            return f.read(min(n, self.copied))

    def open(self) -> "SpoolReader":
        return SpoolReader(self)

    def close(self) -> None:
        try:
            self._out.close()
        finally:
            os.close(self._src)


class SpoolReader:
    """One pass over a ``SpooledPipe``: a binary file whose reads wait for the copy."""

    def __init__(self, spool: SpooledPipe):
        self.spool = spool
        self.f = open(spool.path, "rb", buffering=0)  # sees what the copy appends
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes, as soon as there are any (like a read from the pipe)."""
        sp = self.spool
        want = self.pos + (n if n is not None and n >= 0 else _READ)
        if self.pos >= sp.copied and not sp.eof:
            sp.pull(self.pos + 1)
        data = self.f.read(max(0, min(want, sp.copied) - self.pos))
        self.pos += len(data)
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence != 0:
            raise ValueError("a spooled export seeks from its start only")
        self.f.seek(pos)
        self.pos = pos
        return pos

    def tell(self) -> int:
        return self.pos

    def close(self) -> None:
        self.f.close()

    def __enter__(self) -> "SpoolReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
