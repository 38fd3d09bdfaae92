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
import errno
import fcntl
import functools
import inspect
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError, OutputError
from clonebot.fsutil import (
    atomic_write_text,
    disk_full_message,
    free_bytes,
    is_disk_full,
    tree_size,
)
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


# --------------------------------------------------------------------------- one run at a time


def exclusive(train_fn: Callable[..., Any]) -> Callable[..., Any]:
    """``train_fn(settings, dataset_dir, out_dir, ...)`` holding ``.NAME.lock`` beside
    ``out_dir`` (flock): a second ``clonebot train`` into the same run dir is refused at
    once instead of racing the first to the final rename. Under a multi-GPU launcher only
    the main process locks (every rank trains into the same run dir)."""
    signature = inspect.signature(train_fn)

    @functools.wraps(train_fn)
    def locked(*args: Any, **kwargs: Any) -> Any:
        if int(os.environ.get("RANK", "0")) != 0:
            return train_fn(*args, **kwargs)
        out_dir = Path(signature.bind(*args, **kwargs).arguments["out_dir"])
        with _run_lock(out_dir):
            return train_fn(*args, **kwargs)

    return locked


@contextlib.contextmanager
def _run_lock(out_dir: Path) -> Iterator[None]:
    check_writable(out_dir)
    path = out_dir.parent / f".{out_dir.name}.lock"
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise OutputError(f"cannot create {out_dir}: {e.strerror or e} ({path})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise OutputError(f"another `clonebot train` is writing {out_dir}; wait for it "
                                  "to finish, or train into another --out") from None
            raise OutputError(f"cannot lock {out_dir}: {e.strerror or e}") from None
        try:  # the previous holder may have removed the file after we opened it
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


# --------------------------------------------------------------------------- finishing after a kill


def finish_interrupted(out_dir: Path) -> tuple[dict[str, Any] | None, bool]:
    """(the manifest of the finished run at ``out_dir`` or None, whether this call finished
    it). A kill after training ended (during the final writes, the rename, or the cleanup)
    left a run that is complete: finishing it is the outcome the interrupted command asked
    for, not a reason to refuse ``out_dir`` as taken."""
    pending = finished_manifest(work_dir(out_dir) / FINAL) is not None or (
        out_dir.is_dir() and (work_dir(out_dir).exists() or _trash_dir(out_dir).exists()))
    manifest = recover(out_dir)
    return manifest, manifest is not None and pending


def training_ended(checkpoint: Path) -> bool:
    """Did the run that saved ``checkpoint`` reach its last step? transformers saves one
    there; resuming from it would train one step more (global step 5 of max_steps 4)."""
    try:
        state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    step, last = state.get("global_step"), state.get("max_steps")
    return type(step) is int and type(last) is int and last > 0 and step >= last


def restore_ended(trainer: Any, checkpoint: Path) -> float:
    """Put ``trainer`` where the run that saved ``checkpoint`` (see ``training_ended``)
    ended: its adapter weights and trainer state, without another step. Returns the
    training loss, from the losses it logged."""
    from peft import set_peft_model_state_dict
    from transformers import TrainerState

    weights = checkpoint / _ADAPTER_WEIGHTS[0]
    if weights.is_file():
        from safetensors.torch import load_file

        state_dict = load_file(str(weights))
    else:
        import torch

        state_dict = torch.load(checkpoint / _ADAPTER_WEIGHTS[1], map_location="cpu",
                                weights_only=True)
    set_peft_model_state_dict(trainer.model, state_dict)
    trainer.state = TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    logged = [(e["step"], e["loss"]) for e in trainer.state.log_history
              if isinstance(e.get("loss"), (int, float)) and isinstance(e.get("step"), int)]
    total, prev = 0.0, 0
    for step, loss in logged:  # each logged loss is the mean since the one before
        total += loss * (step - prev)
        prev = step
    return total / prev if prev else float("nan")


# --------------------------------------------------------------------------- full disks


def space_needed(model: Any, out_dir: Path) -> int:
    """What a run writes at its peak, about: a checkpoint (the adapter's trainable weights
    and the optimizer's two moments, in float32, plus the tokenizer) and the final adapter
    beside it. The size of a complete checkpoint of this run, when there is one."""
    done = last_complete_checkpoint(work_dir(out_dir), move_aside=False)
    if done is not None:
        checkpoint = tree_size(done)
    else:
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        checkpoint = trainable * 4 * 3 + (20 << 20)
    return checkpoint + checkpoint // 3


def check_space(model: Any, out_dir: Path) -> None:
    """OutputError now, before training starts, if the run cannot be saved there."""
    needed = space_needed(model, out_dir)
    free = free_bytes(out_dir.parent)
    if free is not None and free < needed:
        raise OutputError(disk_full_message("training's checkpoints and adapter",
                                            out_dir.parent, needed))


@contextlib.contextmanager
def saving(model: Any, out_dir: Path) -> Iterator[None]:
    """Training and saving the run: a full disk (torch says only "file write failed")
    becomes one line naming the disk and the space needed; what was being written is
    removed, complete checkpoints are kept for ``--resume``."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - torch and safetensors have their own errors
        needed = space_needed(model, out_dir)
        free = free_bytes(out_dir.parent)
        # torch's own writer says only "file write failed": then the free space tells.
        short = isinstance(e, (OSError, RuntimeError)) and free is not None and free < needed
        if not (is_disk_full(e) or short):
            raise
        work = work_dir(out_dir)
        kept = last_complete_checkpoint(work)  # the one being written: moved aside
        for leftover in [*work.glob("incomplete-checkpoint-*"), work / FINAL]:
            shutil.rmtree(leftover, ignore_errors=True)
        if kept is None:
            shutil.rmtree(work, ignore_errors=True)
            then = "nothing of this run is kept; run it again"
        else:
            then = f"the run keeps {kept.name}: clonebot train --resume continues it"
        raise OutputError(disk_full_message("training's checkpoints and adapter",
                                            out_dir.parent, needed) + f" ({then})") from None
