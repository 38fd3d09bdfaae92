"""One sampled generation with its raw text and why it stopped (the bot's generator hides both)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clonebot.model.generate import LocalGenerator
from training.eval.stops import STOP_MARKERS, RawGeneration, classify_stop


def generate_raw(
    loaded: Any,
    context: Sequence[Mapping],
    gen: Any,
    *,
    seed: int = 0,
    max_new_tokens: int | None = None,
) -> RawGeneration:
    """One sampled continuation of the prompt for ``context`` through the bot's own
    generator (same prompt cut, same sampling settings ``gen`` = settings.generate),
    stopping on EOS or a full turn marker.

    The bot's generator strips what it samples; here we keep the raw text and why it
    stopped, which is what the stop / other-turn metrics are about."""
    import torch

    tok = loaded.tokenizer
    limit = max_new_tokens or gen.max_new_tokens
    torch.manual_seed(seed)
    # Full markers only, not "\n###", so we can tell *which* turn the model began.
    [cont] = LocalGenerator(loaded, gen).continuations(
        list(context), 1, temperature=gen.temperature, markers=STOP_MARKERS, max_new_tokens=limit)
    text = tok.decode(cont.tokens, skip_special_tokens=False)
    n_tok = len(cont.tokens) + (1 if cont.hit_eos else 0)
    return RawGeneration(text=text, stop=classify_stop(text, cont.hit_eos, n_tok, limit),
                         new_tokens=n_tok)


def generate_raw_batch(
    loaded: Any,
    contexts: Sequence[Sequence[Mapping]],
    gen: Any,
    *,
    seed: int = 0,
    max_new_tokens: int | None = None,
) -> list[RawGeneration]:
    """``generate_raw`` for several contexts at once (one sample each): same prompts, same
    settings, sampled together."""
    import torch

    tok = loaded.tokenizer
    limit = max_new_tokens or gen.max_new_tokens
    torch.manual_seed(seed)
    conts = LocalGenerator(loaded, gen).batch_continuations(
        [list(c) for c in contexts], temperature=gen.temperature, markers=STOP_MARKERS,
        max_new_tokens=limit)
    out = []
    for cont in conts:
        text = tok.decode(cont.tokens, skip_special_tokens=False)
        n_tok = len(cont.tokens) + (1 if cont.hit_eos else 0)
        out.append(RawGeneration(text=text, stop=classify_stop(text, cont.hit_eos, n_tok, limit),
                                 new_tokens=n_tok))
    return out
