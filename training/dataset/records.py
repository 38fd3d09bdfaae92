"""The record store (``messages.parquet``): every kept, scrubbed message, what a later
prepare merges with; and the merge itself.

``bot`` marks a message the clone sent (its id was in the bot's approval store at some
prepare): once marked, it stays marked through every later merge, whichever copy of the
message wins, so a re-fetched or re-exported bot message never becomes the owner's words
again. A store written before the column existed reads as "no bot messages"."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clonebot.errors import DatasetError
from training.dataset.arrow_build import bools, int64s, repeated, strings

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
_BUILD = {pa.int64(): int64s, pa.bool_(): bools, pa.string(): strings}
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
        """Write what is pending and the footer. After a failed write (a full disk) the
        writer is closed too, and that failure is the one raised, not the writer's
        complaint about being closed."""
        try:
            self.flush()
            self._wait()
        except BaseException:
            self._thread.shutdown(wait=True)
            with contextlib.suppress(Exception):
                self.writer.close()
            raise
        self._thread.shutdown(wait=True)
        self.writer.close()


def record_batch(chat_id: int, cols: tuple[list, ...]) -> pa.RecordBatch:
    """(message_id, date, edited, sender, clone, text, bot) columns of one chat -> a batch."""
    arrays = [repeated(chat_id, len(cols[0]))]
    arrays += [_BUILD[f.type](c) for c, f in zip(cols, _RECORD_FIELDS)]
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
    time keep the stored (old) record, then the first in the export, so merging an export
    with itself changes nothing. Messages of the new export that share an id in their chat
    are counted: ``duplicates_same`` (the same message twice), ``duplicates_conflicting``
    (different messages; the newer edit, else the first, is kept) and per chat in
    ``duplicate_ids`` ({chat_id: rows dropped}). A message is the bot's if either copy was
    marked, or its id is in ``bot_ids``.
    """
    new_t = pq.read_table(new)
    try:
        old_t = _with_bot_column(pq.read_table(old)) if old is not None \
            else RECORD_SCHEMA.empty_table()
    except (pa.ArrowException, OSError) as e:
        raise RecordStoreError(f"{MESSAGES_FILE} cannot be read ({_first_line(e)})") from None
    old_t = _checked(old_t)
    within = _duplicates_within(new_t)
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
    both = (both.append_column("_rank", pa.array(ranks)).append_column("_src", pa.array(src))
            .append_column("_row", pa.array(np.arange(both.num_rows, dtype=np.int64))))
    both = both.sort_by([("_rank", "ascending"), ("message_id", "ascending"),
                         ("edited", "descending"), ("_src", "ascending"), ("_row", "ascending")])
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
    kept = both.filter(pa.array(first)).drop_columns(["_rank", "_src", "_row", "bot"])
    bot_any |= bot_mask(kept, bot_ids)
    kept = kept.append_column(RECORD_SCHEMA.field("bot"), pa.array(bot_any, pa.bool_()))
    pq.write_table(kept, out, compression="zstd", row_group_size=_ROW_GROUP)
    fresh = int(np.count_nonzero(has_new & ~has_old))
    return {
        "messages_new": fresh,
        "messages_duplicate": int(np.count_nonzero(has_new & has_old)),
        "messages_bot": int(np.count_nonzero(bot_any)),
        "messages_updated": int(np.count_nonzero(has_old & has_new & winner_new)),
        "messages_total": kept.num_rows,
        **within,
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
def _duplicates_within(t: pa.Table) -> dict:
    """Rows of one record store that share a (chat_id, message_id) with another."""
    keys = t.group_by(["chat_id", "message_id"]).aggregate([("message_id", "count")])
    extra = t.num_rows - keys.num_rows
    if not extra:
        return {"duplicates_same": 0, "duplicates_conflicting": 0, "duplicate_ids": {}}
    same = t.num_rows - t.group_by(t.column_names).aggregate([]).num_rows
    many = keys.filter(pc.greater(keys.column("message_id_count"), 1))
    per_chat = many.group_by("chat_id").aggregate([("message_id_count", "sum"),
                                                    ("message_id_count", "count")])
    dropped = {int(c): int(s) - int(n) for c, s, n in zip(
        per_chat.column("chat_id").to_pylist(), per_chat.column("message_id_count_sum").to_pylist(),
        per_chat.column("message_id_count_count").to_pylist())}
    return {"duplicates_same": same, "duplicates_conflicting": extra - same,
            "duplicate_ids": dropped}


def _checked(t: pa.Table) -> pa.Table:
    """A stored record table as the schema says, without empty (null) values: another
    tool (or damage) could leave them, and every sample is built from these rows."""
    if not t.schema.equals(RECORD_SCHEMA, check_metadata=False):
        raise RecordStoreError(f"{MESSAGES_FILE} has unexpected columns ({', '.join(t.schema.names)})")
    if t.column("bot").null_count:  # unknown = not the bot's (as merge_records reads it)
        t = t.set_column(t.column_names.index("bot"), RECORD_SCHEMA.field("bot"),
                         t.column("bot").fill_null(False))
    nulls = [name for name, col in zip(t.column_names, t.columns) if col.null_count]
    if nulls:
        raise RecordStoreError(f"{MESSAGES_FILE} has empty (null) values in "
                               f"{', '.join(nulls)}")
    return t


def check_record_store(path: Path) -> str | None:
    """What is wrong with a stored ``messages.parquet`` (None: its footer and schema are
    fine; the pages are checked when they are read)."""
    if not path.is_file():
        return f"{MESSAGES_FILE} is missing"
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError) as e:
        return f"{MESSAGES_FILE} is truncated or corrupt ({_first_line(e)})"
    if not (schema.equals(RECORD_SCHEMA, check_metadata=False)
            or schema.equals(_LEGACY_SCHEMA, check_metadata=False)):
        return f"{MESSAGES_FILE} has unexpected columns ({', '.join(schema.names)})"
    md = pf.metadata
    for g in range(md.num_row_groups):  # the footer's counts; the pages are checked on read
        group = md.row_group(g)
        for c in range(md.num_columns):
            st = group.column(c).statistics
            if st is not None and st.has_null_count and st.null_count:
                return (f"{MESSAGES_FILE} has empty (null) values in "
                        f"{schema.names[c]}")
    return None


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
