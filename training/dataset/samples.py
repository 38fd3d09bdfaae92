"""Samples: one row per reply window (its turns, the reply last), and the Arrow IPC stream
they wait in until they are split into train and eval.

No rendered text: the dataset holds turns only, so it depends on no tokenizer. Training
renders them with the EOS of the tokenizer it loads (``training.masking``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

import numpy as np

from training.dataset.arrow_build import from_numpy, int64s, repeated, strings

_TURNS = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
SAMPLE_SCHEMA = pa.schema([
    ("messages", _TURNS),
    ("chat_id", pa.int64()),
    ("message_id", pa.int64()),
    ("date", pa.int64()),
])


def sample_batch(chat_id: int, cols: tuple[list, list, list, list, list]) -> pa.RecordBatch:
    """Sample columns of one chat (``chat_work.SampleColumns``) -> rows."""
    counts, roles, contents, mids, dates = cols
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    turns = pa.StructArray.from_arrays([strings(roles), strings(contents)],
                                       fields=list(_TURNS.value_type))
    return pa.RecordBatch.from_arrays([
        pa.ListArray.from_arrays(from_numpy(offsets), turns, type=_TURNS),
        repeated(chat_id, len(counts)),
        int64s(mids),
        int64s(dates),
    ], schema=SAMPLE_SCHEMA)


class SampleStream:
    """Sample batches, in chat order, into an Arrow IPC stream; per-chat counts kept."""

    def __init__(self, path: Path):
        self.path = path
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_stream(self.sink, SAMPLE_SCHEMA)
        self.segments: list[list[int]] = []  # [chat_id, n_samples] in write order
        self.rows = 0

    def chat(self, chat_id: int) -> None:
        self.segments.append([chat_id, 0])

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self.writer.write_batch(batch)
            self.segments[-1][1] += batch.num_rows
            self.rows += batch.num_rows

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            with contextlib.suppress(Exception):  # a full disk: the writer's error counts
                self.sink.close()


def read_stream(path: Path) -> Iterator[pa.RecordBatch]:
    # Plain reads, not a memory map: resident memory stays one batch deep.
    with pa.OSFile(str(path), "rb") as src:
        yield from pa.ipc.open_stream(src)
