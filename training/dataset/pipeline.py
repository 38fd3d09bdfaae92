"""The export streamed into records and samples: this process reads and filters, the
workers scrub and build windows (``workers``), results are written in chat order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from clonebot.config import Settings
from training.dataset import workers
from clonebot.chat_selection import ChatFilter
from training.dataset.chat_work import EXPORT_ROWS, RECORD_ROWS, PieceResult, work_settings
from training.dataset.records import BotIds, RecordWriter, iter_chats, record_batch
from training.dataset.samples import SampleStream, sample_batch
from training.progress import Progress
from training.dataset.sources import SourceCounts, source_of
from training.export import TEXT

CHUNK = 2000  # messages per piece sent to a worker


class Pipeline:
    """``with Pipeline(...) as pipeline:`` -- the workers live as long as the block."""

    def __init__(self, settings: Settings, n_workers: int,
                 progress: Progress | None = None, chunk: int | None = None,
                 early: workers.ProcessWorkers | None = None):
        """``early``: worker processes started ahead (``workers.start_early``)."""
        self.settings = settings
        self.progress = progress
        self.n_workers = n_workers
        self.chunk = chunk or CHUNK
        self.work = work_settings(settings)
        self.early = early
        self.skipped: Counter = Counter()
        self.chats_skipped: Counter = Counter()
        self.cut: Counter = Counter()  # texts cut to what a Telegram message holds
        self.shared_ids: dict[int, list[str | None]] = {}  # chats left out: id already used
        self.chat_names: dict[int, str | None] = {}  # chats used
        self.pii: Counter = Counter()
        self.by_source = SourceCounts()
        self._out: _Outputs | None = None
        self.pool: workers.InlineWorkers | workers.ProcessWorkers | None = None

    def __enter__(self) -> "Pipeline":
        early, self.early = self.early, None
        self.pool = workers.start(self.work, self._take, self.n_workers, early)
        return self

    @property
    def worker_pids(self) -> list[int]:
        """For tests: the pool's worker processes (none once it is closed)."""
        return getattr(self.pool, "pids", [])

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _take(self, res: PieceResult) -> None:
        assert self._out is not None
        self._out.take(res)

    def read_export(self, readers: list[tuple[str, Iterable]], records_path: Path,
                    samples_path: Path | None,
                    check_owner: Callable[[int], None] | None = None,
                    bot_ids: BotIds = frozenset()) -> dict:
        """Stream the exports' chats into scrubbed records (and samples, if
        ``samples_path``). ``readers``: (source, reader) pairs, read in that order. The
        owner's messages whose (chat, id) are in ``bot_ids`` are marked as the clone's.

        A chat id seen again is the same chat listed twice when its name and type match
        (its messages are merged, deduplicated by id), else another chat sharing the id
        (a merged or hand-edited export): that one is left out and named in the stats,
        since the two could never be told apart in the record store."""
        p = self.settings.prepare
        flt = ChatFilter(list(p.include_chats), list(p.exclude_chats), p.include_groups)
        out = self._out = _Outputs(RecordWriter(records_path),
                                   SampleStream(samples_path) if samples_path else None)
        pool = self.pool
        assert pool is not None, "use Pipeline as a context manager"
        skipped = self.skipped
        want_samples = samples_path is not None
        chats_read = seq = bot_messages = cut = 0
        seen_chats: dict[int, tuple[str | None, str | None]] = {}
        ordered = True
        try:
            for source, reader in readers:
                read_before, first = chats_read, True
                for chat in reader:
                    chats_read += 1
                    if first and check_owner is not None and reader.owner_id is not None:
                        check_owner(reader.owner_id)
                    first = False
                    why = flt.reason(chat)
                    if why is not None:
                        self.chats_skipped[why] += 1
                        n = chat.skip()
                        skipped["chat_not_used"] += n
                        self.by_source.skip(source, "chat_not_used", n)
                        continue
                    cid: int = chat.id  # type: ignore[assignment]
                    known = seen_chats.setdefault(cid, (chat.name, chat.type))
                    if known != (chat.name, chat.type):
                        self.chats_skipped["shared_id"] += 1
                        self.shared_ids.setdefault(cid, [known[0]]).append(chat.name)
                        n = chat.skip()
                        skipped["chat_not_used"] += n
                        self.by_source.skip(source, "chat_not_used", n)
                        continue
                    if cid in self.chat_names:
                        ordered = False
                    self.chat_names[cid] = chat.name
                    seq += 1
                    rows: list[tuple] = []
                    for m in chat.messages():
                        if m.kind != TEXT:
                            skipped[m.kind] += 1
                            self.by_source.skip(source, m.kind)
                        elif m.forwarded:  # someone else's words, whoever forwarded them
                            skipped["forwarded"] += 1
                        elif m.via_bot:  # inline-bot output, not typed by the sender
                            skipped["via_bot"] += 1
                        else:
                            bot = m.from_owner and (cid, m.id) in bot_ids
                            bot_messages += bot
                            rows.append((m.id, m.date, m.edited, m.sender, m.from_owner, m.text,
                                         bot))
                            if m.cut:
                                cut += 1
                            if len(rows) >= self.chunk:
                                pool.send(seq, cid, EXPORT_ROWS, rows, False, want_samples)
                                rows = []
                    pool.send(seq, cid, EXPORT_ROWS, rows, True, want_samples)
                self.by_source.add(source, chats_read=chats_read - read_before,
                                   messages_read=reader.messages_read)
            pool.finish()
        finally:
            out.close()
        self.pii.update(out.pii)
        skipped.update(out.skipped)
        for src, c in out.by_source.items():
            self.by_source.add(src, messages_kept=c["records"], owner_messages=c["owner"])
            for reason, n in c.items():
                if reason not in ("records", "owner"):
                    self.by_source.skip(src, reason, n)
        owners = [r.owner_id for _, r in readers if r.owner_id is not None]
        if cut:
            self.cut["long_message"] += cut
        return {
            "owner_id": owners[0] if owners else None,
            "owner_ids": sorted(set(owners)),
            "export_kind": "+".join(dict.fromkeys(r.kind for _, r in readers if r.kind)),
            "messages_read": sum(r.messages_read for _, r in readers),
            "messages_kept": out.records.rows,  # type: ignore[union-attr]
            "owner_messages": out.owner_messages,
            "chats_read": chats_read,
            "ordered": ordered and out.ordered,
            "segments": out.samples.segments if out.samples else None,
            "repaired_surrogates": sum(r.repaired_surrogates for _, r in readers),
            "bot_messages": bot_messages,
        }

    def samples_from_records(self, records_path: Path, samples_path: Path) -> list[list[int]]:
        """Rebuild every sample from a (sorted, deduplicated) record store."""
        out = self._out = _Outputs(None, SampleStream(samples_path))
        pool = self.pool
        assert pool is not None, "use Pipeline as a context manager"
        seq, current = 0, None
        try:
            for chat_id, rows in iter_chats(records_path):
                if chat_id != current:
                    if current is not None:
                        pool.send(seq, current, RECORD_ROWS, [], True)
                    seq += 1
                    current = chat_id
                for i in range(0, len(rows), self.chunk):
                    pool.send(seq, chat_id, RECORD_ROWS, rows[i:i + self.chunk], False)
            if current is not None:
                pool.send(seq, current, RECORD_ROWS, [], True)
            pool.finish()
        finally:
            out.close()
        # Context-less clone turns are counted again by the rebuild: keep the rebuild's.
        for why in ("clone_turn_without_context", "sent_by_bot"):
            self.skipped[why] = out.skipped[why]
        return out.samples.segments  # type: ignore[union-attr]


class _Outputs:
    """Where piece results go, in the order the pieces were sent."""

    def __init__(self, records: RecordWriter | None, samples: SampleStream | None):
        self.records = records
        self.samples = samples
        self.seq = 0  # chat of the last result taken
        self.owner_messages = 0
        self.ordered = True
        self.skipped: Counter = Counter()
        self.pii: Counter = Counter()
        self.by_source: dict[str, Counter] = {}  # records, owner, skipped reasons

    def take(self, res: PieceResult) -> None:
        if res.seq != self.seq:
            self.seq = res.seq
            if self.samples is not None:
                self.samples.chat(res.chat_id)
        if self.records is not None and res.records is not None:
            self.records.add(record_batch(res.chat_id, res.records))
        if self.samples is not None and res.samples is not None:
            self.samples.add(sample_batch(res.chat_id, res.samples))
        self.owner_messages += res.owner_messages
        self.ordered = self.ordered and res.ordered
        self.skipped.update(res.skipped)
        if self.records is not None:
            c = self.by_source.setdefault(source_of(res.chat_id), Counter())
            c["records"] += len(res.records[0]) if res.records is not None else 0
            c["owner"] += res.owner_messages
            c.update(res.skipped)
        self.pii.update(res.pii)

    def close(self) -> None:
        if self.records is not None:
            self.records.close()
        if self.samples is not None:
            self.samples.close()
