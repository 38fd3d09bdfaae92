"""The torch backend: base model + LoRA adapter in process (``clonebot.model.load``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clonebot.config import GenerateSettings
from clonebot.model.generate import Continuation, Generator, Prompt, stop_reason, trained_max_seq_len
from clonebot.model.penalties import penalise
from clonebot.prompt_format import STOP_STRINGS


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


class LocalGenerator(Generator):
    """Base model + LoRA adapter in-process (``clonebot.model.load.load_model``).

    ``logits_processors`` stand in for the model in tests: they run on its logits before
    the penalties and the sampling, as a scripted model would."""

    def __init__(self, loaded, settings: GenerateSettings, *, logits_processors: list | None = None):
        super().__init__(settings, eos=loaded.tokenizer.eos_token, context_turns=loaded.context_turns,
                         tokenizer=loaded.tokenizer, max_seq_len=trained_max_seq_len(loaded.manifest))
        self.loaded = loaded
        self._scripted = list(logits_processors or [])

    def _continue(self, prompts: list[Prompt], k: int, *, temperature: float,
                  markers: Sequence[str], max_new_tokens: int,
                  seed: int | None) -> list[Continuation]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        from clonebot.model.load import generation_pad_id

        if seed is not None:
            torch.manual_seed(seed)
        model = self.loaded.model
        tok = self.tokenizer
        pad = generation_pad_id(tok)  # never EOS: a row padded after a marker is no EOS stop
        # Prompts padded on the left, so every reply starts at the same position: several
        # prompts sampled together are several times faster than one by one.
        ids = [p.ids for p in prompts]
        width = max(len(p) for p in ids)
        inputs = torch.tensor([[pad] * (width - len(p)) + p for p in ids], device=model.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in ids], device=model.device)
        with torch.inference_mode():
            out = model.generate(
                input_ids=inputs,
                attention_mask=mask,
                max_new_tokens=max_new_tokens,
                eos_token_id=tok.eos_token_id,
                pad_token_id=pad,
                stopping_criteria=StoppingCriteriaList([stop_on_markers(tok, width, markers)]),
                logits_processor=LogitsProcessorList([*self._scripted,
                                                      *reply_penalties(self.settings, width)]),
                **sampling_kwargs(self.settings, temperature, k),
            )
        conts = []
        for row in out[:, width:].tolist():
            eos_in = tok.eos_token_id in row
            if eos_in:  # everything after EOS is padding
                row = row[: row.index(tok.eos_token_id)]
            while row and row[-1] == pad:  # a row that stopped on a marker before the others
                row.pop()
            text = tok.decode(row, skip_special_tokens=True)
            # A row that stopped on a marker is padded while the others go on, and the pad
            # may be EOS itself: that row did not end on EOS.
            hit_eos = eos_in and not any(m in text for m in markers)
            conts.append(Continuation(
                text=text, raw=tok.decode(row, skip_special_tokens=False), hit_eos=hit_eos,
                stop=stop_reason(text, hit_eos, markers), new_tokens=len(row) + hit_eos,
                tokens=tuple(row)))
        return conts


def reply_penalties(settings: GenerateSettings, prompt_len: int) -> list:
    """``penalties.penalise`` as transformers logits processors: each row's reply is what
    follows the (left-padded) prompt."""
    from transformers import LogitsProcessor

    class ReplyPenalties(LogitsProcessor):
        def __call__(self, input_ids, scores):
            for row, reply in enumerate(input_ids[:, prompt_len:].tolist()):
                penalise(scores[row], reply, settings.repetition_penalty,
                         settings.no_repeat_ngram_size)
            return scores

    if settings.repetition_penalty == 1.0 and settings.no_repeat_ngram_size <= 0:
        return []
    return [ReplyPenalties()]


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
