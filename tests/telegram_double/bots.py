"""Bots as Telegram runs them: a login by token, inline buttons, callback queries, leaving
groups. Registered when the package is imported.

- ``add_bot(tg, "Cards", "cardsbot", owner=owner)`` -> ``(bot_id, token)``: what @BotFather
  hands out (``<bot id>:<secret>``); ``auth.importBotAuthorization`` with that token logs a
  session in as the bot (``ACCESS_TOKEN_INVALID`` otherwise), as Telethon's
  ``client.start(bot_token=...)`` does.
- A bot's ``messages.sendMessage`` keeps its ``reply_markup`` on every copy of the message
  (a user's is dropped); a bot may write only to someone who has written to it
  (``PEER_ID_INVALID``); user-only methods answer ``BOT_METHOD_INVALID`` to a bot, bot-only
  ones ``USER_BOT_REQUIRED`` to a user (``handlers.answers(..., who=...)``).
- A press: ``messages.getBotCallbackAnswer`` (what Telethon's ``Message.click`` sends) checks
  that the message is the bot's and carries a callback button with that data
  (``DATA_INVALID``), pushes ``updateBotCallbackQuery`` (the bot's own message id, the
  presser, a ``chat_instance``) to the bot's connected sessions and waits until the bot calls
  ``messages.setBotCallbackAnswer`` (then ``messages.botCallbackAnswer``), or
  ``tg.callback_timeout`` seconds (``BOT_RESPONSE_TIMEOUT``, which ``Message.click`` turns
  into None). A press is not stored for ``updates.getDifference``: a bot that is offline
  never hears of it, as on Telegram. ``press(tg, user, bot, bot_msg_id, data)`` delivers a
  press without those checks (a press the server would not route; tests of a bot's own
  checks).
- ``add_to_group(tg, chat, user, by=...)``: ``by`` adds ``user`` to a group (a service
  message every member gets); ``messages.deleteChatUser`` / ``channels.leaveChannel`` with
  oneself let a bot leave.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from telethon.tl import functions, types

from telegram_double.handlers import Call, answers
from telegram_double.tl import date, make
from telegram_double.world import Refuse, TelegramDouble, _peer_kind

CALLBACK_TIMEOUT = 5.0  # seconds a press waits for the bot's answer (Telegram: some seconds)


def _state(tg: TelegramDouble) -> dict:
    if not hasattr(tg, "bot_state"):
        tg.bot_state = {"tokens": {}, "queries": {}, "instances": {}}
    return tg.bot_state


def add_bot(tg: TelegramDouble, name: str, username: str, *, owner: int | None = None,
            id: int | None = None) -> tuple[int, str]:
    """A bot account and its token, as @BotFather makes them."""
    bot_id = tg.add_user(name, username=username, bot=True, id=id)
    token = f"{bot_id}:{secrets.token_urlsafe(26)}"
    _state(tg)["tokens"][token] = bot_id
    return bot_id, token


def revoke_token(tg: TelegramDouble, token: str) -> None:
    """@BotFather /revoke: the token stops working (sessions logged in with it stay)."""
    _state(tg)["tokens"].pop(token, None)


@answers(functions.auth.ImportBotAuthorizationRequest, login=False)
def import_bot_authorization(call: Call, req: Any) -> Any:
    bot_id = _state(call.tg)["tokens"].get(req.bot_auth_token)
    if bot_id is None:
        raise Refuse("ACCESS_TOKEN_INVALID")
    call.tg.auth_keys[call.session.auth_key.key] = bot_id
    return make(types.auth.Authorization, user=call.tg.users[bot_id].tl(bot_id))


# --- presses -----------------------------------------------------------------------------------

def callback_datas(markup: Any) -> list[bytes]:
    """The data of every callback button in a reply markup, on any layer (1.39's
    ``keyboardButtonCallback``, newer layers' ``keyboardInlineButton`` with a callback type)."""
    found = []
    for row in getattr(markup, "rows", None) or []:
        for button in row.buttons:
            data = getattr(button, "data", None)
            if data is None:
                data = getattr(getattr(button, "type", None), "data", None)
            if data is not None:
                found.append(bytes(data))
    return found


@answers(functions.messages.GetBotCallbackAnswerRequest, who="users")
def get_bot_callback_answer(call: Call, req: Any) -> Any:
    tg = call.tg
    bot = call.peer_id(req.peer)
    msg = next((m for m in tg.messages_in(call.user, bot) if m.id == req.msg_id), None)
    if msg is None or msg.out or bot not in tg.users or not tg.users[bot].bot:
        raise Refuse("MESSAGE_ID_INVALID")
    if req.data is None or bytes(req.data) not in callback_datas(msg.reply_markup):
        raise Refuse("DATA_INVALID")
    bot_msg_id = bot_message_id(tg, call.user, bot, msg.id)
    return press(tg, call.user, bot, bot_msg_id, bytes(req.data))


def bot_message_id(tg: TelegramDouble, viewer: int, bot: int, msg_id: int) -> int:
    """The bot's id for the message ``viewer`` sees as ``msg_id`` in their chat with it."""
    return tg._local[(bot, tg._logical[(viewer, msg_id)])]


async def press(tg: TelegramDouble, user: int, bot: int, bot_msg_id: int, data: bytes, *,
                repeat: int = 1) -> Any:
    """``user`` presses a button with ``data`` on the bot's message ``bot_msg_id`` (an id in
    the bot's box, in its chat with ``user``): the bot's answer, or Refuse on a timeout.
    ``repeat``: the server delivers the same press that many times (a loopback server's
    getDifference hands it out again)."""
    st = _state(tg)
    query_id = tg.rng.getrandbits(63)
    answered = asyncio.get_running_loop().create_future()
    st["queries"][query_id] = (bot, answered)
    instance = st["instances"].setdefault((bot, user), tg.rng.getrandbits(63))
    update = make(types.UpdateBotCallbackQuery, query_id=query_id, user_id=user,
                  peer=types.PeerUser(user), msg_id=bot_msg_id, chat_instance=instance,
                  data=data)
    users, chats = tg.entities(bot, peers=[user])
    for _ in range(repeat):
        for session in tg._sessions_of(bot, None):
            session.push(types.Updates([update], users, chats, date(tg.clock()), 0))
    try:
        return await asyncio.wait_for(answered, getattr(tg, "callback_timeout",
                                                         CALLBACK_TIMEOUT))
    except asyncio.TimeoutError:
        raise Refuse("BOT_RESPONSE_TIMEOUT") from None
    finally:
        st["queries"].pop(query_id, None)


@answers(functions.messages.SetBotCallbackAnswerRequest, who="bots")
def set_bot_callback_answer(call: Call, req: Any) -> Any:
    if req.message and len(req.message) > 200:
        raise Refuse("MESSAGE_TOO_LONG")
    bot, answered = _state(call.tg)["queries"].get(req.query_id, (None, None))
    if bot != call.user or answered is None or answered.done():
        raise Refuse("QUERY_ID_INVALID")
    answered.set_result(make(
        types.messages.BotCallbackAnswer, alert=bool(req.alert), has_url=req.url is not None,
        native_ui=False, message=req.message, url=req.url, cache_time=req.cache_time))
    return True


# --- groups ------------------------------------------------------------------------------------

def add_to_group(tg: TelegramDouble, chat: int, user: int, *, by: int) -> None:
    """``by`` adds ``user`` to the group ``chat`` (marked id): every member, ``user`` too,
    gets the service message (a bot learns it was added from it)."""
    kind, ident = _peer_kind(chat)
    action = types.MessageActionChatAddUser(users=[user])
    now = date(tg.clock())
    if kind == "chat":
        group = tg.groups[ident]
        group.members.append(user)
        for viewer in group.members:
            box = tg.box(viewer)
            msg = make(types.MessageService, id=box.next_id, peer_id=types.PeerChat(ident),
                       date=now, action=action, out=viewer == by, from_id=types.PeerUser(by))
            box.next_id += 1
            box.chats[chat].append(msg)
            tg._push(viewer, tg._event(box, types.UpdateNewMessage(msg, 0, 1)), None)
        return
    channel = tg.channels[ident]
    channel.members.append(user)
    box = channel.box
    msg = make(types.MessageService, id=box.next_id, peer_id=types.PeerChannel(ident),
               date=now, action=action, out=False, from_id=types.PeerUser(by))
    box.next_id += 1
    box.pts += 1
    box.messages.append(msg)
    for member in channel.members:
        tg._push(member, types.UpdateNewChannelMessage(tg.view(msg, member), box.pts, 1), None)


def _left(call: Call, peer: int) -> Any:
    users, chats = call.tg.entities(call.user, peers=[peer])
    return types.Updates([], users, chats, call.now, 0)


@answers(functions.messages.DeleteChatUserRequest)
def delete_chat_user(call: Call, req: Any) -> Any:
    group = call.tg.groups.get(req.chat_id)
    if group is None or call.user not in group.members:
        raise Refuse("CHAT_ID_INVALID")
    leaving = call.peer_id(req.user_id)
    if leaving != call.user and group.creator != call.user:
        raise Refuse("CHAT_ADMIN_REQUIRED")
    group.members.remove(leaving)
    return _left(call, -group.id)


@answers(functions.channels.LeaveChannelRequest)
def leave_channel(call: Call, req: Any) -> Any:
    marked = call.peer_id(req.channel)
    channel = call.tg.channels[_peer_kind(marked)[1]]
    if call.user not in channel.members:
        raise Refuse("USER_NOT_PARTICIPANT")
    channel.members.remove(call.user)
    return _left(call, marked)


def members(tg: TelegramDouble, chat: int) -> list[int]:
    kind, ident = _peer_kind(chat)
    return list(tg.groups[ident].members if kind == "chat" else tg.channels[ident].members)

