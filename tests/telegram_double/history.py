"""History as people leave it, beyond plain text: media on a message, service messages.

For what a history reader sees (``clonebot fetch``): these change the stored messages of
one account's box without pushing updates.
"""

from __future__ import annotations

import zlib
from typing import Any

from telethon.tl import types

from telegram_double.tl import date, make
from telegram_double.world import TelegramDouble


def attach_media(tg: TelegramDouble, viewer: int, peer: int, msg_id: int, media: Any) -> None:
    """``viewer``'s copy of message ``msg_id`` in chat ``peer`` carries ``media``."""
    msg = next(m for m in tg.messages_in(viewer, peer) if m.id == msg_id)
    msg.media = media


def sticker(emoji: str) -> Any:
    document = make(
        types.Document, id=tg_id(emoji), access_hash=0, file_reference=b"", date=date(0),
        mime_type="image/webp", size=1, dc_id=2,
        attributes=[make(types.DocumentAttributeSticker, alt=emoji,
                         stickerset=types.InputStickerSetEmpty())])
    return make(types.MessageMediaDocument, document=document)


def photo() -> Any:
    return make(types.MessageMediaPhoto, photo=make(
        types.Photo, id=1, access_hash=0, file_reference=b"", date=date(0), sizes=[], dc_id=2))


def tg_id(text: str) -> int:
    return zlib.crc32(text.encode())  # stable across processes, unlike hash()


def add_service(tg: TelegramDouble, viewer: int, peer: int, action: Any, *,
                actor: int) -> types.MessageService:
    """A service message (a call, a pin...) in ``viewer``'s chat ``peer``, by ``actor``."""
    box = tg.box(viewer)
    msg = make(types.MessageService, id=box.next_id, peer_id=tg.peer(peer),
               date=date(tg.clock()), action=action, out=actor == viewer,
               from_id=types.PeerUser(actor) if actor == viewer or peer < 0 else None)
    box.next_id += 1
    box.chats[peer].append(msg)
    return msg
