"""A training step's rows split over threads (training/row_threads.py) is the whole batch's step."""

from __future__ import annotations

import threading

import pytest
import torch

from training.row_threads import row_groups, run_split, split_rows, threads_per_group, torch_threads


def test_row_groups_one_per_cpu_thread_at_most_one_per_row():
    from test_masking import _tiny_lora_llama

    assert row_groups("cpu", 2, 4, _tiny_lora_llama()) == 2
    assert row_groups("cpu", 2, 4) == 2
    assert row_groups("cpu", 8, 3) == 3
    assert row_groups("cpu", 2, 1) == 1
    assert row_groups("cpu", 1, 4) == 1
    assert row_groups("cuda:0", 8, 16) == 1


def test_a_step_that_draws_random_numbers_is_not_split():
    """Threads would take dropout masks from torch's one generator in whatever order they
    ran: a run would not repeat (nor its resume match it)."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from training.row_threads import draws_random

    def model(lora_dropout=0.0, attention_dropout=0.0):
        config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                             num_attention_heads=4, num_key_value_heads=2,
                             attention_dropout=attention_dropout)
        return get_peft_model(LlamaForCausalLM(config), LoraConfig(
            r=4, target_modules=["q_proj"], lora_dropout=lora_dropout, task_type="CAUSAL_LM"))

    assert not draws_random(model())
    assert draws_random(model(lora_dropout=0.05)) and draws_random(model(attention_dropout=0.1))
    assert row_groups("cpu", 2, 4, model(lora_dropout=0.05)) == 1
    assert row_groups("cpu", 2, 4, model()) == 2


def test_split_rows_cuts_batch_tensors_and_shares_the_rest():
    batch = {"input_ids": torch.arange(15).reshape(5, 3), "labels": torch.arange(15).reshape(5, 3) + 100,
             "logits_to_keep": 0, "scale": torch.tensor(2.0)}
    parts = split_rows(batch, 2)
    assert [p["input_ids"].shape[0] for p in parts] == [2, 3]  # as even as they go, in order
    assert torch.equal(torch.cat([p["input_ids"] for p in parts]), batch["input_ids"])
    assert torch.equal(torch.cat([p["labels"] for p in parts]), batch["labels"])
    assert all(p["logits_to_keep"] == 0 and p["scale"] is batch["scale"] for p in parts)
    assert len(split_rows(batch, 9)) == 5  # never an empty group
    assert split_rows(batch, 1)[0]["input_ids"] is not None and len(split_rows(batch, 1)) == 1


def test_run_split_runs_each_part_in_a_thread_of_its_own_and_raises_the_first_error():
    together = threading.Barrier(3, timeout=10)  # passed only if all three run at once
    seen = []

    def times_ten(p):
        seen.append(threading.get_ident())
        together.wait()
        return p * 10

    assert run_split(times_ten, [1, 2, 3]) == [10, 20, 30]
    assert len(set(seen)) == 3 and threading.get_ident() in seen

    done = []

    def step(p):
        if p == 2:
            raise ValueError("part 2")
        done.append(p)

    with pytest.raises(ValueError, match="part 2"):
        run_split(step, [1, 2, 3])
    assert sorted(done) == [1, 3]  # the others ran to their end before the error was raised


def test_torch_threads_restores_the_count_and_groups_share_the_cores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before
    assert threads_per_group(2, 2) == 1 and threads_per_group(16, 4) == 4 and threads_per_group(3, 2) == 1
    assert threads_per_group(8, 1) == 8


def _step(tmp_path, groups: int, eval_step: bool = False):
    """One LoraTrainer training step (or eval step) of a fresh tiny model on a 3-row batch:
    (loss, LoRA grads, the threads and row counts the forward passes ran with)."""
    from datasets import Dataset
    from test_masking import _labels_with_gaps, _tiny_lora_llama
    from transformers import TrainingArguments

    from training.train import PadCollator, lora_trainer

    model = _tiny_lora_llama()
    labels = _labels_with_gaps()
    ids = torch.randint(3, 64, (3, 9), generator=torch.Generator().manual_seed(4))
    rows = {"input_ids": ids.tolist(), "labels": labels.tolist(), "length": [9, 9, 9]}
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none",
                             remove_unused_columns=False, label_names=["labels"])
    collator = PadCollator(0)
    trainer = lora_trainer(model, args, collator, Dataset.from_dict(rows), None, None, None, False,
                           groups=groups)
    batch = collator([{"input_ids": i, "labels": lab} for i, lab in zip(ids.tolist(), labels.tolist())])
    learnt = int((labels[:, 1:] != -100).sum())  # what the Trainer counts for num_items_in_batch
    seen = []
    hook = model.get_base_model().model.embed_tokens.register_forward_hook(
        lambda mod, inp, out: seen.append((threading.get_ident(), inp[0].shape[0])))
    try:
        if eval_step:
            loss, logits, labels = trainer.prediction_step(model, dict(batch), prediction_loss_only=True)
            assert logits is None and labels is None
            return loss, None, seen
        loss = trainer.training_step(model, dict(batch), num_items_in_batch=torch.tensor(learnt))
    finally:
        hook.remove()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return loss, grads, seen


def test_a_step_split_over_two_threads_is_the_whole_batchs_step(tmp_path):
    """Each group's loss is over the whole batch's token count: the losses add up to the
    whole batch's loss and the gradients to its gradients; each group ran in its own thread."""
    whole_loss, whole_grads, whole_seen = _step(tmp_path, 1)
    loss, grads, seen = _step(tmp_path, 2)
    assert [rows for _, rows in whole_seen] == [3]
    assert sorted(rows for _, rows in seen) == [1, 2] and len({t for t, _ in seen}) == 2
    assert torch.allclose(loss, whole_loss, rtol=1e-5, atol=1e-6)
    assert grads.keys() == whole_grads.keys() and len(grads) == 8
    for name, g in whole_grads.items():
        assert g.abs().sum() > 0
        assert torch.allclose(grads[name], g, rtol=1e-4, atol=1e-6), name


def test_a_split_step_is_deterministic(tmp_path):
    """Two groups' gradients add up the same whichever thread finishes first."""
    for _ in range(3):
        loss_a, grads_a, _ = _step(tmp_path, 2)
        loss_b, grads_b, _ = _step(tmp_path, 2)
        assert torch.equal(loss_a, loss_b)
        assert all(torch.equal(grads_a[n], grads_b[n]) for n in grads_a)


def test_even_chunks_are_a_multiple_of_the_workers_and_as_even_as_they_go():
    from training.row_threads import even_chunks

    assert even_chunks(12, 8, 2) == [(0, 6), (6, 12)]  # not 8 + 4: each worker gets as much
    assert even_chunks(12, 8, 1) == [(0, 6), (6, 12)]
    assert even_chunks(20, 8, 2) == [(0, 5), (5, 10), (10, 15), (15, 20)]
    assert even_chunks(3, 8, 4) == [(0, 1), (1, 2), (2, 3)]  # never an empty chunk
    assert even_chunks(0, 8, 2) == []
    for n, size, w in [(1, 8, 2), (17, 8, 2), (100, 8, 3), (9, 2, 2)]:
        chunks = even_chunks(n, size, w)
        assert [a for a, _ in chunks][1:] == [b for _, b in chunks][:-1] and chunks[-1][1] == n
        assert max(b - a for a, b in chunks) <= size


def test_dealt_keeps_the_items_order_and_runs_each_thread_inside_its_context():
    from training.row_threads import dealt

    got = dealt(lambda x: (x, torch.is_inference_mode_enabled()), list(range(7)), 3,
                each=torch.inference_mode)
    assert got == [(i, True) for i in range(7)]
    assert not torch.is_inference_mode_enabled()
    assert dealt(lambda x: x + 1, [], 2) == []


def test_an_eval_step_split_over_two_threads_is_the_whole_batchs_mean(tmp_path):
    whole, _, whole_seen = _step(tmp_path, 1, eval_step=True)
    loss, _, seen = _step(tmp_path, 2, eval_step=True)
    assert [rows for _, rows in whole_seen] == [3]
    assert sorted(rows for _, rows in seen) == [1, 2] and len({t for t, _ in seen}) == 2
    assert torch.allclose(loss, whole, rtol=1e-5, atol=1e-6) and whole > 0


@pytest.mark.slow
@pytest.mark.parametrize("checkpointing", [False, True], ids=["demo profile", "gradient checkpointing"])
def test_train_on_two_cpu_threads_splits_its_steps_and_learns_what_one_thread_learns(
        tmp_path, cache_dir, test_model_dir, monkeypatch, checkpointing):
    """Through train(): the Trainer's loop hands each step its token count, so a step on two
    threads splits (a loop that passed none would silently train unsplit); the adapter is the
    one-thread run's to float rounding, and torch's thread count is back after. Gradient
    checkpointing recomputes each thread's layers in that thread's backward."""
    from safetensors.torch import load_file

    import training.train as train_mod
    from fixtures_model import make_dataset, tiny_settings

    ds = make_dataset(tmp_path / "ds", n_train=8, n_eval=4, seed=5)
    # In float32: bf16's rounding differs between a batch's shapes and its halves', and
    # Adam's first steps turn any difference into a whole step for a near-zero gradient.
    monkeypatch.setattr(train_mod, "cpu_has_bf16", lambda: False)
    before = torch.get_num_threads()
    splits = []
    real = train_mod.run_split
    monkeypatch.setattr(train_mod, "run_split",
                        lambda step, parts: splits.append(len(parts)) or real(step, parts))
    runs = {}
    for threads in (1, 2):
        s = tiny_settings(cache_dir, max_steps=3, batch_size=2, save_steps=100, eval_steps=100,
                          lora_dropout=0.0, gradient_checkpointing=checkpointing)
        s = s.model_copy(update={"model": s.model.model_copy(update={"cpu_threads": threads})})
        splits.clear()
        m = train_mod.train(s, ds, tmp_path / f"run{threads}", progress=False)
        runs[threads] = (m, load_file(str(tmp_path / f"run{threads}" / "adapter_model.safetensors")),
                         list(splits))
        assert torch.get_num_threads() == threads  # as the model's load set it, not left at one
    torch.set_num_threads(before)
    assert runs[1][2] == []
    # 3 training steps and 2 evals (before training, after it) of 2 batches: all in two groups.
    assert runs[2][2] == [2] * 7
    (m1, w1, _), (m2, w2, _) = runs[1], runs[2]
    assert m2["eval_loss"] == pytest.approx(m1["eval_loss"], rel=2e-3)
    assert w1.keys() == w2.keys()
    for name in w1:  # measured: at most 2e-4 of the weights' norm
        a, b = w1[name].float(), w2[name].float()
        assert (a - b).norm() < 1e-3 * a.norm(), name
