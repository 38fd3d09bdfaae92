"""``messages.getDialogs`` as Telegram answers it (core.telegram.org/api/offsets).

Dialogs are the account's chats that have messages, most recent top message first (pinned
ones first unless ``exclude_pinned``). A page starts after the dialog named by
``offset_peer`` (Telethon sends the last dialog of the previous page), else after
``offset_date``/``offset_id``; at most 100 per answer. ``messages.dialogs`` when the
whole list fits, ``messages.dialogsSlice`` (with ``count``) otherwise; either carries the
top messages and the users/chats they and the dialogs mention.

Registered when the package is imported (``telegram_double/__init__.py`` imports this module).

``pin(tg, user, peer)`` pins a dialog; ``archive(tg, user, peer)`` moves it to the
archive folder (folder 1), which Telegram lists under a ``dialogFolder`` entry when
``folder_id`` is 0 and on its own with ``folder_id`` 1; without ``folder_id`` the double
lists every dialog, or (``listed_apart=True``) does as for folder 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telethon import utils
from telethon.tl import functions, types

from telegram_double.handlers import _MAX_PAGE, Call, answers
from telegram_double.tl import make
from telegram_double.world import TelegramDouble, _peer_kind



@dataclass
class DialogLists:
    """Per account: pinned dialogs (in order) and archived ones (kept on the double)."""

    pinned: dict[int, list[int]] = field(default_factory=dict)
    archived: dict[int, set[int]] = field(default_factory=dict)
    # True: without a folder_id the archive is listed apart, as with folder_id 0 (a server
    # may do either; Telethon's docs say "all dialogs" for no folder)
    folders_apart: bool = False


def _lists(tg: TelegramDouble) -> DialogLists:
    if not hasattr(tg, "dialog_lists"):
        tg.dialog_lists = DialogLists()
    return tg.dialog_lists


def pin(tg: TelegramDouble, user: int, peer: int) -> None:
    _lists(tg).pinned.setdefault(user, []).append(peer)


def archive(tg: TelegramDouble, user: int, peer: int, *, listed_apart: bool = False) -> None:
    _lists(tg).archived.setdefault(user, set()).add(peer)
    _lists(tg).folders_apart = _lists(tg).folders_apart or listed_apart


def _tops(call: Call) -> dict[int, Any]:
    """Marked peer -> its newest message, for every chat of the account with messages."""
    tg = call.tg
    peers = [p for p, msgs in tg.box(call.user).chats.items() if msgs]
    peers += [utils.get_peer_id(types.PeerChannel(c.id)) for c in tg.channels.values()
              if call.user in c.members and c.box.messages]
    return {p: tg.messages_in(call.user, p)[-1] for p in peers}


def _after(order: list[int], tops: dict[int, Any], call: Call, req: Any) -> list[int]:
    """The dialogs after the request's offset."""
    if not isinstance(req.offset_peer, types.InputPeerEmpty):
        try:
            anchor = call.peer_id(req.offset_peer)
        except Exception:  # noqa: BLE001 - an unknown peer: fall back to the date
            anchor = None
        if anchor in order:
            return order[order.index(anchor) + 1:]
    if req.offset_date:
        key = (req.offset_date, req.offset_id or 2**31)
        return [p for p in order if (tops[p].date, tops[p].id) < key]
    return order


@answers(functions.messages.GetDialogsRequest, who="users")
def get_dialogs(call: Call, req: Any) -> Any:
    tg = call.tg
    everywhere = _tops(call)
    archived = _lists(tg).archived.get(call.user, set()) & set(everywhere)
    folder = req.folder_id
    if folder is None and _lists(tg).folders_apart:
        folder = 0
    tops = everywhere
    if folder == 1:
        tops = {p: m for p, m in everywhere.items() if p in archived}
    elif folder == 0:
        tops = {p: m for p, m in everywhere.items() if p not in archived}
    by_recency = sorted(tops, key=lambda p: (tops[p].date, tops[p].id, p), reverse=True)
    pinned = [p for p in _lists(tg).pinned.get(call.user, []) if p in tops]
    order = [*pinned, *(p for p in by_recency if p not in pinned)]
    if req.exclude_pinned:
        order = [p for p in order if p not in pinned]
    page = _after(order, tops, call, req)[:min(req.limit, _MAX_PAGE)]
    box = tg.box(call.user)
    dialogs: list[Any] = []
    if folder == 0 and archived and isinstance(req.offset_peer, types.InputPeerEmpty):
        newest = max(archived, key=lambda p: (everywhere[p].date, everywhere[p].id))
        dialogs.append(make(
            types.DialogFolder, folder=make(types.Folder, id=1, title="Archived"),
            peer=tg.peer(newest), top_message=everywhere[newest].id,
            unread_muted_peers_count=0, unread_unmuted_peers_count=0,
            unread_muted_messages_count=0, unread_unmuted_messages_count=0))
    for p in page:
        kind, ident = _peer_kind(p)
        dialogs.append(make(
            types.Dialog, peer=tg.peer(p), top_message=tops[p].id, read_inbox_max_id=0,
            read_outbox_max_id=0, unread_count=0, unread_mentions_count=0,
            unread_reactions_count=0, unread_poll_votes_count=0,
            notify_settings=types.PeerNotifySettings(), draft=box.drafts.get(p),
            pinned=p in pinned, pts=tg.channels[ident].box.pts if kind == "channel" else None))
    messages = [tops[p] for p in page]
    users, chats = tg.entities(call.user, messages=messages, peers=page)
    if page == order:
        return types.messages.Dialogs(dialogs, messages, chats, users)
    return types.messages.DialogsSlice(len(order), dialogs, messages, chats, users)
