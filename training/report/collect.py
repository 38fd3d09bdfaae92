"""Everything the report shows, read from where each piece already lives.

- the dataset's ``stats.json`` (the dataset the run's manifest names, or one given);
- the run's ``trainer_state.json`` (loss and eval loss by step), else the manifest's
  before/after figures;
- the run's ``eval.json`` (perplexity, generation behaviour, style fingerprint, example
  replies, canaries) written by ``clonebot eval``;
- the bot's approval store (approval rate over time), read now, so the report is fresher
  than the last eval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clonebot.fsutil import json_or_none
from clonebot.versions import read_manifest_lenient
from training.eval.approvals import read_approvals

TRAINER_STATE = "trainer_state.json"
EVAL_JSON = "eval.json"


@dataclass
class ReportData:
    adapter: Path
    manifest: dict[str, Any]
    dataset_dir: Path | None
    dataset_stats: dict[str, Any] | None
    log_history: list[dict[str, Any]]
    evaluation: dict[str, Any] | None
    approvals: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def log_history(adapter: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Loss records by step: the trainer's own log, else the manifest's two eval points.
    The eval loss before training (measured by train, outside the trainer's log) is put at
    step 0, so the eval curve starts where training did."""
    metrics = manifest.get("metrics") or {}
    state = json_or_none(adapter / TRAINER_STATE)
    if isinstance(state, dict) and isinstance(state.get("log_history"), list):
        out = [r for r in state["log_history"] if isinstance(r, dict) and "step" in r]
        before = metrics.get("eval_loss_before")
        if before is not None and not any(r.get("eval_loss") is not None and r["step"] == 0
                                          for r in out):
            out.insert(0, {"step": 0, "eval_loss": before})
        return out
    out = []
    if metrics.get("eval_loss_before") is not None:
        out.append({"step": 0, "eval_loss": metrics["eval_loss_before"]})
    if metrics.get("steps"):
        last = {"step": metrics["steps"]}
        if metrics.get("eval_loss") is not None:
            last["eval_loss"] = metrics["eval_loss"]
        if metrics.get("train_loss") is not None:
            last["train_loss"] = metrics["train_loss"]
        out.append(last)
    return out


def dataset_note(dataset_dir: Path | None) -> str:
    """Why the report has no dataset figures, said plainly."""
    if dataset_dir is None:
        return "This run does not say which dataset it was trained on."
    if not dataset_dir.exists():
        return (f"The dataset this run was trained on, {dataset_dir}, no longer exists (moved or "
                "deleted). Pass --dataset DIR to show a prepared dataset here.")
    return f"{dataset_dir} has no stats.json: it is not a dataset prepared by clonebot prepare."


def collect(adapter: Path, *, dataset_dir: Path | None = None,
            approvals_path: Path | None = None) -> ReportData:
    adapter = Path(adapter)
    manifest = read_manifest_lenient(adapter)
    notes: list[str] = []
    if dataset_dir is None and manifest.get("dataset_dir"):
        dataset_dir = Path(manifest["dataset_dir"])
    stats = json_or_none(dataset_dir / "stats.json") if dataset_dir is not None else None
    if not isinstance(stats, dict):
        stats = None
        notes.append(dataset_note(dataset_dir))
    evaluation = json_or_none(adapter / EVAL_JSON)
    if not isinstance(evaluation, dict):
        evaluation = None
    return ReportData(
        adapter=adapter,
        manifest=manifest,
        dataset_dir=dataset_dir,
        dataset_stats=stats,
        log_history=log_history(adapter, manifest),
        evaluation=evaluation,
        approvals=read_approvals(approvals_path),
        notes=notes,
    )
