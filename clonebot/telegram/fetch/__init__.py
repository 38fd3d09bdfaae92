"""``clonebot fetch``: the owner's history straight from Telegram, incremental and resumable.

``fetcher.fetch_history`` does the work over a connected client; ``run.fetch_to_export``
wraps it with the data-dir lock, the session and the login check (what the CLI calls).
"""
