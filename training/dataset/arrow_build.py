"""Arrow arrays built from numpy buffers, for the columns prepare writes.

``pa.array``, ``pa.scalar`` and a compute call given a Python scalar ask, on their first use
in a process, whether pandas is installed (to accept a Series), and so import it: 0.25 s of
the reading process's CPU and ~34 MiB, for nothing. Arrays made with ``Array.from_buffers``
never ask. The values are the ones ``pa.array`` would hold (tests/test_arrow_build.py
compares them); input ``pa.array`` would refuse is handed to it, so it fails the same way.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from training.dataset.column_buffers import BoolColumn, Int64Column, TextColumn

_MAX_OFFSET = 2**31 - 1  # a ``string`` array's offsets are int32
_INT_OR_NULL = {int, type(None)}


def int64s(values: list | Int64Column) -> pa.Array:
    """Python ints (None for a null), or a worker's ``Int64Column`` -> int64."""
    if isinstance(values, Int64Column):
        return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values.data)])
    n = len(values)
    kinds = set(map(type, values))
    if not kinds <= _INT_OR_NULL:  # floats, bools, numpy ints...: as pa.array takes (or refuses) them
        return pa.array(values, pa.int64())
    if type(None) in kinds:
        valid = np.fromiter((v is not None for v in values), bool, n)
        data = np.array([0 if v is None else v for v in values], dtype=np.int64)
        return pa.Array.from_buffers(pa.int64(), n, [_bits(valid), pa.py_buffer(data)],
                                     null_count=n - int(np.count_nonzero(valid)))
    return from_numpy(np.array(values, dtype=np.int64))


def repeated(value: int, n: int) -> pa.Array:
    """``n`` times the same int64."""
    return from_numpy(np.full(n, value, dtype=np.int64))


def from_numpy(data: np.ndarray) -> pa.Array:
    """A 1-d int32/int64 or bool numpy array -> the same values in Arrow."""
    if data.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(data), [None, _bits(data)])
    types = {np.dtype(np.int64): pa.int64(), np.dtype(np.int32): pa.int32()}
    data = np.ascontiguousarray(data)
    return pa.Array.from_buffers(types[data.dtype], len(data), [None, pa.py_buffer(data)])


def to_numpy(array: pa.Array) -> np.ndarray:
    """An int32/int64 array without nulls as numpy, a view of its buffer (``to_numpy``
    asks for pandas too)."""
    if array.null_count:
        raise ValueError("nulls have no numpy view")
    dtype = {pa.int64(): np.int64, pa.int32(): np.int32}[array.type]
    if len(array) == 0:
        return np.zeros(0, dtype)
    return np.frombuffer(array.buffers()[1], dtype)[array.offset:array.offset + len(array)]


def bools(values: list | BoolColumn) -> pa.Array:
    """Python bools, or a worker's ``BoolColumn`` -> bool."""
    if isinstance(values, BoolColumn):
        return from_numpy(np.frombuffer(values.data, np.bool_))
    if not set(map(type, values)) <= {bool}:  # nulls, ints...: as pa.array takes (or refuses) them
        return pa.array(values, pa.bool_())
    return from_numpy(np.array(values, dtype=np.bool_))


def strings(values: list | TextColumn) -> pa.Array:
    """Python strs, or a worker's ``TextColumn`` -> string (UTF-8, int32 offsets)."""
    if isinstance(values, TextColumn):  # the layout already: its buffers as they are
        return pa.Array.from_buffers(pa.string(), len(values), [
            None, pa.py_buffer(values.offsets), pa.py_buffer(values.data)])
    try:
        data = "".join(values).encode("utf-8")
    except (TypeError, UnicodeEncodeError):  # not all str, or a lone surrogate: pa.array's error
        return pa.array(values, pa.string())
    if len(data) > _MAX_OFFSET:
        return pa.array(values, pa.string())
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    if len(data) != lengths.sum():  # not all ASCII: the bytes of each (map: no bytecode)
        lengths = np.fromiter(map(len, map(str.encode, values)), np.int64, len(values))
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(values),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def string_scalar(value: str) -> pa.Scalar:
    """A string scalar for a compute call (a Python str there goes through ``pa.scalar``)."""
    return strings([value])[0]


def _bits(flags: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(flags, bitorder="little"))
