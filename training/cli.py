"""Registers the training commands on the ``clonebot`` CLI (entry point ``clonebot.commands``).

One module per command under ``training/commands/``; each exposes ``register(cli)``.
Commands import their heavy dependencies (torch, transformers, datasets) lazily so that
``clonebot --help`` stays fast.
"""

from __future__ import annotations

import importlib

import click

COMMANDS = ("prepare", "train", "plan", "demo", "eval", "report", "retrain")


def register(cli: click.Group) -> None:
    for name in COMMANDS:
        importlib.import_module(f"training.commands.{name}").register(cli)
