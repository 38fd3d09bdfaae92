"""What long library calls report progress through (the CLI draws it)."""

from __future__ import annotations

from collections.abc import Callable

# progress(stage, done, total or None): "read", 1024, None; "write", 10, 144; ...
Progress = Callable[[str, int, int | None], None]
