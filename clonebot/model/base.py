"""The generation interface the bot and eval depend on (never on transformers directly).

A backend turns a list of turns (``{"role": "user"|"clone", "content": str}``, the last
one from the other person) into ``n`` candidate Clone replies. Every backend keeps the one
contract in ``clonebot.model.generate``: the local one runs base + LoRA adapter in
process with torch, ``llamacpp`` runs the GGUF export with llama.cpp, ``openai`` asks an
OpenAI-compatible server, and the scripted fake below replays canned text through the same
prompt cutting and cleaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from clonebot.config import GenerateSettings
from clonebot.model.generate import (  # noqa: F401 - Reply re-exported
    DEFAULT_MAX_SEQ_LEN, Continuation, Generator, Prompt, Reply, stop_reason,
)
from clonebot.model.manifest import LEGACY_CONTEXT_TURNS

Turn = Mapping[str, str]


@runtime_checkable
class ReplyGenerator(Protocol):
    # Turns before the reply the adapter was trained with (its manifest): callers build
    # contexts of exactly this many.
    context_turns: int

    def generate(self, turns: Sequence[Turn], n: int = 1) -> list[str]:
        """Return ``n`` non-empty candidate replies (fewer only if the model gave nothing)."""
        ...


class ScriptedGenerator(Generator):
    """A generator that replays canned continuations: for tests and dry runs (after
    simonw/llm). Each canned item is what the "model" writes, then EOS (a str), or a
    ``Continuation`` as is. It goes through the contract like any backend's output: the
    prompt is cut, the text stops at a turn marker (and, with a tokenizer, at the token
    limit), is cleaned, and an unusable one is retried."""

    penalises_logits = False

    def __init__(self, replies: Iterable[str | Continuation], *,
                 context_turns: int = LEGACY_CONTEXT_TURNS,
                 settings: GenerateSettings | None = None, tokenizer: Any = None,
                 eos: str = "</s>", max_seq_len: int = DEFAULT_MAX_SEQ_LEN):
        super().__init__(settings or GenerateSettings(), eos=eos, context_turns=context_turns,
                         tokenizer=tokenizer, max_seq_len=max_seq_len)
        self._replies = list(replies)
        self._i = 0
        self.calls: list[list[dict]] = []  # the turns each generate() was given
        self.prompts: list[Prompt] = []  # what the "model" was asked to continue

    def generate(self, turns: Sequence[Turn], n: int = 1) -> list[str]:
        self.calls.append([dict(t) for t in turns])
        return super().generate(turns, n)

    def _continue(self, prompts, k, *, temperature, markers, max_new_tokens, seed):
        out = []
        for p in prompts:
            for _ in range(k):
                self.prompts.append(p)
                item = self._replies[self._i % len(self._replies)]
                self._i += 1
                out.append(item if isinstance(item, Continuation)
                           else self._written(item, markers, max_new_tokens))
        return out

    def _written(self, text: str, markers, max_new_tokens: int) -> Continuation:
        """``text`` as a model writing it would stop: at the token limit, or just after a
        turn marker, else at EOS. A ``Reply`` marked ``cut`` stops at the limit as written."""
        hit_eos, n = not getattr(text, "cut", False), 0
        if self.tokenizer is not None:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            n = len(ids)
            if n > max_new_tokens:
                text, hit_eos, n = self.tokenizer.decode(ids[:max_new_tokens]), False, max_new_tokens
        at = [text.index(m) + len(m) for m in markers if m in text]
        if at:
            text, hit_eos = text[: min(at)], False
        return Continuation(text=text, raw=text, hit_eos=hit_eos,
                            stop=stop_reason(text, hit_eos, markers), new_tokens=n + hit_eos)
