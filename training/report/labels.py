"""What the report calls things: the dataset's internal keys (``stats.json``) in words."""

from __future__ import annotations

# Messages left out by ``prepare`` (stats.json "skipped").
MESSAGE_SKIPS = {
    "chat_not_used": "messages in the chats left out",
    "service": "service messages (joins, calls, pins…)",
    "unsupported": "messages the export could not hold",
    "media_only": "media without text",
    "empty": "empty messages",
    "malformed": "unreadable messages (wrong field types)",
    "forwarded": "forwarded messages (not your words)",
    "via_bot": "messages sent via an inline bot",
    "empty_after_pii": "messages that were only private data",
    "clone_turn_without_context": "your turns with nothing to answer (you wrote first)",
}
# Chats left out (stats.json "chats_skipped"): "type:<Telegram chat type>" or a reason.
CHAT_TYPES = {
    "saved_messages": "Saved Messages",
    "bot_chat": "chats with bots",
    "public_channel": "channels",
    "private_channel": "channels",
    "private_group": "groups (prepare --groups uses them)",
    "private_supergroup": "groups (prepare --groups uses them)",
    "public_supergroup": "groups (prepare --groups uses them)",
    "unknown": "chats of an unknown type",
}
CHAT_SKIPS = {
    "bad_id": "chats without a readable id",
    "excluded": "chats you excluded",
    "not_included": "chats not in your include list",
}


def _plain(key: str) -> str:
    return key.replace("_", " ")


def message_skip(key: str) -> str:
    return MESSAGE_SKIPS.get(key, f"messages: {_plain(key)}")


def chat_skip(key: str) -> str:
    if key.startswith("type:"):
        kind = key[len("type:"):]
        return CHAT_TYPES.get(kind, f"chats of type {_plain(kind)}")
    return CHAT_SKIPS.get(key, _plain(key))


def left_out(skipped: dict[str, int], chats_skipped: dict[str, int]) -> dict[str, int]:
    """One count per label (several chat types share one: their counts add up)."""
    out: dict[str, int] = {}
    for key, n in (skipped or {}).items():
        out[message_skip(key)] = out.get(message_skip(key), 0) + n
    for key, n in (chats_skipped or {}).items():
        label = chat_skip(key)
        out[label] = out.get(label, 0) + n
    return out
