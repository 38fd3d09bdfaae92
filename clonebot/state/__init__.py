"""The bot's state store: one versioned SQLite file with everything the bot must remember
across restarts (``store.py``), and the ordered migrations of its schema (``migrations.py``)."""

from clonebot.state.store import (
    DecisionRecord, SendClaim, SendRecord, StateStore, Suggestion, state_path,
)

__all__ = ["DecisionRecord", "SendClaim", "SendRecord", "StateStore", "Suggestion", "state_path"]
