"""The run manifest ``RUN_DIR/clonebot.json``: what an adapter was trained on and with.

Inference reads it to find the base model and refuses an adapter whose prompt format
differs from the one this code renders (a silent mismatch makes the model ramble).
``Manifest`` is the one schema: every reader goes through ``read_manifest``, so a
tampered or half-edited file is one clear error wherever it is read, never a traceback.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clonebot import __version__
from clonebot.errors import FormatMismatchError, ModelError
from clonebot.fsutil import atomic_write_text
from clonebot.prompt_format import format_info

MANIFEST_NAME = "clonebot.json"
MANIFEST_VERSION = 1
# An adapter trained before manifests recorded its context: those were trained on windows of
# 5 messages, the reply included. Fewer turns than trained is what the start of every
# conversation looks like to a model; more would be something it never saw.
LEGACY_CONTEXT_TURNS = 4


class PromptFormatPin(BaseModel):
    """``prompt_format.format_info()`` as it was when the adapter was trained."""

    model_config = ConfigDict(strict=True, extra="forbid")

    version: int
    hash: str


class Manifest(BaseModel):
    """What ``clonebot.json`` must hold. Strict: ``"base_model": 123`` is an error, not "123".
    Unknown keys are kept (a newer clonebot may add some; ``dataset_dir`` is one)."""

    model_config = ConfigDict(strict=True, extra="allow")

    manifest_version: int = Field(MANIFEST_VERSION, ge=1, le=MANIFEST_VERSION)
    base_model: str = Field(min_length=1)
    revision: str | None = None
    prompt_format: PromptFormatPin
    eos_token: str = Field(min_length=1)
    # Turns of conversation before each reply in its training windows: inference gives it
    # exactly this many (``prepare.context_turns`` when it was trained).
    context_turns: int = Field(LEGACY_CONTEXT_TURNS, ge=1)
    dataset_fingerprint: str | None = None
    owner_id: int | None = None
    hyperparameters: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    created: str | None = None
    created_unix: int | None = None
    clonebot_version: str | None = None


def new_manifest(
    *,
    base_model: str,
    revision: str | None,
    eos_token: str,
    context_turns: int,
    dataset_fingerprint: str | None = None,
    owner_id: int | None = None,
    hyperparameters: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    now = time.time()
    return {
        "manifest_version": MANIFEST_VERSION,
        "base_model": base_model,
        "revision": revision,
        "prompt_format": format_info(),
        "eos_token": eos_token,
        "context_turns": context_turns,
        "dataset_fingerprint": dataset_fingerprint,
        "owner_id": owner_id,
        "hyperparameters": dict(hyperparameters or {}),
        "metrics": dict(metrics or {}),
        "created": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds"),
        "created_unix": int(now),
        "clonebot_version": __version__,
        **extra,
    }


def manifest_path(run_dir: Path | str) -> Path:
    return Path(run_dir) / MANIFEST_NAME


def _first_problem(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    if not where:
        return "not a JSON object"
    if first.get("type") == "missing":
        missing = [".".join(map(str, e["loc"])) for e in err.errors() if e["type"] == "missing"]
        return f"missing {', '.join(missing)}"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}: {first.get('msg')}{more}"


def validate_manifest(data: Any, where: Path | str) -> dict[str, Any]:
    """``data`` checked against ``Manifest``, as a plain dict; ModelError names ``where``."""
    try:
        return Manifest.model_validate(data).model_dump()
    except ValidationError as e:
        raise ModelError(
            f"{where} is damaged ({_first_problem(e)}): this run cannot be used; "
            "pick another (clonebot adapters list) or train again"
        ) from None


def read_manifest(run_dir: Path | str) -> dict[str, Any]:
    path = manifest_path(run_dir)
    if not path.is_file():
        raise ModelError(f"{run_dir} is not a clonebot run: {MANIFEST_NAME} is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # UnicodeDecodeError is a ValueError
        raise ModelError(f"cannot read {path}: {e}") from None
    return validate_manifest(data, path)


def write_manifest(run_dir: Path | str, manifest: dict[str, Any]) -> Path:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path = manifest_path(run_dir)
    manifest = validate_manifest(manifest, path)  # never write what read_manifest refuses
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    atomic_write_text(path, text)
    return path


def check_prompt_format(manifest: dict[str, Any]) -> None:
    """Raise FormatMismatchError unless the adapter was trained on this code's format."""
    have = manifest.get("prompt_format") or {}
    want = format_info()
    if have.get("version") != want["version"] or have.get("hash") != want["hash"]:
        raise FormatMismatchError(
            f"adapter was trained with prompt format v{have.get('version')} "
            f"({have.get('hash')}), this code renders v{want['version']} ({want['hash']}); "
            "retrain the adapter (clonebot train) or use a matching clonebot version"
        )
