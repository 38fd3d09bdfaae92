"""Loss masking: a sample's token ids and the labels the loss is computed on.

Training and eval's perplexity both tokenize through ``tokenize_sample``, so the reply
tokens eval scores are exactly the ones training learned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clonebot.errors import ModelError
from clonebot.model.load import encode
from clonebot.prompt_format import sample_segments

IGNORE = -100


def tokenize_sample(
    turns: Sequence[Mapping[str, str]],
    tokenizer,
    max_seq_len: int,
    *,
    reply_only: bool = False,
) -> dict[str, list[int]] | None:
    """``input_ids`` + ``labels`` for one sample (last turn = the Clone reply), or None.

    The whole text is tokenized at once, exactly as inference tokenizes a prompt (so the
    context tokens match what the model sees later, also for sentencepiece tokenizers
    that would add a word-start marker to a separately tokenized piece). Labels come from
    character offsets: a token is learnable iff it starts inside a trainable segment
    (Clone content + EOS) of ``prompt_format.sample_segments``; ``reply_only`` keeps only
    the final reply's. Too long: drop the oldest turns until it fits; a lone reply that
    does not fit is skipped (None).
    """
    eos = tokenizer.eos_token
    if not eos:
        raise ModelError("the tokenizer has no EOS token; cannot teach the model to stop")
    for start in range(len(turns)):
        segments = sample_segments(turns[start:], eos)
        text, spans, pos = "", [], 0
        for seg in segments:
            if seg.trainable:
                spans.append((pos, pos + len(seg.text)))
            text += seg.text
            pos += len(seg.text)
        if reply_only:
            spans = spans[-1:]
        enc = encode(tokenizer, text, offsets=True)
        ids = enc["input_ids"]
        if len(ids) > max_seq_len:
            continue
        labels = [IGNORE] * len(ids)
        for i, (a, b) in enumerate(enc["offset_mapping"]):
            if b > a and any(s <= a < e for s, e in spans):
                labels[i] = ids[i]
        if ids[-1] != tokenizer.eos_token_id or labels[-1] != tokenizer.eos_token_id:
            raise ModelError(
                f"the tokenizer does not turn {eos!r} into its EOS id; cannot teach the model to stop"
            )
        return {"input_ids": ids, "labels": labels}
    return None
