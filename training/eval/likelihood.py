"""Negative log-likelihood of the owner's real replies under the adapter and the base model."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clonebot.prompt_format import CLONE
from training.masking import IGNORE, scored_positions, scores_learnt_tokens_only, tokenize_sample
from training.row_threads import dealt, even_chunks, torch_threads

if TYPE_CHECKING:  # types only: nothing more is imported at run time
    from clonebot.model.load import LoadedModel


@dataclass
class NLL:
    """Summed negative log-likelihood of reply tokens; ppl and per-char loss derive."""

    nll: float = 0.0
    tokens: int = 0
    chars: int = 0
    rows: int = 0

    @property
    def loss(self) -> float:
        return self.nll / self.tokens if self.tokens else float("nan")

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 50.0)) if self.tokens else float("nan")

    @property
    def nll_per_char(self) -> float:
        # Comparable across tokenizers (a different base model): retrain compares this.
        return self.nll / self.chars if self.chars else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "perplexity": self.perplexity,
                "nll_per_char": self.nll_per_char, "tokens": self.tokens, "rows": self.rows}


def _device(loaded: LoadedModel) -> Any:
    dev = getattr(loaded, "device", None)
    if dev is not None:
        return dev
    return next(loaded.model.parameters()).device


def _base_mode(model: Any, base: bool) -> Any:
    """Context in which ``model`` runs as the base model (peft: adapter disabled)."""
    if not base:
        return contextlib.nullcontext()
    if hasattr(model, "disable_adapter"):
        return model.disable_adapter()
    return contextlib.nullcontext()  # no adapter loaded: it *is* the base


# Rows scored in one forward pass at most: fewer, larger matmuls (the demo's 12 eval rows:
# 3.3 s one by one, 2.8 s in batches of 8, one thread); padding costs little as rows go in
# length order.
BATCH = 8


def reply_nll(
    loaded: LoadedModel,
    items: Sequence[tuple[Sequence[Mapping], str]],
    *,
    max_len: int,
    base: bool = False,
    batch_size: int = BATCH,
) -> NLL:
    """NLL of each ``(context, reply)``'s reply tokens + EOS under the model, masked as
    training masks them (``training.masking``). A pair too long for ``max_len`` even
    without context is left out (training skips it too). Rows go through the model in
    length-sorted batches, with logits only where a token is scored when the model can."""
    import torch

    from training.train import PadCollator

    model, tok = loaded.model, loaded.tokenizer
    dev = _device(loaded)
    rows = []
    for context, reply in items:
        feat = tokenize_sample([*context, {"role": CLONE, "content": reply}], tok, max_len,
                               reply_only=True)
        if feat is not None and any(y != IGNORE for y in feat["labels"][1:]):
            rows.append((feat, len(reply.strip()) + 1))  # +1: the EOS counts as a character
    rows.sort(key=lambda r: len(r[0]["input_ids"]))
    scored = scores_learnt_tokens_only(model)
    collate = PadCollator(tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
    collate.counting = False  # it counts training batches' padding only

    def score(batch) -> NLL:
        padded = {k: v.to(dev) for k, v in collate([f for f, _ in batch]).items()}
        labels = padded.pop("labels")
        keep = scored_positions(labels)
        kw = {"logits_to_keep": keep} if scored else {}
        logits = model(**padded, **kw).logits
        if not scored:
            logits = logits[keep]
        targets = labels[:, 1:][labels[:, 1:] != IGNORE]
        lp = torch.log_softmax(logits.float(), dim=-1)
        return NLL(nll=float(-lp.gather(1, targets.unsqueeze(1)).sum()), tokens=int(targets.numel()),
                   chars=sum(c for _, c in batch), rows=len(batch))

    # On a CPU each thread scores whole batches on one core (training.row_threads: faster
    # than every core on each batch's small ops).
    workers = torch.get_num_threads() if torch.device(dev).type == "cpu" else 1
    batches = [rows[a:b] for a, b in even_chunks(len(rows), batch_size, workers)]
    model.eval()
    with _base_mode(model, base), torch_threads(1 if workers > 1 else None):
        parts = dealt(score, batches, workers, each=torch.inference_mode)
    out = NLL()
    for part in parts:  # summed in batch order: the same total whichever thread ends first
        out.nll += part.nll
        out.tokens += part.tokens
        out.chars += part.chars
        out.rows += part.rows
    return out
