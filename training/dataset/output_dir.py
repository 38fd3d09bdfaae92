"""Where a dataset lives, and how a new one replaces it without losing anything.

A new dataset is built in ``.NAME.tmp-XXXX`` beside ``out`` and installed in four renames
(each atomic on one file system)::

    1. .NAME.tmp-XXXX -> .NAME.new   (complete: stats.json was written last)
    2. out            -> .NAME.old   (if there is a dataset)
    3. .NAME.new      -> out
    4. delete .NAME.old

A kill (power loss, OOM, Ctrl-\\) at any moment leaves a state that ``recover`` recognises
the next time, before anything else is done: a complete ``.new`` is finished into place
(the interrupted prepare had succeeded), a lone ``.old`` is put back, a leftover ``.old``
beside a dataset is deleted, and stale ``.tmp-*`` dirs (a build that never finished) are
removed. ``.NAME.lock`` (flock) keeps two prepares off one dataset at a time.

``reached(step)`` marks each step; kill tests replace it to die exactly there.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from clonebot.errors import DatasetError
from training.dataset.records import MESSAGES_FILE, check_record_store
from training.dataset.splits import STATS_FILE

log = logging.getLogger(__name__)


def reached(step: str) -> None:
    """Test seam: kill tests replace this to die at a named step."""


def is_dataset_dir(path: Path) -> bool:
    return (path / STATS_FILE).is_file() and (path / "dataset_dict.json").is_file()


def load_stats(path: Path | str) -> dict:
    p = Path(path) / STATS_FILE
    try:
        stats = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"no prepared dataset at {path} (missing {STATS_FILE})") from None
    except (ValueError, OSError) as e:
        raise DatasetError(f"{p} is not valid JSON: {e}") from None
    if not isinstance(stats, dict):
        raise DatasetError(f"{p} is not a JSON object")
    return stats


def damaged(out: Path, what: str) -> DatasetError:
    return DatasetError(
        f"the dataset at {out} is damaged: {what}. To keep its merged history, restore {out} "
        f"from a backup; to start over, move {out} aside and prepare again from your exports "
        "(oldest first)")


class OutputDir:
    """``with OutputDir(out) as target:`` holds the lock and has recovered what a kill left."""

    def __init__(self, out: Path | str):
        # A symlinked --out means the dir it points to: the renames happen beside that.
        self.out = Path(os.path.realpath(Path(out).expanduser()))
        if self.out.parent == self.out:
            raise DatasetError(f"--out {self.out} is not a directory a dataset can replace")
        name = self.out.name
        self.new = self.out.with_name(f".{name}.new")
        self.old = self.out.with_name(f".{name}.old")
        self.lock_path = self.out.with_name(f".{name}.lock")
        self._lock_fd: int | None = None
        self.recovered: list[str] = []  # what recover() did, for the summary

    # -- lock --------------------------------------------------------------------------
    def __enter__(self) -> "OutputDir":
        if self.out.exists() and not self.out.is_dir():
            raise DatasetError(f"--out {self.out} exists and is not a directory")
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._cannot(e) from None
        self._lock()
        try:
            self.recover()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._unlock()

    def _lock(self) -> None:
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as e:
                raise self._cannot(e) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise DatasetError(
                        f"another `clonebot prepare` is writing {self.out}; wait for it to "
                        "finish") from None
                raise self._cannot(e) from None
            # The previous holder may have removed the file after we opened it.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock_fd = fd
                return
            os.close(fd)

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.lock_path)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _cannot(self, e: OSError) -> DatasetError:
        for above in self.out.parents:
            if above.exists():
                if not above.is_dir():
                    return DatasetError(f"cannot write --out {self.out}: {above} is a file, "
                                        "not a directory")
                break
        return DatasetError(f"cannot write --out {self.out}: {e.strerror or e}")

    # -- recovery ------------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Finish or undo what a killed prepare left beside ``out`` (see the docstring)."""
        done = []
        has_new, has_old, has_out = self.new.is_dir(), self.old.is_dir(), self.out.exists()
        if has_new and has_old and has_out:
            raise DatasetError(
                f"{self.out}, {self.new.name} and {self.old.name} all exist beside each other: "
                "keep the one you want as the dataset and remove the other two")
        try:
            if has_new:  # a complete build whose install was interrupted: finish it
                if has_out:
                    os.replace(self.out, self.old)
                    has_old = True
                os.replace(self.new, self.out)
                done.append(f"finished installing the dataset a killed prepare had built into {self.out}")
            elif has_old and not has_out:  # no new dataset to finish: put the previous back
                os.replace(self.old, self.out)
                has_old = False
                done.append(f"restored the previous dataset at {self.out}")
            if has_old:
                shutil.rmtree(self.old)
                done.append(f"removed the replaced dataset {self.old.name}")
            # The name is escaped: --out "ds[12]" or "*" must not match another dataset's build.
            for stale in self.out.parent.glob(f".{glob.escape(self.out.name)}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
                done.append(f"removed {stale.name}, left by an interrupted prepare")
        except OSError as e:
            raise self._cannot(e) from None
        for line in done:
            log.info("%s", line)
        self.recovered = done
        return done

    # -- the existing dataset --------------------------------------------------------------
    def existing(self) -> tuple[Path, dict] | None:
        """(out, its stats) if ``out`` holds a dataset to merge with; None if it is empty or
        absent. A damaged dataset or a foreign non-empty dir is refused, never replaced."""
        out = self.out
        if not out.is_dir():
            return None
        if not is_dataset_dir(out):
            if any(out.iterdir()):
                raise DatasetError(
                    f"--out {out} is not empty and holds no clonebot dataset; refusing to replace it")
            return None
        try:
            stats = load_stats(out)
        except DatasetError as e:
            raise damaged(out, f"{STATS_FILE} cannot be read ({e})") from None
        problem = check_record_store(out / MESSAGES_FILE)
        if problem is not None:
            raise damaged(out, problem)
        return out, stats

    # -- building and installing ------------------------------------------------------------
    def make_tmp(self) -> Path:
        try:
            return Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        except OSError as e:
            raise self._cannot(e) from None

    def install(self, tmp: Path) -> None:
        """Steps 1-4 of the module docstring."""
        reached("built")
        os.replace(tmp, self.new)
        reached("new_in_place")
        if self.out.exists():
            os.replace(self.out, self.old)
            reached("old_moved_aside")
        os.replace(self.new, self.out)
        reached("installed")
        if self.old.exists():
            shutil.rmtree(self.old)
        reached("cleaned")
