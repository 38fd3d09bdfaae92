"""The companion bot's login: a second Telethon client, logged in as the bot with its token,
in the same process and event loop as the owner's session.

Its session file sits beside the owner's (``<session_name>-companion-<bot id>.session``,
0600): a new token for another bot gets a session of its own, and Telegram is asked for a
bot login once, not on every start. A fresh session starts on the owner's data centre (the
server the owner's session talks to, a test or loopback server too). The client catches up
on start (``catch_up=True``): what the owner wrote to the bot while it was down arrives as
events (callback presses are not kept by Telegram, so a press made then is simply lost and
pressed again). The token is never logged or shown: errors say what to do instead.

A bot may only write to someone who has written to it. If the bot does not know the owner
yet, the owner's own session sends it ``/start`` once, as the owner would by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors

from clonebot.config import Settings
from clonebot.errors import ConfigError, TelegramError
from clonebot.telegram.companion.client import TelethonCompanion
from clonebot.telegram.session import make_client, secure_session_files

log = logging.getLogger(__name__)

LOGIN_TIMEOUT = 60.0  # seconds to reach Telegram and log in as the bot
_REACH_TIMEOUT = 15.0  # seconds for the bot to see the owner's /start

_TOKEN_REFUSED = ("Telegram refused bot.approval_bot_token (revoked, or mistyped): ask "
                  "@BotFather for the bot's current token (/mybots -> API Token) and set "
                  "CLONEBOT_BOT__APPROVAL_BOT_TOKEN")


def bot_id_of(settings: Settings) -> int:
    """The bot's user id: the token's first part (not secret: it is in every message)."""
    token = settings.bot.approval_bot_token
    if token is None:
        raise ConfigError("bot.approval_bot_token is not set")
    return int(token.get_secret_value().split(":", 1)[0])


def companion_session_path(settings: Settings) -> Path:
    name = f"{settings.telegram.session_name}-companion-{bot_id_of(settings)}.session"
    return settings.paths.data_dir / name


def make_companion_client(settings: Settings, user_session: Any) -> TelegramClient:
    """The bot's client on its session file; a fresh one points at the owner's server."""
    path = companion_session_path(settings)
    client = make_client(settings, reconnect_forever=True, path=path, catch_up=True)
    if client.session.auth_key is None and getattr(user_session, "server_address", None):
        client.session.set_dc(user_session.dc_id, user_session.server_address,
                              user_session.port)
        client.session.save()
    secure_session_files(path)
    return client


async def log_in_companion(
    settings: Settings,
    user_client: TelegramClient,
    owner_id: int,
    *,
    register: Callable[[TelegramClient], None],
    client_factory: Callable[[Settings, Any], TelegramClient] | None = None,
) -> TelethonCompanion:
    """Log in as the companion bot and make sure it can write to the owner.

    ``register(client)`` adds the event handlers before the client connects, so what the
    catch-up delivers reaches them. TelegramError / ConfigError in one line if it cannot be.
    """
    token = settings.bot.approval_bot_token
    if token is None:
        raise ConfigError("bot.approval_bot_token is not set")
    client = (client_factory or make_companion_client)(settings, user_client.session)
    register(client)
    try:
        await asyncio.wait_for(client.start(bot_token=token.get_secret_value()), LOGIN_TIMEOUT)
        me = await client.get_me()
    except (errors.AccessTokenInvalidError, errors.AccessTokenExpiredError,
            errors.AuthKeyUnregisteredError):
        await client.disconnect()
        raise TelegramError(_TOKEN_REFUSED) from None
    except asyncio.TimeoutError:
        await client.disconnect()
        raise TelegramError(f"cannot log in as the companion bot within {LOGIN_TIMEOUT:.0f}s "
                            "(is Telegram reachable?)") from None
    except (OSError, ConnectionError) as e:
        await client.disconnect()
        raise TelegramError(f"cannot reach Telegram for the companion bot: {e}") from None
    except errors.RPCError as e:
        await client.disconnect()
        raise TelegramError(f"Telegram refused the companion bot's login: {e.message}") from None
    finally:
        secure_session_files(companion_session_path(settings))
    if me is None or not me.bot:
        await client.disconnect()
        raise TelegramError("bot.approval_bot_token did not log in as a bot: take the token "
                            "@BotFather gave for your bot")
    if me.id == owner_id:
        await client.disconnect()
        raise TelegramError("the companion bot cannot be your own account")
    companion = TelethonCompanion(client, me.id, me.username)
    await _reach_owner(client, user_client, owner_id, me.username)
    return companion


async def _reach_owner(client: TelegramClient, user_client: TelegramClient, owner_id: int,
                       username: str | None) -> None:
    """A bot cannot write first: if it does not know the owner, the owner starts it."""
    if await _knows(client, owner_id):
        return
    if not username:
        raise TelegramError("the companion bot has no username: give it one with @BotFather")
    log.info("the owner's session starts @%s, so the bot can write to the owner", username)
    await user_client.send_message(f"@{username}", "/start")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _REACH_TIMEOUT
    while loop.time() < deadline:
        await asyncio.sleep(0.2)
        if await _knows(client, owner_id):
            return
    raise TelegramError(f"the companion bot @{username} cannot write to you yet: open it in "
                        "Telegram and press Start, then run clonebot again")


async def _knows(client: TelegramClient, user_id: int) -> bool:
    try:
        await client.get_input_entity(user_id)
        return True
    except ValueError:
        return False
