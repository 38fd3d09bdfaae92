"""Columns handed from a worker to the reading process as Arrow lays them out: texts as their
UTF-8 back to back and where each starts, numbers as int64 bytes, flags as bytes.

A list of str crosses the process boundary text by text: pickled (encoded to UTF-8), unpickled
into new str objects (decoded again), then encoded a second time into the Arrow column. Sent
as one buffer, it is pickled as bytes and becomes the column's buffers as it is
(``arrow_build.strings``): for a 300k-message export (its records and every sample's turns)
the reading process spends ~0.3 CPU s less, the workers ~0.2 s more (paired runs). Numbers and
flags likewise: a list of 2,000 ints is unpickled int by int and converted again; as bytes it
is one copy (~0.1 CPU s of the reading process for the export's records). Stdlib only: a
worker never imports numpy or pyarrow (``chat_work``'s docstring).
"""

from __future__ import annotations

from array import array
from itertools import accumulate

_INT32 = "i"
_INT64 = "q"
_MAX_OFFSET = 2**31 - 1  # Arrow's ``string`` has int32 offsets


class TextColumn:
    """``len`` texts: ``data`` their UTF-8, ``offsets`` ``len + 1`` native int32 where each
    starts (the last: where the last one ends)."""

    __slots__ = ("data", "offsets", "count")

    def __init__(self, data: bytes, offsets: bytes, count: int):
        self.data, self.offsets, self.count = data, offsets, count

    def __len__(self) -> int:
        return self.count

    def __reduce__(self):
        return TextColumn, (self.data, self.offsets, self.count)

    def texts(self) -> list[str]:
        ends = array(_INT32)
        ends.frombytes(self.offsets)
        return [self.data[a:b].decode("utf-8") for a, b in zip(ends, ends[1:])]


class Int64Column:
    """``count`` int64 numbers, native order, in ``data``."""

    __slots__ = ("data", "count")

    def __init__(self, data: bytes, count: int):
        self.data, self.count = data, count

    def __len__(self) -> int:
        return self.count

    def __reduce__(self):
        return Int64Column, (self.data, self.count)


class BoolColumn:
    """``len(data)`` flags, one byte each (0 or 1)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __reduce__(self):
        return BoolColumn, (self.data,)


def int64_column(values: list) -> Int64Column | list:
    """``values`` as int64 bytes; the list as it is when they are not all ints of int64 (a
    None, a bool): built where they are read, as before."""
    if array(_INT64).itemsize != 8 or not set(map(type, values)) <= {int}:
        return values
    try:
        return Int64Column(array(_INT64, values).tobytes(), len(values))
    except (TypeError, OverflowError):
        return values


def bool_column(values: list) -> BoolColumn | list:
    """``values`` as one byte each; the list as it is when they are not all bools."""
    if not set(map(type, values)) <= {bool}:
        return values
    return BoolColumn(bytes(values))


def text_column(texts: list[str]) -> TextColumn | list[str]:
    """``texts`` as one buffer; the list as it is when that cannot be (a text that is no
    str or holds a lone surrogate, more than 2 GiB): it is refused where the column is
    built, with the error it always had."""
    if array(_INT32).itemsize != 4:  # never on the platforms Python runs on; then as before
        return texts
    try:
        joined = "".join(texts)
    except TypeError:
        return texts
    if joined.isascii():  # (known without a scan) every text's length is its UTF-8 length
        data = joined.encode()
        lengths = map(len, texts)
    else:  # each text encoded once, for its length and the buffer both
        try:
            encoded = list(map(str.encode, texts))
        except UnicodeEncodeError:
            return texts
        data = b"".join(encoded)
        lengths = map(len, encoded)
    if len(data) > _MAX_OFFSET:
        return texts
    return TextColumn(data, array(_INT32, [0, *accumulate(lengths)]).tobytes(), len(texts))
