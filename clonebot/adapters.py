"""Adapter versions under the runs dir (stub; the retraining issue fills it in).

Layout: ``RUNS_DIR/<version>/`` holds one trained adapter + ``clonebot.json``;
``RUNS_DIR/CURRENT`` names the promoted version.
"""

from __future__ import annotations

from pathlib import Path


def current_adapter(runs_dir: Path) -> Path | None:
    """The promoted adapter's directory, or None if nothing was promoted yet."""
    marker = Path(runs_dir) / "CURRENT"
    if not marker.is_file():
        return None
    path = Path(runs_dir) / marker.read_text().strip()
    return path if path.is_dir() else None
