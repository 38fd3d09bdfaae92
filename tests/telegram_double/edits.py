"""``messages.editMessage`` as Telegram answers it, in private chats and basic groups.

Only the author edits (``MESSAGE_AUTHOR_REQUIRED``); an unknown id is ``MESSAGE_ID_INVALID``;
an edit that changes neither the text nor the buttons is ``MESSAGE_NOT_MODIFIED``. Every copy
of the message (each participant has its own id for it) gets the new text, ``edit_date`` and,
for a bot, the ``reply_markup`` the edit carries: an edit without one, or with an empty inline
keyboard, removes the buttons (what Telegram does; Telethon's ``Message.edit`` passes the old
ones to keep them). Each participant's box records ``updateEditMessage`` (pts), pushed to
their sessions; the editing session gets it as the answer (``updates``). Registered when the
package is imported.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from telegram_double.handlers import Call, answers
from telegram_double.tl import make, to_bytes
from telegram_double.world import Refuse, _peer_kind


def _markup(call: Call, req: Any) -> Any:
    if not call.tg.users[call.user].bot:
        return None
    markup = req.reply_markup
    if isinstance(markup, types.ReplyInlineMarkup) and not markup.rows:
        return None
    return markup


@answers(functions.messages.EditMessageRequest)
def edit_message(call: Call, req: Any) -> Any:
    tg = call.tg
    peer = call.peer_id(req.peer)
    if _peer_kind(peer)[0] == "channel":
        raise NotImplementedError("the double edits messages in private chats and basic groups")
    mine = next((m for m in tg.box(call.user).chats.get(peer, []) if m.id == req.id), None)
    if mine is None or isinstance(mine, types.MessageService):
        raise Refuse("MESSAGE_ID_INVALID")
    if not mine.out:
        raise Refuse("MESSAGE_AUTHOR_REQUIRED", 403)
    text = mine.message if req.message is None else req.message
    if not text.strip():
        raise Refuse("MESSAGE_EMPTY")
    markup = _markup(call, req)
    old = to_bytes(mine.reply_markup) if mine.reply_markup is not None else b""
    if text == mine.message and (to_bytes(markup) if markup is not None else b"") == old:
        raise Refuse("MESSAGE_NOT_MODIFIED")
    logical = tg._logical[(call.user, mine.id)]
    answer = None
    for (viewer, lg), local in list(tg._local.items()):
        if lg != logical:
            continue
        box = tg.box(viewer)
        chat = call.user if viewer != call.user and peer > 0 else peer
        copy_ = next(m for m in box.chats[chat] if m.id == local)
        copy_.message, copy_.edit_date = text, call.now
        copy_.entities = req.entities or None
        copy_.reply_markup = markup
        update = tg._event(box, make(types.UpdateEditMessage, message=copy_, pts=0, pts_count=1))
        if viewer == call.user:
            answer = update
            tg._push(viewer, update, call.session)  # the editor's other devices
        else:
            tg._push(viewer, update, None)
    assert answer is not None
    users, chats = tg.entities(call.user, messages=[answer.message])
    return types.Updates([answer], users, chats, call.now, 0)
