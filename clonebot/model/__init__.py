"""Models: loading (base + LoRA adapter), generation backends, run manifests, GGUF export.

Callers (bot, chat, eval) depend on ``load_generator`` and the ``ReplyGenerator``
protocol only; torch, transformers and llama.cpp are imported when a backend loads.
"""

from __future__ import annotations

from pathlib import Path

from clonebot.config import Settings
from clonebot.errors import ModelError
from clonebot.model.backends.local import LocalGenerator
from clonebot.model.backends.openai import OpenAIGenerator
from clonebot.model.base import ReplyGenerator, ScriptedGenerator

__all__ = [
    "LocalGenerator",
    "OpenAIGenerator",
    "ReplyGenerator",
    "ScriptedGenerator",
    "load_generator",
]


def load_generator(settings: Settings, adapter_dir: Path | str | None) -> ReplyGenerator:
    """The configured backend: ``generate.backend = "local"`` (default, torch), ``"llamacpp"``
    (llama.cpp in process, GGUF) or ``"openai"`` (a server).

    The local backends load base + adapter (refusing a prompt-format mismatch); the remote
    one reads the adapter's manifest and tokenizer only: its EOS marker, its context length
    and how long a prompt may be; the server holds the weights.
    """
    backend = settings.generate.backend
    if backend == "openai":
        return _openai(settings, adapter_dir)
    if backend == "llamacpp":
        from clonebot.model.backends.llamacpp import load_llamacpp

        return load_llamacpp(settings, Path(adapter_dir) if adapter_dir is not None else None)
    from clonebot.model.load import load_model

    return LocalGenerator(load_model(settings, adapter_dir), settings.generate)


def _openai(settings: Settings, adapter_dir: Path | str | None) -> OpenAIGenerator:
    from clonebot.model.generate import trained_max_seq_len
    from clonebot.model.manifest import check_prompt_format, read_manifest

    if adapter_dir is None:
        raise ModelError("generate.backend = \"openai\" needs the adapter the server "
                         "serves (--adapter RUN_DIR): its manifest says how to prompt it")
    manifest = read_manifest(adapter_dir)
    check_prompt_format(manifest)
    tokenizer = None
    if (Path(adapter_dir) / "tokenizer_config.json").is_file():
        from clonebot.model.load import load_tokenizer

        tokenizer = load_tokenizer(adapter_dir)  # prompts are cut to fit with it
    return OpenAIGenerator(settings.generate, manifest["eos_token"], manifest["context_turns"],
                           tokenizer=tokenizer, max_seq_len=trained_max_seq_len(manifest))
