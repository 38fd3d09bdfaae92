"""The bot's orchestration: policy, debounce, generation worker, modes, control commands."""

from clonebot.runtime.bot import CloneBot
from clonebot.runtime.clock import Clock

__all__ = ["CloneBot", "Clock"]
