"""A GGUF file's key-values, read from its header alone.

``gguf.GGUFReader`` maps every tensor and turns every element of every array into numpy
parts: on the test model's base that is its 49k-token vocabulary and 48k merges, 2.6 s
before the llamacpp backend can load. The converter needs a handful of scalars and the
vocabulary's length, so this reads the key-value section and steps over arrays (a string
array by its lengths only). Layout: magic, version, tensor count, key-value count, then each
key-value as (string key, u32 type, value); see ggml's docs/gguf.md.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from clonebot.errors import ModelError

_MAGIC = b"GGUF"
# GGUF value types -> struct code (STRING = 8 and ARRAY = 9 are read apart).
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class Array:
    """An array value: its element type and length (the elements are not read)."""

    type: int
    length: int


class _Cursor:
    def __init__(self, data: bytes, order: str):
        self.data, self.order, self.pos = data, order, 0

    def take(self, code: str):
        size = struct.calcsize(code)
        if self.pos + size > len(self.data):
            raise EOFError
        (v,) = struct.unpack_from(self.order + code, self.data, self.pos)
        self.pos += size
        return v

    def string(self) -> str:
        n = self.take("Q")
        if self.pos + n > len(self.data):
            raise EOFError
        s = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return s.decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        for _ in range(count):
            n = self.take("Q")
            self.pos += n
        if self.pos > len(self.data):
            raise EOFError

    def value(self, kind: int):
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            elem, count = self.take("I"), self.take("Q")
            if elem == _STRING:
                self.skip_strings(count)
            elif elem in _SCALARS:
                self.pos += struct.calcsize(_SCALARS[elem]) * count
                if self.pos > len(self.data):
                    raise EOFError
            else:  # arrays of arrays: no model key uses them; say so rather than guess a size
                raise ValueError(f"an array of type {elem}")
            return Array(elem, count)
        raise ValueError(f"unknown value type {kind}")


def read_metadata(path: Path | str) -> dict[str, object]:
    """The key-values of the GGUF file at ``path`` (arrays as ``Array``: type and length).
    A file that is not GGUF, or is cut short, is a ModelError naming it."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            if os.fstat(f.fileno()).st_size < 8:
                raise ModelError(f"{path} is not a GGUF file")
            # Mapped: only the pages of the key-values are read, never the tensors after them.
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _parse(path, data)
    except OSError as e:
        raise ModelError(f"cannot read {path}: {e}") from None


def _parse(path: Path, data) -> dict[str, object]:
    if data[:4] != _MAGIC:
        raise ModelError(f"{path} is not a GGUF file")
    # The version is small: read little-endian unless that makes it absurd (a big-endian file).
    order = "<" if struct.unpack_from("<I", data, 4)[0] < 0x10000 else ">"
    cur = _Cursor(data, order)
    cur.pos = 4
    try:
        version = cur.take("I")
        if version < 2:
            raise ValueError(f"GGUF version {version} (llama.cpp reads 2 and later)")
        cur.take("Q")  # tensor count
        out: dict[str, object] = {}
        for _ in range(cur.take("Q")):
            key = cur.string()
            out[key] = cur.value(cur.take("I"))
        return out
    except EOFError:
        raise ModelError(f"{path}: the GGUF header is cut short") from None
    except ValueError as e:
        raise ModelError(f"{path}: unreadable GGUF header ({e})") from None
