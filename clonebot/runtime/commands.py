"""Parsing what the owner writes in the control chat (Saved Messages by default).

Slash commands: ``/pause [chat]``, ``/resume [chat]``, ``/status``, ``/mode <chat> <mode>``,
``/reload``, ``/help``. Answers to a suggestion: ``ok``, ``no``, ``regen``, ``edit <text>``,
each optionally followed by the suggestion's short id (``ok k7q2`` or ``ok #k7q2``);
replying to a suggestion with any other text sends that text instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"#?([a-z2-9]{4})$")
_APPROVAL_WORDS = {
    "ok": "ok", "ок": "ok", "send": "ok", "yes": "ok",
    "no": "no", "нет": "no", "reject": "no",
    "regen": "regen", "again": "regen",
    "edit": "edit",
}

HELP = (
    "Answer a suggestion (reply to it, or add its id):\n"
    "  ok — send it · edit <text> — send your text · no — discard · regen — new candidate\n"
    "  (a reply with any other text sends that text)\n"
    "Commands: /status · /pause [chat] · /resume [chat] · /mode <chat> draft|approve|auto"
    " · /reload · /help"
)


@dataclass(frozen=True)
class Command:
    kind: str  # pause resume status mode reload help unknown | ok no regen edit | reply_text
    chat: str | None = None
    mode: str | None = None
    sid: str | None = None
    text: str | None = None


def _looks_like_id(word: str) -> str | None:
    m = _ID.fullmatch(word.lower())
    if m and any(c.isdigit() for c in m.group(1)):
        return m.group(1)
    return None


def parse(text: str, *, is_reply: bool) -> Command | None:
    """None means: not addressed to the bot (a note the owner keeps in Saved Messages)."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("/"):
        head, rest = (text.split(None, 1) + [""])[:2]
        name = head[1:].lower()
        args = rest.split()
        if name in ("pause", "resume"):
            return Command(name, chat=args[0] if args else None)
        if name == "mode":
            if len(args) != 2:
                return Command("unknown", text="usage: /mode <chat> draft|approve|auto")
            return Command("mode", chat=args[0], mode=args[1].lower())
        if name in ("status", "reload", "help", "start"):
            return Command("help" if name == "start" else name)
        return Command("unknown", text=f"unknown command /{name}")
    first, rest = (text.split(None, 1) + [""])[:2]
    word = _APPROVAL_WORDS.get(first.lower().rstrip(".!,"))
    if word is None:
        return Command("reply_text", text=text) if is_reply else None
    rest = rest.strip()
    sid = None
    if rest:
        cand, after = (rest.split(None, 1) + [""])[:2]
        sid = _looks_like_id(cand)
        if sid is not None:
            rest = after.strip()
    if word == "edit":
        if not rest:
            return Command("unknown", text="usage: edit <new text>")
        return Command("edit", sid=sid, text=rest)
    if rest and word in ("ok", "no", "regen"):
        # "ok then, see you" is not a command unless it is a reply: then it is new text
        return Command("reply_text", text=text) if is_reply else None
    return Command(word, sid=sid)
