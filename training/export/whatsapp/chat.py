"""One WhatsApp chat file, read twice: a scan (how it writes dates, who writes in it), then
its messages as the ``Message`` records the Telegram reader gives.

The scan decides the file's date format over all its lines (``stamps``), counts each
sender's lines, notes group events and which spellings each name has. Nothing of the text is
kept but, for the one check that needs it, nothing at all: ``fingerprint()`` reads again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from clonebot.errors import ExportError
from training.export.messages import MEDIA, SERVICE, TEXT, Message
from training.export.whatsapp import identity
from training.export.whatsapp.bodies import DELETED, GROUP_EVENT, UNREADABLE, classify
from training.export.whatsapp.lines import Entry, entries
from training.export.whatsapp.stamps import Clock, StampStats

PERSONAL = "personal_chat"
GROUP = "private_group"  # the Telegram export's type names: one chat filter for both
_EXAMPLE = "'24/12/2023, 21:41 - Name: text' or '[24/12/2023, 21:41:05] Name: text'"


@dataclass
class ChatFile:
    """Where one chat's text is: a .txt file, or a member of a zip export."""

    label: str  # for messages: "exports/WhatsApp Chat with Alice.txt", "x.zip:_chat.txt"
    stem: str  # the name WhatsApp gave the export, without extension (chat name source)
    open: Callable[[], BinaryIO]
    size: int


@dataclass
class Scan:
    """What the first pass learned about a chat file."""

    file: ChatFile
    clock: Clock
    headers: int
    first_day: int
    last_day: int
    # name key -> spellings, for the people who write (system lines left out)
    spellings: dict[str, set[str]] = field(default_factory=dict)
    texts: Counter = field(default_factory=Counter)  # name key -> text messages
    lines: Counter = field(default_factory=Counter)  # name key -> lines (text, media...)
    group_events: int = 0
    # names that sign only system lines: on an iPhone, a group's own name
    silent: set[str] = field(default_factory=set)


def scan(file: ChatFile) -> Scan:
    """First pass. Raises ExportError if the file is not a WhatsApp chat export."""
    stats = StampStats()
    spellings: dict[str, set[str]] = {}
    texts: Counter = Counter()
    lines: Counter = Counter()
    events = 0
    quiet: set[str] = set()
    try:
        for e in entries(file.open):
            if e.stamp is None:
                continue
            stats.add(e.stamp)
            kind, _, _ = classify(e.first, e.more, e.ios)
            if e.sender is None or kind == SERVICE:
                if GROUP_EVENT.search(e.first):
                    events += 1
                elif e.sender is not None:  # iPhone: system lines of a group are "by" the group
                    quiet.add(identity.name_key(e.sender))
                continue
            shown = identity.display_name(e.sender)
            key = identity.name_key(shown)
            spellings.setdefault(key, set()).add(shown)
            lines[key] += 1
            if kind == TEXT:
                texts[key] += 1
    except OSError as e:
        raise ExportError(f"cannot read {file.label}: {e.strerror or e}") from None
    if stats.headers == 0:
        if file.size == 0:
            raise ExportError(f"{file.label} is empty")
        raise ExportError(f"{file.label} is not a WhatsApp chat export: no line starts with a "
                          f"date and time like {_EXAMPLE}")
    clock = stats.decide()
    if stats.invalid[clock.order] == stats.headers:
        raise ExportError(f"{file.label} is not a WhatsApp chat export: no line has a date "
                          f"that can be read (like {_EXAMPLE})")
    return Scan(file, clock, stats.headers, stats.lowest.get(clock.order, 0),
                stats.highest.get(clock.order, 0), spellings, texts, lines, events,
                quiet - lines.keys())


class WhatsAppChat:
    """A chat for the pipeline: ``id``, ``name``, ``type``, ``messages()``, ``skip()``,
    like the Telegram reader's ``Chat``."""

    def __init__(self, sc: Scan, owner_keys: frozenset[str], index: int):
        self.scan = sc
        self.owner_keys = owner_keys
        self.index = index
        self.message_count = 0
        self.file = sc.file.label
        name, prefixed = identity.chat_name_from_file(sc.file.stem)
        others = sorted(k for k in sc.lines if k not in owner_keys)
        self.others = others
        self.owner_present = any(k in sc.lines for k in owner_keys)
        shown = {k: min(sc.spellings[k]) for k in sc.lines}
        if len(others) == 1:
            # A second name that signs only system lines is the group's (iPhone); alone, it
            # is a person who sent only what the tables do not know.
            personal = not sc.group_events and not (sc.silent - owner_keys) and (
                not prefixed or identity.same_name(name, shown[others[0]]))
        else:
            personal = not others and not sc.group_events
        self.type = PERSONAL if personal else GROUP
        if personal and others:
            self.name = shown[others[0]]
            self.id = identity.chat_id(True, others[0])
        else:
            self.name = name
            self.id = identity.chat_id(personal, identity.name_key(name))
        self.problem = self._problem(name, prefixed, shown)
        self._read = False

    def _problem(self, name: str, prefixed: bool, shown: dict[str, str]) -> str | None:
        """Two people this file shows under one name, if it shows that (see the package
        docstring for what it cannot show)."""
        for key, forms in sorted(self.scan.spellings.items()):
            if len(forms) > 1:
                a, b = sorted(forms)[:2]
                return (f"{self.file}: two senders named {a!r} and {b!r} are one name to "
                        "WhatsApp's export and to clonebot, and may be two people: rename one "
                        "contact on your phone and export again, or leave the chat out with "
                        f"--exclude-chat {self.name!r}")
        if (self.type == PERSONAL and not self.others and prefixed
                and any(identity.same_name(name, k) for k in self.owner_keys)):
            return (f"{self.file}: the other person in this chat has your name ({name!r}), so "
                    "their lines and yours cannot be told apart: rename the contact on your "
                    "phone and export again, or leave the chat out with "
                    f"--exclude-chat {name!r}")
        return None

    def messages(self) -> Iterator[Message]:
        if self._read:
            raise RuntimeError("chat messages can only be iterated once")
        self._read = True
        if self.problem is not None:
            raise ExportError(self.problem)
        return self._messages()

    def skip(self) -> int:
        if not self._read:
            self._read = True
            self.message_count = self.scan.headers
        return self.message_count

    def _messages(self) -> Iterator[Message]:
        sc = self.scan
        clock = sc.clock
        owners = self.owner_keys
        slots: dict[int, int] = {}
        keys: dict[str, tuple[int, bool]] = {}
        try:
            for e in entries(sc.file.open):
                self.message_count += 1
                yield self._message(e, clock, slots, keys, owners)
        except OSError as e:
            raise ExportError(f"cannot read {sc.file.label}: {e.strerror or e}") from None

    @staticmethod
    def _message(e: Entry, clock: Clock, slots: dict, keys: dict, owners: frozenset) -> Message:
        if e.stamp is None:
            return _UNREADABLE
        secs = clock.seconds(e.stamp)
        if secs is None:
            return _UNREADABLE
        if e.sender is None:
            return Message(0, secs, 0, None, False, SERVICE, "")
        kind, text, edited = classify(e.first, e.more, e.ios)
        # Every line with a sender takes a place in its minute, whatever the tables make of
        # it: a place must not depend on the phone's language.
        minute = secs // 60
        slot = slots.get(minute, 0)
        if slot >= identity.MINUTE_SLOTS:
            return _UNREADABLE
        slots[minute] = slot + 1
        who = keys.get(e.sender)
        if who is None:
            key = identity.name_key(e.sender)
            who = keys[e.sender] = (identity.person_id(key), key in owners)
        mid = identity.message_id(secs, slot)
        if kind == SERVICE:
            return Message(mid, secs, 0, None, False, SERVICE, "")
        if kind != TEXT:
            return Message(mid, secs, 0, who[0], who[1], kind, "")
        # WhatsApp writes no edit time, and allows edits for 15 minutes after sending: an
        # edited text is final. "Sent, then edited" is enough for a merge to take it over
        # the unedited one, and two exports of the edited message tie (the stored one stays).
        return Message(mid, secs, secs + 1 if edited else 0, who[0], who[1], TEXT, text)

    def fingerprint(self) -> set[int]:
        """Hashes of (id, sender, text) of every message: two files of one chat share
        some; two chats that only look alike (same name) share none."""
        out: set[int] = set()
        for m in WhatsAppChat(self.scan, self.owner_keys, self.index)._messages():
            if m.kind in (TEXT, MEDIA, DELETED):
                h = hashlib.blake2b(f"{m.id}\x00{m.sender}\x00{m.text}".encode(), digest_size=8)
                out.add(int.from_bytes(h.digest(), "big"))
        return out


_UNREADABLE = Message(0, 0, 0, None, False, UNREADABLE, "")
