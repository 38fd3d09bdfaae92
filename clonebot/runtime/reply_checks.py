"""What is broken in a reply, beyond PII: the checks before anything is drafted or sent.

- anything placeholder-like (``clonebot.pii.placeholder_like``: ``<PHONE_1>``, ``<PHONE_1``,
  ``<phone>``...): the model echoing its scrubbed training data;
- a broken character: U+FFFD (a token decoded into half a character, a byte sequence that
  was never text) or a lone surrogate;
- a reply the token limit cut off before any end marker (EOS or a turn marker): the
  generator says so (``clonebot.model.base.Reply.cut``), the text cannot.

A reply with any of these is never drafted or sent automatically: the bot samples again,
and if nothing whole comes back it asks the owner, flagged. ``ok`` is refused for broken
text (placeholders, broken characters); a cut-off reply the owner has read may go as is.
"""

from __future__ import annotations

from clonebot.pii import placeholder_like

CUT_OFF = "cut off at the token limit (no end marker)"


def text_problems(text: str) -> list[str]:
    """What makes ``text`` unfit to send as written (empty: nothing)."""
    out = [f"placeholder {p} (learned from scrubbed data)" for p in placeholder_like(text)]
    if "\ufffd" in text:
        out.append("a broken character (U+FFFD)")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        out.append("a broken character (lone surrogate)")
    return out


def is_cut(reply: str) -> bool:
    """True if the generator says the token limit ended this reply."""
    return bool(getattr(reply, "cut", False))
