"""Reply generation: the one contract every backend keeps.

A backend (torch in process, llama.cpp in process, an OpenAI-compatible server, the
scripted fake) only samples continuations of a prompt. What a caller can tell apart lives
here, once, so callers can't tell the backends apart:

- the prompt: the last ``context_turns`` turns (the number the adapter was trained with, its
  manifest), rendered by ``prompt_format.render_prompt`` (the function the training text is
  built with); the oldest turns go first, whole, until prompt + reply fit the adapter's
  ``max_seq_len``; a last turn too long on its own keeps its end, inside its header;
- stopping: EOS, or any new-turn marker; else the token limit, and then the reply says so
  (``Candidate.ended`` is False, and ``generate``'s ``Reply.cut`` True: it may stop
  mid-sentence or mid-placeholder; the bot never sends one unasked);
- penalties over the reply only (``penalties.py``);
- cleaning: ``strip_reply``; empty replies and ones that still carry a turn marker are
  dropped; a few rounds of sampling, hotter each time, then ``GenerationError``: callers
  never get an empty string to send. A backend that cannot run raises ``ModelError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from clonebot.config import GenerateSettings
from clonebot.errors import GenerationError
from clonebot.model.penalties import first_repeat
from clonebot.prompt_format import ROLES, STOP_STRINGS, clean_content, render_prompt, strip_reply

Turn = Mapping[str, str]
Stop = Literal["eos", "marker", "limit"]

# The context length assumed for an adapter whose manifest does not record one.
DEFAULT_MAX_SEQ_LEN = 1024


def last_turns(turns: Sequence[Turn], limit: int) -> list[dict]:
    """The last ``limit`` renderable turns (unknown roles and empty messages dropped)."""
    ok = [
        {"role": t["role"], "content": t["content"]}
        for t in turns
        if t.get("role") in ROLES and clean_content(t.get("content") or "")
    ]
    return ok[-limit:]


def usable(reply: str) -> bool:
    return bool(reply.strip()) and not any(m in reply for m in STOP_STRINGS)


def trained_max_seq_len(manifest: Mapping | None) -> int:
    """The sequence length the adapter was trained with (its manifest), else the default."""
    hyper = (manifest or {}).get("hyperparameters") or {}
    return int(hyper.get("max_seq_len") or DEFAULT_MAX_SEQ_LEN)


def temperature_for(settings: GenerateSettings, attempt: int) -> float:
    # A retry after an unusable reply must not repeat it: sample, a little hotter each time.
    if attempt == 0:
        return settings.temperature
    return max(settings.temperature, 0.7) + 0.15 * attempt


@dataclass(frozen=True)
class Prompt:
    """What a backend continues: the turns it renders and their text (and token ids, when
    the generator has the adapter's tokenizer)."""

    turns: list[dict]
    text: str
    ids: list[int] | None = None


@dataclass(frozen=True)
class Continuation:
    """One sampled continuation, up to (not including) EOS."""

    text: str  # decoded, special tokens skipped: what a reply is cut from
    raw: str  # decoded with special tokens kept (eval looks for stray ones)
    hit_eos: bool
    stop: Stop  # why it ended: EOS, a turn marker in its text, or the token limit
    new_tokens: int  # tokens generated, EOS included
    tokens: tuple[int, ...] = ()  # its token ids, where the backend has them

    @property
    def ended(self) -> bool:
        """It ended by itself (EOS or a turn marker), not at the token limit."""
        return self.stop != "limit"


class Reply(str):
    """A generated reply as callers get it: the text, and ``cut`` = the token limit
    (``max_new_tokens``) ended it before EOS or a stop marker, so it may stop mid-word or
    mid-placeholder. A plain ``str`` counts as not cut."""

    cut: bool = False

    def __new__(cls, text: str, cut: bool = False) -> "Reply":
        obj = super().__new__(cls, text)
        obj.cut = cut
        return obj


@dataclass(frozen=True)
class Candidate:
    """A clean candidate reply; ``ended`` is False when the token limit cut it off."""

    text: str
    ended: bool


class Generator:
    """The contract; backends implement ``_continue`` (and may override ``prompt`` ids).

    ``tokenizer`` is the adapter's (a transformers tokenizer): prompts are measured and cut
    with it. Without one (the scripted fake, a bare server) prompts are cut by turns only.
    """

    # Backends that penalise the logits themselves; the others have replies cut where they
    # would repeat an n-gram of their own (penalties.first_repeat).
    penalises_logits = True

    def __init__(self, settings: GenerateSettings, *, eos: str, context_turns: int,
                 tokenizer: Any = None, max_seq_len: int = DEFAULT_MAX_SEQ_LEN):
        self.settings = settings
        self.eos = eos
        self.context_turns = context_turns
        self.tokenizer = tokenizer
        self.max_seq_len = max_seq_len

    # ------------------------------------------------------------------ the prompt

    @property
    def max_prompt_tokens(self) -> int:
        """Keep prompt + reply within what the adapter was trained on."""
        return max(32, self.max_seq_len - self.settings.max_new_tokens)

    def _render(self, turns: Sequence[Turn]) -> Prompt:
        ids = None
        if self.tokenizer is not None:
            from clonebot.model.load import encode, literal_turns

            # Special tokens a friend typed ("</s>", "[INST]") stay text, as in training.
            text = render_prompt(literal_turns(turns, self.tokenizer), self.eos)
            ids = encode(self.tokenizer, text)["input_ids"]
        else:
            text = render_prompt(turns, self.eos)
        return Prompt([dict(t) for t in turns], text, ids)

    def prompt(self, turns: Sequence[Turn]) -> Prompt:
        """The prompt for ``turns``: the last ``context_turns`` of them, at most
        ``max_prompt_tokens``: the oldest turns go first, whole, as in training. A last turn
        too long on its own keeps its end, inside its header (never a prompt without BOS or
        the turn header)."""
        ctx = last_turns(turns, self.context_turns)
        if not ctx:
            raise GenerationError("nothing to reply to: the conversation has no text turns")
        if self.tokenizer is None:
            return self._render(ctx)
        for start in range(len(ctx)):
            p = self._render(ctx[start:])
            if len(p.ids) <= self.max_prompt_tokens:
                return p
        last = dict(ctx[-1])
        text = clean_content(last["content"])

        def fits(n: int) -> bool:
            tail = text[-n:]
            return not tail.strip() or len(self._render([{**last, "content": tail}]).ids) <= self.max_prompt_tokens

        lo, hi = 0, len(text)  # binary search: the longest tail of the text that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
        if lo == 0 or not text[-lo:].strip():
            raise GenerationError("the prompt format alone exceeds the model's context length")
        return self._render([{**last, "content": text[-lo:]}])

    def prompt_ids(self, turns: Sequence[Turn]) -> list[int]:
        ids = self.prompt(turns).ids
        if ids is None:
            raise GenerationError("this generator has no tokenizer to count prompt tokens with")
        return ids

    # ------------------------------------------------------------------ sampling

    def _continue(self, prompts: list[Prompt], k: int, *, temperature: float,
                  markers: Sequence[str], max_new_tokens: int,
                  seed: int | None) -> list[Continuation]:
        """``k`` continuations of each prompt (prompt-major), each stopped by EOS, by one of
        ``markers`` in its text, or by ``max_new_tokens``."""
        raise NotImplementedError

    def continuations(self, prompts: Sequence[Prompt], k: int = 1, *, temperature: float,
                      markers: Sequence[str] = STOP_STRINGS, max_new_tokens: int | None = None,
                      seed: int | None = None) -> list[Continuation]:
        """Raw continuations (eval reads these: why each stopped, its text before cleaning).
        ``seed`` makes sampling repeatable."""
        if not prompts or k < 1:
            return []
        return self._continue(list(prompts), k, temperature=temperature, markers=markers,
                              max_new_tokens=max_new_tokens or self.settings.max_new_tokens,
                              seed=seed)

    # ------------------------------------------------------------------ replies

    def _clean(self, cont: Continuation) -> Candidate | None:
        text = cont.text
        if not self.penalises_logits and self.tokenizer is not None and self.settings.no_repeat_ngram_size:
            from clonebot.model.load import encode

            ids = encode(self.tokenizer, text)["input_ids"]
            bos = getattr(self.tokenizer, "bos_token_id", None)
            if ids and bos is not None and ids[0] == bos:
                ids = ids[1:]
            cut = first_repeat(ids, self.settings.no_repeat_ngram_size)
            if cut is not None:
                text = self.tokenizer.decode(ids[:cut], skip_special_tokens=True)
        reply = strip_reply(text)
        return Candidate(reply, cont.ended) if usable(reply) else None

    def replies(self, turns: Sequence[Turn], n: int = 1) -> list[Candidate]:
        """``n`` clean candidate replies (distinct when the model gives distinct ones)."""
        if n < 1:
            raise ValueError("n must be >= 1")
        prompt = self.prompt(turns)
        found: list[Candidate] = []
        seen: list[Candidate] = []
        attempts = self.settings.max_attempts
        for attempt in range(attempts):
            temp = temperature_for(self.settings, attempt)
            for cont in self.continuations([prompt], n - len(found), temperature=temp):
                reply = self._clean(cont)
                if reply is None:
                    continue
                seen.append(reply)
                if all(reply.text != r.text for r in found):
                    found.append(reply)
            if len(found) >= n:
                break
        if not found:
            raise GenerationError(
                f"the model gave no usable reply in {attempts} attempts "
                "(empty, or it started the other person's turn)"
            )
        # Too few distinct ones: repeat usable ones rather than return fewer than asked.
        i = 0
        while len(found) < n:
            found.append(seen[i % len(seen)])
            i += 1
        return found[:n]

    def generate(self, turns: Sequence[Turn], n: int = 1) -> list[Reply]:
        return [Reply(r.text, cut=not r.ended) for r in self.replies(turns, n)]


def stop_reason(text: str, hit_eos: bool, markers: Sequence[str]) -> Stop:
    """Why a continuation that ended now ended: EOS, a marker in its text, else the limit."""
    if hit_eos:
        return "eos"
    if any(m in text for m in markers):
        return "marker"
    return "limit"
