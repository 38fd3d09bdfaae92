"""Adapter versions under the runs dir.

Layout::

    RUNS_DIR/v001-20261121-2330/   one trained adapter + its manifest ``clonebot.json``
    RUNS_DIR/v002-20270301-0915/
    RUNS_DIR/CURRENT               name of the promoted version (one line)
    RUNS_DIR/HISTORY.json          {"stack": [...previously promoted...], "log": [...]}

The bot only ever reads ``CURRENT`` (via ``current_adapter``); every write here goes to a
temp file in the same directory and is moved into place with ``os.replace``, so a reader
never sees a half-written marker. ``promote`` pushes the outgoing version on a stack that
``rollback`` pops, so rolling back twice goes back two promotions.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError
from clonebot.fsutil import atomic_write_text
from clonebot.model.manifest import MANIFEST_NAME as MANIFEST

CURRENT = "CURRENT"
HISTORY = "HISTORY.json"
_LOCK = ".adapters.lock"
_VERSION_RE = re.compile(r"^v(\d{3,})-")
# Training writes ``.<name>.partial`` first: its number is taken too.
_TAKEN_RE = re.compile(r"^\.?v(\d{3,})-")
_LOG_KEEP = 200  # the log is for humans; keep it bounded


class AdapterError(ModelError):
    """An adapter version is unknown, missing, or there is nothing to roll back to."""


@dataclass
class Version:
    name: str
    path: Path
    created: str | None = None
    base_model: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    current: bool = False


@contextlib.contextmanager
def _locked(runs_dir: Path) -> Iterator[None]:
    # Two `adapters use` / `retrain` runs at once must not lose a history entry.
    runs_dir.mkdir(parents=True, exist_ok=True)
    with open(runs_dir / _LOCK, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read_current_name(runs_dir: Path) -> str | None:
    marker = runs_dir / CURRENT
    if not marker.is_file():
        return None
    name = marker.read_text(encoding="utf-8").strip()
    return name or None


def current_adapter(runs_dir: Path) -> Path | None:
    """The promoted adapter's directory, or None if nothing was promoted yet."""
    name = _read_current_name(Path(runs_dir))
    if name is None:
        return None
    path = Path(runs_dir) / name
    return path if path.is_dir() else None


def is_adapter_dir(path: Path) -> bool:
    return path.is_dir() and (
        (path / MANIFEST).is_file() or (path / "adapter_config.json").is_file()
    )


def read_manifest_lenient(path: Path) -> dict[str, Any]:
    """The run's manifest as a dict; {} when missing or unreadable (listing must not fail)."""
    data = _read_json(Path(path) / MANIFEST)
    return data if isinstance(data, dict) else {}


def _sort_key(name: str) -> tuple[int, str]:
    m = _VERSION_RE.match(name)
    return (int(m.group(1)) if m else 10**9, name)


def list_versions(runs_dir: Path) -> list[Version]:
    """Every adapter run directly under ``runs_dir``, oldest version number first."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    cur = _read_current_name(runs_dir)
    out = []
    for p in runs_dir.iterdir():
        if p.name.startswith(".") or not is_adapter_dir(p):
            continue
        man = read_manifest_lenient(p)
        metrics = dict(man.get("metrics") or {})
        # `clonebot eval` writes eval.json beside the adapter; show its headline numbers too.
        ev = _read_json(p / "eval.json")
        if isinstance(ev, dict) and isinstance(ev.get("summary"), dict):
            for k, v in ev["summary"].items():
                metrics.setdefault(k, v)
        out.append(
            Version(
                name=p.name,
                path=p,
                created=man.get("created"),
                base_model=man.get("base_model"),
                metrics=metrics,
                current=(p.name == cur),
            )
        )
    out.sort(key=lambda v: _sort_key(v.name))
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def new_version_dir(runs_dir: Path, now: datetime | None = None, *, create: bool = True) -> Path:
    """The next ``vNNN-YYYYMMDD-HHMM`` directory (numbers never reused), created unless
    ``create=False`` (``training.train`` wants to create its out dir itself)."""
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
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


def interrupted_versions(runs_dir: Path) -> list[Path]:
    """Version dirs whose training was interrupted (``.vNNN-...partial`` left behind),
    newest first, as the path the finished run would get."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    out = [
        runs_dir / p.name[1 : -len(".partial")]
        for p in runs_dir.iterdir()
        if p.is_dir() and p.name.endswith(".partial") and _VERSION_RE.match(p.name[1:])
    ]
    return sorted(out, key=lambda p: _sort_key(p.name), reverse=True)


def _resolve(runs_dir: Path, version: str | Path) -> Path:
    """Accept a version name, a unique prefix (``v002``), or a path inside runs_dir."""
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
    if not is_adapter_dir(path):
        raise AdapterError(f"{path} holds no adapter (no {MANIFEST} / adapter_config.json)")
    return path


def _load_history(runs_dir: Path) -> dict[str, Any]:
    data = _read_json(runs_dir / HISTORY)
    if not isinstance(data, dict):
        data = {}
    stack = [s for s in data.get("stack", []) if isinstance(s, str)]
    log = [e for e in data.get("log", []) if isinstance(e, dict)]
    return {"stack": stack, "log": log}


def _save_history(runs_dir: Path, hist: dict[str, Any]) -> None:
    hist["log"] = hist["log"][-_LOG_KEEP:]
    atomic_write_text(runs_dir / HISTORY, json.dumps(hist, indent=2) + "\n")


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def history(runs_dir: Path) -> dict[str, Any]:
    """``{"stack": [...], "log": [...]}``: what rollback would restore, and what happened."""
    return _load_history(Path(runs_dir))


def promote(runs_dir: Path, version: str | Path, *, reason: str = "") -> Path:
    """Make ``version`` the current adapter; the outgoing one becomes the rollback target."""
    runs_dir = Path(runs_dir)
    path = _resolve(runs_dir, version)
    with _locked(runs_dir):
        prev = _read_current_name(runs_dir)
        hist = _load_history(runs_dir)
        if prev == path.name:
            return path  # already current: no history entry, so rollback stays meaningful
        if prev is not None:
            hist["stack"].append(prev)
        hist["log"].append(
            {"at": _now_iso(), "ts": time.time(), "action": "promote",
             "version": path.name, "previous": prev, "reason": reason}
        )
        # History first: if we die between the two writes, the stack has an extra entry
        # (harmless, rollback skips it) rather than a lost one.
        _save_history(runs_dir, hist)
        atomic_write_text(runs_dir / CURRENT, path.name + "\n")
    return path


def rollback(runs_dir: Path) -> Path:
    """Go back to the version that was current before the last promotion."""
    runs_dir = Path(runs_dir)
    with _locked(runs_dir):
        cur = _read_current_name(runs_dir)
        hist = _load_history(runs_dir)
        while hist["stack"]:
            name = hist["stack"].pop()
            path = runs_dir / name
            if name != cur and is_adapter_dir(path):
                hist["log"].append(
                    {"at": _now_iso(), "ts": time.time(), "action": "rollback",
                     "version": name, "previous": cur, "reason": ""}
                )
                _save_history(runs_dir, hist)
                atomic_write_text(runs_dir / CURRENT, name + "\n")
                return path
        raise AdapterError(
            "nothing to roll back to: no earlier promoted version"
            + (f" (current: {cur})" if cur else "")
        )
