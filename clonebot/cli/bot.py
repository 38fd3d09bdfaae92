"""`clonebot bot` commands (stub: filled in by its issue)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    pass
