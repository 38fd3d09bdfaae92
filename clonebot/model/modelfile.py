"""An Ollama ``Modelfile`` for the GGUF export: the base, the adapter, clonebot's prompt format
as a TEMPLATE, its stop markers and the sampling defaults.

The TEMPLATE is derived from ``prompt_format`` (its one owner): each role's turn is rendered
by ``render_segments`` around a placeholder, which becomes ``{{ .Content }}``. It uses no
whitespace-trimming actions (``{{-``), so the literal text between actions is exactly what
``render_prompt`` writes. Ollama's roles: "user" is the other person, "assistant" the clone.
Content is rendered as given: Ollama cannot demote a "###" line start as ``clean_content``
does.
"""

from __future__ import annotations

from pathlib import Path

from clonebot.config import GenerateSettings
from clonebot.prompt_format import CLONE, CLONE_HEADER, STOP_STRINGS, USER, render_segments

_SLOT = "\x00content\x00"
CONTENT = "{{ .Content }}"
OLLAMA_ROLES = {USER: "user", CLONE: "assistant"}


def _turn(role: str, eos: str) -> str:
    text = "".join(s.text for s in render_segments([{"role": role, "content": _SLOT}], eos))
    assert text.count(_SLOT) == 1, "a turn renders its content once"
    return text.replace(_SLOT, CONTENT)


def ollama_template(eos: str) -> str:
    """A Go text/template over ``.Messages`` that renders ``render_prompt(messages, eos)``."""
    return (
        "{{ range .Messages }}"
        f'{{{{ if eq .Role "{OLLAMA_ROLES[USER]}" }}}}{_turn(USER, eos)}'
        f'{{{{ else if eq .Role "{OLLAMA_ROLES[CLONE]}" }}}}{_turn(CLONE, eos)}'
        "{{ end }}{{ end }}"
        + CLONE_HEADER
    )


def _quoted(value: str) -> str:
    # Ollama reads a value with a line break (or quotes) in triple quotes.
    if "\n" in value or '"' in value:
        return f'"""{value}"""'
    return f'"{value}"'


def render_modelfile(base_gguf: Path | str, adapter_gguf: str, eos: str,
                     gen: GenerateSettings, max_seq_len: int) -> str:
    lines = [
        "# clonebot export: the base model, the clone's LoRA adapter, its prompt format.",
        "#   ollama create clone -f Modelfile && ollama run clone",
        f"FROM {base_gguf}",
        f"ADAPTER {adapter_gguf}",
        f'TEMPLATE """{ollama_template(eos)}"""',
    ]
    lines += [f"PARAMETER stop {_quoted(s)}" for s in (eos, *STOP_STRINGS)]
    lines += [
        f"PARAMETER temperature {gen.temperature:g}",
        f"PARAMETER top_p {gen.top_p:g}",
        "# top_k 0 = off",
        f"PARAMETER top_k {gen.top_k}",
        "PARAMETER min_p 0",
        "# Ollama's penalties count the prompt too (the owner's own habits in earlier turns):",
        "# off, as in clonebot, which penalises repetition inside the reply only.",
        "PARAMETER repeat_penalty 1",
        f"PARAMETER num_predict {gen.max_new_tokens}",
        f"PARAMETER num_ctx {max_seq_len}",
    ]
    return "\n".join(lines) + "\n"
