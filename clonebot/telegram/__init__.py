"""Our thin adapter around Telethon 1.x, and the event handlers (one file per concern).

Nothing outside this package imports Telethon; the runtime talks to ``ClientAdapter``.
"""
