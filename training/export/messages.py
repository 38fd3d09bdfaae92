"""One raw export message (a dict as tdesktop wrote it) -> a typed ``Message``.

Nothing here trusts the file: a hand-edited, merged or foreign-tool export can put any JSON
value in any field. Every field is checked for its type and range, and a message whose id,
date or sender cannot be read becomes a MALFORMED record (skipped and counted by the
caller), never an exception. Ids and dates must fit the int64 columns they end up in;
dates must be ones ``datetime`` can show (years 1970-9999).

A text longer than a Telegram message can hold (``MAX_TEXT``) is cut there and the message
says so (``cut``). Forwards and inline-bot messages are told by their keys, whatever the
value (tdesktop writes ``"forwarded_from": null`` for a forward from a deleted account):
only an explicit ``false`` says "not forwarded".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

# Message kinds. Only TEXT ever becomes training text.
TEXT = "text"
SERVICE = "service"
UNSUPPORTED = "unsupported"
MEDIA = "media_only"
EMPTY = "empty"
MALFORMED = "malformed"
DUPLICATE_KEY = "duplicate_key"  # a key deciding whose words these are, given twice

# What a Telegram message holds: 4096 characters of text; a caption 1024, 4096 with
# Premium. An export can hold more (edited by hand, merged by a tool): the rest is cut.
MAX_TEXT = 4096

INT64_MAX = 2**63 - 1
DATE_MAX = 253402300799  # 9999-12-31T23:59:59Z
# tdesktop writes unedited messages as the epoch in local time ("1970-01-01T05:00:00").
_NOT_EDITED_BEFORE = 2 * 86400
# Keys whose presence means "this message carries media" (text may be a caption).
_MEDIA_KEYS = ("media_type", "photo", "file", "poll", "contact_information",
               "location_information", "venue", "game_title", "invoice_information",
               "todo_list", "giveaway_information", "paid_media")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# "user123", "chat123", "channel123" or a bare number; ASCII digits only ("²".isdigit()).
_PEER = re.compile(r"(?:user|chat|channel)?(-?[0-9]{1,19})")


@dataclass(slots=True)
class Message:
    """One export message, normalised. ``text`` is visible text ('' unless kind == TEXT)."""

    id: int
    date: int  # unix seconds
    edited: int  # unix seconds, 0 if never edited
    sender: int | None  # numeric part of from_id
    from_owner: bool
    kind: str
    text: str
    forwarded: bool = False
    via_bot: bool = False
    cut: bool = False  # the text was longer than MAX_TEXT and is cut there


def peer_id(value: object) -> int | None:
    """The number in a ``from_id`` / chat ``id`` (an int or "user123"), or None if it is
    anything else or does not fit int64."""
    if type(value) is int:
        return value if -INT64_MAX <= value <= INT64_MAX else None
    if type(value) is str:
        m = _PEER.fullmatch(value)
        if m is not None:
            n = int(m.group(1))
            return n if -INT64_MAX <= n <= INT64_MAX else None
    return None


def _unixtime(value: object) -> int | None:
    """``date_unixtime`` / ``edited_unixtime``: a string of ASCII digits (or an int)."""
    if type(value) is str:
        if value.isascii() and value.isdigit() and len(value) <= 12:
            n = int(value)
            return n if n <= DATE_MAX else None
        return None
    if type(value) is int:
        return value if 0 <= value <= DATE_MAX else None
    return None


def _iso_date(value: object) -> int | None:
    if type(value) is not str:
        return None
    try:
        # Local time without zone (old exports have nothing better): treat as UTC; only
        # differences between dates matter downstream.
        n = int(datetime.fromisoformat(value).replace(tzinfo=timezone.utc).timestamp())
    except (ValueError, OverflowError):
        return None
    return n if 0 <= n <= DATE_MAX else None


def visible_text(text: object) -> str | None:
    """Visible text of a ``text`` field, or None if the field is not what tdesktop writes
    (a string, or a list of strings and ``{type, text}`` entity objects)."""
    if type(text) is str:
        out = text
    elif type(text) is list:
        parts = []
        for p in text:
            if type(p) is str:
                parts.append(p)
            elif type(p) is dict:
                t = p.get("text")
                if type(t) is str:
                    parts.append(t)
                elif t is not None:
                    return None
            else:
                return None
        out = "".join(parts)
    elif text is None:
        return ""
    else:
        return None
    if not out.isascii() and _has_invisible(out):  # e.g. empty text_link anchors
        out = _INVISIBLE.sub("", out)
    return out


def _has_invisible(text: str) -> bool:
    # five plain searches cost a third of one regex scan, and most texts hold none
    return ("\u200b" in text or "\u200c" in text or "\u200d" in text or "\u2060" in text
            or "\ufeff" in text)


def flatten_text(text: object) -> str:
    """Visible text of a ``text`` field ('' when there is none or it is malformed)."""
    return visible_text(text) or ""


# "user<id>" from_id strings seen -> the id: a chat has few senders, and a lookup costs
# less than checking and converting the string again.
_USERS: dict[str, int] = {}
_USERS_MAX = 1 << 12


def to_message(d: dict, owner_id: int) -> Message:
    """Normalise one raw message dict (as tdesktop wrote it). Never raises."""
    get = d.get
    mid = get("id")
    if type(mid) is not int or not -INT64_MAX <= mid <= INT64_MAX:
        return MALFORMED_MESSAGE
    t = get("type")
    if t == "unsupported":  # tdesktop writes only id and type for these
        return Message(mid, 0, 0, None, False, UNSUPPORTED, "")
    du = get("date_unixtime")
    if type(du) is str and len(du) <= 11 and du.isdigit() and du.isascii():  # the usual case
        date = int(du)
    else:
        date = _unixtime(du)
    if date is None:
        date = _iso_date(get("date"))
        if date is None:
            return MALFORMED_MESSAGE
    if t != "message":
        return Message(mid, date, 0, None, False, SERVICE, "")
    if "edited_unixtime" not in d and "edited" not in d:
        edited = 0
    else:
        edited = _unixtime(get("edited_unixtime"))
        if edited is None:
            edited = _iso_date(get("edited")) or 0
            if edited < _NOT_EDITED_BEFORE:
                edited = 0
    fid = get("from_id")
    # Owner by id only (display names change): "user<id>" or a bare integer (2020 exports).
    if type(fid) is str and (sender := _USERS.get(fid)) is not None:  # the usual case
        from_owner = sender == owner_id
    elif type(fid) is str and fid[:4] == "user" and fid[4:].isdigit() and len(fid) <= 22 \
            and fid.isascii():
        sender = int(fid[4:])
        from_owner = sender == owner_id
        if len(_USERS) >= _USERS_MAX:
            _USERS.clear()
        _USERS[fid] = sender
    elif fid is None:
        sender = None
        from_owner = False
    else:
        sender = peer_id(fid)
        if sender is None:  # a sender we cannot read: never guess whose words these are
            return MALFORMED_MESSAGE
        from_owner = sender == owner_id and (type(fid) is int or fid.startswith("user"))
    text = get("text")
    if type(text) is str:  # the usual case: plain ASCII text needs no work
        if not text.isascii() and ("\u200b" in text or "\u200c" in text or "\u200d" in text
                                   or "\u2060" in text or "\ufeff" in text):  # _has_invisible
            text = _INVISIBLE.sub("", text)
    else:
        text = visible_text(text)
        if text is None:
            return MALFORMED_MESSAGE
    if text and not text.isspace():
        kind = TEXT
    else:
        text = ""
        if get("media_type") == "sticker":
            emoji = get("sticker_emoji")
            if type(emoji) is str and emoji and not emoji.isspace():
                text = emoji
        kind = TEXT if text else MEDIA if any(k in d for k in _MEDIA_KEYS) else EMPTY
    cut = len(text) > MAX_TEXT
    if cut:
        text = text[:MAX_TEXT]
    elif "forwarded_from" not in d and "forwarded_from_id" not in d and "saved_from" not in d \
            and "via_bot" not in d:  # the usual case: the defaults, not passed (cheaper)
        return Message(mid, date, edited, sender, from_owner, kind, text)
    return Message(
        mid, date, edited, sender, from_owner, kind, text,
        ("forwarded_from" in d and d["forwarded_from"] is not False)
        or ("forwarded_from_id" in d and d["forwarded_from_id"] is not False)
        or ("saved_from" in d and d["saved_from"] is not False),
        "via_bot" in d and d["via_bot"] is not False,
        cut,
    )


MALFORMED_MESSAGE = Message(0, 0, 0, None, False, MALFORMED, "")
DUPLICATE_KEY_MESSAGE = Message(0, 0, 0, None, False, DUPLICATE_KEY, "")
