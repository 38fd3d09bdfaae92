"""What every command gets: the settings, read once, lazily (``@pass_app``)."""

from __future__ import annotations

from pathlib import Path

import click

from clonebot.config import Settings, load_settings


class AppContext:
    """What every command gets: the settings, read once, lazily."""

    def __init__(self, config_path: Path | None):
        self.config_path = config_path
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


pass_app = click.make_pass_decorator(AppContext)
