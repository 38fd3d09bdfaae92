"""The in-memory Telegram: accounts, groups, channels, message boxes, drafts, sessions.

Ids work as on Telegram: every account has its own *message box* for private chats and
basic groups (one id sequence and one ``pts`` across all of them, so the same message has
a different id for each participant); a channel or supergroup has one box of its own that
all members share. Each account's box keeps the updates it produced (by ``pts``) so
``updates.getDifference`` can hand out what a session missed.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telethon import TelegramClient, utils
from telethon.crypto import AuthKey
from telethon.errors import rpc_message_to_error
from telethon.sessions import MemorySession
from telethon.tl import functions, types

from telegram_double.sender import DoubleSender
from telegram_double.tl import copy, date, make

API_ID, API_HASH = 1, "0123456789abcdef0123456789abcdef"
LOGIN_CODE = "22222"


class Refuse(Exception):
    """A handler's way to answer with an RPC error (``USERNAME_NOT_OCCUPIED``, ...)."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class User:
    id: int
    access_hash: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    bot: bool = False

    def tl(self, viewer: int | None) -> types.User:
        return make(
            types.User, id=self.id, is_self=self.id == viewer, bot=self.bot,
            bot_info_version=1 if self.bot else None, access_hash=self.access_hash,
            first_name=self.first_name, last_name=self.last_name, username=self.username,
            phone=self.phone if self.id == viewer else None,
        )


@dataclass
class Group:
    """A basic group ("chat"): its messages live in each member's own box."""

    id: int
    title: str
    members: list[int]
    creator: int
    created: float

    def tl(self, viewer: int | None) -> types.Chat:
        return make(
            types.Chat, id=self.id, title=self.title, photo=types.ChatPhotoEmpty(),
            participants_count=len(self.members), date=date(self.created), version=1,
            creator=viewer == self.creator, left=viewer not in self.members,
        )


@dataclass
class ChannelBox:
    pts: int = 0
    next_id: int = 1
    messages: list[types.Message] = field(default_factory=list)


@dataclass
class Channel:
    """A broadcast channel or a supergroup (megagroup): one shared box."""

    id: int
    access_hash: int
    title: str
    broadcast: bool
    members: list[int]
    creator: int
    created: float
    username: str | None = None
    box: ChannelBox = field(default_factory=ChannelBox)

    def tl(self, viewer: int | None) -> types.Channel:
        return make(
            types.Channel, id=self.id, title=self.title, photo=types.ChatPhotoEmpty(),
            date=date(self.created), creator=viewer == self.creator,
            left=viewer not in self.members, broadcast=self.broadcast,
            megagroup=not self.broadcast, access_hash=self.access_hash, username=self.username,
            participants_count=len(self.members),
        )


@dataclass
class Box:
    """One account's common message box (private chats and basic groups)."""

    owner: int
    pts: int = 0
    next_id: int = 1
    chats: dict[int, list[types.Message]] = field(default_factory=lambda: defaultdict(list))
    drafts: dict[int, Any] = field(default_factory=dict)  # marked peer id -> DraftMessage
    events: list[tuple[int, Any]] = field(default_factory=list)  # (pts, update)


@dataclass
class Request:
    user: int | None  # the account the session is logged in as (None: not logged in)
    session: str  # DoubleSender.name
    request: Any  # the innermost request (wrappers such as InvokeWithLayer removed)
    takeout_id: int | None = None


@dataclass
class Fault:
    request_type: type
    message: str
    code: int
    times: int | None  # None: every matching call
    when: Callable[[Any], bool] | None


_WRAPPERS = (
    functions.InvokeWithLayerRequest, functions.InitConnectionRequest,
    functions.InvokeWithoutUpdatesRequest, functions.InvokeAfterMsgRequest,
)


def _default_code(message: str) -> int:
    if message.startswith(("FLOOD_WAIT_", "SLOWMODE_WAIT_", "FLOOD_PREMIUM_WAIT_")):
        return 420
    if message in ("AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "SESSION_EXPIRED", "USER_DEACTIVATED"):
        return 401
    return 400


class TelegramDouble:
    """An in-memory Telegram server that answers Telethon's raw TL requests.

    See the package docstring for how to use and extend it.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, seed: int = 0):
        self.clock = clock
        self.rng = random.Random(seed)
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.channels: dict[int, Channel] = {}
        self.boxes: dict[int, Box] = {}
        self.sessions: list[DoubleSender] = []
        self.auth_keys: dict[bytes, int | None] = {}  # key -> the account logged in with it
        self.forgotten: set[bytes] = set()
        self.passwords: dict[int, str] = {}  # accounts with 2FA: sign-in then needs a password
        self.login_code = LOGIN_CODE
        self.code_hashes: dict[str, str] = {}  # phone_code_hash -> phone
        self.takeouts: dict[int, int] = {}  # takeout id -> account
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.typing: list[tuple[int, int, str]] = []  # (account, marked peer, action name)
        self.reachable = True
        # How messages.sendMessage answers in private chats: "short" (updateShortSentMessage,
        # what Telegram usually does) or "updates" (updates with updateMessageID).
        self.send_result = "short"
        # Push private messages as updateShortMessage (no user entity attached).
        self.short_updates = False
        self._entity_ids = itertools.count(10_000)
        self._uids = itertools.count(1)
        self._local: dict[tuple[int, int], int] = {}  # (box owner, logical message) -> local id
        self._logical: dict[tuple[int, int], int] = {}  # (box owner, local id) -> logical

    # --- accounts and chats ----------------------------------------------------------------

    def add_user(self, first_name: str, *, username: str | None = None, phone: str | None = None,
                 last_name: str | None = None, bot: bool = False, id: int | None = None) -> int:
        uid = id if id is not None else next(self._entity_ids)
        self.users[uid] = User(uid, self.rng.getrandbits(63), first_name, last_name, username,
                               phone, bot)
        return uid

    def add_group(self, title: str, members: list[int], *, creator: int | None = None,
                  id: int | None = None) -> int:
        """A basic group; returns its marked id (``-id``), as Telethon's ``chat_id``."""
        gid = id if id is not None else next(self._entity_ids)
        self.groups[gid] = Group(gid, title, list(members), creator or members[0], self.clock())
        return -gid

    def add_channel(self, title: str, members: list[int], *, broadcast: bool = False,
                    username: str | None = None, creator: int | None = None,
                    id: int | None = None) -> int:
        """A channel (``broadcast``) or supergroup; returns its marked id (``-100...``)."""
        cid = id if id is not None else next(self._entity_ids)
        self.channels[cid] = Channel(cid, self.rng.getrandbits(63), title, broadcast,
                                     list(members), creator or members[0], self.clock(), username)
        return utils.get_peer_id(types.PeerChannel(cid))

    def box(self, user: int) -> Box:
        if user not in self.boxes:
            self.boxes[user] = Box(user)
        return self.boxes[user]

    # --- people acting -----------------------------------------------------------------------

    def send(self, sender: int, to: int, text: str, *, reply_to: int | None = None,
             fwd_from: int | None = None, via_bot: int | None = None,
             origin: DoubleSender | None = None) -> types.Message:
        """``sender`` writes ``text`` to ``to`` (a user id, or a group's / channel's marked id)
        from a device outside the test (their phone) unless ``origin`` names the session.
        Every participant's box gets its copy and every connected session of theirs except
        ``origin`` is told. ``reply_to`` is an id in the sender's box. Returns the sender's copy.
        """
        return copy(self.deliver(sender, to, text, reply_to=reply_to, fwd_from=fwd_from,
                                 via_bot=via_bot, origin=origin)[0])

    def deliver(self, sender: int, to: int, text: str, *, reply_to: int | None = None,
                fwd_from: int | None = None, via_bot: int | None = None,
                origin: DoubleSender | None = None, entities: list | None = None,
                reply_markup: Any = None) -> tuple[types.Message, int]:
        """Like ``send``; returns the sender's stored copy and the pts it took (handlers).
        ``reply_markup``: the buttons a bot sent with it (every copy shows them)."""
        now = self.clock()
        fwd = make(types.MessageFwdHeader, date=date(now - 60),
                   from_id=types.PeerUser(fwd_from)) if fwd_from else None
        logical = next(self._uids)
        if to > 0:
            return self._deliver_common(sender, [sender] if to == sender else [sender, to], to,
                                        text, now, logical, reply_to, fwd, via_bot, origin, entities,
                                        reply_markup)
        kind, ident = _peer_kind(to)
        if kind == "chat":
            group = self.groups[ident]
            return self._deliver_common(sender, group.members, to, text, now, logical,
                                        reply_to, fwd, via_bot, origin, entities, reply_markup)
        channel = self.channels[ident]
        box = channel.box
        msg = make(
            types.Message, id=box.next_id, peer_id=types.PeerChannel(ident), date=date(now),
            message=text, out=False, post=channel.broadcast,
            from_id=None if channel.broadcast else types.PeerUser(sender), fwd_from=fwd,
            via_bot_id=via_bot, entities=entities, reply_markup=reply_markup,
            reply_to=make(types.MessageReplyHeader, reply_to_msg_id=reply_to) if reply_to else None,
        )
        box.next_id += 1
        box.pts += 1
        box.messages.append(msg)
        for member in channel.members:
            update = types.UpdateNewChannelMessage(self.view(msg, member), box.pts, 1)
            self._push(member, update, origin)
        return msg, box.pts

    def _deliver_common(self, sender, viewers, to, text, now, logical, reply_to, fwd, via_bot,
                        origin, entities, reply_markup=None) -> tuple[types.Message, int]:
        mine: tuple[types.Message, int] | None = None
        reply_logical = self._logical.get((sender, reply_to)) if reply_to else None
        for viewer in viewers:
            box = self.box(viewer)
            out = viewer == sender
            if to < 0:  # a basic group
                peer: Any = types.PeerChat(-to)
            else:
                peer = types.PeerUser(to if out else sender)
            local_reply = self._local.get((viewer, reply_logical)) if reply_logical else None
            msg = make(
                types.Message, id=box.next_id, peer_id=peer, date=date(now), message=text,
                out=out, from_id=types.PeerUser(sender) if (out or to < 0) else None,
                fwd_from=fwd, via_bot_id=via_bot, entities=entities,
                reply_markup=copy(reply_markup) if reply_markup is not None else None,
                reply_to=make(types.MessageReplyHeader, reply_to_msg_id=local_reply)
                if local_reply else None,
            )
            self._local[(viewer, logical)] = msg.id
            self._logical[(viewer, msg.id)] = logical
            box.next_id += 1
            box.chats[utils.get_peer_id(peer)].append(msg)
            update = self._event(box, types.UpdateNewMessage(msg, 0, 1))
            self._push(viewer, update, origin)
            if out:
                mine = (msg, box.pts)
        assert mine is not None
        return mine

    def started(self, user: int, bot: int) -> bool:
        """``user`` has written to ``bot`` (Telegram lets a bot write only to those)."""
        return any(not m.out for m in self.box(bot).chats.get(user, []))

    def edit(self, user: int, peer: int, msg_id: int, text: str) -> None:
        """``user`` edits their message ``msg_id`` (an id in their box) from their phone."""
        box = self.box(user)
        msg = next(m for m in box.chats[peer] if m.id == msg_id)
        msg.message, msg.edit_date = text, date(self.clock())
        self._push(user, self._event(box, types.UpdateEditMessage(msg, 0, 1)), None)

    def save_draft(self, user: int, peer: int, text: str,
                   origin: DoubleSender | None = None) -> None:
        now = date(self.clock())
        draft = make(types.DraftMessage, message=text, date=now) if text else \
            types.DraftMessageEmpty(date=now)
        self.box(user).drafts[peer] = draft
        update = make(types.UpdateDraftMessage, peer=self.peer(peer), draft=draft)
        users, chats = self.entities(user, peers=[peer])
        for session in self._sessions_of(user, origin):
            session.push(types.Updates([update], users, chats, now, 0))

    def _event(self, box: Box, update: Any) -> Any:
        box.pts += update.pts_count
        update.pts = box.pts
        box.events.append((box.pts, update))
        return update

    def _sessions_of(self, user: int, origin: DoubleSender | None) -> list[DoubleSender]:
        return [s for s in self.sessions if s.user == user and s is not origin and s.online]

    def _push(self, viewer: int, update: Any, origin: DoubleSender | None) -> None:
        sessions = self._sessions_of(viewer, origin)
        if not sessions:
            return
        msg = getattr(update, "message", None)
        if (self.short_updates and isinstance(update, types.UpdateNewMessage)
                and isinstance(msg.peer_id, types.PeerUser)):
            wrapped: Any = make(
                types.UpdateShortMessage, id=msg.id, user_id=msg.peer_id.user_id,
                message=msg.message, pts=update.pts, pts_count=update.pts_count, date=msg.date,
                out=msg.out, fwd_from=msg.fwd_from, via_bot_id=msg.via_bot_id,
                reply_to=msg.reply_to, entities=msg.entities,
            )
        else:
            users, chats = self.entities(viewer, messages=[msg] if msg else [])
            wrapped = types.Updates([update], users, chats, date(self.clock()), 0)
        for session in sessions:
            session.push(wrapped)

    # --- what a viewer sees ------------------------------------------------------------------

    def view(self, msg: types.Message, viewer: int) -> types.Message:
        """A channel message as ``viewer`` gets it (``out`` is per viewer)."""
        seen = copy(msg)
        seen.out = isinstance(msg.from_id, types.PeerUser) and msg.from_id.user_id == viewer
        return seen

    def messages_in(self, viewer: int, peer: int) -> list[types.Message]:
        """The viewer's copies in chat ``peer`` (marked id), oldest first (stored objects)."""
        kind, ident = _peer_kind(peer)
        if kind == "channel":
            return [self.view(m, viewer) for m in self.channels[ident].box.messages]
        return self.box(viewer).chats[peer]

    def history(self, viewer: int, peer: int) -> list[types.Message]:
        """What ``viewer`` sees in chat ``peer``, oldest first (copies)."""
        return [copy(m) for m in self.messages_in(viewer, peer)]

    def texts(self, viewer: int, peer: int) -> list[str]:
        return [m.message for m in self.messages_in(viewer, peer)]

    def draft(self, viewer: int, peer: int) -> str:
        return getattr(self.box(viewer).drafts.get(peer), "message", "") or ""

    def peer(self, marked: int) -> Any:
        kind, ident = _peer_kind(marked)
        peer_type = {"user": types.PeerUser, "chat": types.PeerChat, "channel": types.PeerChannel}
        return peer_type[kind](ident)

    def entities(self, viewer: int, *, messages: list = (),
                 peers: list[int] = ()) -> tuple[list, list]:
        """The users and chats a result must carry so the client can cache them."""
        user_ids: set[int] = set()
        chat_ids: set[int] = set()

        def add(peer: Any) -> None:
            if isinstance(peer, types.PeerUser):
                user_ids.add(peer.user_id)
            elif peer is not None:
                chat_ids.add(utils.get_peer_id(peer))

        for marked in peers:
            add(self.peer(marked))
        for m in messages:
            if isinstance(m, (types.Message, types.MessageService)):
                add(m.peer_id)
                add(m.from_id)
                if getattr(m, "fwd_from", None) is not None:
                    add(m.fwd_from.from_id)
                if getattr(m, "via_bot_id", None):
                    user_ids.add(m.via_bot_id)
        users = [self.users[u].tl(viewer) for u in sorted(user_ids) if u in self.users]
        chats = []
        for marked in sorted(chat_ids):
            kind, ident = _peer_kind(marked)
            entity = self.groups.get(ident) if kind == "chat" else self.channels.get(ident)
            if entity is not None:
                chats.append(entity.tl(viewer))
        return users, chats

    # --- sessions, faults, the network ------------------------------------------------------

    def user_of(self, auth_key: AuthKey | None) -> int | None:
        if auth_key is None or auth_key.key is None:
            return None
        return self.auth_keys.get(auth_key.key)

    def forgot(self, auth_key: AuthKey | None) -> bool:
        return auth_key is not None and auth_key.key in self.forgotten

    def attach(self, client: TelegramClient, *, user: int | None = None, name: str = "bot",
               retry_delay: float | None = None) -> TelegramClient:
        """Answer ``client``'s requests here. With ``user`` its session is logged in as that
        account already (as after ``clonebot login``); the client still has to connect().
        ``retry_delay`` overrides the client's pause between reconnect attempts."""
        client._sender = DoubleSender(
            self, name, client.session.auth_key, loggers=client._log,
            retries=client._connection_retries,
            delay=client._retry_delay if retry_delay is None else retry_delay,
            auto_reconnect=client._auto_reconnect, connect_timeout=client._timeout,
            auth_key_callback=client._auth_key_callback, updates_queue=client._updates_queue,
            auto_reconnect_callback=client._handle_auto_reconnect,
        )
        if user is not None:
            key = client._sender.auth_key
            if key.key is None or self.auth_keys.get(key.key) not in (None, user):
                key.key = os.urandom(256)
            self.auth_keys[key.key] = user
            client.session.auth_key = key
        return client

    def client(self, user: int | None = None, *, name: str = "bot", session: Any = None,
               **kwargs: Any) -> TelegramClient:
        """A new Telethon client on the double (``MemorySession`` unless ``session`` given)."""
        kwargs.setdefault("retry_delay", 0)
        client = TelegramClient(session or MemorySession(), API_ID, API_HASH, **kwargs)
        return self.attach(client, user=user, name=name)

    async def connect(self, user: int, *, name: str = "bot", **kwargs: Any) -> TelegramClient:
        """A connected client logged in as ``user``."""
        client = self.client(user, name=name, **kwargs)
        await client.connect()
        return client

    async def settle(self, *clients: TelegramClient, also: Callable[[], bool] | None = None) -> None:
        """Run the loop until the clients have processed every update and their event handlers
        are done (and ``also()``, if given, says the rest of the test is idle too)."""
        quiet = 0
        for _ in range(10_000):
            await asyncio.sleep(0)
            busy = any(not c._updates_queue.empty()
                       or any(not t.done() for t in c._event_handler_tasks) for c in clients)
            busy = busy or (also is not None and not also())
            quiet = 0 if busy else quiet + 1
            if quiet >= 5:
                return
        raise AssertionError("the clients did not settle")

    def log_out_everywhere(self, user: int) -> None:
        """Settings > Devices > Terminate all: the account's keys stop being logged in."""
        for key, owner in self.auth_keys.items():
            if owner == user:
                self.auth_keys[key] = None

    def revoke(self, user: int) -> None:
        """The account's keys are destroyed (sessions ended elsewhere, key forgotten): open
        connections drop and reconnecting fails with the transport error -404."""
        for key, owner in list(self.auth_keys.items()):
            if owner == user:
                del self.auth_keys[key]
                self.forgotten.add(key)
        for session in list(self.sessions):
            if self.forgot(session.auth_key):
                session.drop()

    def go_offline(self) -> None:
        """The network goes down: every connection drops and cannot be re-opened."""
        self.reachable = False
        for session in list(self.sessions):
            session.drop()

    def go_online(self) -> None:
        self.reachable = True

    def fail(self, request_type: type, error: str, *, code: int | None = None,
             times: int | None = 1, when: Callable[[Any], bool] | None = None) -> None:
        """The next ``times`` calls of ``request_type`` (for which ``when(request)`` holds)
        fail with the RPC error ``error`` — e.g. ``"FLOOD_WAIT_30"``, ``"PEER_FLOOD"`` —
        which Telethon raises as its own class (``FloodWaitError``, ``PeerFloodError``...)."""
        self.faults.append(Fault(request_type, error, code or _default_code(error), times, when))

    def calls(self, request_type: type) -> list[Any]:
        return [r.request for r in self.requests if isinstance(r.request, request_type)]

    # --- answering ---------------------------------------------------------------------------

    def handle(self, session: DoubleSender, request: Any) -> Any:
        """The answer to ``request`` (a TL object), or an awaitable of it for requests that
        wait on someone else (a bot answering a button press)."""
        from telegram_double.handlers import BOTS_ONLY, HANDLERS, NO_LOGIN, USERS_ONLY, Call

        inner, takeout_id = request, None
        while True:
            if isinstance(inner, _WRAPPERS):
                inner = inner.query
            elif isinstance(inner, functions.InvokeWithTakeoutRequest):
                takeout_id, inner = inner.takeout_id, inner.query
            else:
                break
        user = session.user
        self.requests.append(Request(user, session.name, inner, takeout_id))
        try:
            self._check_fault(inner)
            handler = HANDLERS.get(type(inner))
            if handler is None:
                raise NotImplementedError(
                    f"the Telegram double does not answer {type(inner).__name__} yet: "
                    "add a handler in tests/telegram_double/handlers.py")
            if user is None and type(inner) not in NO_LOGIN:
                raise Refuse("AUTH_KEY_UNREGISTERED", 401)
            if takeout_id is not None and self.takeouts.get(takeout_id) != user:
                raise Refuse("TAKEOUT_INVALID")
            is_bot = user is not None and self.users[user].bot
            if is_bot and type(inner) in USERS_ONLY:
                raise Refuse("BOT_METHOD_INVALID")
            if user is not None and not is_bot and type(inner) in BOTS_ONLY:
                raise Refuse("USER_BOT_REQUIRED")
            result = handler(Call(self, session, user), inner)
        except Refuse as e:
            raise rpc_message_to_error(types.RpcError(e.code, e.message), inner) from None
        if inspect.isawaitable(result):
            return self._later(result, inner)
        return result

    async def _later(self, result: Any, request: Any) -> Any:
        try:
            return await result
        except Refuse as e:
            raise rpc_message_to_error(types.RpcError(e.code, e.message), request) from None

    def _check_fault(self, request: Any) -> None:
        for fault in self.faults:
            if isinstance(request, fault.request_type) and (
                    fault.when is None or fault.when(request)):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                raise Refuse(fault.message, fault.code)


def _peer_kind(marked: int) -> tuple[str, int]:
    ident, cls = utils.resolve_id(marked)
    return {types.PeerUser: "user", types.PeerChat: "chat", types.PeerChannel: "channel"}[cls], ident
