"""``clonebot plan [--dataset DIR] [--base-model ID]``: before renting a GPU, what a QLoRA run
of the dataset will take: trainable parameters, tokens per epoch, peak GPU memory, which
common cards it fits and hours per epoch on each (``training.plan``). Reads the dataset and
the base model's config.json and tokenizer only: no weights, no download."""

from __future__ import annotations

from pathlib import Path

import click

from clonebot.cli.app import pass_app


@click.command("plan")
@click.option("--dataset", "dataset", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Prepared dataset dir (default: paths.dataset_dir).")
@click.option("--base-model", default=None, metavar="ID|PATH",
              help="Base model to plan for (overrides model.base_model).")
@pass_app
def plan_cmd(app, dataset: Path | None, base_model: str | None) -> None:
    """Estimate GPU memory and time of training, from the dataset and config.json alone."""
    from clonebot.errors import ModelError
    from clonebot.model.load import offline_tokenizer, quiet
    from training.lengths import measure_fitted
    from training.plan import make_plan
    from training.train import load_dataset_dir

    s = app.settings
    if base_model:
        s = s.model_copy(update={"model": s.model.model_copy(update={"base_model": base_model})})
    dsd, _ = load_dataset_dir(dataset or s.paths.dataset_dir)
    quiet()
    found = offline_tokenizer(s)
    if found is None:
        raise ModelError(f"{s.model.base_model}'s tokenizer is not on this machine: plan counts "
                         "tokens with it (download the model once, or give a local directory)")
    tokenizer, name = found
    lengths, fitted = measure_fitted(dsd["train"], tokenizer, s.train.max_seq_len, name=name,
                                     max_new_tokens=s.generate.max_new_tokens)
    click.echo("\n".join(lengths.lines()))
    click.echo("\n".join(make_plan(s, fitted).lines()))


def register(cli: click.Group) -> None:
    cli.add_command(plan_cmd)
