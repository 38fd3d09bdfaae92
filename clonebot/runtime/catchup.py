"""Once per start: what happened while the bot was down or loading its model.

Telethon runs without its own catch-up, so nothing missed while the bot was down arrives
as an event. Instead the bot reads back, once: in the control chat, the owner's answers
and commands it has not taken yet; in every allow-listed chat, the incoming messages after
the owner's last one that no suggestion answers yet; both only if newer than
``bot.catch_up_minutes``. The store remembers what was taken and answered, so a restart
(even after ``kill -9``) never acts on a message twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from clonebot.runtime.answering import incoming_tail

if TYPE_CHECKING:
    from clonebot.runtime.bot import CloneBot

log = logging.getLogger(__name__)

_CONTROL_LOOKBACK = 50  # messages read back in the control chat
_CHAT_LOOKBACK = 20  # messages read back in each allow-listed chat


async def catch_up(bot: "CloneBot") -> None:
    minutes = bot.settings.bot.catch_up_minutes
    if minutes <= 0 or bot.control.id is None:
        return
    since = bot.clock.now() - minutes * 60
    try:
        for msg in await bot.client.history(bot.control.id, _CONTROL_LOOKBACK):
            if msg.date >= since:
                await bot.handle_control(msg)
    except Exception as e:
        log.warning("catch-up in the control chat failed: %s", e)
    for rule in bot.settings.bot.chats:
        try:
            info = await bot.client.get_chat(rule.chat)
            history = await bot.client.history(info.id, _CHAT_LOOKBACK)
        except Exception as e:
            log.warning("catch-up: cannot read %s: %s", rule.chat, e)
            continue
        for msg in incoming_tail(history):
            if msg.date >= since:
                await bot.handle_incoming(msg)
