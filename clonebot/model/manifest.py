"""The run manifest ``RUN_DIR/clonebot.json``: what an adapter was trained on and with.

Inference reads it to find the base model and refuses an adapter whose prompt format
differs from the one this code renders (a silent mismatch makes the model ramble).
``Manifest`` is the one schema: every reader goes through ``read_manifest``, so a
tampered or half-edited file is one clear error wherever it is read, never a traceback.

Training records the SHA-256 of the adapter's files (``weights``); ``check_weights``
verifies them wherever an adapter is loaded, listed or promoted, so flipped bytes, a
truncated or a missing weights file are said before the adapter answers anyone. The base
model is recorded as training loaded it: the test model's alias, a Hugging Face id, or an
absolute path; anything else (``../../x``) is a damaged manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clonebot import __version__
from clonebot.errors import FormatMismatchError, ModelError
from clonebot.fsutil import atomic_write_text, read_small_json
from clonebot.model.registry import TEST_MODEL
from clonebot.prompt_format import format_info

MANIFEST_NAME = "clonebot.json"
MANIFEST_VERSION = 1
# An adapter trained before manifests recorded its context: those were trained on windows of
# 5 messages, the reply included. Fewer turns than trained is what the start of every
# conversation looks like to a model; more would be something it never saw.
LEGACY_CONTEXT_TURNS = 4
_MAX_BYTES = 8 << 20  # a manifest is a few KB: a bigger one is not ours
# The files of a LoRA adapter that decide what it says (peft writes one of the weights).
WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")
ADAPTER_FILES = (*WEIGHT_FILES, "adapter_config.json")
# A Hugging Face model id: "name" or "owner/name", no "..".
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


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
    # {file name: SHA-256} of ADAPTER_FILES as training wrote them (runs before: none)
    weights: dict[str, str] | None = None

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, v: str) -> str:
        problem = base_model_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v is not None and (not set(v) <= set(ADAPTER_FILES) or not any(f in v for f in WEIGHT_FILES)
                              or any(not re.fullmatch("[0-9a-f]{64}", h) for h in v.values())):
            raise ValueError("not the adapter files' SHA-256 sums")
        return v


def base_model_problem(name: str) -> str | None:
    """Why ``name`` is not a base model training records, or None: the test model's alias,
    a Hugging Face id (owner/name) or an absolute path, never a relative one."""
    if name.strip().lower() == TEST_MODEL:
        return None
    if name.startswith("/"):
        if ".." in Path(name).parts or "\x00" in name:
            return "not a plain absolute path"
        return None
    if _HUB_ID.fullmatch(name) and ".." not in name:
        return None
    return "neither a model id (owner/name) nor an absolute path"


def recorded_base_model(name: str) -> str:
    """``model.base_model`` as a manifest records it: a local directory as its absolute
    path (a relative one would name another directory wherever the adapter is used)."""
    if name.strip().lower() != TEST_MODEL:
        p = Path(name).expanduser()
        if p.is_dir():
            return str(p.resolve())
    return name


def hash_weights(run_dir: Path | str) -> dict[str, str]:
    """{file: SHA-256} of the adapter files in ``run_dir`` (for ``new_manifest(weights=)``)."""
    out = {}
    for name in ADAPTER_FILES:
        path = Path(run_dir) / name
        if path.is_file():
            out[name] = _sha256(path)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def check_weights(run_dir: Path | str, manifest: dict[str, Any]) -> None:
    """ModelError unless ``run_dir`` holds the adapter files its manifest records, byte for
    byte (a run from before manifests recorded them: a weights file whose safetensors
    header matches its size)."""
    run_dir = Path(run_dir)
    recorded = manifest.get("weights")
    fix = "train it again, or pick another version (clonebot adapters list)"
    if recorded:
        for name, want in recorded.items():
            path = run_dir / name
            if not path.is_file():
                raise ModelError(f"{run_dir} is damaged: {name} is missing; {fix}")
            if _sha256(path) != want:
                raise ModelError(f"{run_dir} is damaged: {name} is not the file training wrote "
                                 f"(its SHA-256 differs from clonebot.json's); {fix}")
        return
    present = [n for n in WEIGHT_FILES if (run_dir / n).is_file()]
    if not present:
        raise ModelError(f"{run_dir} is damaged: it holds no adapter weights "
                         f"({WEIGHT_FILES[0]} is missing); {fix}")
    if present[0].endswith(".safetensors"):
        problem = _safetensors_problem(run_dir / present[0])
        if problem:
            raise ModelError(f"{run_dir} is damaged: {present[0]} {problem}; {fix}")


def _safetensors_problem(path: Path) -> str | None:
    """Is the file as long as its header says (a truncated copy is not)?"""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return "is truncated"
            n = struct.unpack("<Q", head)[0]
            if n > min(size - 8, 100 << 20):
                return "is truncated (its header runs past its end)"
            header = json.loads(f.read(n))
        end = max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"),
                  default=0)
    except (OSError, ValueError, KeyError, TypeError, IndexError, struct.error):
        return "is not a safetensors file"
    if 8 + n + end != size:
        return f"is {'truncated' if 8 + n + end > size else 'longer than its header says'}"
    return None


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
    weights: dict[str, str] | None = None,
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
        "weights": weights,
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
    if not os.path.lexists(path):
        raise ModelError(f"{run_dir} is not a clonebot run: {MANIFEST_NAME} is missing")
    try:
        # Not a FIFO or a device (it would block or never end), not huge, not nested
        # 100,000 deep (RecursionError).
        data = read_small_json(path, _MAX_BYTES)
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
