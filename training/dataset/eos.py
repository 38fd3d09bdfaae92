"""The EOS string samples end Clone turns with: the configured base model's, if its
tokenizer is available offline, else Mistral's ``</s>`` (recorded in stats.json)."""

from __future__ import annotations

from pathlib import Path

from clonebot.config import Settings
from clonebot.errors import CloneBotError

FALLBACK_EOS = "</s>"  # Mistral's, when the configured tokenizer is not available offline


def resolve_eos(settings: Settings) -> tuple[str, str]:
    """(eos, source): the configured base model's EOS if its tokenizer is here offline."""
    name = settings.model.base_model
    try:
        from clonebot.model.registry import resolve_base_model

        where = resolve_base_model(name, settings.paths.cache_dir)
    except CloneBotError as e:
        return FALLBACK_EOS, f"fallback ({name}: {e})"
    if not _tokenizer_cached(where, settings.model.revision):
        return FALLBACK_EOS, f"fallback ({name}: tokenizer not available offline)"
    try:  # transformers is heavy: only import it when a tokenizer is really there
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(
            where, local_files_only=True, revision=settings.model.revision
        )
        eos = tok.eos_token
    except Exception as e:  # noqa: BLE001 - any tokenizer trouble means "not available"
        return FALLBACK_EOS, f"fallback ({name}: {type(e).__name__})"
    if not eos:
        return FALLBACK_EOS, f"fallback ({name}: tokenizer has no eos_token)"
    return eos, f"tokenizer ({name})"


def _tokenizer_cached(where: str, revision: str | None) -> bool:
    p = Path(where).expanduser()
    if p.is_dir():
        return any((p / f).is_file() for f in ("tokenizer_config.json", "tokenizer.json"))
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(where, "tokenizer_config.json", revision=revision)
        return isinstance(hit, str)
    except Exception:  # noqa: BLE001 - malformed ids etc.
        return False
