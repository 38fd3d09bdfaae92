"""``run_eval``: every measurement of an adapter on a prepared dataset, kept in eval.json."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clonebot.errors import DatasetError
from clonebot.fsutil import atomic_write_text
from clonebot.model.generate import last_turns
from clonebot.prompt_format import USER
from training.eval.approvals import default_approvals_path, read_approvals
from training.eval.behaviour import generation_metrics
from training.eval.canaries import canary_contexts, find_canaries, load_canaries, partial_canaries
from training.eval.clone_score import clone_score
from training.eval.context_length import by_context_length
from training.eval.fingerprint import compare
from training.eval.generation import generate_raw_batch
from training.eval.likelihood import reply_nll
from training.eval.rows import load_split, pick_rows, reply_items
from training.eval.stops import RawGeneration

if TYPE_CHECKING:  # types only: nothing more is imported at run time
    from clonebot.config import Settings
    from clonebot.model.generate import Generator
    from clonebot.model.load import LoadedModel

# Generated replies kept beside the owner's real ones in eval.json (the report shows them).
EXAMPLES = 12


@dataclass
class EvalOptions:
    samples: int = 50  # generations
    ppl_rows: int = 1000  # rows scored for perplexity (cheap: one forward each)
    max_new_tokens: int | None = None  # None: settings.generate.max_new_tokens
    seed: int = 0
    canaries: bool = True
    base: bool = True
    approvals_path: Path | None = None
    clone_score: bool = True  # the discriminator (cheap; off only to measure its cost)


@dataclass
class EvalReport:
    adapter: str
    dataset: str
    created: str
    adapter_ppl: dict[str, Any]
    base_ppl: dict[str, Any] | None
    generation: dict[str, Any]
    canaries: dict[str, Any]
    approvals: dict[str, Any]
    fingerprint: dict[str, Any] = field(default_factory=dict)
    clone_score: dict[str, Any] = field(default_factory=dict)
    by_context: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def summary(self) -> dict[str, Any]:
        """Flat headline numbers (also shown by ``clonebot adapters list``)."""
        s: dict[str, Any] = {"adapter_ppl": self.adapter_ppl.get("perplexity")}
        if self.base_ppl:
            s["base_ppl"] = self.base_ppl.get("perplexity")
        for k in ("chrf", "stop_rate", "stop_eos_rate", "other_turn_rate", "loop_rate",
                  "length_ratio_median"):
            if k in self.generation:
                s[k] = self.generation[k]
        if self.fingerprint.get("max_rate_difference") is not None:
            s["style_max_difference"] = self.fingerprint["max_rate_difference"]
        if self.clone_score:  # None: too few replies to judge
            s["clone_auc"] = self.clone_score["auc"]
            s["clone_auc_ci"] = self.clone_score["ci"]
        s["canary_leaks"] = self.canaries.get("leaks", 0)
        if self.approvals.get("overall"):
            s["approval_rate"] = self.approvals["overall"].get("approval_rate")
        return s

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, **asdict(self)}


def write_json_atomic(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def json_safe(x: Any) -> Any:
    """JSON has no NaN: turn non-finite floats into None."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_safe(v) for v in x]
    return x


def run_eval(
    settings: Settings,
    adapter_dir: Path,
    dataset_dir: Path,
    opts: EvalOptions | None = None,
    *,
    loaded: LoadedModel | None = None,
    generator: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport:
    """Evaluate ``adapter_dir`` on ``dataset_dir``'s eval split; write ``eval.json`` beside it.

    Perplexities come from the torch model (``loaded``); generations from ``generator``
    (a backend of ``clonebot.model``), else from the configured backend when it is
    "llamacpp", else from the torch model too (a server's answers say too little about why
    they stopped)."""
    opts = opts or EvalOptions()
    t0 = time.time()
    step = progress or (lambda what, i, n: None)
    ds = load_split(dataset_dir, "eval")
    ppl_rows = pick_rows(ds, opts.ppl_rows, opts.seed)
    if not ppl_rows:
        raise DatasetError(f"the eval split of {dataset_dir} has no owner replies to score")
    gen_rows = pick_rows(ds, opts.samples, opts.seed) if opts.samples else []

    if loaded is None:
        from clonebot.model.load import load_model

        loaded = load_model(settings, adapter_dir)
    keep = loaded.context_turns  # the adapter's trained context, as the bot gives it
    max_len = settings.train.max_seq_len
    items = reply_items(ppl_rows, keep)

    step("perplexity (adapter)", 0, 1)
    adapter_nll = reply_nll(loaded, items, max_len=max_len)
    base_nll = None
    if opts.base:
        step("perplexity (base)", 0, 1)
        base_nll = reply_nll(loaded, items, max_len=max_len, base=True)

    if generator is None and settings.generate.backend == "llamacpp":
        from clonebot.model import load_generator

        generator = load_generator(settings, adapter_dir)
    source = generator if generator is not None else loaded
    contexts = [last_turns(r["messages"][:-1], keep) for r in gen_rows]
    refs = [r["messages"][-1]["content"] for r in gen_rows]
    step("generations", 0, len(contexts))
    gens: list[RawGeneration] = generate_raw_batch(
        source, contexts, settings.generate, seed=opts.seed, max_new_tokens=opts.max_new_tokens)
    generation = generation_metrics(gens, refs)
    clone = [g.reply for g in gens]
    fingerprint = compare(refs, clone) if gens else {}
    score: dict[str, Any] = {}
    by_context: list[dict[str, Any]] = []
    if gens and opts.clone_score:
        step("clone score", 0, 1)
        score = clone_score(refs, clone, seed=opts.seed)
        by_context = by_context_length(contexts, refs, clone, seed=opts.seed)

    canaries = _check_canaries(loaded, source, settings, dataset_dir, opts, gens, step) if opts.canaries \
        else {"planted": 0, "checked_generations": 0, "leaks": 0, "leaked": []}
    examples = [{"context": ctx, "owner": ref, "clone": g.reply}
                for ctx, ref, g in zip(contexts, refs, gens)][:EXAMPLES]

    approvals_path = opts.approvals_path or default_approvals_path(settings)
    approvals = read_approvals(approvals_path)

    man = getattr(loaded, "manifest", None) or {}
    if not isinstance(man, dict):
        man = asdict(man) if hasattr(man, "__dataclass_fields__") else {}
    report = EvalReport(
        adapter=str(adapter_dir),
        dataset=str(dataset_dir),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        adapter_ppl=adapter_nll.as_dict(),
        base_ppl=base_nll.as_dict() if base_nll else None,
        generation=generation,
        canaries=canaries,
        approvals=approvals,
        fingerprint=fingerprint,
        clone_score=score,
        by_context=by_context,
        examples=examples,
        settings={
            "samples": len(gen_rows),
            "ppl_rows": adapter_nll.rows,
            "max_new_tokens": opts.max_new_tokens or settings.generate.max_new_tokens,
            "seed": opts.seed,
            "context_turns": keep,
            "base_model": man.get("base_model") or settings.model.base_model,
            "sampling": {k: getattr(settings.generate, k) for k in (
                "temperature", "top_p", "top_k", "repetition_penalty", "no_repeat_ngram_size")},
        },
        seconds=round(time.time() - t0, 1),
    )
    if adapter_dir is not None and Path(adapter_dir).is_dir():
        write_json_atomic(Path(adapter_dir) / "eval.json", json_safe(report.to_json()))
    return report


def _check_canaries(loaded: LoadedModel, source: LoadedModel | Generator, settings: Settings, dataset_dir: Path,
                    opts: EvalOptions, gens: list[RawGeneration],
                    step: Callable[[str, int, int], None]) -> dict[str, Any]:
    """Prompt with canary-eliciting contexts; look for the planted canaries in every
    generation (these and the eval ones)."""
    planted = load_canaries(dataset_dir)
    out: dict[str, Any] = {"planted": len(planted), "checked_generations": 0, "leaks": 0,
                           "leaked": []}
    if not planted:
        return out
    try:
        train_rows = load_split(dataset_dir, "train")
    except DatasetError:
        train_rows = []
    ctxs = canary_contexts(planted, train_rows)
    step("canary prompts", 0, len(ctxs))
    canary_gens = generate_raw_batch(
        source, [last_turns(ctx, loaded.context_turns) for ctx in ctxs], settings.generate,
        seed=opts.seed + 10_000, max_new_tokens=opts.max_new_tokens)
    leaked: set[str] = set()
    partial: set[str] = set()
    for g in [*gens, *canary_gens]:
        leaked.update(find_canaries(g.text, planted))
        partial.update(partial_canaries(g.text, planted))
    out.update(
        canary_prompts=len(ctxs),
        checked_generations=len(gens) + len(canary_gens),
        leaks=len(leaked),
        leaked=sorted(leaked),
        partial_leaks=len(partial - leaked),
    )
    # How much likelier the adapter finds each canary than the base does (nats per
    # char): a memorisation signal even when sampling did not surface it.
    citems = [([{"role": USER, "content": "what's the code?"}], c) for c in planted]
    max_len = settings.train.max_seq_len
    out["nll_per_char_adapter"] = reply_nll(loaded, citems, max_len=max_len).nll_per_char
    if opts.base:
        out["nll_per_char_base"] = reply_nll(loaded, citems, max_len=max_len, base=True).nll_per_char
    return out
