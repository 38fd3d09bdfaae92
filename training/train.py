"""LoRA fine-tuning: prepared dataset -> LoRA adapter run dir with a manifest.

Loss is on Clone turns and their EOS only (labels -100 everywhere else): the model learns
to answer and to stop, never to write the other person's lines. Before the model loads,
the samples are measured in the base model's own tokens (``training.lengths``) and the
caller gets the figures (``on_lengths``): over-long samples lose their oldest turns, a reply
too long on its own is named, none is dropped silently.

Batches: transformers' ``Trainer`` runs the loop (checkpoints and resume, DDP, paged
optimizers, schedules) through public methods only: ``get_train_dataloader`` (its
documented override point) gives length-grouped training batches, and eval batches keep
the length-sorted order ``tokenize_eval`` gives them. We measured trl's ``SFTTrainer``
against this (``bench/bench_train.py --trainers``; CPU, batch 4, same model, data, LoRA):
its length grouping is transformers' sampler, whose mega-batches shrink on small datasets
(the bundled sample, 132 samples: 7.7% of tokens are padding vs 1.7% here; at batch 16
27% vs 9%; on a 2.8k-sample export both ~2%), and every step it also computes entropy and
token accuracy over the whole vocabulary's logits (CPU per step on tiny-mistral-v1: 0.39 s
vs 0.12 s). Its completion-only loss would learn the final reply only; ours learns every
Clone turn of the window. And ``group_by_length``, the switch it would have us set, makes
transformers 5.x shuffle eval batches by length groups too, undoing the eval sort.

Run dir layout (written under ``.<name>.partial`` next to it, renamed when done; see
``training.run_dir`` for how a kill at any moment is resumed or finished)::

    RUN_DIR/adapter_config.json, adapter_model.safetensors   the LoRA adapter
    RUN_DIR/tokenizer*.json ...                               the tokenizer it was trained with
    RUN_DIR/clonebot.json                                     the manifest

Checkpoints live in the partial dir until the run finishes; ``resume=True`` continues
from the last complete one. Multi-GPU: ``accelerate launch -m clonebot train ...`` runs DDP with
one 4-bit replica per GPU (the loader maps each process to its LOCAL_RANK).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clonebot.config import Settings
from clonebot.errors import DatasetError, ModelError
from clonebot.model.cpu import cpu_threads
from clonebot.model.load import (
    QUANTIZE_4BIT,
    base_tokenizer,
    load_base,
    manifest_quantization,
    resolve_quantize,
    select_device,
)
from clonebot.model.manifest import (
    hash_weights,
    new_manifest,
    read_manifest,
    recorded_base_model,
    write_manifest,
)
from clonebot.prompt_format import PromptFormatError
from training import run_dir
from training.lengths import Lengths, measure_dataset
from training.cpu_bf16 import cpu_bf16_step, cpu_has_bf16
from training.masking import (
    IGNORE,
    fit_sample,
    learnt_tokens,
    scored_loss,
    scored_positions,
    scores_learnt_tokens_only,
)
from training.row_threads import row_groups, run_split, split_rows, threads_per_group, torch_threads

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- tokenization


def tokenize_split(ds, tokenizer, max_seq_len: int, limit: int | None = None):
    """Tokenize a dataset split into a ``datasets.Dataset`` with input_ids, labels, length;
    returns it and the number of samples whose reply alone does not fit."""
    from datasets import Dataset

    rows: dict[str, list] = {"input_ids": [], "labels": [], "length": []}
    skipped = 0
    for turns in ds["messages"]:
        try:
            feat = fit_sample(turns, tokenizer, max_seq_len).features
        except PromptFormatError as e:
            raise DatasetError(f"bad sample in dataset: {e}") from None
        if feat is None:
            skipped += 1
            continue
        rows["input_ids"].append(feat["input_ids"])
        rows["labels"].append(feat["labels"])
        rows["length"].append(len(feat["input_ids"]))
        if limit is not None and len(rows["length"]) >= limit:
            break
    return Dataset.from_dict(rows), skipped


class PadCollator:
    """Right-pads a batch; counts real vs padded tokens of training batches."""

    def __init__(self, pad_id: int, multiple_of: int | None = None):
        self.pad_id = pad_id
        self.multiple_of = multiple_of
        self.counting = True
        self.real_tokens = 0
        self.total_tokens = 0

    def __call__(self, features: list[dict]) -> dict:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        if self.multiple_of:
            width = -(-width // self.multiple_of) * self.multiple_of
        ids, labels, mask = [], [], []
        for f in features:
            n = len(f["input_ids"])
            pad = width - n
            ids.append(list(f["input_ids"]) + [self.pad_id] * pad)
            labels.append(list(f["labels"]) + [IGNORE] * pad)
            mask.append([1] * n + [0] * pad)
            if self.counting:
                self.real_tokens += n
        if self.counting:
            self.total_tokens += width * len(features)
        return {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(mask, dtype=torch.long),
        }

    @property
    def padding_share(self) -> float:
        return 1 - self.real_tokens / self.total_tokens if self.total_tokens else 0.0


class LengthGroupedSampler:
    """A batch sampler: batches of similar length, in random order; low padding even on
    small datasets.

    Shuffle, cut into mega-batches of up to 50 batches, sort each by length, slice into
    batches, shuffle the batches (the longest one first, so an out-of-memory shows at
    once). Deterministic per (seed, epoch) so a resumed run sees the same order.
    transformers' own sampler shrinks its mega-batches on small datasets (4 per epoch)
    and leaves ~8% padding there.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0):
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def batches(self) -> list[list[int]]:
        import random

        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        idx = list(range(len(self.lengths)))
        rng.shuffle(idx)
        mega = self.batch_size * 50
        out: list[list[int]] = []
        for k in range(0, len(idx), mega):
            group = sorted(idx[k:k + mega], key=lambda i: -self.lengths[i])
            out += [group[j:j + self.batch_size] for j in range(0, len(group), self.batch_size)]
        rng.shuffle(out)
        longest = max(range(len(out)), key=lambda b: max(self.lengths[i] for i in out[b]))
        out[0], out[longest] = out[longest], out[0]
        return out

    def __iter__(self):
        yield from self.batches()


# --------------------------------------------------------------------------- dataset


def load_dataset_dir(dataset_dir: Path):
    """The prepared DatasetDict (train + eval) and its stats.json."""
    from datasets import load_from_disk

    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise DatasetError(f"dataset not found: {dataset_dir} (run `clonebot prepare` first)")
    try:
        dsd = load_from_disk(str(dataset_dir))
    except Exception as e:  # noqa: BLE001 - datasets raises many kinds for a broken dir
        raise DatasetError(f"cannot read dataset {dataset_dir}: {e}") from None
    if "train" not in dsd or "messages" not in dsd["train"].column_names:
        raise DatasetError(f"{dataset_dir} is not a clonebot dataset (needs a train split with messages)")
    if len(dsd["train"]) == 0:
        raise DatasetError(f"{dataset_dir} has no training samples")
    stats: dict[str, Any] = {}
    if (dataset_dir / "stats.json").is_file():
        try:
            stats = json.loads((dataset_dir / "stats.json").read_text(encoding="utf-8"))
        except ValueError as e:
            raise DatasetError(f"cannot read {dataset_dir / 'stats.json'}: {e}") from None
    return dsd, stats


def window_context_turns(stats: dict[str, Any], dsd) -> int:
    """Turns of context the dataset's windows hold before each reply: what prepare recorded
    (``settings.context_turns``; ``max_turns`` - 1 in datasets made before), else the
    longest context in its training split."""
    recorded = stats.get("settings") if isinstance(stats.get("settings"), dict) else {}
    n = recorded.get("context_turns")
    if type(n) is int and n >= 1:
        return n
    old = recorded.get("max_turns")  # it counted the reply too
    if type(old) is int and old >= 2:
        return old - 1
    return max(1, max(len(turns) for turns in dsd["train"]["messages"]) - 1)


def dataset_fingerprint(dsd) -> str:
    """Content hash of every sample's turns in every split (independent of file layout)."""
    h = hashlib.sha256()
    for split in sorted(dsd.keys()):
        h.update(f"\x01{split}\x01".encode())
        for turns in dsd[split]["messages"]:
            h.update(json.dumps(turns, ensure_ascii=False, sort_keys=True).encode())
            h.update(b"\x00")
    return h.hexdigest()[:16]


def tokenize_eval(dsd, tokenizer, ts):
    """The eval split tokenized and capped at ``train.max_eval_samples``, or (None, 0).

    The split is stored in chat order, so the cap takes a seeded sample over every chat
    rather than the first chats. Sorted by length after: eval order is free, and sorted
    batches pad less."""
    import random

    if "eval" not in dsd or len(dsd["eval"]) == 0:
        return None, 0
    order = list(range(len(dsd["eval"])))
    random.Random(ts.seed).shuffle(order)
    eval_ds, skipped = tokenize_split(dsd["eval"].select(order), tokenizer, ts.max_seq_len,
                                      limit=ts.max_eval_samples)
    return (eval_ds.sort("length") if len(eval_ds) else None), skipped


# --------------------------------------------------------------------------- training


def _precision(device: str, quantize: str) -> dict[str, bool]:
    """Mixed precision for the Trainer: bf16 autocast on GPUs that have it (fp16 on older ones),
    and on CPUs that multiply bf16 natively when the base is full precision (the 4-bit base on
    a CPU is the test stand-in for the CUDA path: it keeps its own compute dtype); fp32 else.
    The base weights and the LoRA adapter stay in their dtype: autocast only runs the matmuls
    in bf16."""
    import torch

    if device.startswith("cuda"):
        bf16 = torch.cuda.is_bf16_supported()
        return {"bf16": bf16, "fp16": not bf16}
    return {"bf16": device == "cpu" and quantize != QUANTIZE_4BIT and cpu_has_bf16(), "fp16": False}


def _optim(name: str, device: str) -> str:
    # 8-bit / paged optimizers are CUDA kernels; on CPU plain AdamW does the same job.
    if not device.startswith("cuda") and ("8bit" in name or "paged" in name):
        return "adamw_torch"
    return name


def warmup_args(ratio: float, fields) -> dict[str, float]:
    """The warmup ratio under the name this transformers takes (``fields``: the dataclass
    fields of its TrainingArguments). 5.x reads ``warmup_steps`` < 1 as a ratio and drops
    ``warmup_ratio`` in 5.2; 4.x has ``warmup_ratio`` and refuses a non-int ``warmup_steps``."""
    types = {f.name: f.type for f in fields}
    if types.get("warmup_steps") in (int, "int"):
        return {"warmup_ratio": ratio}
    return {"warmup_steps": ratio}


def _compat_args(checkpointing: bool, warmup_ratio: float) -> dict[str, Any]:
    """TrainingArguments names that moved between transformers 4.56 and 5.x."""
    import dataclasses

    from transformers import TrainingArguments

    fields = dataclasses.fields(TrainingArguments)
    names = {f.name for f in fields}
    ckpt = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    out: dict[str, Any] = {ckpt: checkpointing, f"{ckpt}_kwargs": {"use_reentrant": False}}
    # No group_by_length: LoraTrainer groups training batches itself, and on 5.x the switch
    # would also shuffle eval batches by length groups, undoing the eval sort.
    return {**out, **warmup_args(warmup_ratio, fields)}


def training_arguments(ts, work: Path, device: str, *, evaluate: bool, progress: bool,
                       precision: dict[str, bool], optim: str):
    """transformers' TrainingArguments for ``ts`` (the [train] settings), checkpoints in ``work``."""
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(work),
        per_device_train_batch_size=ts.batch_size,
        per_device_eval_batch_size=ts.batch_size,
        gradient_accumulation_steps=ts.grad_accum,
        learning_rate=ts.learning_rate,
        num_train_epochs=ts.epochs,
        max_steps=ts.max_steps,
        lr_scheduler_type="cosine",
        weight_decay=ts.weight_decay,
        optim=optim,
        **precision,
        **_compat_args(ts.gradient_checkpointing, ts.warmup_ratio),
        remove_unused_columns=False,
        label_names=["labels"],
        eval_strategy="steps" if evaluate else "no",
        prediction_loss_only=True,  # eval's loss only: no logits kept and gathered
        eval_steps=ts.eval_steps,
        save_strategy="steps",
        save_steps=ts.save_steps,
        save_total_limit=2,
        logging_steps=ts.logging_steps,
        report_to="none",
        disable_tqdm=not progress,
        seed=ts.seed,
        use_cpu=device == "cpu",
        ddp_find_unused_parameters=False,
        dataloader_num_workers=0,
    )


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _start_or_resume(out_dir: Path, *, resume: bool, restart: bool) -> Path | None:
    """The checkpoint to continue from, or None after emptying the partial dir (one without
    a complete checkpoint holds nothing worth keeping)."""
    main = _is_main_process()
    checkpoint = run_dir.resumable_checkpoint(out_dir, resume=resume, restart=restart,
                                              move_aside=main)
    if checkpoint is not None and resume:
        return checkpoint
    work = run_dir.work_dir(out_dir)
    if work.exists() and main:
        if resume:
            log.warning("%s has no complete checkpoint to resume from: starting over", work)
        shutil.rmtree(work)
    return None


def lora_trainer(model, args, collator: PadCollator, train_ds, eval_ds, tokenizer,
                 callbacks: list | None, progress: bool, groups: int = 1):
    """transformers' Trainer with length-grouped training batches and eval batches in their
    given (sorted) order; eval batches don't count toward the training padding share. The
    loss reads logits at the learnt positions only where the model can compute just those
    (``scores_learnt_tokens_only``; training.masking). ``groups`` > 1: each training step's
    rows split over that many threads (training.row_threads)."""
    from torch.utils.data import DataLoader
    from transformers import PrinterCallback, Trainer

    scored = scores_learnt_tokens_only(model)

    class LoraTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if scored and "labels" in inputs:
                inputs = {**inputs, "logits_to_keep": scored_positions(inputs["labels"])}
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)

        def training_step(self, model, inputs, num_items_in_batch=None):
            step = super().training_step
            # Split only where each group's loss is over the whole batch's token count.
            if groups < 2 or num_items_in_batch is None:
                return step(model, inputs, num_items_in_batch)
            parts = split_rows(inputs, groups)
            return sum(run_split(lambda part: step(model, part, num_items_in_batch), parts))

        def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
            step = super().prediction_step
            if groups < 2 or not prediction_loss_only or "labels" not in inputs:
                return step(model, inputs, prediction_loss_only, ignore_keys=ignore_keys)
            # Each group's loss is its learnt tokens' mean: weighted by their count, the
            # batch's mean.
            parts = [p for p in split_rows(inputs, groups) if learnt_tokens(p["labels"])]
            losses = run_split(lambda part: step(model, part, True, ignore_keys=ignore_keys)[0], parts)
            counts = [learnt_tokens(p["labels"]) for p in parts]
            return sum(loss * n for loss, n in zip(losses, counts)) / max(sum(counts), 1), None, None

        def get_train_dataloader(self):
            batches = LengthGroupedSampler(self.train_dataset["length"],
                                           self.args.per_device_train_batch_size, seed=self.args.seed)
            loader = DataLoader(self.train_dataset, batch_sampler=batches, collate_fn=collator,
                                num_workers=self.args.dataloader_num_workers,
                                pin_memory=self.args.dataloader_pin_memory)
            return self.accelerator.prepare(loader)

        def evaluate(self, *a, **kw):
            collator.counting = False
            try:
                return super().evaluate(*a, **kw)
            finally:
                collator.counting = True

    loss = (lambda outputs, labels, num_items_in_batch=None:
            scored_loss(outputs["logits"], labels, num_items_in_batch)) if scored else None
    trainer = LoraTrainer(model=model, args=args, data_collator=collator, train_dataset=train_ds,
                          eval_dataset=eval_ds, processing_class=tokenizer, callbacks=callbacks,
                          compute_loss_func=loss)
    if not progress:
        trainer.remove_callback(PrinterCallback)
    return trainer


def _open_run(out_dir: Path, *, resume: bool, restart: bool,
              overwrite: bool) -> tuple[dict | None, Path | None]:
    """(the manifest of a run a kill interrupted after training ended, to return as it is;
    the checkpoint to resume from, or None to start afresh)."""
    run_dir.check_writable(out_dir)
    finished, just_now = run_dir.finish_interrupted(out_dir) if _is_main_process() else (None, False)
    if finished is not None and (resume or just_now):
        log.warning("%s had already finished: nothing to resume", out_dir)
        return finished, None
    if out_dir.exists() and not overwrite:
        if resume:  # not a finished run: say what is wrong with it (e.g. a damaged manifest)
            read_manifest(out_dir)
        raise ModelError(f"{out_dir} already exists; choose another --out or remove it")
    return None, _start_or_resume(out_dir, resume=resume, restart=restart or overwrite)


def top_layers(config, n: int) -> list[int] | None:
    """The indices of the top ``n`` decoder layers (``train.lora_top_layers``), or None for
    every layer (``n`` = 0 or at least the model's depth). Below the lowest adapted layer
    nothing needs a gradient, so the backward pass stops there."""
    depth = getattr(config, "num_hidden_layers", None)
    if not n or depth is None or n >= depth:
        return None
    return list(range(depth - n, depth))


def lora_model(settings: Settings, tokenizer, quantize: str):
    """The base model (4-bit or not) with LoRA adapters on ``train.target_modules``; returns
    (model, device, the target modules it has)."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    ts = settings.train
    model, _, device = load_base(settings, training=True, quantize=quantize, tokenizer=tokenizer)
    if quantize == QUANTIZE_4BIT:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=ts.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False})
    elif ts.gradient_checkpointing:
        # What prepare_model_for_kbit_training does for checkpointing, on a plain base: the
        # frozen embeddings' output must require grad, or checkpointed layers get none.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [m for m in ts.target_modules if m in present]
    if not targets:
        raise ModelError(
            f"none of train.target_modules {ts.target_modules} exist in {settings.model.base_model}")
    layers = top_layers(model.config, ts.lora_top_layers)
    lora = LoraConfig(r=ts.lora_r, lora_alpha=ts.lora_alpha, lora_dropout=ts.lora_dropout,
                      target_modules=targets, bias="none", task_type="CAUSAL_LM",
                      **({"layers_to_transform": layers} if layers is not None else {}))
    return get_peft_model(model, lora), device, targets


def _run(trainer, checkpoint: Path | None, evaluate: bool, out_dir: Path) -> dict[str, Any]:
    """Train (from ``checkpoint`` if any), with the eval loss before and after."""
    metrics: dict[str, Any] = {}
    if evaluate and checkpoint is None:
        metrics["eval_loss_before"] = round(trainer.evaluate()["eval_loss"], 4)
    with run_dir.saving(trainer.model, out_dir):
        if checkpoint is not None and run_dir.training_ended(checkpoint):
            # Killed after its last step: a finished training is only finished.
            train_loss = run_dir.restore_ended(trainer, checkpoint)
        else:
            train_loss = trainer.train(
                resume_from_checkpoint=str(checkpoint) if checkpoint else None).training_loss
    metrics["train_loss"] = round(train_loss, 4)
    if evaluate:
        loss = _last_step_eval_loss(trainer.state)
        if loss is None:
            loss = trainer.evaluate()["eval_loss"]
        metrics["eval_loss"] = round(loss, 4)
        metrics["perplexity"] = round(math.exp(min(loss, 50)), 3)
    return metrics


def _last_step_eval_loss(state) -> float | None:
    """The eval loss the Trainer logged at the last step, if it evaluated there: transformers
    5.x evaluates at the end of a step-based eval strategy by itself (DefaultFlowCallback),
    and evaluating again would cost a second pass over the eval split (2 s of the demo)."""
    for entry in reversed(state.log_history):
        if "eval_loss" in entry and entry.get("step") == state.global_step:
            return float(entry["eval_loss"])
    return None


def _publish(trainer, tokenizer, work: Path, out_dir: Path, manifest: dict[str, Any]) -> None:
    """The adapter, its tokenizer, loss curves and manifest (``new_manifest``'s fields,
    the weights' hashes added) into ``work/final``, then moved to ``out_dir`` (the manifest
    last: a final dir with one is a finished run). A full disk is one line (run_dir.saving)."""
    final = work / run_dir.FINAL
    if final.exists():
        shutil.rmtree(final)
    with run_dir.saving(trainer.model, out_dir):
        trainer.model.save_pretrained(str(final))
        tokenizer.save_pretrained(str(final))
        trainer.state.save_to_json(str(final / "trainer_state.json"))  # loss curves for `report`
    # The hashes are checked wherever the adapter is loaded or promoted.
    manifest = new_manifest(**manifest, weights=hash_weights(final))
    with run_dir.saving(trainer.model, out_dir):
        write_manifest(final, manifest)
        run_dir.publish(final, out_dir)


@run_dir.exclusive
def train(
    settings: Settings,
    dataset_dir: Path | str,
    out_dir: Path | str,
    *,
    resume: bool = False,
    restart: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    callbacks: list | None = None,
    on_lengths: Callable[[Lengths], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune ``settings.model.base_model`` on the dataset; returns the metrics.

    ``out_dir`` must not exist yet (``overwrite=True`` replaces it once the new run is
    done). An interrupted run keeps its checkpoints in ``.<name>.partial``: ``resume=True``
    continues it from its last complete checkpoint, ``restart=True`` discards it. A run a
    kill interrupted after training ended is finished first; with ``resume=True`` its
    metrics are returned (``already_finished``). ``callbacks``: extra TrainerCallbacks.
    ``on_lengths`` gets the samples' token figures before the model loads.
    """
    t0 = time.time()
    ts = settings.train
    dataset_dir, out_dir = Path(dataset_dir), Path(out_dir)
    finished, checkpoint = _open_run(out_dir, resume=resume, restart=restart, overwrite=overwrite)
    if finished is not None:
        return {**finished["metrics"], "already_finished": True}
    work = run_dir.work_dir(out_dir)
    dsd, stats = load_dataset_dir(dataset_dir)
    state = {"dataset_fingerprint": dataset_fingerprint(dsd), "base_model": settings.model.base_model}
    if checkpoint is not None:
        run_dir.check_resumable(work, state)

    from transformers import set_seed

    tokenizer = base_tokenizer(settings)
    lengths = measure_dataset(dsd, tokenizer, ts.max_seq_len, name=settings.model.base_model,
                              max_new_tokens=settings.generate.max_new_tokens)
    if on_lengths is not None:
        on_lengths(lengths)
    train_ds, _ = tokenize_split(dsd["train"], tokenizer, ts.max_seq_len)
    if len(train_ds) == 0:
        raise DatasetError(f"no training sample fits max_seq_len={ts.max_seq_len}")
    eval_ds, _ = tokenize_eval(dsd, tokenizer, ts)

    set_seed(ts.seed)
    quantize = resolve_quantize(ts.quantize, select_device())
    model, device, targets = lora_model(settings, tokenizer, quantize)
    run_dir.check_space(model, out_dir)  # said now, not at the first checkpoint
    precision, optim = _precision(device, quantize), _optim(ts.optim, device)
    if device == "cpu" and precision["bf16"]:
        cpu_bf16_step(model)
    threads = cpu_threads(settings.model.cpu_threads)
    groups = row_groups(device, threads, ts.batch_size, model)
    hyper = {**ts.model_dump(), "target_modules": targets, "optim": optim, **precision,
             "device": device.split(":")[0], "world_size": int(os.environ.get("WORLD_SIZE", "1")),
             "compute_dtype": str(model.base_model.model.dtype), "quantization": manifest_quantization(quantize),
             "row_groups": groups}
    work.mkdir(parents=True, exist_ok=True)
    if _is_main_process():
        run_dir.write_state(work, state)
    args = training_arguments(ts, work, device, evaluate=eval_ds is not None, progress=progress,
                              precision=precision, optim=optim)
    collator = PadCollator(tokenizer.pad_token_id, multiple_of=8 if device != "cpu" else None)
    trainer = lora_trainer(model, args, collator, train_ds, eval_ds, tokenizer, callbacks, progress,
                           groups=groups)

    # The cores shared out over the groups of rows (training.row_threads).
    with torch_threads(threads_per_group(threads, groups) if groups > 1 else None):
        metrics = _run(trainer, checkpoint, evaluate=eval_ds is not None, out_dir=out_dir)
    metrics.update(
        steps=trainer.state.global_step, epochs=round(trainer.state.epoch or 0, 3),
        train_samples=len(train_ds), eval_samples=len(eval_ds) if eval_ds is not None else 0,
        skipped_too_long=lengths.too_long, lengths=lengths.as_dict(),
        padding_share=round(collator.padding_share, 4),
        resumed_from=checkpoint.name if checkpoint else None, runtime_s=round(time.time() - t0, 1))
    if trainer.is_world_process_zero():
        _publish(trainer, tokenizer, work, out_dir, dict(
            base_model=recorded_base_model(settings.model.base_model), revision=settings.model.revision,
            eos_token=tokenizer.eos_token,  # the dataset has none: this tokenizer's is the one
            context_turns=window_context_turns(stats, dsd), dataset_fingerprint=state["dataset_fingerprint"],
            owner_id=stats.get("owner_id"), hyperparameters=hyper, metrics=metrics,
            dataset_dir=str(dataset_dir.resolve())))
    del trainer, model
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()
    return metrics
