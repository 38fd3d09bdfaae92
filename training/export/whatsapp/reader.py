"""Every WhatsApp chat of one prepare, as chats for the pipeline: each file scanned first
(format, senders), the owner found by name, then the chats in the order given.

WhatsApp has no user ids: the owner is a name (``--owner-name``, ``prepare.owner_name``,
or the names a dataset already holds), matched as ``identity.name_key`` compares names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from clonebot.errors import ExportError
from training.export.whatsapp import identity
from training.export.whatsapp.chat import ChatFile, Scan, WhatsAppChat, scan


class WhatsAppReader:
    """Usage: ``reader = WhatsAppReader(files, names); reader.open()`` (scans: errors come
    here, before anything is written), then ``for chat in reader``."""

    kind = "whatsapp"
    owner_id = None  # WhatsApp has no user ids
    repaired_surrogates = 0

    def __init__(self, files: list[ChatFile], owner_names: list[str],
                 progress: Callable[[int], None] | None = None):
        self.files = files
        self.owner_names = [n for n in owner_names if n and n.strip()]
        self.progress = progress
        self.scans: list[Scan] = []
        self.chats: list[WhatsAppChat] = []
        self.owner_spellings: set[str] = set()  # the owner's names as the files show them

    @property
    def messages_read(self) -> int:
        return sum(c.message_count for c in self.chats)

    def open(self) -> None:
        self.scans = [scan(f) for f in self.files]
        keys = frozenset(identity.name_key(n) for n in self.owner_names)
        if not keys:
            raise ExportError(
                f"{self._which()}: WhatsApp exports do not say who you are (no user ids): "
                "pass --owner-name 'YOUR NAME' as WhatsApp shows it, or set "
                f"prepare.owner_name{self._sender_hint()}")
        if not any(k in sc.lines for sc in self.scans for k in keys):
            names = ", ".join(repr(n) for n in self.owner_names)
            raise ExportError(
                f"{names} writes nothing in {self._which()}: pass --owner-name with your "
                f"name as WhatsApp shows it{self._sender_hint()}")
        self.chats = [WhatsAppChat(sc, keys, i) for i, sc in enumerate(self.scans)]
        for sc in self.scans:
            for k in keys:
                self.owner_spellings |= sc.spellings.get(k, set())
        self._check_lookalikes()

    def __iter__(self) -> Iterator[WhatsAppChat]:
        for chat in self.chats:
            yield chat
            chat.skip()
            if self.progress is not None:
                self.progress(chat.scan.file.size)

    def _which(self) -> str:
        if len(self.files) == 1:
            return self.files[0].label
        return f"{len(self.files)} WhatsApp chats"

    def _sender_hint(self) -> str:
        """'; senders: 'Alex' (3 of 3 chats, 120 messages), ...': the owner writes in every
        chat, so they come first."""
        chats: Counter = Counter()
        texts: Counter = Counter()
        shown: dict[str, str] = {}
        for sc in self.scans:
            for key in sc.lines:
                chats[key] += 1
                texts[key] += sc.texts[key]
                shown.setdefault(key, min(sc.spellings[key]))
        if not chats:
            return ""
        top = sorted(chats, key=lambda k: (-chats[k], -texts[k], k))[:6]
        n = len(self.scans)
        if n == 1:
            return "; senders in this chat: " + ", ".join(
                f"{shown[k]!r} ({texts[k]} messages)" for k in top)
        return "; senders: " + ", ".join(
            f"{shown[k]!r} (in {chats[k]} of {n} chats, {texts[k]} messages)" for k in top)

    def _check_lookalikes(self) -> None:
        """Two files that become one chat (same person's or group's name) must be exports
        of one chat: where their days overlap, they share messages. Two chats with people
        saved under one name share none, and merging them would interleave two
        conversations."""
        by_id: dict[int, list[WhatsAppChat]] = {}
        for c in self.chats:
            by_id.setdefault(c.id, []).append(c)
        for same in by_id.values():
            for i, a in enumerate(same):
                for b in same[i + 1:]:
                    sa, sb = a.scan, b.scan
                    if sa.last_day < sb.first_day or sb.last_day < sa.first_day:
                        continue  # one after the other: a later export, or a new phone
                    if a.problem or b.problem or not a.fingerprint().isdisjoint(b.fingerprint()):
                        continue
                    raise ExportError(
                        f"{a.file} and {b.file} are both the chat {a.name!r} but share no "
                        "message over the days both cover: two people saved under one name? "
                        "Rename one contact on your phone and export both chats again, or "
                        "leave one of the files out")
