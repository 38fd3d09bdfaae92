"""Answers to raw TL requests, one function per request type, as Telegram gives them.

Each handler gets a ``Call`` (the double, the session, the logged-in account) and the
request object, and returns a TL object (or list / bool) — the double serializes it and
Telethon parses it back — or raises ``Refuse("SOME_RPC_ERROR")``.

To answer a new request type, add a function decorated with ``@answers(RequestType)``
(``login=False`` for requests allowed before login). Read the Telethon method that sends
it (``telethon/client/*.py``) to see which fields it reads from the answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telethon import utils
from telethon.tl import functions, types

from telegram_double.sender import DoubleSender
from telegram_double.tl import date, make, raw
from telegram_double.world import Refuse, TelegramDouble, _peer_kind

HANDLERS: dict[type, Callable[["Call", Any], Any]] = {}
NO_LOGIN: set[type] = set()
USERS_ONLY: set[type] = set()  # a bot calling one gets BOT_METHOD_INVALID, as on Telegram
BOTS_ONLY: set[type] = set()  # a user calling one gets USER_BOT_REQUIRED
_MAX_PAGE = 100  # Telegram never returns more messages than this per request


def answers(*request_types: type, login: bool = True, who: str = "anyone") -> Callable:
    """``who``: "users" (bots may not call it) or "bots" (users may not), else "anyone"."""
    def register(fn: Callable) -> Callable:
        for t in request_types:
            HANDLERS[t] = fn
            if not login:
                NO_LOGIN.add(t)
            if who == "users":
                USERS_ONLY.add(t)
            elif who == "bots":
                BOTS_ONLY.add(t)
        return fn
    return register


@dataclass
class Call:
    tg: TelegramDouble
    session: DoubleSender
    user: int  # None only for NO_LOGIN requests

    @property
    def now(self) -> Any:
        return date(self.tg.clock())

    def peer_id(self, peer: Any) -> int:
        """The marked id an InputPeer names, checking access hashes as Telegram does."""
        if isinstance(peer, (types.InputPeerSelf, types.InputUserSelf)):
            return self.user
        if isinstance(peer, (types.InputPeerUser, types.InputUser)):
            user = self.tg.users.get(peer.user_id)
            if user is None or user.access_hash != peer.access_hash:
                raise Refuse("PEER_ID_INVALID")
            return user.id
        if isinstance(peer, types.InputPeerChat):
            group = self.tg.groups.get(peer.chat_id)
            if group is None or self.user not in group.members:
                raise Refuse("CHAT_ID_INVALID")
            return -group.id
        if isinstance(peer, (types.InputPeerChannel, types.InputChannel)):
            channel = self.tg.channels.get(peer.channel_id)
            if channel is None or channel.access_hash != peer.access_hash:
                raise Refuse("CHANNEL_INVALID")
            return utils.get_peer_id(types.PeerChannel(channel.id))
        raise Refuse("PEER_ID_INVALID")

    def state(self) -> types.updates.State:
        return types.updates.State(pts=self.tg.box(self.user).pts, qts=0, date=self.now,
                                   seq=0, unread_count=0)


# --- connection, login --------------------------------------------------------------------------

@answers(functions.help.GetConfigRequest, login=False)
def get_config(call: Call, req: Any) -> Any:
    now = call.tg.clock()
    return make(
        types.Config, date=date(now), expires=date(now + 3600), test_mode=False, this_dc=2,
        dc_options=[types.DcOption(id=2, ip_address="127.0.0.1", port=443)],
        dc_txt_domain_name="", chat_size_max=200, megagroup_size_max=200000,
        forwarded_count_max=100, online_update_period_ms=210000, offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000, online_cloud_timeout_ms=300000,
        notify_cloud_delay_ms=30000, notify_default_delay_ms=1500, push_chat_period_ms=60000,
        push_chat_limit=2, saved_gifs_limit=200, edit_time_limit=172800,
        revoke_time_limit=172800, revoke_pm_time_limit=2147483647, rating_e_decay=2419200,
        stickers_recent_limit=200, stickers_faved_limit=5, channels_read_media_period=604800,
        pinned_dialogs_count_max=5, pinned_infolder_count_max=100,
        call_receive_timeout_ms=20000, call_ring_timeout_ms=90000,
        call_connect_timeout_ms=30000, call_packet_timeout_ms=10000,
        me_url_prefix="https://t.me/", caption_length_max=1024, message_length_max=4096,
        webfile_dc_id=4,
    )


@answers(functions.auth.SendCodeRequest, login=False)
def send_code(call: Call, req: Any) -> Any:
    phone = req.phone_number
    if not phone.isdigit():
        raise Refuse("PHONE_NUMBER_INVALID")
    code_hash = secrets.token_hex(8)
    call.tg.code_hashes[code_hash] = phone
    return make(types.auth.SentCode, type=types.auth.SentCodeTypeApp(length=len(call.tg.login_code)),
                phone_code_hash=code_hash)


def _log_in(call: Call, user_id: int) -> Any:
    call.tg.auth_keys[call.session.auth_key.key] = user_id
    return make(types.auth.Authorization, user=call.tg.users[user_id].tl(user_id))


@answers(functions.auth.SignInRequest, login=False)
def sign_in(call: Call, req: Any) -> Any:
    if call.tg.code_hashes.get(req.phone_code_hash) != req.phone_number:
        raise Refuse("PHONE_CODE_EXPIRED")
    if req.phone_code != call.tg.login_code:
        raise Refuse("PHONE_CODE_INVALID")
    user = next((u for u in call.tg.users.values() if u.phone == req.phone_number), None)
    if user is None:
        return types.auth.AuthorizationSignUpRequired()  # Telethon raises PhoneNumberUnoccupied
    if user.id in call.tg.passwords:
        raise Refuse("SESSION_PASSWORD_NEEDED", 401)
    return _log_in(call, user.id)


@answers(functions.auth.SignUpRequest, login=False)
def sign_up(call: Call, req: Any) -> Any:
    if call.tg.code_hashes.get(req.phone_code_hash) != req.phone_number:
        raise Refuse("PHONE_CODE_EXPIRED")
    user_id = call.tg.add_user(req.first_name, last_name=req.last_name or None,
                               phone=req.phone_number)
    return _log_in(call, user_id)


@answers(functions.auth.LogOutRequest)
def log_out(call: Call, req: Any) -> Any:
    call.tg.auth_keys[call.session.auth_key.key] = None
    return types.auth.LoggedOut()


# --- users and chats ----------------------------------------------------------------------------

@answers(functions.users.GetUsersRequest)
def get_users(call: Call, req: Any) -> Any:
    found = []
    for input_user in req.id:
        try:
            found.append(call.tg.users[call.peer_id(input_user)].tl(call.user))
        except Refuse:
            continue  # an unknown user or a wrong access hash: left out
    return found


@answers(functions.contacts.ResolveUsernameRequest)
def resolve_username(call: Call, req: Any) -> Any:
    name = req.username.lower()
    for user in call.tg.users.values():
        if (user.username or "").lower() == name:
            return types.contacts.ResolvedPeer(types.PeerUser(user.id), [], [user.tl(call.user)])
    for channel in call.tg.channels.values():
        if (channel.username or "").lower() == name:
            return types.contacts.ResolvedPeer(types.PeerChannel(channel.id),
                                               [channel.tl(call.user)], [])
    raise Refuse("USERNAME_NOT_OCCUPIED")


@answers(functions.messages.GetChatsRequest)
def get_chats(call: Call, req: Any) -> Any:
    groups = call.tg.groups
    return types.messages.Chats([groups[i].tl(call.user) for i in req.id if i in groups])


@answers(functions.channels.GetChannelsRequest)
def get_channels(call: Call, req: Any) -> Any:
    return types.messages.Chats(
        [call.tg.channels[_peer_kind(call.peer_id(c))[1]].tl(call.user) for c in req.id])


@answers(functions.messages.GetFullChatRequest)
def get_full_chat(call: Call, req: Any) -> Any:
    group = call.tg.groups.get(req.chat_id)
    if group is None or call.user not in group.members:
        raise Refuse("CHAT_ID_INVALID")
    participants = [
        types.ChatParticipantCreator(user_id=u) if u == group.creator
        else types.ChatParticipant(user_id=u, inviter_id=group.creator, date=date(group.created))
        for u in group.members
    ]
    full = make(types.ChatFull, id=group.id, about="",
                participants=types.ChatParticipants(group.id, participants, 1),
                notify_settings=types.PeerNotifySettings())
    users, chats = call.tg.entities(call.user, peers=[-group.id, *group.members])
    return types.messages.ChatFull(full, chats, users)


@answers(functions.channels.GetFullChannelRequest)
def get_full_channel(call: Call, req: Any) -> Any:
    marked = call.peer_id(req.channel)
    channel = call.tg.channels[_peer_kind(marked)[1]]
    full = make(types.ChannelFull, id=channel.id, about="", read_inbox_max_id=0,
                read_outbox_max_id=0, unread_count=0, chat_photo=types.PhotoEmpty(id=0),
                notify_settings=types.PeerNotifySettings(), bot_info=[], pts=channel.box.pts,
                participants_count=len(channel.members))
    users, chats = call.tg.entities(call.user, peers=[marked])
    return types.messages.ChatFull(full, chats, users)


# --- updates ------------------------------------------------------------------------------------

@answers(functions.updates.GetStateRequest)
def get_state(call: Call, req: Any) -> Any:
    return call.state()


@answers(functions.updates.GetDifferenceRequest)
def get_difference(call: Call, req: Any) -> Any:
    box = call.tg.box(call.user)
    missed = [u for pts, u in box.events if pts > req.pts]
    if not missed:
        return types.updates.DifferenceEmpty(date=call.now, seq=0)
    new = [u.message for u in missed if isinstance(u, types.UpdateNewMessage)]
    other = [u for u in missed if not isinstance(u, types.UpdateNewMessage)]
    mentioned = new + [getattr(u, "message", None) for u in other]
    users, chats = call.tg.entities(call.user, messages=mentioned)
    return types.updates.Difference(new, [], other, chats, users, call.state())


# --- reading messages ---------------------------------------------------------------------------

def _page(newest_first: list, *, offset_id: int, offset_date: Any, add_offset: int, limit: int,
          max_id: int, min_id: int) -> list:
    """Telegram's pagination (core.telegram.org/api/offsets): ids below ``max_id`` and above
    ``min_id``; start at the first message older than ``offset_id`` (or ``offset_date``),
    move ``add_offset`` towards older (negative: newer), take ``limit``."""
    msgs = [m for m in newest_first if (not max_id or m.id < max_id) and m.id > min_id]
    start = 0
    if offset_id:
        start = next((i for i, m in enumerate(msgs) if m.id < offset_id), len(msgs))
    elif offset_date:
        start = next((i for i, m in enumerate(msgs) if m.date < offset_date), len(msgs))
    start += add_offset
    end = start + min(limit, _MAX_PAGE)
    return msgs[max(start, 0):max(end, 0)]


def _messages_result(call: Call, peer: int, window: list, total: int, *, sliced: bool) -> Any:
    users, chats = call.tg.entities(call.user, messages=window, peers=[peer])
    if _peer_kind(peer)[0] == "channel":
        channel = call.tg.channels[_peer_kind(peer)[1]]
        return make(types.messages.ChannelMessages, pts=channel.box.pts, count=total,
                    messages=window, topics=[], chats=chats, users=users)
    if not sliced and len(window) == total:
        return make(types.messages.Messages, messages=window, topics=[], chats=chats, users=users)
    return make(types.messages.MessagesSlice, count=total, messages=window, topics=[],
                chats=chats, users=users)


@answers(functions.messages.GetHistoryRequest, who="users")
def get_history(call: Call, req: Any) -> Any:
    peer = call.peer_id(req.peer)
    everything = list(reversed(call.tg.messages_in(call.user, peer)))
    window = _page(everything, offset_id=req.offset_id, offset_date=req.offset_date,
                   add_offset=req.add_offset, limit=req.limit, max_id=req.max_id, min_id=req.min_id)
    return _messages_result(call, peer, window, len(everything), sliced=False)


@answers(functions.messages.SearchRequest, who="users")
def search(call: Call, req: Any) -> Any:
    if not isinstance(req.filter, types.InputMessagesFilterEmpty):
        raise NotImplementedError(f"the double's messages.search has no {type(req.filter).__name__}")
    peer = call.peer_id(req.peer)
    found = list(reversed(call.tg.messages_in(call.user, peer)))
    if req.q:
        found = [m for m in found if req.q.casefold() in (m.message or "").casefold()]
    # from_id works in groups and channels; in a private chat Telegram ignores it
    if req.from_id is not None and _peer_kind(peer)[0] != "user":
        sender = call.peer_id(req.from_id)
        found = [m for m in found if m.from_id is not None and utils.get_peer_id(m.from_id) == sender]
    if req.min_date:
        found = [m for m in found if m.date >= req.min_date]
    if req.max_date:
        found = [m for m in found if m.date < req.max_date]
    window = _page(found, offset_id=req.offset_id, offset_date=None, add_offset=req.add_offset,
                   limit=req.limit, max_id=req.max_id, min_id=req.min_id)
    return _messages_result(call, peer, window, len(found), sliced=True)


@answers(functions.messages.GetMessagesRequest)
def get_messages(call: Call, req: Any) -> Any:
    box = call.tg.box(call.user)
    by_id = {m.id: m for msgs in box.chats.values() for m in msgs}
    found = [by_id.get(getattr(i, "id", None)) or raw(types.MessageEmpty)(id=getattr(i, "id", 0))
             for i in req.id]
    users, chats = call.tg.entities(call.user, messages=found)
    return make(types.messages.Messages, messages=found, topics=[], chats=chats, users=users)


# --- writing ------------------------------------------------------------------------------------

@answers(functions.messages.SendMessageRequest)
def send_message(call: Call, req: Any) -> Any:
    if not req.message.strip():
        raise Refuse("MESSAGE_EMPTY")
    peer = call.peer_id(req.peer)
    kind, ident = _peer_kind(peer)
    if kind == "channel":
        channel = call.tg.channels[ident]
        if call.user not in channel.members or (channel.broadcast and call.user != channel.creator):
            raise Refuse("CHAT_WRITE_FORBIDDEN", 403)
    is_bot = call.tg.users[call.user].bot
    if is_bot and kind == "user" and not call.tg.started(peer, call.user):
        raise Refuse("PEER_ID_INVALID")  # a bot cannot write to someone who never wrote to it
    reply_to = getattr(req.reply_to, "reply_to_msg_id", None)
    msg, pts = call.tg.deliver(call.user, peer, req.message, reply_to=reply_to,
                               origin=call.session, entities=req.entities or None,
                               reply_markup=req.reply_markup if is_bot else None)
    if req.clear_draft:
        call.tg.save_draft(call.user, peer, "", origin=call.session)
    if kind == "user" and call.tg.send_result == "short":
        return make(types.UpdateShortSentMessage, id=msg.id, pts=pts, pts_count=1, date=msg.date,
                    out=True, entities=req.entities or None)
    sent = call.tg.view(msg, call.user) if kind == "channel" else msg
    update_type = types.UpdateNewChannelMessage if kind == "channel" else types.UpdateNewMessage
    new = update_type(sent, pts, 1)
    users, chats = call.tg.entities(call.user, messages=[msg])
    return types.Updates([types.UpdateMessageID(msg.id, req.random_id), new], users, chats,
                         call.now, 0)


@answers(functions.messages.SaveDraftRequest, who="users")
def save_draft(call: Call, req: Any) -> Any:
    call.tg.save_draft(call.user, call.peer_id(req.peer), req.message, origin=call.session)
    return True


@answers(functions.messages.GetPeerDialogsRequest, who="users")
def get_peer_dialogs(call: Call, req: Any) -> Any:
    box = call.tg.box(call.user)
    dialogs, tops, peers = [], [], []
    for dialog_peer in req.peers:
        peer = call.peer_id(dialog_peer.peer)
        msgs = call.tg.messages_in(call.user, peer)
        if msgs:
            tops.append(msgs[-1])
        peers.append(peer)
        dialogs.append(make(
            types.Dialog, peer=call.tg.peer(peer), top_message=msgs[-1].id if msgs else 0,
            read_inbox_max_id=0, read_outbox_max_id=0, unread_count=0, unread_mentions_count=0,
            unread_reactions_count=0, unread_poll_votes_count=0,
            notify_settings=types.PeerNotifySettings(), draft=box.drafts.get(peer),
        ))
    users, chats = call.tg.entities(call.user, messages=tops, peers=peers)
    return types.messages.PeerDialogs(dialogs, tops, chats, users, call.state())


@answers(functions.messages.GetAllDraftsRequest, who="users")
def get_all_drafts(call: Call, req: Any) -> Any:
    drafts = call.tg.box(call.user).drafts
    updates = [make(types.UpdateDraftMessage, peer=call.tg.peer(p), draft=d)
               for p, d in drafts.items() if isinstance(d, types.DraftMessage)]
    users, chats = call.tg.entities(call.user, peers=list(drafts))
    return types.Updates(updates, users, chats, call.now, 0)


@answers(functions.messages.SetTypingRequest)
def set_typing(call: Call, req: Any) -> Any:
    call.tg.typing.append((call.user, call.peer_id(req.peer), type(req.action).__name__))
    return True


# --- takeout (the history fetcher's export session) ---------------------------------------------

@answers(functions.account.InitTakeoutSessionRequest, who="users")
def init_takeout(call: Call, req: Any) -> Any:
    takeout_id = call.tg.rng.getrandbits(63)
    call.tg.takeouts[takeout_id] = call.user
    return types.account.Takeout(id=takeout_id)


@answers(functions.account.FinishTakeoutSessionRequest)
def finish_takeout(call: Call, req: Any) -> Any:
    for takeout_id, owner in list(call.tg.takeouts.items()):
        if owner == call.user:
            del call.tg.takeouts[takeout_id]
    return True
