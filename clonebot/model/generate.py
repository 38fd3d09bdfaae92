"""Reply generation: turns in, clean candidate Clone replies out.

Both backends give the model the last ``context_turns`` turns, the number the adapter was
trained with (its manifest), render the prompt with ``prompt_format.render_prompt`` (the
function the training text is built with), stop on EOS and on any new-turn marker, cut with
``strip_reply``, and drop empty replies or ones that still carry a turn marker. If no
usable reply comes out of a few sampling rounds they raise GenerationError: callers never
get an empty string to send. A reply the token limit ended (no EOS, no stop marker) comes
back marked (``Reply.cut``), for the caller to decide (the bot never sends one unasked).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clonebot.config import GenerateSettings
from clonebot.errors import GenerationError, ModelError
from clonebot.model.base import Reply
from clonebot.prompt_format import ROLES, STOP_STRINGS, clean_content, render_prompt, strip_reply

log = logging.getLogger(__name__)

Turn = Mapping[str, str]


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


class _RetryingGenerator:
    """Shared candidate loop: sample, clean, dedupe, retry, else GenerationError."""

    settings: GenerateSettings
    context_turns: int  # turns before the reply the adapter was trained with (its manifest)

    def _sample(self, ctx: list[dict], k: int, attempt: int) -> list[str]:
        raise NotImplementedError

    def generate(self, turns: Sequence[Turn], n: int = 1) -> list[str]:
        if n < 1:
            raise ValueError("n must be >= 1")
        ctx = last_turns(turns, self.context_turns)
        if not ctx:
            raise GenerationError("nothing to reply to: the conversation has no text turns")
        replies: list[str] = []
        seen: list[str] = []
        for attempt in range(self.settings.max_attempts):
            for raw in self._sample(ctx, n - len(replies), attempt):
                reply = Reply(strip_reply(raw), cut=getattr(raw, "cut", False))
                if usable(reply):
                    seen.append(reply)
                    if reply not in replies:
                        replies.append(reply)
            if len(replies) >= n:
                break
        if not replies:
            raise GenerationError(
                f"the model gave no usable reply in {self.settings.max_attempts} attempts "
                "(empty, or it started the other person's turn)"
            )
        # Too few distinct ones: repeat usable ones rather than return fewer than asked.
        i = 0
        while len(replies) < n:
            replies.append(seen[i % len(seen)])
            i += 1
        return replies[:n]


def _temperature(settings: GenerateSettings, attempt: int) -> float:
    # A retry after an unusable reply must not repeat it: sample, a little hotter each time.
    if attempt == 0:
        return settings.temperature
    return max(settings.temperature, 0.7) + 0.15 * attempt


@dataclass(frozen=True)
class Continuation:
    """One sampled continuation: its new token ids up to (not including) EOS."""

    tokens: list[int]
    hit_eos: bool


def sampling_kwargs(settings: GenerateSettings, temperature: float, k: int) -> dict[str, Any]:
    """``model.generate`` arguments for ``k`` sequences at ``temperature`` (0 = greedy):
    the one place the sampling settings become transformers arguments. The penalties are
    ``reply_penalties``' logits processors; transformers' own are switched off, also when a
    model's generation_config.json asks for them."""
    kwargs: dict[str, Any] = {"num_return_sequences": k, "repetition_penalty": 1.0,
                              "no_repeat_ngram_size": 0}
    if temperature > 0:
        kwargs.update(do_sample=True, temperature=temperature, top_p=settings.top_p,
                      top_k=settings.top_k)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if k > 1:  # greedy gives one answer; ask for distinct beams instead
            kwargs.update(num_beams=k)
    return kwargs


class LocalGenerator(_RetryingGenerator):
    """Base model + LoRA adapter in-process (``clonebot.model.load.load_model``)."""

    def __init__(self, loaded, settings: GenerateSettings, *, logits_processors: list | None = None):
        self.loaded = loaded
        self.settings = settings
        self.tokenizer = loaded.tokenizer
        self.eos = loaded.tokenizer.eos_token
        self.context_turns = loaded.context_turns
        hyper = (loaded.manifest or {}).get("hyperparameters") or {}
        # Keep prompt + reply within what the adapter was trained on.
        self.max_prompt_tokens = max(32, int(hyper.get("max_seq_len", 1024)) - settings.max_new_tokens)
        self._extra = list(logits_processors or [])

    def _encode(self, ctx: Sequence[Turn]) -> list[int]:
        from clonebot.model.load import encode, literal_turns

        return encode(self.tokenizer, render_prompt(literal_turns(ctx, self.tokenizer), self.eos))["input_ids"]

    def prompt_ids(self, ctx: Sequence[Turn]) -> list[int]:
        """The prompt's token ids: the last ``context_turns`` turns, at most
        ``max_prompt_tokens``: the oldest turns go first, whole, as in training. A last turn
        too long on its own keeps its end, inside its header (never a prompt without BOS or
        the turn header)."""
        ctx = last_turns(ctx, self.context_turns)
        for start in range(len(ctx)):
            ids = self._encode(ctx[start:])
            if len(ids) <= self.max_prompt_tokens:
                return ids
        last = dict(ctx[-1])
        text = clean_content(last["content"])

        def fits(n: int) -> bool:
            tail = text[-n:]
            return not tail.strip() or len(self._encode([{**last, "content": tail}])) <= self.max_prompt_tokens

        lo, hi = 0, len(text)  # binary search: the longest tail of the text that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
        if lo == 0 or not text[-lo:].strip():
            raise GenerationError("the prompt format alone exceeds the model's context length")
        return self._encode([{**last, "content": text[-lo:]}])

    def continuations(
        self,
        ctx: list[dict],
        k: int,
        *,
        temperature: float,
        markers: Sequence[str] = STOP_STRINGS,
        max_new_tokens: int | None = None,
    ) -> list[Continuation]:
        """``k`` continuations of ``render_prompt(ctx)``, each stopped by EOS, by one of
        ``markers`` in its text, or by the token limit."""
        return self._generate([self.prompt_ids(ctx)], k, temperature, markers, max_new_tokens)

    def batch_continuations(
        self,
        contexts: Sequence[list[dict]],
        *,
        temperature: float,
        markers: Sequence[str] = STOP_STRINGS,
        max_new_tokens: int | None = None,
    ) -> list[Continuation]:
        """One continuation per context, sampled together (prompts padded on the left, so
        every reply starts at the same position): several times faster than one by one."""
        return self._generate([self.prompt_ids(c) for c in contexts], 1, temperature, markers,
                              max_new_tokens)

    def _generate(self, prompts: list[list[int]], k: int, temperature: float,
                  markers: Sequence[str], max_new_tokens: int | None) -> list[Continuation]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        from clonebot.model.load import generation_pad_id

        model = self.loaded.model
        tok = self.tokenizer
        pad = generation_pad_id(tok)
        width = max(len(p) for p in prompts)
        inputs = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=model.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts],
                            device=model.device)
        with torch.inference_mode():
            out = model.generate(
                input_ids=inputs,
                attention_mask=mask,
                max_new_tokens=max_new_tokens or self.settings.max_new_tokens,
                eos_token_id=tok.eos_token_id,
                pad_token_id=pad,
                stopping_criteria=StoppingCriteriaList([stop_on_markers(tok, width, markers)]),
                logits_processor=LogitsProcessorList([*reply_penalties(self.settings, width),
                                                      *self._extra]),
                **sampling_kwargs(self.settings, temperature, k),
            )
        conts = []
        for row in out[:, width:].tolist():
            hit_eos = tok.eos_token_id in row
            if hit_eos:  # everything after EOS is padding
                row = row[: row.index(tok.eos_token_id)]
            while row and row[-1] == pad:  # a row that stopped on a marker before the others
                row.pop()
            conts.append(Continuation(row, hit_eos))
        return conts

    def _sample(self, ctx: list[dict], k: int, attempt: int) -> list[str]:
        temp = _temperature(self.settings, attempt)
        out = []
        for c in self.continuations(ctx, k, temperature=temp):
            text = self.tokenizer.decode(c.tokens, skip_special_tokens=True)
            # neither EOS nor a stop marker: the token limit ended it
            out.append(Reply(text, cut=not c.hit_eos and not any(m in text for m in STOP_STRINGS)))
        return out


def reply_penalties(settings: GenerateSettings, prompt_len: int) -> list:
    """Repetition penalty and no-repeat n-grams over the reply being written, not the prompt.

    transformers' ``repetition_penalty`` and ``no_repeat_ngram_size`` look at the whole
    sequence, prompt included. The prompt holds the owner's earlier turns, so their slang,
    their signature emoji, their recurring phrases and the EOS that closes each of their
    turns all get penalised or banned: the clone is pushed away from the owner's habits and
    from stopping. A loop is a repetition inside one reply; that is all these look at.
    """
    import torch
    from transformers import LogitsProcessor

    class ReplyRepetitionPenalty(LogitsProcessor):
        def __call__(self, input_ids, scores):
            reply = input_ids[:, prompt_len:]
            if reply.shape[1] == 0:
                return scores
            picked = torch.gather(scores, 1, reply)
            picked = torch.where(picked < 0, picked * settings.repetition_penalty,
                                 picked / settings.repetition_penalty)
            return scores.scatter(1, reply, picked)

    class ReplyNoRepeatNGram(LogitsProcessor):
        def __call__(self, input_ids, scores):
            n = settings.no_repeat_ngram_size
            scores = scores.clone()
            for row, ids in enumerate(input_ids[:, prompt_len:].tolist()):
                if len(ids) < n:
                    continue
                prefix = ids[len(ids) - n + 1:]
                banned = [ids[i + n - 1] for i in range(len(ids) - n + 1) if ids[i:i + n - 1] == prefix]
                scores[row, banned] = -float("inf")
            return scores

    out: list = []
    if settings.repetition_penalty != 1.0:
        out.append(ReplyRepetitionPenalty())
    if settings.no_repeat_ngram_size > 0:
        out.append(ReplyNoRepeatNGram())
    return out


def stop_on_markers(tokenizer, prompt_len: int, markers: Sequence[str] = STOP_STRINGS):
    """Stop a sequence once its new text contains one of ``markers`` (EOS stops it anyway).

    Our own criterion rather than transformers' ``stop_strings``, which precomputes a
    table over the whole vocabulary: minutes per call on CPU.
    """
    import torch
    from transformers import StoppingCriteria

    class StopOnMarkers(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            done = [
                any(m in tokenizer.decode(row[prompt_len:], skip_special_tokens=True) for m in markers)
                for row in input_ids
            ]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StopOnMarkers()


class OpenAIGenerator(_RetryingGenerator):
    """An OpenAI-compatible ``/v1/completions`` server (e.g. vLLM serving base + LoRA).

    Same prompt, same stop markers, same cleaning as the local backend; callers can't
    tell the difference. ``CLONEBOT_OPENAI_API_KEY`` is sent as a bearer token if set.
    """

    def __init__(self, settings: GenerateSettings, eos: str, context_turns: int, *,
                 timeout: float = 120.0):
        self.settings = settings
        self.eos = eos
        self.context_turns = context_turns
        self.timeout = timeout
        self.url = settings.openai_base_url.rstrip("/") + "/completions"

    def _sample(self, ctx: list[dict], k: int, attempt: int) -> list[str]:
        s = self.settings
        body = {
            "model": s.openai_model,
            "prompt": render_prompt(ctx, self.eos),
            "n": k,
            "max_tokens": s.max_new_tokens,
            "temperature": _temperature(s, attempt),
            "top_p": s.top_p,
            "stop": [self.eos, *STOP_STRINGS][:4],  # the OpenAI API takes at most 4
            # vLLM extensions; other servers ignore unknown sampling keys.
            "top_k": s.top_k if s.top_k > 0 else -1,
            "repetition_penalty": s.repetition_penalty,
        }
        headers = {"Content-Type": "application/json"}
        key = os.environ.get("CLONEBOT_OPENAI_API_KEY")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                data = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise ModelError(f"{self.url} answered HTTP {e.code}: {e.read()[:200]!r}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise ModelError(f"cannot reach {self.url}: {e}") from None
        try:
            return [Reply(c["text"].split(self.eos)[0], cut=c.get("finish_reason") == "length")
                    for c in data["choices"]]
        except (KeyError, TypeError) as e:
            raise ModelError(f"{self.url} gave an unexpected answer: {e}") from None
