"""Repetition penalty and no-repeat n-grams over the reply being written, not the prompt.

transformers' ``repetition_penalty`` and ``no_repeat_ngram_size`` (and llama-server's
``repeat_penalty``) look at the whole sequence, prompt included. The prompt holds the
owner's earlier turns, so their slang, their signature emoji, their recurring phrases and
the EOS that closes each of their turns all get penalised or banned: the clone is pushed
away from the owner's habits and from stopping. A loop is a repetition inside one reply;
that is all these look at.

Backends that see the logits (torch, llama.cpp in process) call ``penalise`` before they
sample. A server that cannot be told "the reply only" gets no penalty; its replies are cut
where they would repeat an n-gram of their own (``first_repeat``), which is the token the
n-gram rule would have banned.
"""

from __future__ import annotations

from collections.abc import Sequence


def banned_tokens(reply: Sequence[int], n: int) -> list[int]:
    """Tokens that would complete an ``n``-gram the reply already holds."""
    if n <= 0 or len(reply) < n:
        return []
    prefix = list(reply[len(reply) - n + 1:])
    return [reply[i + n - 1] for i in range(len(reply) - n + 1) if list(reply[i:i + n - 1]) == prefix]


def penalise(scores, reply: Sequence[int], repetition_penalty: float, no_repeat_ngram_size: int) -> None:
    """Apply both rules in place to one row of next-token scores (a numpy array or a torch
    tensor): a token already in the reply is divided by the penalty (multiplied when
    negative), one that would repeat an n-gram of the reply is banned."""
    if not len(reply):
        return
    if repetition_penalty != 1.0:
        ids = sorted(set(int(t) for t in reply))
        picked = scores[ids]
        scores[ids] = picked * ((picked < 0) * repetition_penalty + (picked >= 0) / repetition_penalty)
    banned = banned_tokens([int(t) for t in reply], no_repeat_ngram_size)
    if banned:
        scores[banned] = float("-inf")


def first_repeat(tokens: Sequence[int], n: int) -> int | None:
    """Index of the first token that completes an ``n``-gram seen earlier in ``tokens`` (the
    token the no-repeat rule would have banned), or None."""
    if n <= 0:
        return None
    for j in range(len(tokens)):
        if tokens[j] in banned_tokens(tokens[:j], n):
            return j
    return None
