"""Negative log-likelihood of the owner's real replies under the adapter and the base model."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clonebot.prompt_format import CLONE
from training.masking import IGNORE, tokenize_sample

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


def reply_nll(
    loaded: LoadedModel,
    items: Sequence[tuple[Sequence[Mapping], str]],
    *,
    max_len: int,
    base: bool = False,
) -> NLL:
    """NLL of each ``(context, reply)``'s reply tokens + EOS under the model, masked as
    training masks them (``training.masking``). A pair too long for ``max_len`` even
    without context is left out (training skips it too)."""
    import torch

    model, tok = loaded.model, loaded.tokenizer
    dev = _device(loaded)
    out = NLL()
    model.eval()
    with torch.inference_mode(), _base_mode(model, base):
        for context, reply in items:
            feat = tokenize_sample([*context, {"role": CLONE, "content": reply}], tok, max_len,
                                   reply_only=True)
            if feat is None:
                continue
            x = torch.tensor([feat["input_ids"]], device=dev)
            logits = model(input_ids=x).logits[0, :-1].float()
            y = torch.tensor(feat["labels"][1:], device=dev)
            mask = y != IGNORE
            if not bool(mask.any()):
                continue
            lp = torch.log_softmax(logits[mask], dim=-1)
            out.nll += float(-lp.gather(1, y[mask].unsqueeze(1)).sum())
            out.tokens += int(mask.sum())
            out.chars += len(reply.strip()) + 1  # +1: the EOS counts as a character
            out.rows += 1
    return out
