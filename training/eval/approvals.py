"""The owner's approval rate over time, from the bot's approval store."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clonebot.approval.decisions import DECISIONS, Decision

if TYPE_CHECKING:  # types only: nothing more is imported at run time
    from clonebot.config import Settings

log = logging.getLogger(__name__)


def _get(rec: Any, key: str) -> Any:
    return rec.get(key) if isinstance(rec, Mapping) else getattr(rec, key, None)


def approval_rates(records: Iterable[Any], period: str = "auto") -> dict[str, Any]:
    """Approval rate per week or month: ``sent`` as is / all decided (expired excluded);
    ``accepted`` counts owner edits as accepted too."""
    rows = []
    for r in records:
        d = _get(r, "decision")
        ts = _get(r, "decided_at") or _get(r, "created_at")
        if d in DECISIONS and isinstance(ts, (int, float)):
            rows.append((float(ts), d))
    if not rows:
        return {"decisions": 0, "periods": []}
    rows.sort()
    if period == "auto":
        period = "month" if rows[-1][0] - rows[0][0] > 120 * 86400 else "week"

    def key(ts: float) -> str:
        dt = datetime.fromtimestamp(ts, timezone.utc)
        if period == "month":
            return dt.strftime("%Y-%m")
        y, w, _ = dt.isocalendar()
        return f"{y}-W{w:02d}"

    def summarise(ds: list[str]) -> dict[str, Any]:
        c = Counter(ds)
        decided = len(ds) - c[Decision.EXPIRED.value]
        return {
            "n": len(ds),
            **{k: c[k] for k in DECISIONS},
            "approval_rate": c[Decision.SENT.value] / decided if decided else None,
            "accepted_rate": (c[Decision.SENT.value] + c[Decision.EDITED.value]) / decided
            if decided else None,
        }

    buckets: dict[str, list[str]] = {}
    for ts, d in rows:
        buckets.setdefault(key(ts), []).append(d)
    return {
        "decisions": len(rows),
        "period": period,
        "overall": summarise([d for _, d in rows]),
        "periods": [{"period": k, **summarise(v)} for k, v in buckets.items()],
    }


def read_approvals(path: Path | None) -> dict[str, Any]:
    """Approval rates from the bot's store; a note instead when there is none yet."""
    if path is None or not Path(path).is_file():
        return {"decisions": 0, "periods": [], "note": "no approval store yet"}
    try:
        from clonebot.state.store import StateStore
    except ImportError:
        return {"decisions": 0, "periods": [], "note": "approval store not available"}
    try:
        store = StateStore(path)
        try:
            records = list(store.decisions())
        finally:
            with contextlib.suppress(Exception):
                store.close()  # type: ignore[attr-defined]
    except Exception as e:  # a store being written right now, or a broken file
        log.warning("cannot read approval store %s: %s", path, e)
        return {"decisions": 0, "periods": [], "note": f"cannot read approval store: {e}"}
    out = approval_rates(records)
    if not out["decisions"]:
        out["note"] = "no decisions recorded yet"
    return out


def default_approvals_path(settings: Settings) -> Path:
    """Where the bot keeps its state store (``clonebot.state.state_path``)."""
    from clonebot.state import state_path

    return state_path(settings.paths.data_dir)
