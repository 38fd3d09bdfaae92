"""The configured base model's tokenizer for counting tokens, without importing
``transformers`` (which always imports torch: ~2.5 s and ~300 MB before the first token).

A transformers fast tokenizer is a ``tokenizers.Tokenizer`` underneath, and with
``add_special_tokens=False`` (how ``clonebot.model.load.encode`` calls it) transformers adds
nothing of its own to the ids or offsets. But which backend it builds from a directory is
transformers' own business: the same tokenizer.json loads as it is from a model dir and is
rebuilt by ``LlamaTokenizer`` (another Metaspace prepend scheme) from a tokenizer-only dir.
So the backend is not re-derived here: the first time a tokenizer is needed it is loaded by
transformers, as ``clonebot.model.load.offline_tokenizer`` loads it, and its backend
(``to_str``) and the few facts counting reads (BOS/EOS, special-token spellings, what
``add_special_tokens=True`` adds) are kept in ``cache_dir/light-tokenizers/``, keyed by the
source files and the library versions. Every later count reads that snapshot with the
``tokenizers`` package alone. tests/test_light_tokenizer.py checks ids, offsets and facts
against transformers for SmolLM2 and both Mistral tokenizers.

``LightTokenizer`` offers the slice of the transformers tokenizer API that
``literal_turns``, ``encode``, ``token_counts`` and ``training.masking.fit_sample`` use.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError

# Files of a tokenizer dir that decide what transformers builds from it.
_SOURCE_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                 "added_tokens.json", "tokenizer.model", "config.json")
SNAPSHOT_FORMAT = 1
# Texts encoded at once: an Encoding keeps every token's string, offsets and masks (~100
# bytes a token), so 2,000 samples at once held ~60 MB; 256 keep the parallel speed-up.
_ENCODE_CHUNK = 256


class LightTokenizer:
    """Ids, offsets and special tokens of a snapshot, the way transformers gives them."""

    def __init__(self, snapshot: dict):
        from tokenizers import Tokenizer

        facts = snapshot["facts"]
        self._tok = Tokenizer.from_str(snapshot["backend"])
        self._tok.no_truncation()  # counts are never cut or padded
        self._tok.no_padding()
        for key in ("bos_token", "eos_token", "unk_token", "pad_token",
                    "bos_token_id", "eos_token_id", "unk_token_id", "pad_token_id"):
            setattr(self, key, facts.get(key))
        self.all_special_tokens = list(facts["special_tokens"])
        self.added_tokens_decoder: dict = {}  # its special spellings are in all_special_tokens
        self._prefix, self._suffix = facts["special_prefix"], facts["special_suffix"]
        self.name_or_path = facts.get("source", "")

    @property
    def backend_tokenizer(self):
        """The ``tokenizers.Tokenizer`` underneath, as transformers names it."""
        return self._tok

    def __call__(self, text: str | list[str], *, add_special_tokens: bool = True,
                 return_offsets_mapping: bool = False, return_attention_mask: bool = True) -> dict:
        batch = not isinstance(text, str)
        texts = list(text) if batch else [text]
        ids: list[list[int]] = []
        offsets: list[list[tuple[int, int]]] = []
        want_offsets = return_offsets_mapping or add_special_tokens
        # Without offsets, the batch call that skips turning byte offsets into character
        # ones: the same ids for ~40% less CPU (counting a dataset's tokens).
        encode = self._tok.encode_batch if want_offsets else self._tok.encode_batch_fast
        for i in range(0, len(texts), _ENCODE_CHUNK):  # Encodings are large: few at a time
            encs = encode(texts[i:i + _ENCODE_CHUNK], add_special_tokens=False)
            ids += [e.ids for e in encs]
            if want_offsets:
                offsets += [e.offsets for e in encs]
            del encs
        if add_special_tokens:  # what transformers adds around a text, as it added it to "a"
            ids = [self._prefix + x + self._suffix for x in ids]
            edge = [(0, 0)]
            offsets = [edge * len(self._prefix) + o + edge * len(self._suffix) for o in offsets]
        out: dict[str, Any] = {"input_ids": ids}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets
        if return_attention_mask:
            out["attention_mask"] = [[1] * len(x) for x in ids]
        return out if batch else {k: v[0] for k, v in out.items()}

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return self._tok.decode(ids, skip_special_tokens=skip_special_tokens)


def snapshot_of(tokenizer, source: str = "") -> dict:
    """What ``LightTokenizer`` needs of a loaded transformers fast tokenizer."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelError("not a fast tokenizer: no tokenizers backend to keep")
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    cut = [i for i in range(len(full) - len(plain) + 1) if full[i:i + len(plain)] == plain]
    if not cut:
        raise ModelError("the tokenizer's special tokens change the text's own ids")
    names = set(tokenizer.all_special_tokens)
    names.update(t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values()
                 if getattr(t, "special", False))
    facts = {key: getattr(tokenizer, key, None) for key in (
        "bos_token", "eos_token", "unk_token", "pad_token",
        "bos_token_id", "eos_token_id", "unk_token_id", "pad_token_id")}
    facts.update(special_tokens=sorted(n for n in names if n),
                 special_prefix=full[:cut[0]], special_suffix=full[cut[0] + len(plain):],
                 source=source)
    return {"format": SNAPSHOT_FORMAT, "backend": backend.to_str(), "facts": facts}


def _versions() -> list[str]:
    out = []
    for package in ("transformers", "tokenizers"):
        try:
            out.append(version(package))
        except PackageNotFoundError:
            out.append("")
    return out


def snapshot_path(source: str | Path, cache_dir: str | Path) -> Path | None:
    """Where the snapshot of the tokenizer in directory ``source`` is kept; None if
    ``source`` is not a directory."""
    source = Path(source).expanduser()
    if not source.is_dir():
        return None
    source = source.resolve()
    key: list[Any] = [SNAPSHOT_FORMAT, str(source), _versions()]
    for name in _SOURCE_FILES:
        try:
            st = (source / name).stat()
            key.append([name, st.st_size, st.st_mtime_ns])
        except OSError:
            key.append([name])
    digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:24]
    return Path(cache_dir).expanduser() / "light-tokenizers" / f"{digest}.json"


def read_snapshot(path: Path | None) -> LightTokenizer | None:
    """The kept tokenizer at ``path``; None if there is none (or it is unreadable)."""
    if path is None:
        return None
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
        if snapshot.get("format") != SNAPSHOT_FORMAT:
            return None
        return LightTokenizer(snapshot)
    except (OSError, ValueError, KeyError, TypeError, Exception):  # noqa: BLE001 - remade
        return None


def keep_snapshot(tokenizer, source: str | Path, cache_dir: str | Path) -> None:
    """Keep ``tokenizer`` (loaded by transformers from directory ``source``) for next time;
    a tokenizer without a fast backend, or a cache that cannot be written, is left be."""
    from clonebot.fsutil import atomic_write_text

    path = snapshot_path(source, cache_dir)
    if path is None:
        return
    try:
        snapshot = snapshot_of(tokenizer, str(source))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(snapshot, ensure_ascii=False), fsync=False)
    except (ModelError, OSError, AttributeError, TypeError):
        pass


def source_dir(name: str, revision: str | None, cache_dir: str | Path) -> tuple[Path, str] | None:
    """The directory ``clonebot.model.load.offline_tokenizer`` loads ``name``'s tokenizer
    from, and its name for it, found in the same order without transformers (a test model
    or a Mistral id's tokenizer not built yet is built first); None if none is here."""
    from clonebot.model.mistral import hub_version, tokenizer_dir
    from clonebot.model.registry import resolve_base_model

    cache_dir = Path(cache_dir).expanduser()
    try:
        source = resolve_base_model(name, cache_dir)
        if Path(source).expanduser().is_dir():
            return Path(source).expanduser(), name
        cached = _hub_cache(source, revision)
        if cached is not None:
            return cached, name
        bundled = tokenizer_dir(name, cache_dir)
        if bundled is not None:
            return bundled, f"{name}: Mistral {hub_version(name)}'s tokenizer"
    except (ModelError, ImportError, OSError, ValueError):  # no sentencepiece, a full disk...
        pass
    return None


def counting_tokenizer(name: str, revision: str | None,
                       cache_dir: str | Path) -> tuple[Any, str] | None:
    """``clonebot.model.load.offline_tokenizer``'s tokenizer and name, read from its kept
    snapshot when there is one (no transformers, no torch); else loaded by transformers
    once and kept for next time. None if it is not on this machine."""
    found = source_dir(name, revision, cache_dir)
    if found is None:  # nowhere transformers would look either: no need to import it
        return None
    light = read_snapshot(snapshot_path(found[0], cache_dir))
    if light is not None:
        return light, found[1]
    from clonebot.model.load import _offline_tokenizer, quiet

    quiet()
    loaded = _offline_tokenizer(name, revision, str(Path(cache_dir).expanduser()))
    if loaded is not None and loaded[1] == found[1]:
        keep_snapshot(loaded[0], found[0], cache_dir)
    return loaded


def _hub_cache(repo_id: str, revision: str | None) -> Path | None:
    """The snapshot dir of ``repo_id`` in the Hugging Face cache if it holds any file
    transformers builds a tokenizer from, else None."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return None
    # The repo's folder is the first thing try_to_load_from_cache looks for: without one,
    # its import (~0.15 s, the end of every prepare) is not needed.
    if not (Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}").is_dir():
        return None
    from huggingface_hub import try_to_load_from_cache

    for name in _SOURCE_FILES:
        try:
            found = try_to_load_from_cache(repo_id, name, revision=revision)
        except ValueError:  # not a repo id at all
            return None
        if isinstance(found, str):
            return Path(found).parent
    return None
