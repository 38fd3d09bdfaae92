"""Models: loading (4-bit base + LoRA adapter), generation backends, run manifests.

Callers (bot, chat, eval) depend on ``load_generator`` and the ``ReplyGenerator``
protocol only; torch and transformers are imported when a local model is loaded.
"""

from __future__ import annotations

from pathlib import Path

from clonebot.config import Settings
from clonebot.errors import ModelError
from clonebot.model.base import ReplyGenerator, ScriptedGenerator
from clonebot.model.generate import LocalGenerator, OpenAIGenerator

__all__ = [
    "LocalGenerator",
    "OpenAIGenerator",
    "ReplyGenerator",
    "ScriptedGenerator",
    "load_generator",
]

def load_generator(settings: Settings, adapter_dir: Path | str | None) -> ReplyGenerator:
    """The configured backend: ``generate.backend = "local"`` (default) or ``"openai"``.

    The local backend loads base + adapter (refusing a prompt-format mismatch); the remote
    one reads the adapter's manifest only: its EOS marker and its context length, the
    server holds the weights.
    """
    if settings.generate.backend == "openai":
        from clonebot.model.manifest import check_prompt_format, read_manifest

        if adapter_dir is None:
            raise ModelError("generate.backend = \"openai\" needs the adapter the server "
                             "serves (--adapter RUN_DIR): its manifest says how to prompt it")
        manifest = read_manifest(adapter_dir)
        check_prompt_format(manifest)
        return OpenAIGenerator(settings.generate, manifest["eos_token"], manifest["context_turns"])
    from clonebot.model.load import load_model

    return LocalGenerator(load_model(settings, adapter_dir), settings.generate)
