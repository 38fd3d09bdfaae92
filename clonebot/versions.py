"""Adapter versions under the runs dir, which one is promoted, and ``resolve()``: the one
answer to "which adapter do I load?".

Layout::

    RUNS_DIR/v001-20261121-2330/          one trained adapter + its manifest ``clonebot.json``
    RUNS_DIR/v002-20270301-0915/retrain.json   how `clonebot retrain` judged it (if it made it)
    RUNS_DIR/.v003-20270402-0800.partial/ a training run in progress or interrupted
    RUNS_DIR/CURRENT                      name of the promoted version (one line)
    RUNS_DIR/HISTORY.json                 {"stack": [...], "log": [...], "pending": null}

``promote`` pushes the outgoing version on a stack that ``rollback`` pops, so rolling back
twice goes back two promotions.

Why a kill cannot leave CURRENT, HISTORY.json and retrain.json disagreeing: a promotion
(or rollback) is first written whole, as the ``pending`` entry of HISTORY.json, in one
atomic write; from that moment it counts as done. Then retrain.json, CURRENT and the final
history are written from that entry. Every reader honours a pending entry, and every
writer (and ``adapters list``) first completes one left by a kill and removes the temp
files such a kill leaves. Writers hold a lock on the runs dir, so two of them never mix.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from clonebot.errors import AdapterError, ModelError, OutputError
from clonebot.fsutil import (
    commit,
    discard,
    disk_full_message,
    json_or_none,
    is_disk_full,
    read_small_json,
    read_small_text,
    stage_text,
)
from clonebot.model.manifest import MANIFEST_NAME, check_weights, read_manifest

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
HISTORY = "HISTORY.json"
RETRAIN_RECORD = "retrain.json"
_LOCK = ".adapters.lock"
_VERSION_RE = re.compile(r"^v(\d{3,})-")
# Training writes ``.<name>.partial`` first: its number is taken too.
_TAKEN_RE = re.compile(r"^\.?v(\d{3,})-")
_PARTIAL = ".partial"
_LOG_KEEP = 200  # the log is for humans; keep it bounded
# What the state files can hold: a version name; a history of _LOG_KEEP entries and a
# pending retrain record; an eval summary.
_CURRENT_MAX = 4096
_JSON_MAX = 16 << 20


def _step(name: str) -> None:
    """A named point between two writes of a promotion. Does nothing; tests make it raise
    to kill the promotion exactly there."""


# --------------------------------------------------------------------------- the versions


@dataclass
class Version:
    name: str
    path: Path
    created: str | None = None
    base_model: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    current: bool = False
    problem: str | None = None  # why this run cannot be used (damaged manifest...)


def is_adapter_dir(path: Path) -> bool:
    return path.is_dir() and (
        (path / MANIFEST_NAME).is_file() or (path / "adapter_config.json").is_file()
    )


def read_manifest_lenient(path: Path) -> dict[str, Any]:
    """The run's validated manifest as a dict; {} when missing or damaged."""
    try:
        return read_manifest(path)
    except ModelError:
        return {}


def _usable_lenient(path: Path) -> bool:
    try:
        usable(path)
    except ModelError:
        return False
    return True


def _sort_key(name: str) -> tuple[int, str]:
    m = _VERSION_RE.match(name)
    return (int(m.group(1)) if m else 10**9, name)


def usable(path: Path) -> dict[str, Any]:
    """The manifest of the adapter in ``path`` once its weights are verified; ModelError
    says what is wrong (damaged manifest, weights missing, truncated or altered)."""
    man = read_manifest(path)
    check_weights(path, man)
    return man


def _outside(path: Path, runs_dir: Path) -> str | None:
    """Why ``path`` (an entry of ``runs_dir``) is not a version of it: a link that leads
    out of the runs dir is refused like ``../x``."""
    try:
        real = path.resolve()
        inside = real.parent == runs_dir.resolve()
    except (OSError, RuntimeError):  # a link loop
        return f"{path.name} is a link that leads nowhere"
    if not inside:
        return f"{path.name} is a link to {real}, outside the runs dir {runs_dir}"
    return None


def _version(path: Path, current: str | None) -> Version:
    v = Version(name=path.name, path=path, current=(path.name == current))
    v.problem = _outside(path, path.parent)
    if v.problem:
        return v
    try:
        man = usable(path)
    except ModelError as e:
        v.problem = str(e)
        return v
    v.created, v.base_model, v.metrics = man["created"], man["base_model"], dict(man["metrics"])
    # `clonebot eval` writes eval.json beside the adapter; show its headline numbers too.
    ev = json_or_none(path / "eval.json", _JSON_MAX)
    if isinstance(ev, dict) and isinstance(ev.get("summary"), dict):
        for k, val in ev["summary"].items():
            v.metrics.setdefault(str(k), val)
    return v


def list_versions(runs_dir: Path) -> list[Version]:
    """Every adapter run directly under ``runs_dir``, oldest version number first. A run
    whose manifest is damaged is listed too, with its ``problem``."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    try:
        cur = _current_name(runs_dir)
    except AdapterError:
        cur = None
    out = [
        _version(p, cur)
        for p in runs_dir.iterdir()
        if not p.name.startswith(".") and is_adapter_dir(p)
    ]
    out.sort(key=lambda v: _sort_key(v.name))
    return out


def new_version_dir(runs_dir: Path, now: datetime | None = None, *, create: bool = True) -> Path:
    """The next ``vNNN-YYYYMMDD-HHMM`` directory (numbers never reused), created unless
    ``create=False`` (``training.train`` wants to create its out dir itself)."""
    runs_dir = Path(runs_dir)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M")
    with _locked(runs_dir):
        used = [
            int(m.group(1))
            for p in runs_dir.iterdir()
            if (m := _TAKEN_RE.match(p.name))
        ]
        n = max(used, default=0) + 1
        path = runs_dir / f"v{n:03d}-{stamp}"
        if create:
            path.mkdir()  # raises if it somehow exists: never reuse a version dir
    return path


def partial_dir(run_dir: Path) -> Path:
    """Where training writes ``run_dir`` until it is finished."""
    return run_dir.parent / f".{run_dir.name}{_PARTIAL}"


def interrupted_versions(runs_dir: Path) -> list[Path]:
    """Version dirs whose training was interrupted (``.vNNN-...partial`` left behind),
    newest first, as the path the finished run gets. A run killed after it was moved into
    place but before its partial dir was removed is listed too: training finishes it."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    out = [
        runs_dir / p.name[1 : -len(_PARTIAL)]
        for p in runs_dir.iterdir()
        if p.is_dir() and p.name.endswith(_PARTIAL) and _VERSION_RE.match(p.name[1:])
    ]
    return sorted(out, key=lambda p: _sort_key(p.name), reverse=True)


# --------------------------------------------------------------------------- which adapter


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not re.search(r"[/\\\x00-\x1f]", name)


def _read_current_name(runs_dir: Path) -> str | None:
    """CURRENT's content; None when nothing was promoted. AdapterError when it is garbage."""
    marker = runs_dir / CURRENT
    if not os.path.lexists(marker):
        return None
    try:
        # A FIFO or a link to /dev/zero would block or never end; a 300 MB file is not a
        # version name.
        name = read_small_text(marker, _CURRENT_MAX).strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise AdapterError(f"cannot read {marker}: {e}; {_PROMOTE_HINT}") from None
    if name and not _plain_name(name):
        raise AdapterError(f"{marker} is damaged (holds {name[:40]!r}, not a version name); "
                           f"{_PROMOTE_HINT}")
    return name or None


_PROMOTE_HINT = "promote one: clonebot adapters use VERSION (see clonebot adapters list)"


def _current_name(runs_dir: Path) -> str | None:
    """The promoted version's name, honouring a promotion a kill left pending."""
    name = _read_current_name(runs_dir)
    try:
        pending = _load_history(runs_dir).pending
    except AdapterError as e:
        log.warning("%s", e)  # a damaged history does not change what CURRENT says
        return name
    if pending is not None and name in (pending.previous, pending.version):
        return pending.version
    return name


def promoted_version(runs_dir: Path) -> Path | None:
    """The promoted adapter's directory; None if nothing was promoted yet. AdapterError
    when CURRENT is damaged or names a run that is gone or holds no adapter."""
    runs_dir = Path(runs_dir)
    name = _current_name(runs_dir)
    if name is None:
        return None
    path = runs_dir / name
    if not path.is_dir():
        raise AdapterError(f"{runs_dir / CURRENT} names {name}, which is not in {runs_dir} "
                           f"(deleted?); {_PROMOTE_HINT}")
    outside = _outside(path, runs_dir)
    if outside:
        raise AdapterError(f"{runs_dir / CURRENT} names {outside}; {_PROMOTE_HINT}")
    if not is_adapter_dir(path):
        raise AdapterError(f"{runs_dir / CURRENT} names {name}, which holds no adapter; "
                           f"{_PROMOTE_HINT}")
    return path


def current_adapter(runs_dir: Path) -> Path | None:
    """``promoted_version`` that never raises (None for a damaged CURRENT too), for callers
    that must keep running, like a bot answering /status. Prefer ``resolve``."""
    try:
        return promoted_version(Path(runs_dir))
    except AdapterError:
        return None


def find_version(runs_dir: Path, version: str | Path) -> Path:
    """A version by name, unique prefix (``v002``), or path directly inside ``runs_dir``."""
    runs_dir = Path(runs_dir)
    v = str(version).rstrip("/")
    cand = Path(v)
    if cand.is_absolute() or len(cand.parts) > 1:
        try:
            cand.resolve().relative_to(runs_dir.resolve())
        except ValueError:
            raise AdapterError(f"{v} is not inside the runs dir {runs_dir}") from None
        if cand.resolve().parent != runs_dir.resolve():
            raise AdapterError(f"{v} must be a version directly under {runs_dir}")
        path = runs_dir / cand.name
    else:
        path = runs_dir / v
        if not path.is_dir():
            matches = [p for p in list_versions(runs_dir) if p.name.startswith(v + "-")]
            if len(matches) == 1:
                path = matches[0].path
            elif len(matches) > 1:
                names = ", ".join(m.name for m in matches)
                raise AdapterError(f"{v} is ambiguous: {names}")
    if not path.is_dir():
        known = ", ".join(x.name for x in list_versions(runs_dir)) or "none"
        raise AdapterError(f"no adapter version {v} in {runs_dir} (known: {known})")
    outside = _outside(path, runs_dir)
    if outside:
        raise AdapterError(f"{outside}: a version must be a directory of the runs dir")
    if not is_adapter_dir(path):
        raise AdapterError(f"{path} holds no adapter (no {MANIFEST_NAME} / adapter_config.json)")
    return path


def resolve(runs_dir: Path, adapter: str | Path | None = None) -> Path:
    """Which adapter to load: ``adapter`` (a run dir anywhere, or a version name / unique
    prefix under ``runs_dir``), else the promoted one. AdapterError says what to do."""
    runs_dir = Path(runs_dir)
    if adapter is None:
        path = promoted_version(runs_dir)
        if path is None:
            raise AdapterError(
                f"no adapter given and none promoted under {runs_dir}: pass --adapter RUN_DIR, "
                "or promote one: clonebot adapters use VERSION"
            )
        return path
    path = Path(adapter)
    if path.is_dir():
        if not is_adapter_dir(path):
            raise AdapterError(f"{path} holds no adapter (no {MANIFEST_NAME} / adapter_config.json)")
        return path
    if path.exists():
        raise AdapterError(f"{path} is not a directory: give the run dir that holds the adapter")
    if not path.is_absolute() and len(path.parts) == 1:
        return find_version(runs_dir, path.name)
    raise AdapterError(f"adapter directory not found: {path}")


# --------------------------------------------------------------------------- promotion state


class Pending(BaseModel):
    """A promotion or rollback, written whole before any marker changes."""

    model_config = ConfigDict(strict=True, extra="forbid")

    action: Literal["promote", "rollback"]
    version: str
    previous: str | None
    reason: str = ""
    at: str
    ts: float
    stack: list[str]  # the rollback stack once this is done
    record: dict[str, Any] | None = None  # the version's retrain.json, if retrain promotes it


class History(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    stack: list[str] = []
    log: list[dict[str, Any]] = []
    pending: Pending | None = None


def _load_history(runs_dir: Path) -> History:
    path = runs_dir / HISTORY
    if not os.path.lexists(path):
        return History()
    try:
        hist = History.model_validate(read_small_json(path, _JSON_MAX))
        why = next((f"stack holds {n[:40]!r}" for n in hist.stack if not _plain_name(n)), None)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(map(str, first["loc"]))
        why = f"{where}: {first['msg']}" if where else "not a JSON object"
    except (OSError, ValueError) as e:  # not JSON, not UTF-8
        why = str(e)
    if why is None:
        return hist
    raise AdapterError(
        f"{path} is damaged ({why}); rollback needs it. Move it aside to start a new history "
        f"(mv {path} {path}.bad): CURRENT stays as it is"
    )


def _save_history(runs_dir: Path, hist: History) -> None:
    _apply(runs_dir, [(runs_dir / HISTORY, _history_text(hist), "history")], "the history")


def _plain_json(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(record, default=str))


def _write_record(path: Path, record: dict[str, Any]) -> None:
    _apply(path.parent, [(path / RETRAIN_RECORD,
                          json.dumps(record, ensure_ascii=False, indent=2) + "\n", "record")],
           f"{path.name}'s {RETRAIN_RECORD}")


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _completion(runs_dir: Path, hist: History) -> list[tuple[Path, str, str]]:
    """The writes that carry out ``hist.pending`` (path, text, step), each safe to repeat
    after a kill; ``hist`` becomes the history they end with."""
    p = hist.pending
    assert p is not None
    writes = []
    if p.record is not None and (runs_dir / p.version).is_dir():
        writes.append((runs_dir / p.version / RETRAIN_RECORD,
                       json.dumps(p.record, ensure_ascii=False, indent=2) + "\n", "record"))
    writes.append((runs_dir / CURRENT, p.version + "\n", "current"))
    hist.log.append({"at": p.at, "ts": p.ts, "action": p.action, "version": p.version,
                     "previous": p.previous, "reason": p.reason})
    hist.stack, hist.pending = list(p.stack), None
    writes.append((runs_dir / HISTORY, _history_text(hist), "history"))
    return writes


def _history_text(hist: History) -> str:
    hist.log = hist.log[-_LOG_KEEP:]
    return json.dumps(hist.model_dump(), indent=2) + "\n"


def _apply(runs_dir: Path, writes: list[tuple[Path, str, str]], what: str) -> None:
    """Every file written to a temp first, then moved into place in order (``_step`` after
    each): a full disk or a write error changes nothing, and says so in one line."""
    staged: list[Path] = []
    try:
        for path, text, _ in writes:
            staged.append(stage_text(path, text))
    except OSError as e:
        discard(staged)
        if is_disk_full(e):
            needed = sum(-(-len(t.encode()) // 4096) * 4096 for _, t, _ in writes)
            raise OutputError(disk_full_message(
                f"{what} (CURRENT and HISTORY.json are unchanged)", runs_dir, needed)) from None
        raise OutputError(f"cannot write {what} in {runs_dir}: {e.strerror or e} (CURRENT and "
                          "HISTORY.json are unchanged)") from None
    done = 0
    try:
        for (path, _, step), tmp in zip(writes, staged):
            commit(tmp, path)
            done += 1
            _step(step)
    finally:
        discard(staged[done:])


def _complete(runs_dir: Path, hist: History) -> None:
    """Carry out ``hist.pending`` (a kill may have interrupted it)."""
    p = hist.pending
    assert p is not None
    _apply(runs_dir, _completion(runs_dir, hist), f"the {p.action} of {p.version}")


def _remove_stray_temps(runs_dir: Path) -> None:
    """Temp files of the writes above that a kill left behind (only writers holding the
    lock make them, so none of them is in use now)."""
    strays = [*runs_dir.glob(f".{CURRENT}.*.tmp"), *runs_dir.glob(f".{HISTORY}.*.tmp"),
              *runs_dir.glob(f"*/.{RETRAIN_RECORD}.*.tmp")]
    for p in strays:
        log.warning("removing %s, left by an interrupted write", p)
        with contextlib.suppress(OSError):
            p.unlink()


def _repair(runs_dir: Path) -> None:
    """Finish what a kill interrupted (caller holds the lock)."""
    _remove_stray_temps(runs_dir)
    try:
        hist = _load_history(runs_dir)
    except AdapterError:
        return  # promote / rollback report it; nothing here can be finished without it
    p = hist.pending
    if p is None:
        return
    try:
        cur = _read_current_name(runs_dir)
    except AdapterError:
        cur = p.previous  # garbage in CURRENT: the pending entry is the better truth
    if cur in (p.previous, p.version):
        log.warning("finishing the interrupted %s of %s", p.action, p.version)
        _complete(runs_dir, hist)
        return
    # CURRENT was changed by hand since: that wins; the interrupted change is dropped.
    log.warning("dropping the interrupted %s of %s: CURRENT was set to %s meanwhile",
                p.action, p.version, cur)
    if p.record is not None and (runs_dir / p.version).is_dir():
        _write_record(runs_dir / p.version, {
            **p.record, "action": "kept",
            "reason": f"promotion interrupted, and CURRENT was set to {cur} meanwhile"})
    hist.log.append({"at": _now_iso(), "ts": time.time(), "action": "dropped",
                     "version": p.version, "previous": cur,
                     "reason": f"interrupted {p.action}; CURRENT was set by hand meanwhile"})
    hist.pending = None
    _save_history(runs_dir, hist)


@contextlib.contextmanager
def _locked(runs_dir: Path) -> Iterator[None]:
    """Hold the runs dir's lock (two `adapters use` / `retrain` runs at once must not lose a
    history entry), after finishing whatever a kill interrupted."""
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        lock = open(runs_dir / _LOCK, "a+")
    except OSError as e:
        raise OutputError(f"cannot use the runs dir {runs_dir}: {e.strerror or e}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _repair(runs_dir)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def repair(runs_dir: Path) -> None:
    """Finish an interrupted promotion and remove temp files a kill left (no-op when the
    runs dir does not exist)."""
    runs_dir = Path(runs_dir)
    if runs_dir.is_dir():
        with _locked(runs_dir):
            pass


def problems(runs_dir: Path) -> list[str]:
    """What is wrong with the promotion state (CURRENT, HISTORY.json), one line each."""
    out = []
    for check in (promoted_version, _load_history):
        try:
            check(Path(runs_dir))
        except AdapterError as e:
            out.append(str(e))
    return out


def history(runs_dir: Path) -> dict[str, Any]:
    """``{"stack": [...], "log": [...], "pending": ...}``: what rollback would restore, and
    what happened."""
    return _load_history(Path(runs_dir)).model_dump()


def _change(runs_dir: Path, hist: History, action: Literal["promote", "rollback"], path: Path,
            previous: str | None, stack: list[str], reason: str,
            record: dict[str, Any] | None) -> None:
    hist.pending = Pending(action=action, version=path.name, previous=previous, reason=reason,
                           at=_now_iso(), ts=time.time(), stack=stack,
                           record=None if record is None else _plain_json(record))
    # Once the journal (the history with ``pending``) is in place, the change counts as
    # done. Every file is written before any is moved into place: a full disk leaves
    # CURRENT and HISTORY.json as they were.
    journal = (runs_dir / HISTORY, _history_text(hist), "journal")
    _apply(runs_dir, [journal, *_completion(runs_dir, hist)], f"the {action} of {path.name}")


def _outgoing(runs_dir: Path) -> str | None:
    """The current version's name for the stack; a damaged CURRENT counts as none."""
    try:
        name = _read_current_name(runs_dir)
    except AdapterError as e:
        log.warning("%s", e)
        return None
    return name


def promote(runs_dir: Path, version: str | Path, *, reason: str = "",
            record: dict[str, Any] | None = None) -> Path:
    """Make ``version`` the current adapter; the outgoing one becomes the rollback target.
    ``record`` (retrain's verdict) is written as the version's retrain.json in the same
    crash-safe step. A version whose manifest is damaged is refused."""
    runs_dir = Path(runs_dir)
    path = find_version(runs_dir, version)
    usable(path)
    with _locked(runs_dir):
        prev = _outgoing(runs_dir)
        hist = _load_history(runs_dir)
        if prev == path.name:
            if record is not None:
                _write_record(path, _plain_json(record))
            return path  # already current: no history entry, so rollback stays meaningful
        stack = hist.stack + ([prev] if prev is not None and is_adapter_dir(runs_dir / prev) else [])
        _change(runs_dir, hist, "promote", path, prev, stack, reason, record)
    return path


def write_record(runs_dir: Path, version: Path, record: dict[str, Any]) -> None:
    """Write ``version``'s retrain.json when it is not promoted (under the same lock)."""
    with _locked(Path(runs_dir)):
        _write_record(Path(version), _plain_json(record))


def rollback(runs_dir: Path) -> Path:
    """Go back to the version that was current before the last promotion (skipping
    versions deleted or damaged since)."""
    runs_dir = Path(runs_dir)
    with _locked(runs_dir):
        cur = _outgoing(runs_dir)
        hist = _load_history(runs_dir)
        stack = list(hist.stack)
        while stack:
            name = stack.pop()
            path = runs_dir / name
            if (name != cur and is_adapter_dir(path) and not _outside(path, runs_dir)
                    and _usable_lenient(path)):
                _change(runs_dir, hist, "rollback", path, cur, stack, "", None)
                return path
        raise AdapterError(
            "nothing to roll back to: no earlier promoted version"
            + (f" (current: {cur})" if cur else "")
        )
