"""``clonebot fetch``: the owner's history straight from Telegram, incremental and resumable.

A subsystem of its own beside ``telegram/`` (the bot's transport): it talks to Telethon
directly (takeout, paged history, flood waits) and writes a Desktop-style export; it shares
only the session (``telegram/session.py``) and the data-dir lock (``instance_lock.py``) with
the bot, and knows nothing of the bot's policy (``runtime/``).

``fetcher.fetch_history`` does the work over a connected client; ``run.fetch_to_export``
wraps it with the data-dir lock, the session and the login check (what the CLI calls).
"""
