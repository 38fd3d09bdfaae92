"""Models: loading (4-bit base + LoRA adapter), generation backends, run manifests.

Callers (bot, chat, eval) depend on ``load_generator`` and the ``ReplyGenerator``
protocol only; torch and transformers are imported when a local model is loaded.
"""

from __future__ import annotations

from pathlib import Path

from clonebot.config import Settings
from clonebot.model.base import ReplyGenerator, ScriptedGenerator
from clonebot.model.generate import LocalGenerator, OpenAIGenerator

__all__ = [
    "LocalGenerator",
    "OpenAIGenerator",
    "ReplyGenerator",
    "ScriptedGenerator",
    "load_generator",
]

DEFAULT_REMOTE_EOS = "</s>"


def load_generator(settings: Settings, adapter_dir: Path | str | None) -> ReplyGenerator:
    """The configured backend: ``generate.backend = "local"`` (default) or ``"openai"``.

    The local backend loads base + adapter (refusing a prompt-format mismatch); the remote
    one only needs the adapter's manifest for its EOS marker, if an adapter dir is given.
    """
    if settings.generate.backend == "openai":
        eos = DEFAULT_REMOTE_EOS
        if adapter_dir is not None:
            from clonebot.model.manifest import check_prompt_format, read_manifest

            manifest = read_manifest(adapter_dir)
            check_prompt_format(manifest)
            eos = manifest["eos_token"]
        return OpenAIGenerator(settings.generate, eos)
    from clonebot.model.load import load_model

    return LocalGenerator(load_model(settings, adapter_dir), settings.generate)
