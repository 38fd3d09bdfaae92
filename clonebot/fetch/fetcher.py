"""``fetch_history``: the owner's chats from Telegram into the store, then into result.json.

1. **Dialogs**: ``messages.getDialogs`` page by page (as Telethon's ``iter_dialogs`` pages),
   each chat typed as Desktop would type it and chosen by prepare's rule
   (``clonebot.chat_selection``).
2. **Check**, one request per chosen chat: its latest messages. Stored ones whose edit time
   changed are replaced (``fetch.edit_window`` of them); new ones are stored right away when
   the answer reaches back to what is stored (or holds the whole chat). A chat whose top
   message is already stored costs no request when none of its stored messages can have been
   edited since the last check (Telegram allows edits for 48 h), or with ``edit_window = 0``.
3. **Catch up** on the rest, oldest first from the chat's ``newest_id``: pages of 100
   (``offset_id = newest + 1, add_offset = -100``, Telethon's way of reading forward), each
   stored in one transaction. Killed anywhere, the next run continues from there.
4. **Finish** the takeout and **write** ``result.json`` from the store (``output.py``).

The store only ever holds a gap-free prefix of each chat, which is what makes "newer than
``newest_id``" the whole question the next run has to ask.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telethon import errors, functions, types, utils

from clonebot.chat_selection import SERVICE_IDS, ChatFilter
from clonebot.config import FetchSettings
from clonebot.errors import TelegramError
from clonebot.fetch.desktop_json import (
    bare_id, chat_name, chat_type, message_fields, names_in,
)
from clonebot.fetch.events import (
    ChatDone, ChatsSelected, FetchResult, Notice, OnEvent, Progress, Writing,
)
from clonebot.fetch.output import ChatRef, Owner, write_export
from clonebot.fetch.requester import Requester, error_name
from clonebot.fetch.store import HistoryStore, StoredChat, store_path

PAGE = 100  # Telegram's most messages / dialogs per answer
# Telegram lets a message be edited for 48 h (help.getConfig's edit_time_limit; Saved
# Messages, which fetch never reads, excepted). A chat whose newest stored message was this
# old at the last check cannot have changed since, unless something new came.
EDITABLE_SECONDS = 48 * 3600 + 3600  # an hour's slack for clocks


@dataclass(frozen=True)
class FetchOptions:
    out: Path
    include: tuple[int | str, ...] = ()
    exclude: tuple[int | str, ...] = ()
    groups: bool = False
    takeout: bool = True


@dataclass
class _Dialog:
    peer_id: int
    entity: Any
    top_id: int
    name: str | None = None  # name, type and id as Desktop writes them (what ChatFilter reads)
    type: str = "unknown"

    @property
    def id(self) -> int:
        return bare_id(self.peer_id)


@dataclass
class _Work:
    """One chosen chat during a run."""

    dialog: _Dialog
    input_peer: Any
    newest_id: int  # everything up to here is stored
    known_top: int  # the newest id Telegram has shown us
    stored: StoredChat | None  # as the store had it when the run began
    expected: int | None = None  # messages still to fetch (estimate)
    new: int = 0
    edited: int = 0

    @property
    def label(self) -> str:
        return self.dialog.name or str(self.dialog.id)

    def pages_left(self) -> int:
        return -(-max(0, (self.expected or 0) - self.new) // PAGE)


class _RequestRate:
    """Seconds per request so far (pacing and waits included): what the ETAs rest on."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.started = clock()

    def per_request(self, requests_done: int) -> float | None:
        if requests_done <= 0:
            return None
        return (self.clock() - self.started) / requests_done


@dataclass
class _Run:
    requester: Requester
    store: HistoryStore
    self_id: int
    settings: FetchSettings
    on_event: OnEvent
    rate: _RequestRate
    now: Callable[[], float]  # wall-clock time
    works: list[_Work] = field(default_factory=list)
    chats_done: int = 0

    # --- 1. dialogs ----------------------------------------------------------------------

    async def dialogs(self) -> list[_Dialog]:
        found: dict[int, _Dialog] = {}
        folders = await self._dialog_pages(None, found)
        for folder_id in folders:  # archived chats, where the server lists them apart
            await self._dialog_pages(folder_id, found)
        for d in found.values():
            d.name, d.type = chat_name(d.entity), chat_type(d.entity, self.self_id)
        return list(found.values())

    async def _dialog_pages(self, folder_id: int | None, found: dict[int, _Dialog]) -> list[int]:
        """Every page of one dialog list into ``found``; returns the folders it names."""
        offset: tuple[Any, Any] | None = None  # (top message, entity) of the page's last dialog
        folders: list[int] = []
        while True:
            answer = await self.requester(functions.messages.GetDialogsRequest(
                offset_date=offset[0].date if offset else None,
                offset_id=offset[0].id if offset else 0,
                offset_peer=utils.get_input_peer(offset[1]) if offset else types.InputPeerEmpty(),
                limit=PAGE, hash=0, exclude_pinned=offset is not None, folder_id=folder_id))
            entities = names_in(answer)
            tops = {(_channel_of(m.peer_id), m.id): m for m in answer.messages}
            added = 0
            offset = None
            for dialog in answer.dialogs:
                if isinstance(dialog, types.DialogFolder):
                    folders.append(dialog.folder.id)
                    continue
                peer_id = utils.get_peer_id(dialog.peer)
                top = tops.get((_channel_of(dialog.peer), dialog.top_message))
                if top is not None and peer_id in entities:
                    # The next page starts after the last dialog that has a message (pinned
                    # ones come first, out of date order), as Telethon's iter_dialogs does.
                    offset = (top, entities[peer_id])
                if peer_id in found or peer_id not in entities:
                    continue
                found[peer_id] = _Dialog(peer_id, entities[peer_id], dialog.top_message)
                added += 1
            if (not isinstance(answer, types.messages.DialogsSlice) or added == 0
                    or len(answer.dialogs) < PAGE or offset is None):
                return folders

    # --- 2. check -------------------------------------------------------------------------

    async def check(self, work: _Work) -> bool:
        """The chat's latest messages: new ones stored if they join what is stored, the
        latest ``edit_window`` stored ones re-read for edits. One request, two when the
        chat is more than a page behind. True if the chat is up to date."""
        window = self.settings.edit_window
        expecting = work.known_top > work.newest_id or work.known_top == 0
        stored_at = work.stored
        editable = stored_at is None or (
            stored_at.newest_date > stored_at.checked_at - EDITABLE_SECONDS)
        if not expecting and (window == 0 or not editable):
            return True
        checked = self.now()
        answer = await self._history(work, offset_id=0, add_offset=0,
                                     limit=PAGE if expecting else window)
        ids = [m.id for m in answer.messages]
        fields = self._fields(work, answer)  # newest first
        stored = [f for f in fields if f["id"] <= work.newest_id]
        count = getattr(answer, "count", None)
        whole = isinstance(answer, types.messages.Messages) or (
            count is not None and count <= len(answer.messages))
        if window and work.newest_id and len(stored) < window and not whole:
            # Many new messages pushed the stored ones out of this page: edits are most
            # likely among the latest stored, so read those.
            older = await self._history(work, offset_id=work.newest_id + 1, add_offset=0,
                                        limit=window)
            stored = self._fields(work, older)
        work.edited += self.store.apply_edits(work.dialog.peer_id, stored[:window])
        self.store.mark_checked(work.dialog.peer_id, checked)
        if ids:
            work.known_top = max(work.known_top, max(ids))
        if whole or (ids and min(ids) <= work.newest_id):
            self._store(work, fields, ids)
            return True
        already = self.store.count(work.dialog.peer_id)
        fresh = sum(1 for i in ids if i > work.newest_id)
        work.expected = max((count or 0) - already, fresh, 1)
        return False

    # --- 3. catch up ----------------------------------------------------------------------

    async def catch_up(self, work: _Work) -> None:
        while work.newest_id < work.known_top or work.known_top == 0:
            answer = await self._history(work, offset_id=work.newest_id + 1, add_offset=-PAGE,
                                         limit=PAGE)
            ids = [m.id for m in answer.messages if m.id > work.newest_id]
            if not ids:
                return
            self._store(work, self._fields(work, answer), ids)
            self.progress(work, unchecked=0)

    # --- shared ---------------------------------------------------------------------------

    async def _history(self, work: _Work, *, offset_id: int, add_offset: int, limit: int) -> Any:
        return await self.requester(functions.messages.GetHistoryRequest(
            peer=work.input_peer, offset_id=offset_id, offset_date=None, add_offset=add_offset,
            limit=limit, max_id=0, min_id=0, hash=0))

    def _fields(self, work: _Work, answer: Any) -> list[dict]:
        names = names_in(answer)
        out = []
        for m in answer.messages:
            d = message_fields(m, work.dialog.peer_id, self.self_id, names)
            if d is not None:
                out.append(d)
        return out

    def _store(self, work: _Work, fields: list[dict], ids: list[int]) -> None:
        fresh = sorted((f for f in fields if f["id"] > work.newest_id), key=lambda f: f["id"])
        newest = max([work.newest_id, *ids])
        work.new += self.store.add_page(work.dialog.peer_id, fresh, newest)
        work.newest_id = newest

    def progress(self, work: _Work, unchecked: int) -> None:
        """Where the run is: this chat, all chats, and ETAs from the pace so far (one request
        per unchecked chat and per page still to fetch)."""
        per_request = self.rate.per_request(self.requester.requests)
        pages = sum(w.pages_left() for w in self.works)
        done = sum(w.new for w in self.works)
        self.on_event(Progress(
            chat=work.label, chat_done=work.new, chat_total=max(work.expected or 0, work.new),
            chats_done=self.chats_done, chats_total=len(self.works), done=done,
            total=None if unchecked else done + sum(max(0, (w.expected or 0) - w.new)
                                                    for w in self.works),
            eta_seconds=None if per_request is None else per_request * (unchecked + pages),
            chat_eta_seconds=None if per_request is None else per_request * work.pages_left(),
        ))

    def chat_done(self, work: _Work) -> None:
        self.chats_done += 1
        self.on_event(ChatDone(work.label, work.new, work.edited, self.chats_done,
                               len(self.works)))


def _channel_of(peer: Any) -> int | None:
    # Messages of different channels share ids; private chats and groups share one sequence.
    return peer.channel_id if isinstance(peer, types.PeerChannel) else None


async def fetch_history(client: Any, me: Any, data_dir: Path, options: FetchOptions,
                        settings: FetchSettings, on_event: OnEvent, *,
                        sleep: Callable[[float], Any] | None = None,
                        clock: Callable[[], float] = time.monotonic,
                        now: Callable[[], float] = time.time) -> FetchResult:
    """Fetch what is new in the chosen chats through ``client`` (connected, logged in as
    ``me``) and write ``options.out``. Progress goes to ``on_event``; ``sleep`` and ``clock``
    pace the requests, ``now`` is the wall clock."""
    started = clock()
    requester = Requester(client, settings, on_event, clock=clock,
                          **({"sleep": sleep} if sleep is not None else {}))
    with HistoryStore(store_path(data_dir, me.id), me.id) as store:
        # Login codes are never kept, also not from a fetch before this rule existed.
        store.forget_chats(sorted(SERVICE_IDS))
        run = _Run(requester, store, me.id, settings, on_event, _RequestRate(clock), now)
        try:
            await requester.open(takeout=options.takeout, groups=options.groups)
            skipped = await _fetch_chats(run, options)
            await requester.finish()
        except (ConnectionError, OSError) as e:
            raise TelegramError(f"lost the connection to Telegram ({e}); what was fetched is "
                                "kept: run clonebot fetch again") from None
        except (errors.UnauthorizedError, errors.AuthKeyError):
            raise TelegramError("the session is no longer logged in (ended on another device, "
                                "or expired): run `clonebot login`") from None
        except errors.RPCError as e:
            raise TelegramError(f"Telegram refused the fetch ({error_name(e)}); what was "
                                "fetched is kept: run clonebot fetch again later") from None
        finally:
            requester.release()
        refs = [ChatRef(w.dialog.peer_id, w.dialog.name, w.dialog.type) for w in run.works]
        on_event(Writing(options.out, len(refs)))
        owner = Owner(me.id, me.first_name, me.last_name, me.username)
        n_chats, n_messages = write_export(options.out, owner, refs, store)
    return FetchResult(
        out=options.out, mode=requester.mode, chats=n_chats, messages=n_messages,
        new=sum(w.new for w in run.works), edited=sum(w.edited for w in run.works),
        requests=requester.requests, seconds=round(clock() - started, 2),
        skipped=dict(sorted(skipped.items())))


async def _fetch_chats(run: _Run, options: FetchOptions) -> Counter:
    """Steps 1-3 of the module docstring; returns why chats were left out."""
    chosen, skipped = await _choose(run, options)
    works = _plan(run, chosen)
    for i, work in enumerate(works):
        up_to_date = await _guarded(run, work, run.check)
        run.progress(work, unchecked=len(works) - i - 1)
        if up_to_date or work.expected is None:
            run.chat_done(work)
    for work in works:
        if work.expected is not None:
            await _guarded(run, work, run.catch_up)
            run.chat_done(work)
    return skipped


async def _choose(run: _Run, options: FetchOptions) -> tuple[list[_Dialog], Counter]:
    rule = ChatFilter(list(options.include), list(options.exclude), options.groups)
    chosen, skipped = [], Counter()
    for dialog in await run.dialogs():
        why = rule.reason(dialog)
        if why is None:
            chosen.append(dialog)
        else:
            skipped[why] += 1
    run.on_event(ChatsSelected(len(chosen), dict(sorted(skipped.items()))))
    run.store.note_chats([(d.peer_id, d.name, d.type) for d in chosen])
    return chosen, skipped


def _plan(run: _Run, chosen: list[_Dialog]) -> list[_Work]:
    for dialog in chosen:
        stored = run.store.chat(dialog.peer_id)
        newest = stored.newest_id if stored else 0
        run.works.append(_Work(dialog, utils.get_input_peer(dialog.entity), newest,
                               dialog.top_id, stored if stored and stored.checked_at else None))
    return run.works


async def _guarded(run: _Run, work: _Work, step: Callable[[_Work], Any]) -> bool:
    """``step(work)``, except that Telegram refusing one chat skips that chat only."""
    try:
        return await step(work)
    except errors.RPCError as e:
        if isinstance(e, (errors.UnauthorizedError, errors.AuthKeyError, errors.FloodError)):
            raise
        run.on_event(Notice(f"skipped {work.label}: Telegram says {error_name(e)}"))
        work.expected = None
        return False
