"""Make the owner's companion bot on the live server with @BotFather, as a person would, and
add it to the live suite's accounts file (the button flows need it).

    CLONEBOT_LIVE_ACCOUNTS=accounts.json [CLONEBOT_LIVE_RSA_KEY=pubkey.asc] \\
        python tests/live/make_companion_bot.py

Uses the owner's phone login from that file: /newbot, a name, a fresh username ending in
"bot"; the token BotFather answers goes into the file as {"companion": {"id", "username",
"token"}}. The token is a login to that bot: the file stays private (0600).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from pathlib import Path

from harness import ACCOUNTS, API_HASH, API_ID, trust_server_key

_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]{20,}")


async def ask(client, bot, text: str) -> str:
    sent = await client.send_message(bot, text)
    for _ in range(60):
        await asyncio.sleep(0.5)
        [last] = await client.get_messages(bot, limit=1)
        if last.id > sent.id and not last.out:
            return last.message
    raise SystemExit(f"@BotFather did not answer {text!r}")


async def main() -> None:
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    if not ACCOUNTS:
        raise SystemExit("set CLONEBOT_LIVE_ACCOUNTS to the live accounts file")
    trust_server_key()
    path = Path(ACCOUNTS)
    accounts = json.loads(path.read_text())
    client = TelegramClient(StringSession(accounts["owner_phone"]["session"]), API_ID, API_HASH)
    await client.connect()
    father = await client.get_entity("@BotFather")
    await ask(client, father, "/newbot")
    await ask(client, father, "Clone approvals")
    username = f"clonecards{secrets.token_hex(3)}bot"
    answer = await ask(client, father, username)
    found = _TOKEN.search(answer)
    if found is None:
        raise SystemExit(f"@BotFather gave no token: {answer[:200]!r}")
    bot = await client.get_entity("@" + username)
    await client.disconnect()
    accounts["companion"] = {"id": bot.id, "username": username, "token": found.group(0)}
    path.write_text(json.dumps(accounts, indent=1))
    path.chmod(0o600)
    print(f"companion bot @{username} (id {bot.id}) added to {path}")


if __name__ == "__main__":
    asyncio.run(main())
