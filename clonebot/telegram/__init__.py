"""The transport: our thin adapter around Telethon 1.x, the event handlers (one file per
concern), the session, and the companion bot's client.

It knows no policy: handlers turn Telethon events into plain data and hand them to a receiver
they are given (``receivers.py``); the runtime talks to ``ClientAdapter``. Only this package
and ``clonebot/fetch/`` import Telethon (``tests/test_architecture.py``).
"""
