"""``clonebot export gguf``: a trained adapter as llama.cpp / Ollama take it.

``OUT/adapter.gguf`` is the LoRA in llama.cpp's adapter format (``gguf_adapter``) and
``OUT/Modelfile`` an Ollama recipe over the base GGUF (``modelfile``). OUT defaults to
``RUN_DIR/gguf``, where the ``llamacpp`` backend looks for (and writes) the adapter, and
the base with the adapter folded in (``gguf_merge``) when it runs that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from clonebot.config import Settings
from clonebot.errors import ModelError, OutputError
from clonebot.fsutil import atomic_write_text
from clonebot.model.generate import trained_max_seq_len
from clonebot.model.gguf_adapter import (
    ADAPTER_WEIGHTS,
    CONVERTER_VERSION,
    convert_adapter,
    converter_version,
    shape_from_gguf,
)
from clonebot.model.gguf_base import merge_source, resolve_base_gguf
from clonebot.model.gguf_file import readable
from clonebot.model.gguf_merge import MERGE_KEY, CannotMerge, merge_adapter, merge_stamp
from clonebot.model.gguf_meta import read_metadata
from clonebot.model.manifest import check_prompt_format, read_manifest
from clonebot.model.modelfile import render_modelfile

EXPORT_DIR = "gguf"
ADAPTER_GGUF = "adapter.gguf"
MODELFILE = "Modelfile"
# gguf_merge = "auto" merges bases up to this size: the run-time adapter's cost is a fixed
# few microseconds per adapted matrix and token (40% of a 135M model's token, a few percent
# of a 7B one's), while a merge reads, re-quantizes and writes the whole base.
MERGE_MAX_BYTES = 2 << 30


@dataclass(frozen=True)
class GGUFExport:
    adapter: Path
    modelfile: Path
    base: Path


def _tokenizer_size(adapter_dir: Path) -> int | None:
    if not (adapter_dir / "tokenizer_config.json").is_file():
        return None
    from clonebot.model.load import load_tokenizer

    return len(load_tokenizer(adapter_dir))


def base_gguf_for(settings: Settings, manifest: dict, base_gguf: str | None = None) -> Path:
    """The base GGUF an adapter runs on: ``base_gguf`` if given, else ``model.base_gguf``
    (the test model's own file when that is empty)."""
    setting = base_gguf if base_gguf is not None else settings.model.base_gguf
    return resolve_base_gguf(setting, manifest["base_model"], settings.paths.cache_dir)


def export_gguf(settings: Settings, adapter_dir: Path, out_dir: Path | None = None, *,
                base_gguf: str | None = None) -> GGUFExport:
    adapter_dir = Path(adapter_dir)
    manifest = read_manifest(adapter_dir)
    check_prompt_format(manifest)
    if not (adapter_dir / ADAPTER_WEIGHTS).is_file():
        raise ModelError(f"{adapter_dir} has no {ADAPTER_WEIGHTS}: not a trained adapter")
    base = base_gguf_for(settings, manifest, base_gguf)
    out_dir = Path(out_dir) if out_dir is not None else adapter_dir / EXPORT_DIR
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        adapter = convert_adapter(adapter_dir, out_dir / ADAPTER_GGUF, shape_from_gguf(base),
                                  tokenizer_size=_tokenizer_size(adapter_dir))
        text = render_modelfile(base.resolve(), f"./{ADAPTER_GGUF}", manifest["eos_token"],
                                settings.generate, trained_max_seq_len(manifest))
        modelfile = atomic_write_text(out_dir / MODELFILE, text)
        readable(modelfile)
    except OSError as e:
        raise OutputError(f"cannot write the export into {out_dir}: {e}") from None
    return GGUFExport(adapter, modelfile, base)


def _places(settings: Settings, adapter_dir: Path, name: str) -> list[Path]:
    """Where the llamacpp backend keeps a file made from an adapter: beside its export, or in
    the cache dir when the run dir is read-only."""
    key = hashlib.sha256(str(adapter_dir.resolve()).encode()).hexdigest()[:16]
    return [adapter_dir / EXPORT_DIR / name, settings.paths.cache_dir / "gguf-adapters" / key / name]


def adapter_gguf(settings: Settings, adapter_dir: Path, base: Path) -> Path:
    """The adapter's GGUF for the ``llamacpp`` backend: ``RUN_DIR/gguf/adapter.gguf``,
    converted now (a few seconds) if missing, older than the adapter or written by another
    converter version; into the cache dir when the run dir is read-only."""
    adapter_dir = Path(adapter_dir)
    weights = adapter_dir / ADAPTER_WEIGHTS
    if not weights.is_file():
        raise ModelError(f"{adapter_dir} has no {ADAPTER_WEIGHTS}: not a trained adapter")
    places = _places(settings, adapter_dir, ADAPTER_GGUF)
    for path in places:
        if (path.is_file() and path.stat().st_mtime >= weights.stat().st_mtime
                and converter_version(path) == CONVERTER_VERSION):
            return path
    shape = shape_from_gguf(base)
    size = _tokenizer_size(adapter_dir)
    for path in places:
        try:
            return convert_adapter(adapter_dir, path, shape, tokenizer_size=size)
        except OutputError:
            if path == places[-1]:
                raise
    raise AssertionError("unreachable")


def _mergeable_file_type(base: Path) -> bool:
    """From the header alone: is ``base`` mostly 8-bit or finer (or silent about it)?"""
    import gguf

    F = gguf.LlamaFileType
    ftype = read_metadata(base).get(gguf.Keys.General.FILE_TYPE)
    return ftype is None or ftype in (F.ALL_F32, F.MOSTLY_F16, F.MOSTLY_BF16, F.MOSTLY_Q8_0)


def merged_gguf(settings: Settings, adapter_dir: Path, base_model: str, base: Path,
                adapter: Path) -> Path | None:
    """``base`` with ``adapter`` folded in (``gguf_merge``), for the llamacpp backend, as
    ``model.gguf_merge`` asks: ``RUN_DIR/gguf/merged.<base>.gguf``, made now (seconds on the
    test model) if missing or made from another base or adapter file. None: run the adapter
    file at run time."""
    mode = settings.model.gguf_merge
    if mode == "never":
        return None
    if mode == "auto" and (base.stat().st_size > MERGE_MAX_BYTES or not _mergeable_file_type(base)):
        return None
    adapter_dir = Path(adapter_dir)
    stamp = merge_stamp(base, adapter)
    places = _places(settings, adapter_dir, f"merged.{base.stem}.gguf")
    for path in places:
        try:
            if path.is_file() and read_metadata(path).get(MERGE_KEY) == stamp:
                return path
        except ModelError:
            continue  # unreadable: made again below
    source, type_of = merge_source(settings.model.base_gguf, base_model, base)
    for path in places:
        try:
            return merge_adapter(source, adapter, path, stamp=stamp, type_of=type_of)
        except CannotMerge:
            if mode == "always":
                raise
            return None
        except OutputError:
            if path == places[-1]:
                raise
    raise AssertionError("unreachable")
