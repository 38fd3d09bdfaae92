"""A training run's directory through its life, so that a kill at any moment is repaired
or finished by the next ``clonebot train`` / ``retrain``.

    .NAME.partial/                    everything in progress (``versions.partial_dir``)
        run.json                      what the run trains on (resume must match it)
        checkpoint-N/                 transformers checkpoints; trainer_state.json comes last
        final/                        the finished adapter, manifest written last
    NAME/                             ``final`` moved into place in one rename
    .NAME.old/                        the run it replaces (``overwrite``), removed at the end

A checkpoint counts only when complete (its trainer_state.json is written after every
other file); a newer incomplete one is moved aside. A finished run left beside its
partial dir, or left in ``final`` by a kill during the swap, is finished by ``recover``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError, OutputError
from clonebot.fsutil import atomic_write_text
from clonebot.model.manifest import read_manifest
from clonebot.versions import interrupted_versions, new_version_dir, partial_dir

log = logging.getLogger(__name__)

RUN_STATE = "run.json"
FINAL = "final"
_CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
# What transformers writes into a checkpoint before trainer_state.json.
_CHECKPOINT_FILES = ("optimizer.pt", "scheduler.pt")
_ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def _step(name: str) -> None:
    """A named point of ``publish``. Does nothing; tests make it raise to kill it there."""


def work_dir(out_dir: Path) -> Path:
    return partial_dir(out_dir)


def _trash_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.old"


def check_writable(out_dir: Path) -> None:
    """OutputError unless ``out_dir``'s parent can hold new directories (not under a regular
    file, not /proc, not read-only): said before hours of loading and training."""
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tempfile.mkdtemp(prefix=f".{out_dir.name}.probe-", dir=parent))
    except OSError as e:
        raise OutputError(f"cannot create {out_dir}: {e.strerror or e} ({parent})") from None


# --------------------------------------------------------------------------- checkpoints


def _is_complete_checkpoint(path: Path) -> bool:
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(state, dict)
        and isinstance(state.get("global_step"), int)
        and any((path / w).is_file() for w in _ADAPTER_WEIGHTS)
        and all((path / f).is_file() for f in _CHECKPOINT_FILES)
    )


def last_complete_checkpoint(work: Path, *, move_aside: bool = True) -> Path | None:
    """The newest complete ``checkpoint-N`` in ``work``. Newer incomplete ones (a kill while
    saving) are moved aside to ``incomplete-checkpoint-N``, which transformers ignores
    (only by one process of a multi-GPU run: ``move_aside``)."""
    if not work.is_dir():
        return None
    found = sorted(
        ((int(m.group(1)), p) for p in work.iterdir() if p.is_dir() and (m := _CHECKPOINT_RE.match(p.name))),
        reverse=True,
    )
    for _, path in found:
        if _is_complete_checkpoint(path):
            return path
        if not move_aside:
            continue
        aside = path.with_name(f"incomplete-{path.name}")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(path, aside)
        log.warning("%s is incomplete (interrupted while saving): moved aside to %s", path, aside.name)
    return None


def resumable_checkpoint(out_dir: Path, *, resume: bool, restart: bool,
                         move_aside: bool = True) -> Path | None:
    """The last complete checkpoint of an interrupted run at ``out_dir``, if any. Hours of
    training are never dropped silently: with such a checkpoint, and neither ``resume`` nor
    ``restart`` chosen, ModelError says how to go on."""
    checkpoint = last_complete_checkpoint(work_dir(out_dir), move_aside=move_aside)
    if checkpoint is not None and not (resume or restart):
        step = _CHECKPOINT_RE.match(checkpoint.name).group(1)
        raise ModelError(
            f"{out_dir} was interrupted at step {step} (checkpoints in {work_dir(out_dir)}): "
            "add --resume to continue it, or --restart to discard it and start over"
        )
    return checkpoint


# --------------------------------------------------------------------------- run state


def write_state(work: Path, state: dict[str, Any]) -> None:
    atomic_write_text(work / RUN_STATE, json.dumps(state, indent=2) + "\n")


def check_resumable(work: Path, state: dict[str, Any]) -> None:
    """ModelError unless the interrupted run in ``work`` trained on what ``state`` says."""
    try:
        old = json.loads((work / RUN_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None
    if not isinstance(old, dict) or any(old.get(k) != v for k, v in state.items()):
        raise ModelError(
            f"cannot resume {work}: it was started on another dataset or base model; "
            "pass --restart to discard it and start over"
        )


# --------------------------------------------------------------------------- finishing


def finished_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The manifest of a complete run in ``run_dir`` (it is written last); else None."""
    if not (run_dir / "adapter_config.json").is_file():
        return None
    try:
        return read_manifest(run_dir)
    except ModelError:
        return None


def publish(final: Path, out_dir: Path) -> None:
    """Move the finished run into place in one rename (a run already at ``out_dir`` is
    swapped out first and removed last), then remove the partial dir."""
    trash = _trash_dir(out_dir)
    if out_dir.exists():
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(out_dir, trash)
        _step("old-aside")
    os.replace(final, out_dir)
    _step("moved")
    _cleanup(out_dir)


def _cleanup(out_dir: Path) -> None:
    for leftover in (work_dir(out_dir), _trash_dir(out_dir)):
        if leftover.exists():
            shutil.rmtree(leftover)
            _step(f"removed {leftover.name}")


def recover(out_dir: Path) -> dict[str, Any] | None:
    """Finish a run a kill interrupted after training ended; its manifest, or None when
    there is no finished run at ``out_dir`` (an interrupted training is left to resume)."""
    final = work_dir(out_dir) / FINAL
    if finished_manifest(final) is not None:
        log.warning("finishing %s: its training had ended; moving it into place", out_dir)
        publish(final, out_dir)
    manifest = finished_manifest(out_dir)
    if manifest is not None and (work_dir(out_dir).exists() or _trash_dir(out_dir).exists()):
        log.warning("finishing %s: removing what the interrupted run left beside it", out_dir)
        with contextlib.suppress(FileNotFoundError):
            _cleanup(out_dir)
    return manifest


def next_run_dir(runs_dir: Path, *, resume: bool) -> Path:
    """Where ``clonebot train`` / ``retrain`` without ``--out`` train: the newest interrupted
    version (resumed with ``resume``; else ``train`` says what to do with it rather than
    leaving hours of training behind), else a new version. Runs a kill interrupted after
    their training ended are finished on the way."""
    for path in interrupted_versions(runs_dir):
        if resume or recover(path) is None:
            return path
    return new_version_dir(runs_dir, create=False)
