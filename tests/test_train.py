"""Training: label masking, padding, the run dir + manifest, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clonebot.errors import DatasetError, FormatMismatchError, ModelError
from clonebot.model.manifest import check_prompt_format, read_manifest, write_manifest
from clonebot.prompt_format import format_info
from training.masking import IGNORE, tokenize_sample
from training.train import PadCollator

TURNS = [
    {"role": "user", "content": "привет, ты где?"},
    {"role": "clone", "content": "уже еду)"},
    {"role": "user", "content": "ok, how long?"},
    {"role": "clone", "content": "10 min 👍"},
]


@pytest.fixture(params=["smollm2", "llama-spm"])
def tokenizer(request, smol_tokenizer, llama_tokenizer):
    return smol_tokenizer if request.param == "smollm2" else llama_tokenizer


def _learnable(tok, feat):
    return [t for t, lab in zip(feat["input_ids"], feat["labels"]) if lab != IGNORE]


def test_only_clone_tokens_and_eos_are_learnable(tokenizer):
    feat = tokenize_sample(TURNS, tokenizer, 512)
    ids, labels = feat["input_ids"], feat["labels"]
    assert len(ids) == len(labels)
    assert all(lab in (IGNORE, i) for i, lab in zip(ids, labels))
    # Learnable runs are exactly the two clone turns, each closed by EOS.
    runs, cur = [], []
    for i, lab in zip(ids, labels):
        if lab != IGNORE:
            cur.append(i)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    assert len(runs) == 2
    for run, want in zip(runs, ["уже еду)", "10 min 👍"]):
        assert run[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(run[:-1]).strip() == want
    # Nothing of the user's turns or the headers can be learned.
    masked = tokenizer.decode([i for i, lab in zip(ids, labels) if lab == IGNORE])
    assert "привет" in masked and "how long" in masked and "### Clone:" in masked
    assert "еду" not in masked and "10 min" not in masked


def test_too_long_drops_oldest_turns_and_keeps_the_reply(smol_tokenizer):
    long_ctx = [{"role": "user", "content": "word " * 200}] + TURNS[1:]
    feat = tokenize_sample(long_ctx, smol_tokenizer, 64)
    assert feat is not None and len(feat["input_ids"]) <= 64
    assert smol_tokenizer.decode(_learnable(smol_tokenizer, feat)).endswith("10 min 👍<|im_end|>")
    huge_reply = [{"role": "user", "content": "hi"}, {"role": "clone", "content": "z " * 300}]
    assert tokenize_sample(huge_reply, smol_tokenizer, 64) is None


def test_collator_pads_right_and_counts_padding():
    c = PadCollator(pad_id=0)
    batch = c([{"input_ids": [5, 6, 7], "labels": [IGNORE, 6, 7]}, {"input_ids": [8], "labels": [8]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert c.padding_share == pytest.approx(2 / 6)


def test_manifest_round_trip_and_mismatch(tmp_path):
    from clonebot.model.manifest import new_manifest

    m = new_manifest(base_model="smollm2-135m", revision=None, eos_token="<|im_end|>",
                     dataset_fingerprint="abc", owner_id=7, metrics={"eval_loss": 1.5})
    write_manifest(tmp_path, m)
    back = read_manifest(tmp_path)
    assert back == m and not list(tmp_path.glob(".*tmp"))
    check_prompt_format(back)
    back["prompt_format"] = {"version": format_info()["version"], "hash": "0" * 16}
    with pytest.raises(FormatMismatchError):
        check_prompt_format(back)
    (tmp_path / "clonebot.json").write_text("{not json")
    with pytest.raises(ModelError):
        read_manifest(tmp_path)
    with pytest.raises(ModelError, match="not a clonebot run"):
        read_manifest(tmp_path / "nowhere")


def test_bad_inputs_fail_before_loading_anything(tmp_path, tiny_dataset, cache_dir):
    from fixtures_model import tiny_settings
    from training.train import train

    s = tiny_settings(cache_dir)
    with pytest.raises(DatasetError, match="not found"):
        train(s, tmp_path / "missing", tmp_path / "run")
    (tmp_path / "run").mkdir()
    with pytest.raises(ModelError, match="already exists"):
        train(s, tiny_dataset, tmp_path / "run")


@pytest.mark.slow
def test_tiny_run_learns_and_writes_a_complete_run(tiny_run: Path):
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer_config.json", "clonebot.json"):
        assert (tiny_run / name).is_file(), name
    assert not (tiny_run.parent / f".{tiny_run.name}.partial").exists()
    m = read_manifest(tiny_run)
    assert m["base_model"] == "smollm2-135m"
    assert m["prompt_format"] == format_info()
    assert m["eos_token"] == "<|im_end|>"
    assert m["owner_id"] == 424242
    assert len(m["dataset_fingerprint"]) == 16
    hp = m["hyperparameters"]
    assert hp["optim"] == "adamw_torch" and not hp["bf16"] and not hp["fp16"]  # CPU switches
    assert hp["lora_r"] == 8
    met = m["metrics"]
    assert met["eval_loss"] < met["eval_loss_before"] - 0.3
    assert met["perplexity"] == pytest.approx(2.718281828 ** met["eval_loss"], rel=1e-3)
    assert 0 <= met["padding_share"] <= 0.25
    assert met["steps"] == 12


@pytest.mark.slow
def test_interrupted_run_resumes_from_last_checkpoint(tmp_path, cache_dir, test_model_dir):
    from transformers import TrainerCallback

    from fixtures_model import make_dataset, tiny_settings
    from training.train import train

    ds = make_dataset(tmp_path / "ds", n_train=8, n_eval=2, seed=1)
    s = tiny_settings(cache_dir, max_steps=3, save_steps=2, batch_size=2)
    out = tmp_path / "run"

    class Boom(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(s, ds, out, progress=False, callbacks=[Boom()])
    partial = tmp_path / ".run.partial"
    assert (partial / "checkpoint-2").is_dir() and not out.exists()
    with pytest.raises(ModelError, match="--resume"):
        train(s, ds, out, progress=False)
    metrics = train(s, ds, out, resume=True, progress=False)
    assert metrics["resumed_from"] == "checkpoint-2"
    assert metrics["steps"] == 3
    assert read_manifest(out)["metrics"]["resumed_from"] == "checkpoint-2"
    assert not partial.exists()
    # Resuming with another dataset is refused rather than mixing two runs.
    json.dumps(metrics)  # metrics are plain JSON


@pytest.fixture
def cli_runner(tmp_path, monkeypatch, cache_dir):
    from click.testing import CliRunner

    from clonebot.cli import cli
    from training.commands import demo, train as train_cmd

    train_cmd.register(cli)
    demo.register(cli)
    monkeypatch.chdir(tmp_path)  # no stray ./config.toml
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(tmp_path / "runs"))
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_train_cli_bad_dataset_is_one_line(cli_runner, tmp_path):
    r = cli_runner("train", "--dataset", str(tmp_path / "missing"), "--base-model", "smollm2-135m")
    assert r.exit_code == 1
    assert "error: dataset not found" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").glob("v*"))


@pytest.mark.slow
def test_train_cli_trains_a_new_version(cli_runner, tmp_path, test_model_dir):
    from fixtures_model import make_dataset

    ds = make_dataset(tmp_path / "ds", n_train=4, n_eval=2, seed=2)
    r = cli_runner("train", "--dataset", str(ds), "--max-steps", "1",
                   "--base-model", "smollm2-135m", "--no-progress")
    assert r.exit_code == 0, r.output
    runs = list((tmp_path / "runs").glob("v001-*"))
    assert len(runs) == 1 and (runs[0] / "adapter_config.json").is_file()
    assert "run saved to" in r.output and "eval loss" in r.output and "padding" in r.output
    assert read_manifest(runs[0])["metrics"]["steps"] == 1


def test_cuda_only_options_switch_off_on_cpu():
    from training.train import _optim, _precision

    assert _optim("paged_adamw_8bit", "cpu") == "adamw_torch"
    assert _optim("adamw_torch", "cpu") == "adamw_torch"
    assert _precision("cpu") == {"bf16": False, "fp16": False}


@pytest.mark.gpu
def test_cuda_keeps_paged_optimizer_and_mixed_precision():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    from clonebot.model.load import compute_dtype
    from training.train import _optim, _precision

    p = _precision("cuda:0")
    assert p["bf16"] != p["fp16"]  # exactly one mixed-precision mode
    assert compute_dtype("cuda:0") == (torch.bfloat16 if p["bf16"] else torch.float16)
    assert _optim("paged_adamw_8bit", "cuda:0") == "paged_adamw_8bit"


def test_length_grouped_sampler_pads_little_and_covers_every_sample():
    import random

    from training.train import LengthGroupedSampler

    rng = random.Random(3)
    lengths = [rng.randint(12, 200) for _ in range(130)]
    s = LengthGroupedSampler(lengths, 4, seed=1)
    order = list(s)
    assert sorted(order) == list(range(130))
    batches = s.batches()
    pad = sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)
    assert pad / sum(max(lengths[i] for i in b) * len(b) for b in batches) < 0.05
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # longest first: OOM shows early
    assert list(s) == order  # same epoch, same order (resume replays it)
    s.set_epoch(1)
    assert list(s) != order


@pytest.mark.slow
def test_demo_runs_end_to_end_and_leaves_the_run(cli_runner, tmp_path, test_model_dir):
    from training.commands.demo import PROMPTS, SAMPLE_EXPORT

    if not SAMPLE_EXPORT.is_file():
        pytest.skip("bundled sample export missing")
    out = tmp_path / "demo"
    r = cli_runner("demo", "--out", str(out), "--max-steps", "2")
    assert r.exit_code == 0, r.output
    assert (out / "adapter_config.json").is_file() and read_manifest(out)["metrics"]["steps"] == 2
    for prompt in PROMPTS:
        assert f"> {prompt}" in r.output
    assert r.output.count("  < ") == len(PROMPTS) and "s per reply, eval + report" in r.output
    # It ends by saying where its report is, and the report is there with its eval.
    assert r.output.rstrip().endswith(f"file://{(out / 'report.html').resolve()}")
    assert (out / "eval.json").is_file() and "clonebot report" in (out / "report.html").read_text()
