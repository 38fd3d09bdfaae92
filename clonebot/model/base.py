"""The generation interface the bot and eval depend on (never on transformers directly).

A backend turns a list of turns (``{"role": "user"|"clone", "content": str}``, the last
one from the other person) into ``n`` candidate Clone replies. The local backend runs
base + LoRA adapter in-process; a remote one (an OpenAI-compatible server such as vLLM
serving the base model with the adapter) can be added without touching callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from clonebot.model.manifest import LEGACY_CONTEXT_TURNS

Turn = Mapping[str, str]


class Reply(str):
    """A generated reply: the text, and ``cut`` = the token limit (``max_new_tokens``) ended
    it before EOS or a stop marker, so it may stop mid-word or mid-placeholder. Backends
    return these; a plain ``str`` counts as not cut."""

    cut: bool = False

    def __new__(cls, text: str, cut: bool = False) -> "Reply":
        obj = super().__new__(cls, text)
        obj.cut = cut
        return obj


@runtime_checkable
class ReplyGenerator(Protocol):
    # Turns before the reply the adapter was trained with (its manifest): callers build
    # contexts of exactly this many.
    context_turns: int

    def generate(self, turns: Sequence[Turn], n: int = 1) -> list[str]:
        """Return ``n`` non-empty candidate replies (fewer only if the model gave nothing)."""
        ...


class ScriptedGenerator:
    """A generator that replays canned replies: for tests and dry runs (after simonw/llm)."""

    def __init__(self, replies: Iterable[str], *, context_turns: int = LEGACY_CONTEXT_TURNS):
        self.context_turns = context_turns
        self._replies = list(replies)
        self._i = 0
        self.calls: list[list[dict]] = []

    def generate(self, turns: Sequence[Turn], n: int = 1) -> list[str]:
        self.calls.append([dict(t) for t in turns])
        out = []
        for _ in range(n):
            out.append(self._replies[self._i % len(self._replies)])
            self._i += 1
        return out
