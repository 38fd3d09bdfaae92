"""What happens to one chat's messages, in a worker process or in this one: PII scrubbed
(placeholders consistent within the chat), kept messages recorded, reply windows built and
kept as turns. A chat arrives in pieces, in order, all to the same ``ChatWork``; the result of
each piece is plain columns (records, samples) plus counts.

Plain lists, and columns as Arrow lays them out (``column_buffers``), not Arrow: the process
that writes turns them into batches in a few C loops, and a worker that never builds an Arrow
array does not pay pyarrow's ~50 MB first-use cost.
The scrubber is imported where the work happens, for the same reason: the reading process
of a run with workers never scrubs, and compiling its patterns (~0.13 s) would only delay
the start of the reading.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter, le

from clonebot.dialogue import ReplyWindows
from training.dataset.column_buffers import bool_column, int64_column, text_column

# What a piece holds: raw export messages, or records of the merged store.
EXPORT_ROWS = "export"  # (message_id, date, edited, sender, clone, text, bot), not scrubbed
RECORD_ROWS = "records"  # (message_id, date, sender, clone, text, bot), scrubbed already

_ROLE, _CONTENT = itemgetter("role"), itemgetter("content")  # of a turn


@dataclass(frozen=True)
class WorkSettings:
    """Everything a worker needs (picklable): from ``settings.prepare`` and ``settings.pii``."""

    gap_seconds: float
    context_turns: int
    scrub_pii: bool
    denylist: tuple[str, ...] = ()
    names: bool = False


def work_settings(settings) -> WorkSettings:
    """What the workers need of the config (a ``clonebot.config.Settings``)."""
    return WorkSettings(
        gap_seconds=settings.dialogue.session_gap_hours * 3600.0,
        context_turns=settings.prepare.context_turns,
        scrub_pii=settings.pii.scrub,
        denylist=tuple(settings.pii.denylist),
        names=settings.pii.names,
    )


# (message_id, date, edited, sender, clone, text, bot) columns of the kept messages, each as
# Arrow lays it out (``column_buffers``; a list where it cannot be)
RecordColumns = tuple
# (turns per sample, roles, contents, message_id, date) columns; the turns of all samples
# are flattened into roles/contents; all but the counts as Arrow lays them out
SampleColumns = tuple


@dataclass
class PieceResult:
    seq: int  # the chat's position among the chats sent
    chat_id: int
    records: RecordColumns | None
    samples: SampleColumns | None
    owner_messages: int = 0
    skipped: Counter = field(default_factory=Counter)
    pii: Counter = field(default_factory=Counter)  # on a chat's last piece only
    ordered: bool = True  # on a chat's last piece: message ids strictly increasing


class _Chat:
    __slots__ = ("windows", "session", "last_id", "ordered")

    def __init__(self, s: WorkSettings, skipped: Counter | None):
        from clonebot.pii import RedactionSession  # see the module docstring

        self.windows = ReplyWindows(s.gap_seconds, s.context_turns, skipped)
        self.session = RedactionSession()
        self.last_id: int | None = None
        self.ordered = True


class ChatWork:
    def __init__(self, work: WorkSettings):
        from clonebot.pii import PIIFilter  # see the module docstring

        self.work = work
        self.pii = PIIFilter(work.denylist, names=work.names) if work.scrub_pii else None
        self.chats: dict[int, _Chat] = {}

    def piece(self, seq: int, chat_id: int, kind: str, rows: list[tuple], last: bool,
              want_samples: bool = True) -> PieceResult:
        """One piece of chat ``seq``; ``last`` closes the chat."""
        skipped: Counter = Counter()
        chat = self.chats.get(seq)
        if chat is None:
            chat = self.chats[seq] = _Chat(self.work, None)
        chat.windows.skipped = skipped
        windows = []
        records = None
        owner = 0
        if kind == EXPORT_ROWS:
            dropped = 0
            if self.pii is not None:
                rows, dropped, kept_before = self._scrubbed(rows, chat.session)
            # The rows turned into columns in one C loop (zip), not appended field by field
            cols = [list(col) for col in zip(*rows)] if rows else [[] for _ in range(7)]
            mids, dates, editeds, senders, clones, texts, bots = cols
            if mids:
                last_id = chat.last_id
                if (last_id is not None and mids[0] <= last_id) or any(map(le, mids[1:], mids)):
                    chat.ordered = False
                chat.last_id = mids[-1]
            owner = sum(1 for clone, bot in zip(clones, bots) if clone and not bot)
            messages = zip(mids, dates, senders, clones, texts, bots)
            if dropped:
                # counted where the first was met, as the windows' own reasons are: the order
                # of ``skipped``'s keys is part of the result
                if want_samples:
                    windows = chat.windows.feed(islice(messages, kept_before))
                skipped["empty_after_pii"] += dropped
            if want_samples:
                windows += chat.windows.feed(messages)
            ints = int64_column
            records = (ints(mids), ints(dates), ints(editeds), ints(senders), bool_column(clones),
                       text_column(texts), bool_column(bots))
        elif want_samples:
            windows = chat.windows.feed(rows)
        result = PieceResult(seq, chat_id, records, None, owner, skipped)
        if last:
            del self.chats[seq]
            if want_samples:
                w = chat.windows.close()
                if w is not None:
                    windows.append(w)
            result.pii = chat.session.counts
            result.ordered = chat.ordered
        if windows:
            result.samples = self._samples(windows)
        return result

    def _scrubbed(self, rows: list[tuple], session) -> tuple[list[tuple], int, int]:
        """``rows`` with their texts scrubbed, those left with no text dropped; how many
        were dropped, and how many rows were kept before the first of them."""
        redact = self.pii.redact  # type: ignore[union-attr]
        kept: list[tuple] = []
        dropped = kept_before = 0
        for row in rows:
            text = redact(row[5], session)
            if not text.strip():
                if not dropped:
                    kept_before = len(kept)
                dropped += 1
            elif text is row[5]:  # nothing found: the row as it came
                kept.append(row)
            else:
                kept.append((*row[:5], text, row[6]))
        return kept, dropped, kept_before

    def _samples(self, windows: list) -> SampleColumns:
        # the windows' turns flattened into roles/contents by C loops (map over each list)
        roles, contents = [], []
        for w in windows:
            roles.extend(map(_ROLE, w.turns))
            contents.extend(map(_CONTENT, w.turns))
        return ([len(w.turns) for w in windows], text_column(roles), text_column(contents),
                int64_column([w.message_id for w in windows]), int64_column([w.date for w in windows]))
