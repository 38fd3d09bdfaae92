"""A test model's directory under the cache dir, built once and reused, never half-made.

Used by ``registry.py`` (the GGUF test model converted) and ``mistral.py`` (tiny Mistrals):
both depend on this, not on each other.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

_DONE = ".clonebot-converted"


def is_built(target: Path, stamp: str) -> bool:
    try:
        return (target / _DONE).read_text().strip() == stamp
    except OSError:
        return False


def build_once(target: Path, build: Callable[[Path], None], stamp: str) -> Path:
    """``target``, made by ``build(tmp)`` in a temp dir beside it and renamed into place
    with a marker file holding ``stamp``, so a kill mid-build never leaves a half-made model
    to be reused, and a dir built from another recipe (another ``stamp``) is rebuilt."""
    if is_built(target, stamp):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        build(tmp)
        (tmp / _DONE).write_text(stamp + "\n")
        try:
            os.replace(tmp, target)
        except OSError:
            if not is_built(target, stamp):  # a stale or half-made dir: replace it
                shutil.rmtree(target, ignore_errors=True)
                os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
