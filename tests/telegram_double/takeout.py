"""Takeout sessions as servers differ on them (``account.initTakeoutSession`` and
``invokeWithTakeout`` themselves are answered in ``handlers.py`` / ``world.handle``).

- ``needs_confirmation(tg, user, delay)``: Telegram's first export of an account —
  ``initTakeoutSession`` answers ``420 TAKEOUT_INIT_DELAY_<delay>`` until the owner allows
  the request in their app (``confirm(tg, user)``).
- ``without_takeout(tg)``: a server that has no takeout at all, like our loopback MTProto
  server: ``initTakeoutSession`` and anything wrapped in ``invokeWithTakeout`` answer
  ``500 NOT_IMPLEMENTED`` (Telethon retries a 500 five times, then raises ``ValueError``).
- ``expire(tg, user)``: the account's takeout sessions end on the server's side
  (requests in them then answer ``TAKEOUT_INVALID``).
"""

from __future__ import annotations

from telethon.tl.tlobject import TLObject
from telethon.tl import functions

from telegram_double.world import TelegramDouble


def needs_confirmation(tg: TelegramDouble, user: int, delay: int = 86400) -> None:
    confirmed: set[int] = set()
    tg.takeout_confirmed = confirmed
    tg.fail(functions.account.InitTakeoutSessionRequest, f"TAKEOUT_INIT_DELAY_{delay}", code=420,
            times=None, when=lambda request: user not in confirmed
            and tg.requests[-1].user == user)


def confirm(tg: TelegramDouble, user: int) -> None:
    """The owner taps "Allow" on the data-export request in their Telegram app."""
    tg.takeout_confirmed.add(user)


def without_takeout(tg: TelegramDouble, *, but_init: bool = False) -> None:
    """``but_init``: a server that opens takeout sessions but answers nothing in them."""
    if not but_init:
        tg.fail(functions.account.InitTakeoutSessionRequest, "NOT_IMPLEMENTED", code=500,
                times=None)
    # world.handle unwraps invokeWithTakeout before faults are checked: the request log's
    # last entry says whether this one came wrapped.
    tg.fail(TLObject, "NOT_IMPLEMENTED", code=500, times=None,
            when=lambda request: tg.requests[-1].takeout_id is not None)


def expire(tg: TelegramDouble, user: int) -> None:
    for takeout_id, owner in list(tg.takeouts.items()):
        if owner == user:
            del tg.takeouts[takeout_id]
