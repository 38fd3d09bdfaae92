"""The run manifest ``RUN_DIR/clonebot.json``: what an adapter was trained on and with.

Inference reads it to find the base model and refuses an adapter whose prompt format
differs from the one this code renders (a silent mismatch makes the model ramble).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from clonebot import __version__
from clonebot.errors import FormatMismatchError, ModelError
from clonebot.fsutil import atomic_write_text
from clonebot.prompt_format import format_info

MANIFEST_NAME = "clonebot.json"
MANIFEST_VERSION = 1
REQUIRED = ("base_model", "prompt_format", "eos_token")


def new_manifest(
    *,
    base_model: str,
    revision: str | None,
    eos_token: str,
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


def read_manifest(run_dir: Path | str) -> dict[str, Any]:
    path = manifest_path(run_dir)
    if not path.is_file():
        raise ModelError(f"{run_dir} is not a clonebot run: {MANIFEST_NAME} is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict) or any(k not in data for k in REQUIRED):
        missing = [k for k in REQUIRED if not isinstance(data, dict) or k not in data]
        raise ModelError(f"{path} is incomplete (missing {', '.join(missing)})")
    return data


def write_manifest(run_dir: Path | str, manifest: dict[str, Any]) -> Path:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise ModelError(f"manifest lacks {', '.join(missing)}")
    path = manifest_path(run_dir)
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
