"""The cheaper CPU bf16 training step (training/cpu_bf16.py) computes what the plain one does."""

from __future__ import annotations

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

from training.cpu_bf16 import SDPA_FP32, attention_in_fp32, frozen_weights_in_bf16


def _model():
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    return get_peft_model(LlamaForCausalLM(config), LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
        init_lora_weights=False, task_type="CAUSAL_LM"))


def _ids():
    ids = torch.randint(3, 64, (3, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[2, 6:] = 0  # a right-padded row
    return ids, mask


def test_frozen_base_weights_in_bf16_change_nothing_under_autocast():
    """The adapted projections' frozen weights stored in bf16: the same loss and the same
    LoRA gradients, bit for bit, as casting them at every forward pass; embeddings (tied to
    the lm_head), norms and LoRA weights keep float32."""
    ids = torch.randint(3, 64, (3, 9), generator=torch.Generator().manual_seed(1))
    runs = []
    for cast in (False, True):
        m = _model()
        if cast:
            assert frozen_weights_in_bf16(m) == 6  # 3 projections x 2 layers
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = m(input_ids=ids, labels=ids).loss
        loss.backward()
        runs.append((m, loss, {n: p.grad for n, p in m.named_parameters() if p.requires_grad}))
    (_, want, g_want), (cast_model, got, g_got) = runs
    assert torch.equal(got, want)
    assert g_got.keys() == g_want.keys() and len(g_got) == 12
    assert all(torch.equal(g_got[n], g_want[n]) for n in g_want)
    dtypes = {n: p.dtype for n, p in cast_model.named_parameters()}
    assert dtypes["base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight"] == torch.bfloat16
    assert dtypes["base_model.model.model.layers.0.self_attn.k_proj.weight"] == torch.float32  # not adapted
    assert dtypes["base_model.model.model.embed_tokens.weight"] == torch.float32
    assert all(d == torch.float32 for n, d in dtypes.items() if "lora_" in n or "norm" in n)


def test_attention_in_fp32_is_sdpa_with_its_masks_and_float32_inside(monkeypatch):
    import torch.nn.functional as F

    ids, mask = _ids()
    m = _model()
    want = m(input_ids=ids, attention_mask=mask).logits
    assert attention_in_fp32(m)
    assert m.get_base_model().config._attn_implementation == SDPA_FP32
    seen = []
    sdpa = F.scaled_dot_product_attention

    def spy(query, key, value, *a, **kw):
        seen.append((query.dtype, key.dtype, value.dtype, torch.is_autocast_enabled("cpu")))
        return sdpa(query, key, value, *a, **kw)

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    # In float32 it is SDPA itself: the same logits, the padded row as it is alone.
    got = m(input_ids=ids, attention_mask=mask).logits
    assert torch.equal(got, want)
    alone = m(input_ids=ids[2:, :6]).logits
    assert torch.allclose(alone[0], got[2, :6], atol=1e-5)
    assert len(seen) == 4  # 2 layers x 2 forward passes
    # Under autocast SDPA gets float32 q/k/v with autocast off (bf16 in a plain step: the
    # value projection's output).
    seen.clear()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = m(input_ids=ids, attention_mask=mask).logits
    assert seen == [(torch.float32, torch.float32, torch.float32, False)] * 2
    assert torch.allclose(mixed.float(), want, atol=0.05)


def test_attention_in_fp32_leaves_other_attention_alone():
    m = _model()
    m.get_base_model().set_attn_implementation("eager")
    assert not attention_in_fp32(m)
    assert m.get_base_model().config._attn_implementation == "eager"

