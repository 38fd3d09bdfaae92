"""What the owner decides about suggestions: the decisions' names (``decisions.py``) and the
preference pairs they teach (``feedback.py``). The suggestions themselves, and everything else
the bot remembers, live in the bot's state store (``clonebot.state``)."""

from clonebot.approval.decisions import DECISIONS, Decision

__all__ = ["DECISIONS", "Decision"]
