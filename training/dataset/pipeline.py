"""The export streamed into records and samples: this process reads and filters, the
workers scrub and build windows (``workers``), results are written in chat order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from clonebot.config import Settings
from training.dataset import workers
from clonebot.chat_selection import ChatFilter
from training.dataset.chat_work import EXPORT_ROWS, RECORD_ROWS, PieceResult, WorkSettings
from training.dataset.records import RecordWriter, iter_chats, record_batch
from training.dataset.samples import SampleStream, sample_batch
from training.export import TEXT, ExportReader
from training.export.spool import SpooledPipe

CHUNK = 2000  # messages per piece sent to a worker
Progress = Callable[[str, int, int | None], None]


class Pipeline:
    """``with Pipeline(...) as pipeline:`` -- the workers live as long as the block."""

    def __init__(self, settings: Settings, n_workers: int,
                 progress: Progress | None = None, chunk: int | None = None):
        p = settings.prepare
        self.settings = settings
        self.progress = progress
        self.n_workers = n_workers
        self.chunk = chunk or CHUNK
        self.work = WorkSettings(
            gap_seconds=p.session_gap_hours * 3600.0,
            context_turns=p.context_turns,
            scrub_pii=p.scrub_pii,
            denylist=tuple(settings.pii.denylist),
            names=settings.pii.names,
        )
        self.skipped: Counter = Counter()
        self.chats_skipped: Counter = Counter()
        self.cut: Counter = Counter()  # texts cut to what a Telegram message holds
        self.shared_ids: dict[int, list[str | None]] = {}  # chats left out: id already used
        self.chat_names: dict[int, str | None] = {}  # chats used
        self.pii: Counter = Counter()
        self.worker_pids: list[int] = []  # for tests
        self._out: _Outputs | None = None
        self.pool: workers.InlineWorkers | workers.ProcessWorkers | None = None

    def __enter__(self) -> "Pipeline":
        self.pool = workers.start(self.work, self._take, self.n_workers)
        self.worker_pids = getattr(self.pool, "pids", [])
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _take(self, res: PieceResult) -> None:
        assert self._out is not None
        self._out.take(res)

    def read_export(self, export: Path, owner_id: int | None, records_path: Path,
                    samples_path: Path | None,
                    check_owner: Callable[[int], None] | None = None,
                    spool: SpooledPipe | None = None) -> dict:
        """Stream the export into scrubbed records (and samples, if ``samples_path``).

        A chat id seen again is the same chat listed twice when its name and type match
        (its messages are merged, deduplicated by id), else another chat sharing the id
        (a merged or hand-edited export): that one is left out and named in the stats,
        since the two could never be told apart in the record store."""
        p = self.settings.prepare
        flt = ChatFilter(list(p.include_chats), list(p.exclude_chats), p.include_groups)
        tick = (lambda n: self.progress("read", n, None)) if self.progress else None
        reader = ExportReader(export, owner_id, progress=tick, default_owner_id=p.owner_id,
                              spool=spool)
        out = self._out = _Outputs(RecordWriter(records_path),
                                   SampleStream(samples_path) if samples_path else None)
        pool = self.pool
        assert pool is not None, "use Pipeline as a context manager"
        skipped = self.skipped
        want_samples = samples_path is not None
        chats_read = seq = cut = 0
        seen_chats: dict[int, tuple[str | None, str | None]] = {}
        ordered = True
        try:
            for chat in reader:
                chats_read += 1
                if chats_read == 1 and check_owner is not None:
                    check_owner(reader.owner_id)  # type: ignore[arg-type]
                why = flt.reason(chat)
                if why is not None:
                    self.chats_skipped[why] += 1
                    skipped["chat_not_used"] += chat.skip()
                    continue
                cid: int = chat.id  # type: ignore[assignment]
                first = seen_chats.setdefault(cid, (chat.name, chat.type))
                if first != (chat.name, chat.type):
                    self.chats_skipped["shared_id"] += 1
                    self.shared_ids.setdefault(cid, [first[0]]).append(chat.name)
                    skipped["chat_not_used"] += chat.skip()
                    continue
                if cid in self.chat_names:
                    ordered = False
                self.chat_names[cid] = chat.name
                seq += 1
                rows: list[tuple] = []
                for m in chat.messages():
                    if m.kind != TEXT:
                        skipped[m.kind] += 1
                    elif m.forwarded:  # someone else's words, whoever forwarded them
                        skipped["forwarded"] += 1
                    elif m.via_bot:  # inline-bot output, not typed by the sender
                        skipped["via_bot"] += 1
                    else:
                        rows.append((m.id, m.date, m.edited, m.sender, m.from_owner, m.text))
                        if m.cut:
                            cut += 1
                        if len(rows) >= self.chunk:
                            pool.send(seq, cid, EXPORT_ROWS, rows, False, want_samples)
                            rows = []
                pool.send(seq, cid, EXPORT_ROWS, rows, True, want_samples)
            pool.finish()
        finally:
            out.close()
        self.pii.update(out.pii)
        skipped.update(out.skipped)
        if cut:
            self.cut["long_message"] += cut
        return {
            "owner_id": reader.owner_id,
            "export_kind": reader.kind,
            "messages_read": reader.messages_read,
            "messages_kept": out.records.rows,  # type: ignore[union-attr]
            "owner_messages": out.owner_messages,
            "chats_read": chats_read,
            "ordered": ordered and out.ordered,
            "segments": out.samples.segments if out.samples else None,
            "repaired_surrogates": reader.repaired_surrogates,
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
        self.skipped["clone_turn_without_context"] = out.skipped["clone_turn_without_context"]
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
        self.pii.update(res.pii)

    def close(self) -> None:
        if self.records is not None:
            self.records.close()
        if self.samples is not None:
            self.samples.close()
