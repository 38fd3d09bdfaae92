"""A small real disk for "no space left" tests: a tmpfs of a given size mounted under
tmp_path (as root, where mounting works), else None and the test injects ENOSPC itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def _mount(path: Path, size: str) -> bool:
    # CLONEBOT_TEST_NO_TMPFS=1 runs the tests' other way, as where mounting is not allowed.
    if os.geteuid() != 0 or os.environ.get("CLONEBOT_TEST_NO_TMPFS"):
        return False
    path.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                        str(path)], capture_output=True)
    return p.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk("2m")`` -> the mount point of a fresh 2 MB tmpfs, or None when this
    machine cannot mount one. Unmounted after the test."""
    mounted: list[Path] = []

    def make(size: str) -> Path | None:
        where = tmp_path / f"disk{len(mounted)}"
        if not _mount(where, size):
            return None
        mounted.append(where)
        return where

    yield make
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` until at most ``leave`` bytes are free (tmpfs counts whole pages)."""
    import shutil

    filler = disk / ".filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while (free := shutil.disk_usage(disk).free) > leave:
            try:
                os.write(fd, b"\0" * max(4096, min(1 << 20, free - leave)))
            except OSError:
                break
    finally:
        os.close(fd)
    return filler
