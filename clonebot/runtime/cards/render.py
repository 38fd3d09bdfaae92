"""What an approval card says and which buttons it has: pure functions of the suggestion.

A pending card::

    💬 Alice (@alice) · #k7q2
    › free tonight?
    › we could get dinner
    ↳ sure, see you at 7
    ⚠ check before sending: phone number
    expires 21:30
    [✅ Send] [🔄 Another]
    [✏️ Edit] [✖ Skip]

After a decision the first line says what happened (``✅ Sent to Alice (@alice)``,
``↩ You answered Alice yourself``...) and the buttons are gone. Button data is an opaque id,
``c1:<action>:<suggestion id>`` (a few bytes, far under Telegram's 64): never the text. The
suggestion id in it ties a press to what the card showed when it was pressed, so a press on
a card that has moved on (Another) does nothing.
"""

from __future__ import annotations

import time

from clonebot.approval.decisions import Decision
from clonebot.state.store import Suggestion

SEND, ANOTHER, EDIT, SKIP = "s", "a", "e", "k"
ACTIONS = {SEND: "Send", ANOTHER: "Another", EDIT: "Edit", SKIP: "Skip"}
LABELS = {SEND: "✅ Send", ANOTHER: "🔄 Another", EDIT: "✏️ Edit", SKIP: "✖ Skip"}
_PREFIX = "c1"
_MAX_QUOTE = 600  # characters of the friend's messages quoted on a card
_MAX_CARD = 3900  # Telegram's limit is 4096


def press_data(action: str, sid: str) -> bytes:
    return f"{_PREFIX}:{action}:{sid}".encode("ascii")


def parse_press(data: bytes) -> tuple[str, str] | None:
    """(action, suggestion id) of a button this bot made; None for anything else."""
    try:
        prefix, action, sid = data.decode("ascii").split(":")
    except (UnicodeDecodeError, ValueError):
        return None
    if prefix != _PREFIX or action not in ACTIONS or not sid:
        return None
    return action, sid


def buttons(s: Suggestion) -> list[list[tuple[str, bytes]]]:
    """The buttons of a card showing ``s``: four while it is pending, none after."""
    if not s.pending:
        return []
    return [[(LABELS[SEND], press_data(SEND, s.id)), (LABELS[ANOTHER], press_data(ANOTHER, s.id))],
            [(LABELS[EDIT], press_data(EDIT, s.id)), (LABELS[SKIP], press_data(SKIP, s.id))]]


def _hhmm(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


def headline(s: Suggestion) -> str:
    """The card's first line: whom it answers, or what became of it."""
    who = s.chat_name or str(s.chat_id)
    if s.pending:
        return f"💬 {who}"
    if s.state == "sending":
        return f"⏳ Sending to {who}…"
    d, note = s.decision, s.note or ""
    if d == Decision.SENT and note == "draft":
        return f"✅ You sent the draft to {who}"
    if d == Decision.EDITED and note == "draft":
        return f"✏️ You sent your own words to {who}"
    if d == Decision.SENT:
        return f"✅ Sent to {who}"
    if d == Decision.EDITED:
        return f"✏️ Sent your text to {who}"
    if d == Decision.REJECTED and note == "owner replied":
        return f"↩ You answered {who} yourself"
    if d == Decision.REJECTED:
        return f"✖ Skipped · {who}"
    if d == Decision.REGENERATED:
        return f"🔄 Replaced by another candidate · {who}"
    if d == Decision.EXPIRED and note == "superseded":
        return f"⏭ Superseded: {who} wrote again"
    if d == Decision.EXPIRED and note == "ttl":
        return f"⌛ Expired · {who}"
    if d == Decision.EXPIRED:
        return f"⌛ Expired ({note}) · {who}" if note else f"⌛ Expired · {who}"
    return f"· {who}: {d or 'closed'}"


def _quote(text: str) -> list[str]:
    text = text.strip()
    if len(text) > _MAX_QUOTE:
        text = text[:_MAX_QUOTE - 1] + "…"
    return [f"› {line}" for line in text.splitlines() if line.strip()] or ["› …"]


def card_text(s: Suggestion, *, note: str | None = None, waiting_edit: bool = False) -> str:
    """The whole card for ``s``. ``note``: a warning with it (why an auto reply asks, an
    interrupted send, a press that could not act); ``waiting_edit``: Edit was pressed."""
    lines = [f"{headline(s)} · #{s.id}", *_quote(s.incoming)]
    sent = s.final_text if s.decision in (Decision.SENT, Decision.EDITED) and s.final_text \
        else s.suggestion
    lines.append(f"↳ {sent.strip()}")
    if s.pending:
        if note:
            lines.append(f"⚠ {note}")
        if s.pii:
            lines.append("⚠ check before sending: " + ", ".join(s.pii))
        if waiting_edit:
            lines.append(f"✏️ Send me your text for {s.chat_name or s.chat_id}: it goes instead")
        lines.append(f"expires {_hhmm(s.expires_at)}")
    text = "\n".join(lines)
    return text if len(text) <= _MAX_CARD else text[:_MAX_CARD - 1] + "…"
