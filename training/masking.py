"""Loss masking: a sample's token ids and the labels the loss is computed on.

Training and eval's perplexity both tokenize through ``fit_sample``, so the reply tokens
eval scores are exactly the ones training learned.

The whole text is tokenized at once, exactly as inference tokenizes a prompt (so context
tokens match what the model sees later, also for SentencePiece tokenizers that put a
word-start marker on a separately tokenized piece). A token is learnable iff it starts
inside a trainable segment (Clone content + EOS) of ``prompt_format.sample_segments``.
Where it starts comes from the fast tokenizer's character offsets; a tokenizer without
them (a slow, pure-Python one) is measured by prefixes instead: the tokens of the text up
to a segment's edge, which the prompt-prefix property makes the same tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clonebot.errors import ModelError
from clonebot.model.load import encode, literal_turns
from clonebot.prompt_format import sample_segments

IGNORE = -100


@dataclass(frozen=True)
class Fit:
    """One sample against ``max_seq_len``: its features, or why there are none."""

    features: dict[str, list[int]] | None  # input_ids + labels; None: the reply alone is too long
    tokens: int  # the whole window, before any cut
    reply_tokens: int  # the final reply + its EOS
    cut_turns: int  # oldest context turns dropped so it fits


def _render(turns: Sequence[Mapping[str, str]], eos: str) -> tuple[str, list[tuple[int, int]]]:
    """The sample's text and its trainable character spans."""
    text, spans = "", []
    for seg in sample_segments(turns, eos):
        if seg.trainable:
            spans.append((len(text), len(text) + len(seg.text)))
        text += seg.text
    return text, spans


def _labels(tokenizer, text: str, spans: list[tuple[int, int]], enc: dict) -> list[int]:
    ids = enc["input_ids"]
    labels = [IGNORE] * len(ids)
    offsets = enc.get("offset_mapping")
    if offsets is not None:
        for i, (a, b) in enumerate(offsets):  # b == a: BOS and other zero-width tokens
            if b > a and any(s <= a < e for s, e in spans):
                labels[i] = ids[i]
        return labels
    for s, e in spans:  # no offsets: the tokens between the prefixes ending at each edge
        lo, hi = (len(encode(tokenizer, text[:x])["input_ids"]) for x in (s, e))
        labels[lo:hi] = ids[lo:hi]
    return labels


def _reply_tokens(labels: list[int]) -> int:
    """Tokens of the final trainable run (the reply + EOS) in ``labels``."""
    n = 0
    for lab in reversed(labels):
        if lab == IGNORE:
            break
        n += 1
    return n


def fit_sample(
    turns: Sequence[Mapping[str, str]],
    tokenizer,
    max_seq_len: int,
    *,
    reply_only: bool = False,
) -> Fit:
    """Tokenize one sample (last turn = the Clone reply) to fit ``max_seq_len``.

    Too long: the oldest context turns are dropped, whole, until it fits; the reply is
    never cut. A reply that does not fit even alone gives ``features=None``: the caller
    counts and names it. ``reply_only`` keeps only the final reply's labels (eval).
    """
    eos = tokenizer.eos_token
    if not eos:
        raise ModelError("the tokenizer has no EOS token; cannot teach the model to stop")
    turns = literal_turns(turns, tokenizer)
    full = None
    for start in range(len(turns)):
        text, spans = _render(turns[start:], eos)
        if reply_only:
            spans = spans[-1:]
        enc = encode(tokenizer, text, offsets=True)
        ids = enc["input_ids"]
        if full is None:
            full = len(ids)
        if len(ids) > max_seq_len and start < len(turns) - 1:
            continue
        labels = _labels(tokenizer, text, spans, enc)
        if ids[-1] != tokenizer.eos_token_id or labels[-1] != tokenizer.eos_token_id:
            raise ModelError(
                f"the tokenizer does not turn {eos!r} into its EOS id; cannot teach the model to stop"
            )
        reply = _reply_tokens(labels)
        features = {"input_ids": ids, "labels": labels} if len(ids) <= max_seq_len else None
        return Fit(features, full, reply, start)
    raise AssertionError("unreachable: a sample has at least its reply")


def tokenize_sample(
    turns: Sequence[Mapping[str, str]],
    tokenizer,
    max_seq_len: int,
    *,
    reply_only: bool = False,
) -> dict[str, list[int]] | None:
    """``input_ids`` + ``labels`` of ``fit_sample``, or None when the reply alone is too long."""
    return fit_sample(turns, tokenizer, max_seq_len, reply_only=reply_only).features


# ---------------------------------------------------------------- the loss on learnt tokens only
# The lm_head (vocabulary x hidden) and the softmax over the vocabulary are a fifth of a small
# model's training step on a CPU (SmolLM2-135M: 49152 x 576), spent mostly on positions whose
# label is IGNORE. The Trainer asks the model for logits only where the next token is learnt
# (transformers' ``logits_to_keep`` as a boolean mask: flattened, one row per learnt token) and
# scores them with ``scored_loss``; the loss is the causal-LM loss transformers computes.


def scored_positions(labels):
    """Boolean (batch, seq) mask of the positions whose logits the loss reads: ``t`` where the
    label of ``t + 1`` is learnt (a causal LM's logits at ``t`` predict token ``t + 1``)."""
    import torch

    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE
    return keep


def learnt_tokens(labels) -> int:
    """How many tokens of a (batch, seq) ``labels`` the loss learns: what it averages over."""
    return int(scored_positions(labels).sum())


def scored_loss(logits, labels, num_items_in_batch=None):
    """Mean cross-entropy of the learnt tokens, from ``logits`` computed at
    ``scored_positions(labels)`` only (``(n, vocab)``, in the mask's row-major order). Summed
    and divided by ``num_items_in_batch`` when the Trainer counts the tokens of an accumulated
    batch, as transformers' own causal-LM loss is."""
    import torch
    import torch.nn.functional as F

    shifted = labels[:, 1:]
    targets = shifted[shifted != IGNORE]
    total = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets, reduction="sum")
    if num_items_in_batch is None:
        return total / max(targets.numel(), 1)
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(total.device)
    return total / num_items_in_batch


def scores_learnt_tokens_only(model) -> bool:
    """Whether ``model`` can compute logits at the learnt positions only: its forward takes
    ``logits_to_keep`` and this transformers slices by a boolean (batch, seq) mask (5.x;
    earlier versions take positions only, and the loss falls back to the model's own)."""
    import inspect

    import torch

    try:
        from transformers.modeling_utils import slice_logits_to_keep
    except ImportError:
        return False
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if "logits_to_keep" not in inspect.signature(base.forward).parameters:
        return False
    try:
        kept = slice_logits_to_keep(torch.zeros(1, 2, 1), torch.tensor([[False, True]]))
    except Exception:  # noqa: BLE001 - an older slicer refuses a 2-D mask one way or another
        return False
    return tuple(kept.shape) == (1, 1)
