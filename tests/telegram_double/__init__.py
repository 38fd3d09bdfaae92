"""A Telegram double one layer under Telethon: Telethon's own code runs, the server is fake.

Why: a fake at our adapter boundary agrees with our code, not with Telegram (it once
scanned a private chat's whole history where Telegram ignores ``from_id`` and Telethon
filters one fetched message locally). Here Telethon's ``get_messages``, ``iter_messages``,
``send_message``, ``get_entity``, ``action``, ``get_drafts``, ``connect`` and its update
loop (``MessageBox``, gaps, ``updates.getDifference``, event dispatch) all run for real;
only the bytes on the wire are replaced (``sender.DoubleSender`` subclasses Telethon's
``MTProtoSender``). Answers are serialized and parsed back, as over a socket.

Use::

    tg = TelegramDouble(clock=clock.now)             # an in-memory Telegram
    owner = tg.add_user("Owner", username="owner", phone="15550001")
    alice = tg.add_user("Alice", username="alice")
    family = tg.add_group("Family", [owner, alice])   # marked id, e.g. -10003
    client = await tg.connect(owner)                  # logged in, connected TelegramClient
    # or: tg.attach(TelegramClient(path, ...), user=owner) for a client built elsewhere
    tg.send(alice, owner, "hi")                       # Alice writes: stored, pushed as an update
    tg.send(owner, alice, "hey")                      # the owner writes from their phone
    tg.send(owner, owner, "ok", fwd_from=alice)       # a forward into Saved Messages
    tg.texts(owner, alice), tg.draft(owner, alice), tg.typing

Faults and inspection::

    tg.fail(functions.messages.SendMessageRequest, "FLOOD_WAIT_3600")  # next call only
    tg.fail(functions.messages.GetHistoryRequest, "FLOOD_WAIT_30", times=2, when=lambda r: ...)
    tg.calls(functions.messages.SearchRequest)        # the requests as Telethon sent them
    tg.requests                                       # every request: account, session, request
    tg.go_offline(); tg.go_online()                   # the network; Telethon reconnects itself
    tg.log_out_everywhere(owner)                      # requests answer AUTH_KEY_UNREGISTERED

Semantics kept from Telegram (``handlers.py``, one function per request): per-account ids
and pts; ``messages.getHistory`` paging by ``offset_id``/``offset_date``/``add_offset``/
``limit``/``min_id``/``max_id``, ``messages.messages`` when the whole history fits, else a
slice (``channelMessages`` in channels); ``messages.search`` ignores ``from_id`` in private
chats; ``messages.sendMessage`` answers ``updateShortSentMessage`` in private chats
(``tg.send_result = "updates"`` for the other form) and ``updates`` elsewhere; results
carry the users/chats they mention so Telethon caches entities; access hashes are checked;
the session that sent something is not told about it again.

Extending (e.g. for ``clonebot fetch``): add a handler in ``handlers.py`` with
``@answers(functions.some.RequestType)``; a request without one fails loudly with
``NotImplementedError``. Answered today besides the above: ``messages.getDialogs`` (``dialogs.py``: pinned first,
archive folder, paged by offset_peer/offset_date, ``dialogsSlice`` when cut),
``messages.getMessages``,
``messages.getPeerDialogs``/``getAllDrafts``, ``messages.getFullChat``,
``channels.getFullChannel``/``getChannels``, ``contacts.resolveUsername``, ``auth.*`` login,
``account.initTakeoutSession``/``finishTakeoutSession`` and ``invokeWithTakeout`` (checked
against the session's takeout id); bots (``bots.py``: ``auth.importBotAuthorization``,
inline buttons on a bot's messages, ``messages.getBotCallbackAnswer`` ->
``updateBotCallbackQuery`` -> ``messages.setBotCallbackAnswer``, leaving groups, what a bot
may and may not call) and ``messages.editMessage`` (``edits.py``: every copy edited,
``updateEditMessage``, buttons replaced or removed). ``TelegramDouble.fail`` injects any RPC error
(``FLOOD_WAIT_n``, ``TAKEOUT_INIT_DELAY_n``...) per request type.
"""

from telegram_double import bots, dialogs, edits  # noqa: F401 - register their handlers
from telegram_double.world import API_HASH, API_ID, LOGIN_CODE, Refuse, TelegramDouble

__all__ = ["API_HASH", "API_ID", "LOGIN_CODE", "Refuse", "TelegramDouble"]
