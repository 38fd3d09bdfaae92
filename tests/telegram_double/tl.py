"""TL plumbing for the double: build objects on any layer, and pass them through bytes.

``make(cls, **fields)`` drops fields the installed Telethon's layer does not have, so the
double builds the same objects on Telethon 1.39 and 1.45 (required fields that are new in
a layer are given by the caller; unknown ones are ignored).

Every answer and every pushed update goes through ``bytes()`` and back, exactly as it would
over the network: a malformed answer fails here, and the client never shares an object
with the double's state (Telethon mutates the messages it receives).
"""

from __future__ import annotations

import datetime
import inspect
import struct
from functools import lru_cache
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl.tlobject import TLObject

_VECTOR = 0x1CB5C415
_TRUE, _FALSE = 0x997275B5, 0xBC799737


@lru_cache(maxsize=None)
def _params(cls: type) -> frozenset[str]:
    return frozenset(inspect.signature(cls.__init__).parameters) - {"self"}


def make(cls: type, **fields: Any) -> Any:
    """``cls(**fields)`` without the fields this layer does not know."""
    known = _params(cls)
    return cls(**{k: v for k, v in fields.items() if k in known})


def raw(cls: type) -> type:
    """The TL class itself, under Telethon's patched one (``types.MessageEmpty`` is
    ``custom.Message``'s subclass, whose constructor wants a message's fields)."""
    return next(c for c in cls.__mro__ if c.__module__ == "telethon.tl.types")


def date(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc)


def to_bytes(value: Any) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I", _TRUE if value else _FALSE)
    if isinstance(value, list):
        return struct.pack("<Ii", _VECTOR, len(value)) + b"".join(to_bytes(v) for v in value)
    if isinstance(value, TLObject):
        return bytes(value)
    raise TypeError(f"cannot serialize {type(value).__name__} as a TL result")


def read_result(request: Any, result: Any) -> Any:
    """What the client would parse from the wire for ``request``'s answer ``result``."""
    with BinaryReader(to_bytes(result)) as reader:
        return request.read_result(reader)


def copy(obj: Any) -> Any:
    """A TL object read back from its bytes: a deep, wire-faithful copy."""
    with BinaryReader(to_bytes(obj)) as reader:
        return reader.tgread_object()
