"""The record store (``messages.parquet``): every kept, scrubbed message, what a later
prepare merges with; and the merge itself.

``bot`` marks a message the clone sent (its id was in the bot's approval store at some
prepare): once marked, it stays marked through every later merge, whichever copy of the
message wins, so a re-fetched or re-exported bot message never becomes the owner's words
again. A store written before the column existed reads as "no bot messages"."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from clonebot.errors import DatasetError

MESSAGES_FILE = "messages.parquet"
RECORD_SCHEMA = pa.schema([
    ("chat_id", pa.int64()),
    ("message_id", pa.int64()),
    ("date", pa.int64()),
    ("edited", pa.int64()),
    ("sender", pa.int64()),
    ("clone", pa.bool_()),
    ("text", pa.string()),
    ("bot", pa.bool_()),
])
# What ``messages.parquet`` held before the ``bot`` column: still read (and merged).
_LEGACY_SCHEMA = pa.schema(list(RECORD_SCHEMA)[:-1])

# (chat id as the export names it, message id) of the messages the clone sent.
BotIds = frozenset[tuple[int, int]]


class RecordStoreError(DatasetError):
    """The stored ``messages.parquet`` of an existing dataset cannot be read."""


_RECORD_FIELDS = list(RECORD_SCHEMA)[1:]
_ROW_GROUP = 50_000


class RecordWriter:
    """Record batches -> ``messages.parquet``, in row groups of about 50k rows. Encoding
    and compressing a row group runs in a thread (pyarrow releases the GIL there), beside
    the export parsing; one row group at a time, in order."""

    def __init__(self, path: Path):
        self.path = path
        self.writer = pq.ParquetWriter(path, RECORD_SCHEMA, compression="zstd")
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.rows = 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="records")
        self._writing: Future | None = None

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self.pending.append(batch)
            self.pending_rows += batch.num_rows
            if self.pending_rows >= _ROW_GROUP:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            table = pa.Table.from_batches(self.pending, RECORD_SCHEMA).combine_chunks()
            self._wait()
            self._writing = self._thread.submit(self.writer.write_table, table,
                                                row_group_size=max(1, table.num_rows))
            self.rows += table.num_rows
            self.pending, self.pending_rows = [], 0

    def _wait(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()  # re-raises what the write raised

    def close(self) -> None:
        try:
            self.flush()
            self._wait()
        finally:
            self._thread.shutdown(wait=True)
            self.writer.close()


def record_batch(chat_id: int, cols: tuple[list, ...]) -> pa.RecordBatch:
    """(message_id, date, edited, sender, clone, text, bot) columns of one chat -> a batch."""
    arrays = [pa.array([chat_id] * len(cols[0]), pa.int64())]
    arrays += [pa.array(c, f.type) for c, f in zip(cols, _RECORD_FIELDS)]
    return pa.RecordBatch.from_arrays(arrays, schema=RECORD_SCHEMA)


def iter_chats(records_path: Path, batch_rows: int = 20_000) -> Iterator[tuple[int, list[tuple]]]:
    """(chat_id, rows) pieces of a record store sorted by chat, in order; rows are
    (message_id, date, sender, clone, text, bot). A chat may come in several pieces (one per
    batch it spans); consecutive pieces with the same chat id belong together."""
    pf = pq.ParquetFile(records_path)
    cols = ["chat_id", "message_id", "date", "sender", "clone", "text", "bot"]
    for b in pf.iter_batches(batch_size=batch_rows, columns=cols):
        chat_ids = b.column(0).to_numpy()
        bounds = np.flatnonzero(chat_ids[1:] != chat_ids[:-1]) + 1
        rows = list(zip(*(b.column(c).to_pylist() for c in cols[1:])))
        start = 0
        for end in [*bounds.tolist(), len(rows)]:
            yield int(chat_ids[start]), rows[start:end]
            start = end


def merge_records(old: Path | None, new: Path, out: Path, bot_ids: BotIds = frozenset()) -> dict:
    """Merge two record stores: dedupe by (chat_id, message_id), newer edit wins.

    Order: chats by first appearance (old store first), then message id. Ties on the edit
    time keep the stored (old) record, so merging an export with itself changes nothing.
    A message is the bot's if either copy was marked, or its id is in ``bot_ids``.
    """
    new_t = pq.read_table(new)
    try:
        old_t = _with_bot_column(pq.read_table(old)) if old is not None \
            else RECORD_SCHEMA.empty_table()
    except (pa.ArrowException, OSError) as e:
        raise RecordStoreError(f"{MESSAGES_FILE} cannot be read ({_first_line(e)})") from None
    n_old = old_t.num_rows
    both = pa.concat_tables([old_t, new_t]).combine_chunks()
    del old_t, new_t
    rank: dict[int, int] = {}
    for cid in both.column("chat_id").to_pylist():
        if cid not in rank:
            rank[cid] = len(rank)
    chat_ids = both.column("chat_id").to_numpy()
    ranks = np.fromiter((rank[c] for c in chat_ids.tolist()), dtype=np.int64, count=len(chat_ids))
    src = np.zeros(both.num_rows, dtype=np.int8)
    src[n_old:] = 1
    both = both.append_column("_rank", pa.array(ranks)).append_column("_src", pa.array(src))
    both = both.sort_by([("_rank", "ascending"), ("message_id", "ascending"),
                         ("edited", "descending"), ("_src", "ascending")])
    cid = both.column("_rank").to_numpy()
    mid = both.column("message_id").to_numpy()
    srcs = both.column("_src").to_numpy()
    first = np.ones(len(cid), dtype=bool)
    if len(cid) > 1:
        first[1:] = (cid[1:] != cid[:-1]) | (mid[1:] != mid[:-1])
    # Per key: does it exist in old? in new? which source won?
    key_start = np.flatnonzero(first)
    has_old = np.logical_or.reduceat(srcs == 0, key_start) if len(key_start) else np.array([])
    has_new = np.logical_or.reduceat(srcs == 1, key_start) if len(key_start) else np.array([])
    winner_new = srcs[key_start] == 1
    bot = both.column("bot").fill_null(False).to_numpy(zero_copy_only=False)
    bot_any = np.logical_or.reduceat(bot, key_start) if len(key_start) else bot[:0]
    kept = both.filter(pa.array(first)).drop_columns(["_rank", "_src", "bot"])
    bot_any |= bot_mask(kept, bot_ids)
    kept = kept.append_column(RECORD_SCHEMA.field("bot"), pa.array(bot_any, pa.bool_()))
    pq.write_table(kept, out, compression="zstd", row_group_size=_ROW_GROUP)
    new_rows = int(np.count_nonzero(srcs == 1))
    return {
        "messages_bot": int(np.count_nonzero(bot_any)),
        "messages_new": int(np.count_nonzero(has_new & ~has_old)),
        "messages_duplicate": new_rows - int(np.count_nonzero(has_new & ~has_old)),
        "messages_updated": int(np.count_nonzero(has_old & has_new & winner_new)),
        "messages_total": kept.num_rows,
    }


def bot_mask(table: pa.Table, bot_ids: BotIds) -> np.ndarray:
    """Which rows of a record table are messages the clone sent, by id."""
    mask = np.zeros(table.num_rows, dtype=bool)
    if not bot_ids or not table.num_rows:
        return mask
    mids = table.column("message_id").to_numpy()
    maybe = np.flatnonzero(np.isin(mids, np.fromiter((m for _, m in bot_ids), dtype=np.int64)))
    if len(maybe):
        cids = table.column("chat_id").to_numpy()
        for i in maybe.tolist():
            mask[i] = (int(cids[i]), int(mids[i])) in bot_ids
    return mask


def _with_bot_column(table: pa.Table) -> pa.Table:
    """A stored table in today's schema (one written before the ``bot`` column gets it,
    all false)."""
    if "bot" in table.column_names:
        return table
    return table.append_column(RECORD_SCHEMA.field("bot"),
                               pa.array(np.zeros(table.num_rows, dtype=bool), pa.bool_()))


def check_record_store(path: Path) -> str | None:
    """What is wrong with a stored ``messages.parquet`` (None: its footer and schema are
    fine; the pages are checked when they are read)."""
    if not path.is_file():
        return f"{MESSAGES_FILE} is missing"
    try:
        schema = pq.ParquetFile(path).schema_arrow
    except (pa.ArrowException, OSError) as e:
        return f"{MESSAGES_FILE} is truncated or corrupt ({_first_line(e)})"
    if not (schema.equals(RECORD_SCHEMA, check_metadata=False)
            or schema.equals(_LEGACY_SCHEMA, check_metadata=False)):
        return f"{MESSAGES_FILE} has unexpected columns ({', '.join(schema.names)})"
    return None


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
