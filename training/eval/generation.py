"""Sampled generations with their raw text and why each stopped (the bot's replies hide both)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from clonebot.model.generate import Generator
from training.eval.stops import STOP_MARKERS, RawGeneration, classify_stop

if TYPE_CHECKING:  # types only: nothing more is imported at run time
    from clonebot.config import GenerateSettings
    from clonebot.model.load import LoadedModel

# Contexts sampled together by the torch backend (left-padded to the longest prompt).
BATCH = 8


def as_generator(source: LoadedModel | Generator, gen: GenerateSettings) -> Generator:
    """``source`` as a generator: a backend as it is (torch, llama.cpp), or a loaded torch
    model (``load_model``) wrapped in the torch backend with sampling settings ``gen``."""
    if isinstance(source, Generator):
        return source
    from clonebot.model.backends.local import LocalGenerator

    return LocalGenerator(source, gen)


def generate_raw_batch(
    source: LoadedModel | Generator,
    contexts: Sequence[Sequence[Mapping]],
    gen: Any,
    *,
    seed: int = 0,
    max_new_tokens: int | None = None,
) -> list[RawGeneration]:
    """One sampled continuation per context through the bot's own generator (same prompt
    cut, same sampling settings ``gen`` = settings.generate), stopping on EOS or a full turn
    marker, sampled ``BATCH`` at a time. ``seed`` makes the whole list repeatable."""
    g = as_generator(source, gen)
    limit = max_new_tokens or gen.max_new_tokens
    out: list[RawGeneration] = []
    for i in range(0, len(contexts), BATCH):
        prompts = [g.prompt(list(c)) for c in contexts[i:i + BATCH]]
        # Full markers only, not "\n###", so we can tell *which* turn the model began.
        for cont in g.continuations(prompts, 1, temperature=gen.temperature, markers=STOP_MARKERS,
                                    max_new_tokens=limit, seed=seed + i):
            out.append(RawGeneration(
                text=cont.raw, stop=classify_stop(cont.raw, cont.hit_eos, cont.new_tokens, limit),
                new_tokens=cont.new_tokens))
    return out


def generate_raw(
    source: LoadedModel | Generator,
    context: Sequence[Mapping],
    gen: Any,
    *,
    seed: int = 0,
    max_new_tokens: int | None = None,
) -> RawGeneration:
    """``generate_raw_batch`` for one context."""
    [g] = generate_raw_batch(source, [context], gen, seed=seed, max_new_tokens=max_new_tokens)
    return g
