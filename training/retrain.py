"""`clonebot retrain NEW_EXPORT`: merge a fresh export, train a new adapter version,
and promote it only if it is not worse than the current one.

    prepare (merge into paths.dataset_dir)  ->  train runs/vNNN-...  ->  score new and
    current on the same eval split  ->  promote (or keep the current one)

"Worse" is measured on the held-out owner replies of the merged dataset: the summed
negative log-likelihood of the real replies (+ EOS) per character. Per character rather
than per token, so an adapter on another base model (another tokenizer) compares fairly;
on the same base it ranks exactly like eval loss / perplexity. The eval split holds the
latest replies of each chat, which neither adapter was trained on.

Killed at any moment, the next ``retrain --resume`` finishes the job: the version being
made is noted in ``RUNS_DIR/.retrain-pending`` until its verdict is recorded, so a run
killed while training resumes from its last complete checkpoint, and one killed after
training (while scoring, say) is scored and judged. The verdict (``retrain.json``) and the
promotion are one crash-safe step of ``clonebot.versions``. Without ``--resume`` an
interrupted retrain is never silently dropped: it stops and names ``--resume`` and
``--restart``.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clonebot import versions
from clonebot.errors import CloneBotError, FormatMismatchError, ModelError, OutputError
from clonebot.fsutil import atomic_write_text
from training import run_dir
from training.progress import Progress
from training.eval import NLL, json_safe, load_canaries, load_split, pick_rows, reply_items, reply_nll
from training.eval.clone_score import score_difference

if TYPE_CHECKING:  # types only: nothing more is imported at run time
    from clonebot.config import Settings
    from clonebot.model.load import LoadedModel

log = logging.getLogger(__name__)



@dataclass
class Score:
    """How likely an adapter finds the held-out owner replies (lower is better)."""

    nll_per_char: float
    loss: float
    perplexity: float
    rows: int

    @classmethod
    def of(cls, nll: NLL) -> "Score":
        return cls(nll.nll_per_char, nll.loss, nll.perplexity, nll.rows)


@dataclass
class RetrainResult:
    action: str  # "promoted" | "kept" | "skipped"
    reason: str
    version: Path | None = None  # the new run dir (None when skipped)
    previous: Path | None = None  # the adapter that was current before
    prepare: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    new: Score | None = None
    current: Score | None = None
    base: Score | None = None
    clone_score: dict[str, Any] = field(default_factory=dict)  # the gate's figures
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("version", "previous"):
            d[k] = str(d[k]) if d[k] is not None else None
        return d


def decide(
    new: float, current: float | None, *, tolerance: float = 0.0, force: bool = False
) -> tuple[bool, str]:
    """Promote? ``new`` / ``current`` are nats per char (lower is better); ``tolerance``
    lets the new one be that much (relatively) worse and still win."""
    if current is None:
        return True, "no current adapter to compare with"
    limit = current * (1 + tolerance)
    if new <= limit:
        delta = (new - current) / current * 100 if current else 0.0
        return True, f"not worse than the current one ({new:.4f} vs {current:.4f}, {delta:+.1f}%)"
    if force:
        return True, f"worse ({new:.4f} vs {current:.4f}) but --force"
    return False, f"worse than the current one ({new:.4f} vs {current:.4f} nats/char)"


def clone_gate(score: dict[str, Any], *, tolerance: float = 0.0, force: bool = False,
               ignore: bool = False) -> tuple[bool, str]:
    """Promote, as far as the clone score goes? ``score`` is ``score_difference`` of the
    new and the current clone on the same contexts (AUC: lower = harder to tell from the
    owner). Refused when the new one is worse by more than the 95% interval of the
    difference, i.e. the whole interval lies above ``tolerance``."""
    if not score:
        return True, ""
    if not score.get("judged"):
        return True, f"clone score not compared: {score.get('note')}"
    new, cur = score["new"]["auc"], score["current"]["auc"]
    lo, hi = score["ci"]
    said = (f"clone score (AUC) {new:.2f} vs {cur:.2f}, difference {new - cur:+.2f} "
            f"[{lo:+.2f}, {hi:+.2f}]")
    if lo <= tolerance:
        return True, said
    if force or ignore:
        return True, f"{said}: worse beyond its interval, but {'--force' if force else '--ignore-clone-score'}"
    return False, f"easier to tell from you than the current one, beyond the interval: {said}"


def held_out_rows(dataset_dir: Path, rows: int, seed: int = 0) -> list[dict]:
    """The held-out rows both adapters are scored on."""
    return pick_rows(load_split(dataset_dir, "eval"), rows, seed)


@dataclass
class Scores:
    new: Score
    base: Score
    current: Score | None = None
    note: str = ""  # why the current adapter could not be scored
    # Each adapter's replies to the clone-score contexts (empty: not asked for or failed).
    new_replies: list[str] = field(default_factory=list)
    current_replies: list[str] = field(default_factory=list)


def _score(settings: Settings, adapter_dir: Path, rows: list[dict], *, with_base: bool = False,
           gen_rows: list[dict] = ()):
    """Each adapter is scored on the context it was trained with, as the bot would run it,
    and answers ``gen_rows``' contexts (for the clone score) while it is loaded."""
    from clonebot.model.load import load_model

    max_len = settings.train.max_seq_len
    loaded = load_model(settings, adapter_dir)
    items = reply_items(rows, loaded.context_turns)
    try:
        mine = Score.of(reply_nll(loaded, items, max_len=max_len))
        base = Score.of(reply_nll(loaded, items, max_len=max_len, base=True)) if with_base else None
        replies = _replies(loaded, settings, gen_rows) if gen_rows else []
    finally:
        del loaded
        gc.collect()
        _empty_cuda_cache()
    return mine, base, replies


def _replies(loaded: LoadedModel, settings: Settings, rows: list[dict], batch: int = 8) -> list[str]:
    """One sampled reply per row's context, seeded: both adapters answer alike-drawn."""
    from training.eval.generation import generate_raw_batch

    contexts = [ctx for ctx, _ in reply_items(rows, loaded.context_turns)]
    out: list[str] = []
    for i in range(0, len(contexts), batch):
        out += [g.reply for g in generate_raw_batch(loaded, contexts[i:i + batch],
                                                    settings.generate, seed=i)]
    return out


def score_adapters(settings: Settings, new_dir: Path, current_dir: Path | None,
                   rows: list[dict], gen_rows: list[dict] = ()) -> Scores:
    """Score the new adapter, its base, and the current adapter on the same held-out rows;
    each adapter also answers ``gen_rows`` (the clone score's contexts).

    One model in memory at a time. (Loading the current adapter beside the new one with
    peft's ``load_adapter`` would save a base load, but measurably shifts the numbers
    away from what ``clonebot eval`` reports for the same adapter.)"""
    new, base, new_replies = _score(settings, new_dir, rows, with_base=True, gen_rows=gen_rows)
    if current_dir is None:
        return Scores(new, base, new_replies=new_replies)
    try:
        current, _, current_replies = _score(settings, current_dir, rows, gen_rows=gen_rows)
    except FormatMismatchError:
        return Scores(new, base, None,
                      "the current adapter uses an older prompt format: the bot cannot run it",
                      new_replies=new_replies)
    except ModelError as e:
        return Scores(new, base, None, f"the current adapter cannot be loaded: {e}",
                      new_replies=new_replies)
    return Scores(new, base, current, new_replies=new_replies, current_replies=current_replies)


def _empty_cuda_cache() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


_PENDING = ".retrain-pending"  # in the runs dir: the version a retrain is making


def _pending_version(runs_dir: Path) -> Path | None:
    """The version an interrupted retrain was making, unless its verdict got recorded."""
    try:
        name = json.loads((runs_dir / _PENDING).read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = runs_dir / str(name)
    if path.parent != runs_dir or (path / versions.RETRAIN_RECORD).is_file():
        return None
    return path if path.exists() or versions.partial_dir(path).exists() else None


def _note_pending(runs_dir: Path, version: Path | None) -> None:
    path = runs_dir / _PENDING
    try:
        if version is not None:
            atomic_write_text(path, json.dumps({"version": version.name}) + "\n")
        elif path.exists():
            path.unlink()
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def _version_to_make(runs_dir: Path, *, resume: bool, restart: bool) -> Path:
    """The version this retrain trains (or finishes), refusing to drop an interrupted one
    unless ``restart``: checked before the merge and hours of training."""
    pending = _pending_version(runs_dir)
    if pending is None:
        _note_pending(runs_dir, None)  # its verdict got recorded: nothing left to finish
    if pending is not None and resume:
        return pending
    if pending is not None and pending.exists() and not restart:
        raise ModelError(
            f"an interrupted retrain trained {pending.name} but did not compare it yet: add "
            "--resume to compare and promote it, or --restart to train a new version"
        )
    version = run_dir.next_run_dir(runs_dir, resume=resume)
    run_dir.resumable_checkpoint(version, resume=resume, restart=restart)
    return version


def retrain(
    settings: Settings,
    export: Path | str,
    *,
    force: bool = False,
    tolerance: float = 0.0,
    ignore_clone_score: bool = False,
    eval_rows: int = 500,
    owner_id: int | None = None,
    canaries: int | None = None,
    resume: bool = False,
    restart: bool = False,
    progress: Progress | None = None,
    train_progress: bool = True,
    prepare_fn: Callable[..., dict] | None = None,
    train_fn: Callable[..., dict] | None = None,
    score_fn: Callable[..., Scores] | None = None,
) -> RetrainResult:
    """The whole routine; the ``*_fn`` hooks exist for tests. Records the verdict as
    ``retrain.json`` in the new version dir and promotes it when it is not worse (or
    ``force``), in one crash-safe step."""
    t0 = time.time()
    if prepare_fn is None:
        from training.dataset import prepare as prepare_fn
    if train_fn is None:
        from training.train import train as train_fn
    score_fn = score_fn or score_adapters
    runs_dir = Path(settings.paths.runs_dir)
    dataset_dir = Path(settings.paths.dataset_dir)
    # Damaged promotion state is said now, not after hours of training.
    versions.repair(runs_dir)
    previous = versions.promoted_version(runs_dir)
    versions.history(runs_dir)
    version = _version_to_make(runs_dir, resume=resume, restart=restart)
    resuming = resume and (version.exists() or versions.partial_dir(version).exists())

    # 1. Merge the new export into the dataset (same export twice: nothing new). Planted
    # privacy canaries stay planted unless asked otherwise (prepare reuses the same ones).
    if canaries is None:
        canaries = len(load_canaries(dataset_dir)) if dataset_dir.is_dir() else 0
    stats = prepare_fn(export, dataset_dir, settings, owner_id=owner_id, progress=progress,
                       canaries=canaries)
    if (stats.get("messages_new", 1) == 0 and stats.get("messages_updated", 0) == 0
            and previous is not None and not force and not resuming):
        return RetrainResult(
            "skipped", "the export adds no new or edited messages; nothing to retrain "
            "(--force retrains anyway)", previous=previous, prepare=stats,
            seconds=round(time.time() - t0, 1))

    # 2. Train a new version (or finish an interrupted one).
    _note_pending(runs_dir, version)
    metrics = train_fn(settings, dataset_dir, version, resume=resume, restart=restart,
                       progress=train_progress)

    # 3. Score new and current on the same held-out replies.
    rows = held_out_rows(dataset_dir, eval_rows)
    if not rows:
        raise CloneBotError(f"the eval split of {dataset_dir} is empty: cannot compare adapters "
                            "(prepare.eval_fraction must be > 0)")
    gen_rows = (held_out_rows(dataset_dir, settings.retrain.clone_score_samples, seed=1)
                if settings.retrain.clone_score_samples and previous is not None else [])
    if progress:
        progress("score new vs current", 0, len(rows))
    sc = score_fn(settings, version, previous, rows, gen_rows)
    new, base, current = sc.new, sc.base, sc.current
    note = f" ({sc.note})" if sc.note else ""

    # 4. Decide, record the verdict and promote: one crash-safe step.
    ok, reason = decide(new.nll_per_char, current.nll_per_char if current else None,
                        tolerance=tolerance, force=force)
    if note and current is None:
        reason = "nothing comparable to beat" + note
    gate: dict[str, Any] = {}
    if sc.new_replies and sc.current_replies:
        if progress:
            progress("clone score new vs current", 0, len(gen_rows))
        owner = [r["messages"][-1]["content"] for r in gen_rows]
        gate = score_difference(owner, sc.new_replies, sc.current_replies)
        passes, why = clone_gate(gate, tolerance=settings.retrain.clone_score_tolerance,
                                 force=force, ignore=ignore_clone_score)
        gate["verdict"] = why
        if ok and not passes:
            ok, reason = False, why
        elif ok:
            reason = f"{reason}; {why}"
    result = RetrainResult(
        "promoted" if ok else "kept", reason, version=version, previous=previous,
        prepare=stats, train=metrics, new=new, current=current, base=base, clone_score=gate,
    )
    result.seconds = round(time.time() - t0, 1)
    record = json_safe(result.to_json())
    if ok:
        versions.promote(runs_dir, version.name, reason=f"retrain: {reason}", record=record)
    else:
        versions.write_record(runs_dir, version, record)
    _note_pending(runs_dir, None)
    return result
