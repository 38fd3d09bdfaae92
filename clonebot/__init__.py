"""clonebot: a Telegram userbot that answers as a personal clone of its owner."""

__version__ = "0.1.0"
