"""Where a message came from, and the per-source counts in ``stats.json``.

The source is recorded by the chat id every record and sample carries: a WhatsApp chat's id
is at least 2**62 (``training.export.whatsapp.identity``), Telegram's stay below 2**53. So
a Telegram-only dataset keeps its exact bytes and columns, and a merge of old and new
records needs no new column to know each message's source.
"""

from __future__ import annotations

from collections import Counter

from training.export.whatsapp.identity import ID_BASE

TELEGRAM = "telegram"
WHATSAPP = "whatsapp"


def source_of(chat_id: int) -> str:
    return WHATSAPP if chat_id >= ID_BASE else TELEGRAM


class SourceCounts:
    """Counts of one prepare, kept apart by source."""

    def __init__(self) -> None:
        self.by: dict[str, Counter] = {}
        self.skipped: dict[str, Counter] = {}

    def add(self, source: str, **counts: int) -> None:
        self.by.setdefault(source, Counter()).update(counts)

    def skip(self, source: str, reason: str, n: int = 1) -> None:
        self.skipped.setdefault(source, Counter())[reason] += n

    def stats(self, segments: list[list[int]]) -> dict:
        """``stats.json``'s "sources": what this prepare read of each source, and what the
        dataset (all merged records) holds of it."""
        chats: Counter = Counter()
        samples: Counter = Counter()
        for cid, n in segments:
            if n:
                chats[source_of(cid)] += 1
                samples[source_of(cid)] += n
        out = {}
        for src in sorted({*self.by, *samples}):
            c = self.by.get(src, Counter())
            out[src] = {
                "chats_read": c["chats_read"],
                "messages_read": c["messages_read"],
                "messages_kept": c["messages_kept"],
                "owner_messages": c["owner_messages"],
                "skipped": dict(sorted((self.skipped.get(src) or Counter()).items())),
                "chats_used": chats[src],
                "samples": samples[src],
            }
        return out
