"""Login, logout, the session file, and connecting with it.

The ``.session`` file is an SQLite database holding the account's login key in plain
text: whoever has it *is* the owner on Telegram. It lives in ``paths.data_dir`` (mode
0700) and is created under umask 077 so it is 0600 from the first byte (SQLite gives its
journal the database's mode). Nothing here logs the api_hash, phone number or codes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors

from clonebot.config import Settings
from clonebot.errors import ConfigError, TelegramError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 30.0  # seconds to reach Telegram at start

API_HELP = (
    "get api_id and api_hash at https://my.telegram.org (API development tools), then set "
    "CLONEBOT_TELEGRAM__API_ID and CLONEBOT_TELEGRAM__API_HASH in the environment or .env"
)


def session_path(settings: Settings) -> Path:
    return settings.paths.data_dir / f"{settings.telegram.session_name}.session"


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    return digits[:2] + "*" * max(0, len(digits) - 4) + digits[-2:] if len(digits) > 4 else "***"


@contextmanager
def private_umask() -> Iterator[None]:
    """Files created inside are private to the owner (0600 / 0700)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _session_files(path: Path) -> tuple[Path, ...]:
    """The session database and the files SQLite keeps beside it."""
    return (path, *(Path(f"{path}-{x}") for x in ("journal", "wal", "shm")))


def secure_session_files(path: Path) -> None:
    for p in _session_files(path):
        if p.exists() and stat.S_IMODE(p.stat().st_mode) != 0o600:
            p.chmod(0o600)


def make_client(settings: Settings, *, reconnect_forever: bool = False, path: Path | None = None,
                catch_up: bool = False) -> TelegramClient:
    """A Telethon client on the session file (``path``: another one, the companion bot's).
    ``reconnect_forever``: Telethon's own reconnect loop never gives up on a lost connection
    (the running bot); otherwise a few attempts, then an error (login, logout).
    ``catch_up``: what arrived while the client was away comes as events on connect."""
    tg = settings.telegram
    if tg.api_id is None or tg.api_hash is None:
        raise ConfigError(f"telegram.api_id / telegram.api_hash are not set: {API_HELP}")
    path = path or session_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with private_umask():
        client = TelegramClient(
            str(path),
            tg.api_id,
            tg.api_hash.get_secret_value(),
            flood_sleep_threshold=tg.flood_sleep_threshold,
            catch_up=catch_up,
            auto_reconnect=True,
            connection_retries=-1 if reconnect_forever else 3,
            retry_delay=5,
        )
    secure_session_files(path)
    return client


async def connect_logged_in(client: Any) -> Any:
    """Connect and return the logged-in user; TelegramError when that cannot be."""
    try:
        await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT)
    except asyncio.TimeoutError:
        raise TelegramError(f"cannot reach Telegram within {CONNECT_TIMEOUT:.0f}s") from None
    except (OSError, ConnectionError) as e:
        raise TelegramError(f"cannot reach Telegram: {e}") from None
    me = await client.get_me() if await client.is_user_authorized() else None
    if me is None:
        raise TelegramError("the session is no longer logged in (ended on another device, or "
                            "expired): run `clonebot login`")
    return me


_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,}")


def _phone_number(raw: str) -> str:
    """Digits of an international phone number, as Telegram wants them (TelegramError if not)."""
    raw = raw.strip()
    if not _PHONE.fullmatch(raw):
        raise TelegramError(f"{mask_phone(raw)!r} is not a phone number: use the international "
                            "format, e.g. +15551234567")
    return re.sub(r"[^0-9]", "", raw)


async def login(
    settings: Settings,
    *,
    phone: Callable[[], str],
    code: Callable[[], str],
    password: Callable[[], str],
    client_factory: Callable[[Settings], TelegramClient] | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> str:
    """Interactive login through callbacks (the CLI prompts; ``say`` tells the owner what
    happened before the next prompt, e.g. a wrong code). Returns the account's label.

    Whatever goes wrong, no half-made session is left behind: a session file this login
    made, or one Telegram says is not logged in, is deleted unless the login completes.
    """
    existed = session_path(settings).exists()
    client = (client_factory or make_client)(settings)
    authorized = stale = False
    try:
        await client.connect()
        if not await client.is_user_authorized():
            stale = True
            raw = settings.telegram.phone.get_secret_value() if settings.telegram.phone else phone()
            await _sign_in(client, _phone_number(raw), code, password, say)
        me = await client.get_me()
        if me is None:
            raise TelegramError("login did not complete")
        authorized = True
        name = " ".join(x for x in (me.first_name, me.last_name) if x)
        return f"{name} (@{me.username})" if me.username else name or str(me.id)
    except (OSError, ConnectionError) as e:
        raise TelegramError(f"cannot reach Telegram: {e}") from None
    except errors.RPCError as e:  # anything not handled in _sign_in
        raise TelegramError(f"Telegram refused the login: {e.message}") from None
    finally:
        await client.disconnect()
        if authorized or (existed and not stale):
            secure_session_files(session_path(settings))
        else:
            for p in _session_files(session_path(settings)):
                p.unlink(missing_ok=True)


async def _sign_in(client: TelegramClient, number: str, code: Callable[[], str],
                   password: Callable[[], str], say: Callable[[str], None]) -> None:
    try:
        sent = await client.send_code_request(number)
        for attempt in range(3):
            try:
                await client.sign_in(number, code().strip(), phone_code_hash=sent.phone_code_hash)
                return
            except errors.PhoneCodeInvalidError:
                if attempt == 2:
                    raise TelegramError("the login code was wrong three times") from None
                say("wrong code, try again")  # at once, before the next prompt
            except errors.SessionPasswordNeededError:
                for attempt2 in range(3):
                    try:
                        await client.sign_in(password=password())
                        return
                    except errors.PasswordHashInvalidError:
                        if attempt2 == 2:
                            raise TelegramError("the 2FA password was wrong three times") from None
                        say("wrong password, try again")
    except errors.ApiIdInvalidError:
        raise ConfigError(f"Telegram rejected api_id/api_hash: {API_HELP}") from None
    except errors.PhoneNumberInvalidError:
        raise TelegramError(f"Telegram says {mask_phone(number)} is not a valid number") from None
    except errors.PhoneNumberUnoccupiedError:
        raise TelegramError(f"no Telegram account uses {mask_phone(number)}: sign up in a "
                            "Telegram app first, then run clonebot login again") from None
    except errors.PhoneNumberBannedError:
        raise TelegramError(f"Telegram has banned {mask_phone(number)}") from None
    except errors.PhoneCodeExpiredError:
        raise TelegramError("the login code expired; run clonebot login again") from None
    except errors.FloodWaitError as e:
        raise TelegramError(f"Telegram asks to wait {e.seconds}s before the next login") from None


async def logout(
    settings: Settings,
    *,
    client_factory: Callable[[Settings], TelegramClient] | None = None,
) -> bool:
    """End the session on Telegram's side, then delete the file. True if Telegram confirmed."""
    path = session_path(settings)
    if not path.exists():
        raise TelegramError(f"not logged in (no session file at {path})")
    confirmed = False
    client = (client_factory or make_client)(settings)
    try:
        await client.connect()
        if await client.is_user_authorized():
            confirmed = bool(await client.log_out())
    except (OSError, ConnectionError, errors.RPCError) as e:
        log.warning("could not end the session on Telegram's side: %s", type(e).__name__)
    finally:
        if client.is_connected():
            await client.disconnect()
    for p in _session_files(path):
        p.unlink(missing_ok=True)
    return confirmed

