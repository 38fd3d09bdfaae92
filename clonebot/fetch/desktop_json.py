"""Telegram's API objects in Telegram Desktop's JSON export schema (``result.json``).

Each message becomes the dict tdesktop's ``export_output_json.cpp`` writes for it, so that
``clonebot prepare`` reads a fetch exactly as it reads a Desktop export: ``id``, ``type``
(``message`` / ``service``), ``date`` (local time) and ``date_unixtime``, ``edited`` /
``edited_unixtime``, ``from`` / ``from_id`` (``"user<id>"``, ``"channel<id>"``),
``forwarded_from`` (+ ``forwarded_from_id``), ``saved_from``, ``via_bot``,
``reply_to_message_id``, ``text`` (a string, or a list of strings and entity objects) and
``text_entities``.

Media are never downloaded; a message that carries some gets the keys Desktop writes when
media are left out of an export (``photo`` / ``file`` with Desktop's "not included" note,
``media_type``, ``sticker_emoji``, ``poll``...). Contact cards and locations are marked
without their phone numbers and coordinates: the export is for text.
"""

from __future__ import annotations

import datetime
from typing import Any

from telethon import helpers, utils
from telethon.tl import types

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
REPLIES_USER_ID = 1271266957  # the "Replies" feed of comments in channels

_ENTITY_TYPES: dict[type, str] = {
    types.MessageEntityMention: "mention",
    types.MessageEntityHashtag: "hashtag",
    types.MessageEntityBotCommand: "bot_command",
    types.MessageEntityUrl: "link",
    types.MessageEntityEmail: "email",
    types.MessageEntityBold: "bold",
    types.MessageEntityItalic: "italic",
    types.MessageEntityCode: "code",
    types.MessageEntityPre: "pre",
    types.MessageEntityTextUrl: "text_link",
    types.MessageEntityMentionName: "mention_name",
    types.MessageEntityPhone: "phone",
    types.MessageEntityCashtag: "cashtag",
    types.MessageEntityUnderline: "underline",
    types.MessageEntityStrike: "strikethrough",
    types.MessageEntityBlockquote: "blockquote",
    types.MessageEntityBankCard: "bank_card",
    types.MessageEntitySpoiler: "spoiler",
    types.MessageEntityCustomEmoji: "custom_emoji",
}
# Extra fields Desktop writes per entity type: (its JSON key, the TL attribute).
_ENTITY_EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "text_link": (("href", "url"),),
    "mention_name": (("user_id", "user_id"),),
    "pre": (("language", "language"),),
    "custom_emoji": (("document_id", "document_id"),),
    "blockquote": (("collapsed", "collapsed"),),
}


# --- chats ------------------------------------------------------------------------------

def chat_type(entity: Any, self_id: int) -> str:
    """The ``type`` Desktop gives a chat with ``entity``."""
    if isinstance(entity, types.User):
        if entity.id == self_id or entity.is_self:
            return "saved_messages"
        if entity.id == REPLIES_USER_ID:
            return "replies"
        return "bot_chat" if entity.bot else "personal_chat"
    if isinstance(entity, (types.Chat, types.ChatForbidden)):
        return "private_group"
    if isinstance(entity, (types.Channel, types.ChannelForbidden)):
        public = bool(getattr(entity, "username", None) or getattr(entity, "usernames", None))
        if getattr(entity, "megagroup", False) or getattr(entity, "gigagroup", False):
            return "public_supergroup" if public else "private_supergroup"
        return "public_channel" if public else "private_channel"
    return "unknown"


def chat_name(entity: Any) -> str | None:
    if isinstance(entity, types.User) and entity.deleted:
        return None
    return utils.get_display_name(entity) or None


def bare_id(peer_id: int) -> int:
    """The id Desktop writes for a chat: the user's, the group's or the channel's own number."""
    return utils.resolve_id(peer_id)[0]


def desktop_peer(peer_id: int) -> str:
    """``"user123"`` / ``"chat123"`` / ``"channel123"`` for a marked peer id."""
    ident, kind = utils.resolve_id(peer_id)
    prefix = {types.PeerUser: "user", types.PeerChat: "chat"}.get(kind, "channel")
    return f"{prefix}{ident}"


# --- messages ---------------------------------------------------------------------------

def _local(when: datetime.datetime) -> str:
    # Desktop writes local time without a zone; date_unixtime carries the real instant.
    return datetime.datetime.fromtimestamp(when.timestamp()).strftime("%Y-%m-%dT%H:%M:%S")


def _name_of(peer_id: int | None, names: dict[int, Any]) -> str | None:
    entity = names.get(peer_id) if peer_id is not None else None
    return chat_name(entity) if entity is not None else None


def _sender(msg: Any, chat_peer: int, self_id: int) -> int | None:
    """The marked id of who wrote ``msg`` (the API leaves ``from_id`` out in private chats)."""
    if msg.from_id is not None:
        return utils.get_peer_id(msg.from_id)
    if msg.out:
        return self_id
    if chat_peer > 0:  # a private chat: the other person
        return chat_peer
    if getattr(msg, "post", False):  # a channel post
        return chat_peer
    return None


def text_fields(text: str, entities: list | None) -> tuple[str | list, list[dict]]:
    """(``text``, ``text_entities``) as Desktop writes them. The parts' texts always add up
    to ``text``: nested or overlapping entities are cut so that no character repeats."""
    if not entities:
        return text, ([{"type": "plain", "text": text}] if text else [])
    wide = helpers.add_surrogate(text)  # entity offsets count UTF-16 code units
    parts: list[dict] = []
    cursor = 0
    for entity in sorted(entities, key=lambda e: (e.offset, -e.length)):
        start = _whole_char(wide, max(entity.offset, cursor))
        end = _whole_char(wide, min(entity.offset + entity.length, len(wide)))
        if end <= start:
            continue
        if start > cursor:
            parts.append({"type": "plain", "text": helpers.del_surrogate(wide[cursor:start])})
        kind = _ENTITY_TYPES.get(type(entity), "unknown")
        part: dict[str, Any] = {"type": kind, "text": helpers.del_surrogate(wide[start:end])}
        for key, attribute in _ENTITY_EXTRAS.get(kind, ()):
            value = getattr(entity, attribute, None)
            part[key] = bool(value) if key == "collapsed" else value
        parts.append(part)
        cursor = end
    if cursor < len(wide):
        parts.append({"type": "plain", "text": helpers.del_surrogate(wide[cursor:])})
    if all(p["type"] == "plain" for p in parts):
        return text, parts
    return [p["text"] if p["type"] == "plain" else p for p in parts], parts


def _whole_char(wide: str, index: int) -> int:
    """``index``, moved past the low half of a surrogate pair it would split."""
    if 0 < index < len(wide) and "\ud800" <= wide[index - 1] <= "\udbff" \
            and "\udc00" <= wide[index] <= "\udfff":
        return index + 1
    return index


def _document_fields(document: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"file": NOT_INCLUDED}
    mime = getattr(document, "mime_type", None)
    for attribute in getattr(document, "attributes", None) or []:
        if isinstance(attribute, types.DocumentAttributeSticker):
            out["media_type"] = "sticker"
            if attribute.alt:
                out["sticker_emoji"] = attribute.alt
            break
        if isinstance(attribute, types.DocumentAttributeVideo) and attribute.round_message:
            out["media_type"] = "video_message"
        elif isinstance(attribute, types.DocumentAttributeAudio):
            out.setdefault("media_type", "voice_message" if attribute.voice else "audio_file")
        elif isinstance(attribute, types.DocumentAttributeAnimated):
            out["media_type"] = "animation"
        elif isinstance(attribute, types.DocumentAttributeVideo):
            out.setdefault("media_type", "video_file")
    if mime:
        out["mime_type"] = mime
    return out


def media_fields(media: Any) -> dict[str, Any]:
    """The keys Desktop writes for a message's media when media are not exported."""
    if media is None or isinstance(media, (types.MessageMediaEmpty, types.MessageMediaWebPage)):
        return {}  # a link preview is no media: the text is the message
    if isinstance(media, types.MessageMediaPhoto):
        return {"photo": NOT_INCLUDED}
    if isinstance(media, types.MessageMediaDocument):
        return _document_fields(media.document)
    if isinstance(media, types.MessageMediaContact):
        return {"contact_information": {"first_name": media.first_name,
                                        "last_name": media.last_name}}
    if isinstance(media, types.MessageMediaVenue):
        return {"place_name": media.title, "location_information": {}}
    if isinstance(media, (types.MessageMediaGeo, types.MessageMediaGeoLive)):
        return {"location_information": {}}
    if isinstance(media, types.MessageMediaPoll):
        question = media.poll.question
        return {"poll": {"question": getattr(question, "text", question)}}
    if isinstance(media, types.MessageMediaGame):
        return {"game_title": media.game.title}
    if isinstance(media, types.MessageMediaInvoice):
        return {"invoice_information": {"title": media.title}}
    if isinstance(media, types.MessageMediaDice):
        return {"dice": {"emoticon": media.emoticon, "value": media.value}}
    return {"media_type": "unsupported"}


def _action_name(action: Any) -> str:
    """``MessageActionPinMessage`` -> ``pin_message`` (Desktop's names for the common ones)."""
    name = type(action).__name__.removeprefix("MessageAction")
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return _ACTIONS.get(snake, snake)


_ACTIONS = {  # where Desktop's name is not the TL one
    "chat_add_user": "invite_members", "chat_delete_user": "remove_members",
    "chat_create": "create_group", "channel_create": "create_channel",
    "chat_edit_title": "edit_group_title", "chat_edit_photo": "edit_group_photo",
    "chat_delete_photo": "delete_group_photo", "chat_joined_by_link": "join_group_by_link",
    "chat_migrate_to": "migrate_to_supergroup", "channel_migrate_from": "migrate_from_group",
    "history_clear": "clear_history",
}


def message_fields(msg: Any, chat_peer: int, self_id: int, names: dict[int, Any]) -> dict | None:
    """``msg`` (a ``Message`` or ``MessageService`` from ``chat_peer``'s history) as Desktop's
    export dict; None for ``MessageEmpty``. ``names``: marked peer id -> User/Chat/Channel
    from the same answer, for display names."""
    if not isinstance(msg, (types.Message, types.MessageService)):
        return None
    out: dict[str, Any] = {"id": msg.id}
    sender = _sender(msg, chat_peer, self_id)
    date = msg.date
    if isinstance(msg, types.MessageService):
        out.update(type="service", date=_local(date), date_unixtime=str(int(date.timestamp())),
                   actor=_name_of(sender, names),
                   actor_id=desktop_peer(sender) if sender is not None else None,
                   action=_action_name(msg.action), text="", text_entities=[])
        return out
    out.update(type="message", date=_local(date), date_unixtime=str(int(date.timestamp())))
    if msg.edit_date is not None and not getattr(msg, "edit_hide", False):
        out.update(edited=_local(msg.edit_date),
                   edited_unixtime=str(int(msg.edit_date.timestamp())))
    out["from"] = _name_of(sender, names)
    out["from_id"] = desktop_peer(sender) if sender is not None else None
    fwd = msg.fwd_from
    if fwd is not None:
        origin = utils.get_peer_id(fwd.from_id) if fwd.from_id is not None else None
        out["forwarded_from"] = fwd.from_name or _name_of(origin, names)
        if origin is not None:
            out["forwarded_from_id"] = desktop_peer(origin)
        saved = getattr(fwd, "saved_from_peer", None)
        if saved is not None:
            out["saved_from"] = _name_of(utils.get_peer_id(saved), names)
    if msg.via_bot_id:
        bot = names.get(msg.via_bot_id)
        username = getattr(bot, "username", None)
        out["via_bot"] = f"@{username}" if username else _name_of(msg.via_bot_id, names)
    reply = msg.reply_to
    if isinstance(reply, types.MessageReplyHeader) and reply.reply_to_msg_id:
        out["reply_to_message_id"] = reply.reply_to_msg_id
        if reply.reply_to_peer_id is not None:
            out["reply_to_peer_id"] = desktop_peer(utils.get_peer_id(reply.reply_to_peer_id))
    out.update(media_fields(msg.media))
    out["text"], out["text_entities"] = text_fields(msg.message or "", msg.entities)
    return out


def names_in(result: Any) -> dict[int, Any]:
    """Marked peer id -> entity, for every user and chat an API answer carries."""
    found: dict[int, Any] = {}
    for entity in [*getattr(result, "users", []), *getattr(result, "chats", [])]:
        if not isinstance(entity, (types.UserEmpty, types.ChatEmpty)):
            found[utils.get_peer_id(entity)] = entity
    return found
