"""Training side: Telegram export -> scrubbed dialogues -> dataset -> QLoRA adapter.

May import ``clonebot``; ``clonebot`` never imports this package.
"""
