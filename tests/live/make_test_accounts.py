"""Make the live suite's accounts on Telegram's test DCs (anyone with internet can), or on a
loopback MTProto server (``--server 127.0.0.1:4430 --rsa-key pubkey.asc``).

    CLONEBOT_LIVE_API_ID=... CLONEBOT_LIVE_API_HASH=... \\
        python tests/live/make_test_accounts.py live-accounts.json [--dc 2] [--base 4000]
    python tests/live/make_test_accounts.py accounts.json --server 127.0.0.1:4430 \\
        --rsa-key /path/to/pubkey.asc     # a loopback server: dummy API id/hash, code 22222

Test numbers are ``99966`` + the DC digit + four digits; their login code is the DC digit
five times (``22222`` on DC 2). This logs in the owner twice (the bot's login and "the
phone"), a friend and a stranger (numbers base, base+1, base+2; a number without an account
is signed up), gives each a username, and writes the JSON the live suite reads. The file
holds logins: keep it private (it is written 0600) and delete it when done.
Not run in this project's CI or sandbox (no internet there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from telethon import TelegramClient, errors, functions
from telethon.sessions import StringSession

TEST_DCS = {1: "149.154.175.10", 2: "149.154.167.40", 3: "149.154.175.117"}


async def log_in(phone: str, dc: int, name: str, api_id: int, api_hash: str,
                 server: tuple[str, int] | None = None) -> dict:
    session = StringSession()
    session.set_dc(dc, *(server or (TEST_DCS[dc], 80)))
    client = TelegramClient(session, api_id, api_hash)
    await client.connect()
    code = os.environ.get("CLONEBOT_LIVE_LOGIN_CODE", "22222") if server else str(dc) * 5
    sent = await client.send_code_request(phone)
    try:
        await client.sign_in(phone, code, phone_code_hash=sent.phone_code_hash)
    except errors.PhoneNumberUnoccupiedError:  # a new test number: sign it up
        await client(functions.auth.SignUpRequest(phone, sent.phone_code_hash, name.title(), ""))
    me = await client.get_me()
    if not me.username:
        username = f"cb{name}{phone[-4:]}"
        try:
            await client(functions.account.UpdateUsernameRequest(username))
        except errors.RPCError as e:
            raise SystemExit(f"cannot set username {username} for {phone}: {e}") from None
        me = await client.get_me()
    entry = {"id": me.id, "phone": phone, "username": me.username,
             "session": client.session.save()}
    await client.disconnect()
    return entry


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--dc", type=int, default=2, choices=sorted(TEST_DCS))
    ap.add_argument("--base", type=int, default=4000, help="first of three numbers (0..9997)")
    ap.add_argument("--server", metavar="HOST:PORT", default=None,
                    help="a loopback MTProto server instead of the test DCs (e.g. 127.0.0.1:4430)")
    ap.add_argument("--rsa-key", type=Path, default=None,
                    help="that server's RSA public key (PEM), e.g. piltover's data/secrets/pubkey.asc")
    a = ap.parse_args()
    server = None
    if a.server:
        host, _, port = a.server.rpartition(":")
        server = (host, int(port))
    if a.rsa_key:
        from telethon.crypto import rsa

        rsa.add_key(a.rsa_key.read_text(), old=False)
    api_id = int(os.environ.get("CLONEBOT_LIVE_API_ID", "12345" if server else ""))
    api_hash = os.environ.get("CLONEBOT_LIVE_API_HASH",
                              "0123456789abcdef0123456789abcdef" if server else "")
    phones = [f"99966{a.dc}{a.base + i:04d}" for i in range(3)]
    accounts = {
        "owner": await log_in(phones[0], a.dc, "owner", api_id, api_hash, server),
        "owner_phone": await log_in(phones[0], a.dc, "owner", api_id, api_hash, server),
        "friend": await log_in(phones[1], a.dc, "friend", api_id, api_hash, server),
        "stranger": await log_in(phones[2], a.dc, "stranger", api_id, api_hash, server),
    }
    a.out.touch(mode=0o600)
    a.out.write_text(json.dumps(accounts, indent=1))
    print(f"wrote {a.out}; now: CLONEBOT_LIVE_ACCOUNTS={a.out} "
          f"CLONEBOT_LIVE_LOGIN_CODE={str(a.dc) * 5} (and the API id/hash) pytest tests/live")


if __name__ == "__main__":
    asyncio.run(main())
