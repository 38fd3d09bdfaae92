"""Which chats become training material: personal chats by default, groups on request,
never bots, Saved Messages, the replies feed or channels; include/exclude lists by id or
name (``prepare.include_chats`` / ``--include-chat``)."""

from __future__ import annotations

import re

from training.export import Chat

PERSONAL = frozenset({"personal_chat"})
GROUPS = frozenset({"private_group", "private_supergroup", "public_supergroup"})
# Never training material: bots, Saved Messages, the replies feed, channels.
NEVER = frozenset({"bot_chat", "saved_messages", "replies", "private_channel", "public_channel"})

_NUMERIC = re.compile(r"-?[0-9]+")  # ASCII digits: "²".isdigit() is True, int("²") fails


def chat_ref(value: int | str) -> int | str:
    """An --include-chat / --exclude-chat value: a chat id if it is a number, else a name."""
    if isinstance(value, int):
        return value
    v = value.strip()
    return int(v) if _NUMERIC.fullmatch(v) else v


def _norm_chat_id(v: int) -> int:
    # Bot API style supergroup ids (-100XXXXXXXXXX) name the same chat as the export's id.
    s = str(v)
    if s.startswith("-100") and len(s) > 4:
        return int(s[4:])
    return abs(v)


class ChatFilter:
    def __init__(self, include: list, exclude: list, groups: bool):
        self.inc_ids, self.inc_names = self._split(include)
        self.exc_ids, self.exc_names = self._split(exclude)
        self.groups = groups

    @staticmethod
    def _split(items: list) -> tuple[set[int], set[str]]:
        ids, names = set(), set()
        for it in items:
            ref = chat_ref(it) if isinstance(it, (int, str)) else None
            if isinstance(ref, int) and not isinstance(ref, bool):
                ids.add(_norm_chat_id(ref))
            elif isinstance(ref, str) and ref:
                names.add(ref.casefold())
        return ids, names

    def _named(self, chat: Chat, ids: set[int], names: set[str]) -> bool:
        return (chat.id is not None and abs(chat.id) in ids) or (
            chat.name is not None and chat.name.strip().casefold() in names
        )

    def reason(self, chat: Chat) -> str | None:
        """None if the chat is used, else why not."""
        if chat.id is None:
            return "bad_id"
        t = chat.type or "unknown"
        if t in NEVER:
            return f"type:{t}"
        if self._named(chat, self.exc_ids, self.exc_names):
            return "excluded"
        explicit = self.inc_ids or self.inc_names
        if explicit and not self._named(chat, self.inc_ids, self.inc_names):
            return "not_included"
        if t in PERSONAL:
            return None
        if t in GROUPS:
            # Naming a group in include_chats opts it in as well.
            return None if self.groups or explicit else f"type:{t}"
        return f"type:{t}"
