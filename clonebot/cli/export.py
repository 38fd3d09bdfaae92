"""``clonebot export gguf [--adapter RUN_DIR|VERSION] [--out DIR]``: the adapter for llama.cpp,
Ollama and llama-server (a LoRA GGUF + an Ollama Modelfile)."""

from __future__ import annotations

from pathlib import Path

import click

from clonebot import versions
from clonebot.cli import options
from clonebot.cli.app import AppContext, pass_app


@click.group("export")
def export() -> None:
    """Export a trained adapter for other runtimes."""


@export.command("gguf")
@options.adapter()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to write into (default: RUN_DIR/gguf).")
@click.option("--base-gguf", "base_gguf", default=None, metavar="FILE",
              help="The base model as GGUF, for the Modelfile (default: model.base_gguf).")
@pass_app
def gguf_cmd(app: AppContext, adapter: str | None, out: Path | None, base_gguf: str | None) -> None:
    """The adapter as a llama.cpp LoRA GGUF, with an Ollama Modelfile beside it."""
    from clonebot.model.gguf_export import export_gguf

    s = app.settings
    run = versions.resolve(s.paths.runs_dir, adapter)
    done = export_gguf(s, run, out, base_gguf=base_gguf)
    click.echo(f"wrote {done.adapter}\nwrote {done.modelfile} (FROM {done.base})")
    click.echo(
        "\nOllama:       cd {d} && ollama create clone -f Modelfile && ollama run clone\n"
        "llama-server: llama-server -m {base} --lora {a} --port 8080\n"
        "  then: [generate] backend = \"openai\", openai_base_url = \"http://127.0.0.1:8080/v1\"\n"
        "in process:   [generate] backend = \"llamacpp\" (pip install 'clonebot[llamacpp]')".format(
            d=done.modelfile.parent, base=done.base, a=done.adapter))


def register(cli: click.Group) -> None:
    cli.add_command(export)
