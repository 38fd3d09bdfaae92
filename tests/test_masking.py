"""Loss masking shared by training and eval's perplexity (``training.masking``).

Training's own masking tests (which tokens are learnable, dropping old turns) are in
test_train.py; these check what eval scores with the same function.
"""

from __future__ import annotations

from clonebot.model.load import encode
from clonebot.prompt_format import render_sample
from training.masking import IGNORE, tokenize_sample

TURNS = [
    {"role": "user", "content": "ты завтра свободен?"},
    {"role": "clone", "content": "ага, после шести)"},
    {"role": "user", "content": "cool, the usual place?"},
    {"role": "clone", "content": "10 min 👍"},
]


def test_reply_only_scores_the_final_reply_with_trainings_tokens(tokenizer):
    train = tokenize_sample(TURNS, tokenizer, 512)
    scored = tokenize_sample(TURNS, tokenizer, 512, reply_only=True)
    assert scored["input_ids"] == train["input_ids"]
    kept = [i for i, lab in enumerate(scored["labels"]) if lab != IGNORE]
    # The final reply + EOS, labelled exactly as training labels them; nothing before.
    assert kept == list(range(kept[0], len(train["labels"])))
    assert [scored["labels"][i] for i in kept] == [train["labels"][i] for i in kept]
    assert all(lab == IGNORE for lab in scored["labels"][: kept[0]])
    assert tokenizer.decode(scored["labels"][kept[0]:-1]).strip() == "10 min 👍"
    assert scored["labels"][-1] == tokenizer.eos_token_id


def test_too_long_cuts_whole_turns_keeping_bos_and_header(tokenizer):
    """An over-long sample loses its oldest turns whole: what is left is a rendered sample
    of the last turns, starting with BOS (if the tokenizer has one) and a turn header."""
    ctx = [{"role": "user", "content": f"сообщение номер {i}, довольно длинное"} for i in range(20)]
    turns = [*ctx, {"role": "clone", "content": "ok)"}]
    feat = tokenize_sample(turns, tokenizer, 48, reply_only=True)
    assert feat is not None and len(feat["input_ids"]) <= 48
    eos = tokenizer.eos_token
    kept = [encode(tokenizer, render_sample(turns[k:-1], "ok)", eos))["input_ids"]
            for k in range(len(turns))]
    assert feat["input_ids"] in kept
    assert tokenizer.decode(feat["input_ids"], skip_special_tokens=True).lstrip().startswith("### ")
    if tokenizer.bos_token_id is not None and encode(tokenizer, "x")["input_ids"][0] == tokenizer.bos_token_id:
        assert feat["input_ids"][0] == tokenizer.bos_token_id


# ------------------------------------------------------------- the loss on learnt tokens only


def _labels_with_gaps():
    import torch

    labels = torch.tensor([[-100, -100, 5, 6, -100, 7, 2, -100, -100],
                           [-100, 3, 4, -100, -100, -100, 8, 9, 2],
                           [-100, -100, -100, -100, -100, -100, -100, 1, 2]])
    return labels


def test_scored_loss_is_the_causal_lm_loss_of_the_full_logits():
    import torch
    from transformers.loss.loss_utils import ForCausalLMLoss

    from training.masking import scored_loss, scored_positions

    torch.manual_seed(0)
    labels = _labels_with_gaps()
    full = torch.randn(*labels.shape, 11, requires_grad=True)
    keep = scored_positions(labels)
    # Position t is kept iff token t + 1 is learnt; the last position never is.
    assert keep[0].tolist() == [False, True, True, False, True, True, False, False, False]
    assert int(keep.sum()) == int((labels[:, 1:] != IGNORE).sum()) == 11
    for n in (None, torch.tensor(30)):  # a mean, and a share of an accumulated batch
        want = ForCausalLMLoss(full, labels, vocab_size=11, num_items_in_batch=n)
        got = scored_loss(full[keep], labels, n)
        assert torch.allclose(got, want, atol=1e-6), (n, got, want)
        g_want, = torch.autograd.grad(want, full)
        g_got, = torch.autograd.grad(got, full)
        assert torch.allclose(g_got, g_want, atol=1e-7)
        assert g_got[~keep].abs().sum() == 0  # nothing flows from positions that are not learnt


def _tiny_lora_llama():
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "down_proj"],
                                             init_lora_weights=False, task_type="CAUSAL_LM"))
    return model


def test_a_model_scoring_learnt_tokens_only_gets_its_own_loss_and_gradients():
    """The Trainer's path (logits_to_keep = the mask, then scored_loss) against the model's own
    loss over every position's logits: the same loss, the same LoRA gradients."""
    import torch

    from training.masking import scored_loss, scored_positions
    from training.train import scores_learnt_tokens_only

    model = _tiny_lora_llama()
    assert scores_learnt_tokens_only(model)
    labels = _labels_with_gaps()
    ids = torch.randint(3, 64, labels.shape)
    mask = torch.ones_like(ids)
    mask[2, :3] = 0  # padding too

    def grads(loss):
        model.zero_grad()
        loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    own = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    g_own = grads(own)
    out = model(input_ids=ids, attention_mask=mask, logits_to_keep=scored_positions(labels))
    assert out.logits.shape == (11, 64)  # one row per learnt token, not 3 x 9
    ours = scored_loss(out.logits, labels)
    g_ours = grads(ours)
    assert torch.allclose(ours, own, atol=1e-6)
    assert g_ours.keys() == g_own.keys() and len(g_own) == 8
    for name in g_own:
        assert torch.allclose(g_ours[name], g_own[name], atol=1e-6), name
