"""``clonebot plan``: what a QLoRA run will need, before renting a GPU.

From the dataset and the base model's config.json alone (no weights: Mistral-7B's values
are bundled, ``clonebot.model.mistral``): trainable LoRA parameters, tokens per epoch, the
peak GPU memory of 4-bit QLoRA at the configured sequence length, batch size and gradient
checkpointing, the common cards it fits, and hours per epoch at a named throughput.

The memory model (bytes), for transformers + peft + bitsandbytes as ``train`` runs them:

- base: the linear layers in NF4 with double quantization (0.5 + ~0.016 bytes a weight);
  embeddings and the LM head unquantized, and upcast to fp32 by peft's
  ``prepare_model_for_kbit_training`` (4 bytes a weight);
- LoRA: r x (in + out) per adapted projection, fp32 weight and gradient (8 bytes) plus the
  optimizer's two moments (2 bytes with an 8-bit/paged AdamW, 8 with a 32-bit one);
- activations per token of the longest batch: with gradient checkpointing each layer's
  fp32 input (4 x hidden) plus one layer being recomputed; without, every layer's
  (``_LAYER_HIDDEN`` x hidden + ``_LAYER_MLP`` x intermediate bytes each); and the logits
  (``_LOGIT_BYTES`` a vocabulary entry: fp32 logits, their log-softmax and gradient);
- ``_FIXED_GB`` for the CUDA context, cuBLAS workspace and allocator slack.

Time: a micro-batch's tokens cost 6 x parameters FLOPs each with checkpointing (forward,
the recomputed forward, the backward to activations; the frozen base has no weight
gradients), 4 x without, at ``MFU`` of the card's bf16 peak, plus dequantizing every 4-bit
weight once per pass at 70% of its memory bandwidth; and never less than the host needs
to launch all that (``_MODULE_PASS_S`` per linear layer and pass). Short chat samples make
small micro-batches, where that floor is the cost: tokens/s depends on the data.

Both are checked against published measurements in tests/test_plan.py (±25%); the README
lists them with their settings.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError

GB = 1024 ** 3
# Bytes per token and layer beyond the checkpointed input (fitted to the measurements in
# tests/test_plan.py, of the size a layer's saved tensors have: fp32 norm and dropout
# copies of the hidden state, bf16 q/k/v/o and MLP intermediates).
_LAYER_HIDDEN = 24
_LAYER_MLP = 12
_LOGIT_BYTES = 12
_FIXED_GB = 0.6
_NF4_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)  # 4-bit codes + 8-bit block scales + their scales
MFU = 0.35  # share of the card's bf16 peak a QLoRA step reaches (Qwen-7B, A100, 2k tokens)
# Host time per linear layer and pass (Python, kernel launches): the floor of a short
# micro-batch (Qwen-7B's table: 0.375 s per 256- or 512-token micro-batch on an A100).
_MODULE_PASS_S = 0.56e-3


@dataclass(frozen=True)
class Card:
    name: str
    vram_gb: float
    bf16_tflops: float  # dense tensor-core peak (fp16 on cards without bf16)
    bandwidth_gbs: float


# One common card per memory class the owner is likely to rent or own.
CARDS = (
    Card("RTX 3060 12GB", 12, 51, 360),
    Card("T4 16GB", 16, 65, 320),
    Card("RTX 4090 24GB", 24, 165, 1008),
    Card("L4 24GB", 24, 121, 300),
    Card("A100 40GB", 40, 312, 1555),
    Card("A100 80GB", 80, 312, 2039),
    Card("H100 80GB", 80, 989, 3350),
)


@dataclass(frozen=True)
class Shape:
    """The numbers of a decoder config.json the estimate needs."""

    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool

    @classmethod
    def of(cls, config: dict[str, Any]) -> "Shape":
        try:
            h, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
            return cls(hidden=h, intermediate=int(config["intermediate_size"]),
                       layers=int(config["num_hidden_layers"]), heads=heads,
                       kv_heads=int(config.get("num_key_value_heads") or heads),
                       head_dim=int(config.get("head_dim") or h // heads),
                       vocab=int(config["vocab_size"]),
                       tied=bool(config.get("tie_word_embeddings", False)))
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"config.json lacks what a plan needs ({e}): not a decoder LM config") from None

    def projections(self) -> dict[str, tuple[int, int]]:
        """(in, out) features of each linear layer of one decoder layer, by module name."""
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        return {"q_proj": (self.hidden, q), "k_proj": (self.hidden, kv), "v_proj": (self.hidden, kv),
                "o_proj": (q, self.hidden), "gate_proj": (self.hidden, self.intermediate),
                "up_proj": (self.hidden, self.intermediate), "down_proj": (self.intermediate, self.hidden)}

    @property
    def linear_params(self) -> int:
        return self.layers * sum(i * o for i, o in self.projections().values())

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied else 2)

    @property
    def params(self) -> int:
        return self.linear_params + self.embedding_params


@dataclass(frozen=True)
class Setup:
    """What the run is configured to do (``[train]``)."""

    lora_r: int = 16
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                       "up_proj", "down_proj")
    seq_len: int = 512
    batch: int = 4
    grad_accum: int = 4
    gradient_checkpointing: bool = True
    optim: str = "paged_adamw_8bit"
    # How the published setups differ from ours (tests/test_plan.py); ours by default.
    embed_bytes: float = 4  # peft's prepare_model_for_kbit_training upcasts them to fp32
    logit_bytes: float = _LOGIT_BYTES


def lora_params(shape: Shape, setup: Setup) -> int:
    proj = shape.projections()
    return shape.layers * sum(setup.lora_r * (i + o) for name, (i, o) in proj.items()
                              if name in setup.target_modules)


def peak_memory_gb(shape: Shape, setup: Setup) -> float:
    """Estimated peak GPU memory of one QLoRA training process, in GiB."""
    base = shape.linear_params * _NF4_BYTES + shape.embedding_params * setup.embed_bytes
    moments = 2 if ("8bit" in setup.optim or "8_bit" in setup.optim) else 8
    lora = lora_params(shape, setup) * (8 + moments)
    layer = _LAYER_HIDDEN * shape.hidden + _LAYER_MLP * shape.intermediate
    per_token = (4 * shape.hidden * shape.layers + layer if setup.gradient_checkpointing
                 else layer * shape.layers)
    per_token += setup.logit_bytes * shape.vocab
    tokens = setup.batch * setup.seq_len
    return (base + lora + per_token * tokens) / GB + _FIXED_GB


def seconds_per_micro_batch(shape: Shape, setup: Setup, card: Card, tokens: int) -> float:
    """One forward + backward of ``tokens`` tokens (a micro-batch) on ``card``."""
    passes = 3 if setup.gradient_checkpointing else 2
    # Attention's own FLOPs are left out: at chat lengths they are a few percent, and at
    # long ones the better MFU of large matmuls makes up for them (Qwen-7B's table).
    flops = 2 * passes * shape.params * tokens
    dequant = passes * shape.linear_params * (_NF4_BYTES + 2 + 2) / (0.7 * card.bandwidth_gbs * 1e9)
    gpu = flops / (MFU * card.bf16_tflops * 1e12) + dequant
    # The host launches every 4-bit layer's kernels (dequantize, matmul, the LoRA pair) on
    # each pass; a small micro-batch waits for that, not for the GPU.
    host = passes * 7 * shape.layers * _MODULE_PASS_S
    return max(gpu, host)


@dataclass
class Plan:
    base_model: str
    shape: Shape
    setup: Setup
    samples: int
    tokens_per_epoch: int  # real tokens (no padding) the model reads in one epoch
    padded_tokens_per_epoch: int  # what the batches hold, padding included (the cost)
    epochs: float
    trainable: int
    peak_gb: float
    cards: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        s = self.setup
        out = [
            f"plan for {self.base_model}: {self.shape.params / 1e9:.2f}B parameters, "
            f"LoRA r={s.lora_r} on {', '.join(s.target_modules)}: {self.trainable:,} trainable "
            f"({100 * self.trainable / self.shape.params:.2f}%)",
            f"  data: {self.samples} training samples, {self.tokens_per_epoch:,} tokens per epoch "
            f"({self.padded_tokens_per_epoch:,} in batches with padding), {self.epochs:g} epochs",
            f"  peak GPU memory, 4-bit QLoRA at max_seq_len {s.seq_len}, batch {s.batch}, gradient "
            f"checkpointing {'on' if s.gradient_checkpointing else 'off'}, {s.optim}: "
            f"~{self.peak_gb:.1f} GB",
        ]
        for c in self.cards:
            fits = "fits" if c["fits"] else "does NOT fit"
            time = (f", {_duration(c['hours_per_epoch'])} per epoch at ~{c['tokens_per_s']:,.0f} "
                    "tokens/s" if c["fits"] else "")
            out.append(f"  {c['card']:<14} {fits}{time}")
        out.append(f"  (assumed: {int(MFU * 100)}% of each card's bf16 peak, 4-bit weights "
                   f"dequantized on every pass, at least {_MODULE_PASS_S * 1e3:.2f} ms of host time "
                   "per layer and pass; checked within ±25% against published 7B QLoRA "
                   "measurements, README section 3)")
        return out


def _duration(hours: float) -> str:
    if hours >= 1:
        return f"~{hours:.1f} h"
    return f"~{max(1, round(hours * 60))} min"


def load_config(base_model: str, cache_dir: Path) -> dict[str, Any]:
    """The base model's config.json: bundled for Mistral-7B, else a local directory's or an
    alias's (built once), else the Hugging Face cache's; never a download."""
    from clonebot.model.mistral import hub_config
    from clonebot.model.registry import resolve_base_model

    bundled = hub_config(base_model)
    if bundled is not None:
        return bundled
    source = Path(resolve_base_model(base_model, cache_dir))
    path = source / "config.json"
    if not path.is_file():
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(base_model, "config.json")
        except Exception:  # noqa: BLE001 - a name that is not a repo id
            cached = None
        if not isinstance(cached, str):
            raise ModelError(f"no config.json for {base_model} on this machine: give model.base_model "
                             "as a local directory, or a Mistral-7B id (their values are bundled)")
        path = Path(cached)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {path}: {e}") from None


def make_plan(settings, lengths: list[int], base_model: str | None = None,
              config: dict[str, Any] | None = None) -> Plan:
    """The plan for training ``settings.model.base_model`` on samples of these token
    ``lengths`` (each as training fits it: at most ``train.max_seq_len``)."""
    from training.train import LengthGroupedSampler

    ts = settings.train
    name = base_model or settings.model.base_model
    shape = Shape.of(config if config is not None else load_config(name, settings.paths.cache_dir))
    setup = Setup(lora_r=ts.lora_r, target_modules=tuple(ts.target_modules),
                  seq_len=ts.max_seq_len, batch=ts.batch_size, grad_accum=ts.grad_accum,
                  gradient_checkpointing=ts.gradient_checkpointing, optim=ts.optim)
    batches = LengthGroupedSampler(lengths, ts.batch_size, seed=ts.seed).batches() if lengths else []
    padded = [max(lengths[i] for i in b) * len(b) for b in batches]
    steps = math.ceil(len(batches) / ts.grad_accum) if batches else 0
    epochs = ts.epochs if ts.max_steps < 0 else (ts.max_steps / steps if steps else 0)
    plan = Plan(base_model=name, shape=shape, setup=setup, samples=len(lengths),
                tokens_per_epoch=sum(lengths), padded_tokens_per_epoch=sum(padded), epochs=epochs,
                trainable=lora_params(shape, setup), peak_gb=peak_memory_gb(shape, setup))
    for card in CARDS:
        seconds = sum(seconds_per_micro_batch(shape, setup, card, n) for n in padded)
        plan.cards.append({
            "card": card.name, "vram_gb": card.vram_gb, "fits": plan.peak_gb <= card.vram_gb,
            "hours_per_epoch": seconds / 3600,
            "tokens_per_s": sum(lengths) / seconds if seconds else 0.0})
    return plan
