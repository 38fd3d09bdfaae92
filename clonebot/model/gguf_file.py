"""Writing a GGUF file whole or not at all (a temp file beside it, then a rename)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clonebot.errors import OutputError


def write_gguf(path: Path | str, arch: str, fill: Callable[[Any], None]) -> Path:
    """``fill(writer)`` adds the keys and tensors to a ``gguf.GGUFWriter``; the file appears
    at ``path`` only once it is complete (readable as any file the user writes)."""
    import gguf

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e}") from None
    try:
        writer = gguf.GGUFWriter(tmp, arch)
        fill(writer)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        readable(Path(tmp))
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def readable(path: Path) -> None:
    """Give a file made by mkstemp (0600) the user's usual mode: other tools (Ollama's server,
    llama-server under another user) read the export."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
