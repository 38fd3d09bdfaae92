"""Training: label masking, padding, the run dir + manifest, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clonebot.errors import DatasetError, FormatMismatchError, ModelError, OutputError
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
                     context_turns=4, dataset_fingerprint="abc", owner_id=7, metrics={"eval_loss": 1.5})
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
    from training.train import cpu_has_bf16

    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer_config.json", "clonebot.json"):
        assert (tiny_run / name).is_file(), name
    assert not (tiny_run.parent / f".{tiny_run.name}.partial").exists()
    m = read_manifest(tiny_run)
    assert m["base_model"] == "smollm2-135m"
    assert m["prompt_format"] == format_info()
    assert m["eos_token"] == "<|im_end|>"  # the loaded tokenizer's: the dataset has none
    assert m["context_turns"] == 4  # what the dataset's windows hold (its stats)
    assert m["owner_id"] == 424242
    assert len(m["dataset_fingerprint"]) == 16
    hp = m["hyperparameters"]
    assert hp["optim"] == "adamw_torch" and not hp["fp16"]  # CPU switches
    assert hp["bf16"] == cpu_has_bf16()  # autocast where the CPU multiplies bf16 natively
    # quantize = "auto": no 4-bit on a CPU, and the adapter says so for inference.
    assert hp["quantize"] == "auto" and hp["quantization"] == "none"
    assert hp["lora_r"] == 8
    met = m["metrics"]
    assert met["eval_loss"] < met["eval_loss_before"] - 0.3
    assert met["perplexity"] == pytest.approx(2.718281828 ** met["eval_loss"], rel=1e-3)
    assert 0 <= met["padding_share"] <= 0.25
    assert met["steps"] == 12
    # One eval at the end (the one before training is not in the new run's log): the
    # Trainer's own end-of-training eval is what the metrics report, not a second pass.
    history = json.loads((tiny_run / "trainer_state.json").read_text())["log_history"]
    evals = [e for e in history if "eval_loss" in e]
    assert [e["step"] for e in evals] == [12]
    assert met["eval_loss"] == round(evals[-1]["eval_loss"], 4)


@pytest.mark.slow
def test_interrupted_run_resumes_from_last_checkpoint(tmp_path, cache_dir, test_model_dir):
    from transformers import TrainerCallback

    from fixtures_model import make_dataset, tiny_settings
    from training.train import train

    ds = make_dataset(tmp_path / "ds", n_train=8, n_eval=2, seed=1)
    # The 4-bit QLoRA path (what a CUDA GPU runs by default), asked for on this CPU.
    s = tiny_settings(cache_dir, max_steps=3, save_steps=2, batch_size=2, quantize="4bit")
    out = tmp_path / "run"

    class Boom(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(s, ds, out, progress=False, callbacks=[Boom()])
    partial = tmp_path / ".run.partial"
    assert (partial / "checkpoint-2").is_dir() and not out.exists()
    # A kill while saving checkpoint-3: every file but trainer_state.json, one truncated.
    shutil.copytree(partial / "checkpoint-2", partial / "checkpoint-3")
    (partial / "checkpoint-3" / "trainer_state.json").unlink()
    (partial / "checkpoint-3" / "optimizer.pt").write_bytes(b"PK\x03")
    (partial / "checkpoint-4").mkdir()  # and a kill right after its mkdir
    with pytest.raises(ModelError, match="interrupted at step 2.*--resume.*--restart"):
        train(s, ds, out, progress=False)
    metrics = train(s, ds, out, resume=True, progress=False)
    assert metrics["resumed_from"] == "checkpoint-2"
    assert metrics["steps"] == 3
    assert read_manifest(out)["metrics"]["resumed_from"] == "checkpoint-2"
    assert read_manifest(out)["hyperparameters"]["quantization"] == "nf4+double_quant"
    assert not partial.exists()
    # Inference loads the base as the adapter was trained on it (4-bit), whatever
    # train.quantize says now ("auto" = none on this CPU).
    import bitsandbytes as bnb

    from clonebot.model.load import load_model

    loaded = load_model(tiny_settings(cache_dir), out)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in loaded.model.modules())
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


def test_demo_says_at_once_when_its_out_dir_cannot_be_made(cli_runner, tmp_path, monkeypatch):
    """An --out under a regular file is refused before the model conversion starts (it used
    to fail after minutes of training)."""
    import clonebot.model.registry as registry

    def no_conversion(*a, **kw):
        raise AssertionError("the demo started its work before checking --out")

    monkeypatch.setattr(registry, "convert_test_model", no_conversion)
    (tmp_path / "file").write_text("x")
    r = cli_runner("demo", "--out", str(tmp_path / "file" / "demo"))
    assert r.exit_code == 1, r.output
    assert r.output.startswith("error: cannot create") and len(r.output.strip().splitlines()) == 1


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
    assert _precision("cpu", "4bit") == {"bf16": False, "fp16": False}


def test_bf16_autocast_on_a_cpu_only_where_it_multiplies_bf16_natively(monkeypatch):
    import torch

    import training.train as train_mod

    for has in (True, False):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: has)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
        assert train_mod.cpu_has_bf16() is has
        assert train_mod._precision("cpu", "none") == {"bf16": has, "fp16": False}
        # The 4-bit base on a CPU (the CUDA path's stand-in) keeps its own compute dtype.
        assert train_mod._precision("cpu", "4bit") == {"bf16": False, "fp16": False}
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert train_mod._precision("cpu", "none")["bf16"]
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")  # a torch without the check
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")
    assert train_mod._precision("cpu", "none") == {"bf16": False, "fp16": False}


@pytest.mark.gpu
def test_cuda_keeps_paged_optimizer_and_mixed_precision():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    from clonebot.model.load import compute_dtype
    from training.train import _optim, _precision

    p = _precision("cuda:0", "4bit")
    assert _precision("cuda:0", "none") == p
    assert p["bf16"] != p["fp16"]  # exactly one mixed-precision mode
    assert compute_dtype("cuda:0") == (torch.bfloat16 if p["bf16"] else torch.float16)
    assert _optim("paged_adamw_8bit", "cuda:0") == "paged_adamw_8bit"


def test_length_grouped_sampler_pads_little_and_covers_every_sample():
    import random

    from training.train import LengthGroupedSampler

    rng = random.Random(3)
    lengths = [rng.randint(12, 200) for _ in range(130)]
    s = LengthGroupedSampler(lengths, 4, seed=1)
    batches = list(s)  # a batch sampler: it yields batches
    assert len(batches) == len(s) == 33
    order = [i for b in batches for i in b]
    assert sorted(order) == list(range(130))
    pad = sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)
    assert pad / sum(max(lengths[i] for i in b) * len(b) for b in batches) < 0.05
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # longest first: OOM shows early
    assert list(s) == batches  # same epoch, same order (resume replays it)
    s.set_epoch(1)
    assert list(s) != batches


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


# ----------------------------------------------------------------------------- issue 12 bugs


def test_warmup_ratio_goes_by_the_name_each_transformers_takes():
    import dataclasses

    from training.train import warmup_args

    @dataclasses.dataclass
    class TrainingArguments456:  # the two fields as transformers 4.56 declares them
        warmup_ratio: float = 0.0
        warmup_steps: int = 0

    assert warmup_args(0.03, dataclasses.fields(TrainingArguments456)) == {"warmup_ratio": 0.03}


def test_warmup_ratio_is_a_ratio_on_the_installed_transformers(tmp_path):
    from clonebot.config import TrainSettings
    from training.train import training_arguments

    args = training_arguments(TrainSettings(warmup_ratio=0.03), tmp_path, "cpu", evaluate=False,
                              progress=False, precision={"bf16": False, "fp16": False},
                              optim="adamw_torch")
    assert args.get_warmup_steps(1000) == 30
    assert args.get_warmup_steps(10) == 1


def test_capped_eval_split_samples_every_chat(smol_tokenizer):
    from datasets import Dataset, DatasetDict

    from clonebot.config import TrainSettings
    from training.train import tokenize_eval

    # Stored in chat order, as prepare writes it: 30 replies of chat 1, then 30 of chat 2...
    rows = [[{"role": "user", "content": "hi"}, {"role": "clone", "content": f"chat{c}"}]
            for c in range(1, 5) for _ in range(30)]
    dsd = DatasetDict({"eval": Dataset.from_dict({"messages": rows})})
    ts = TrainSettings(max_eval_samples=20)
    eval_ds, skipped = tokenize_eval(dsd, smol_tokenizer, ts)
    texts = [smol_tokenizer.decode(ids) for ids in eval_ds["input_ids"]]
    assert len(texts) == 20 and skipped == 0
    assert {c for c in range(1, 5) if any(f"chat{c}" in t for t in texts)} == {1, 2, 3, 4}
    again, _ = tokenize_eval(dsd, smol_tokenizer, ts)
    assert again["input_ids"] == eval_ds["input_ids"]  # seeded: the same rows every run


# ----------------------------------------------------------------------------- kills, resume


def _checkpoint(work: Path, step: int, *, complete: bool = True, missing: str = "") -> Path:
    path = work / f"checkpoint-{step}"
    path.mkdir(parents=True)
    for name in ("adapter_model.safetensors", "optimizer.pt", "scheduler.pt"):
        if name != missing:
            (path / name).write_bytes(b"\0" * 8)
    if complete:
        (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return path


def test_last_complete_checkpoint_moves_incomplete_ones_aside(tmp_path, caplog):
    from training.run_dir import last_complete_checkpoint

    work = tmp_path / ".run.partial"
    good = _checkpoint(work, 2)
    _checkpoint(work, 4, complete=False)  # killed before trainer_state.json
    (work / "checkpoint-6").mkdir()  # killed right after mkdir
    _checkpoint(work, 8, missing="optimizer.pt")
    (_checkpoint(work, 10) / "trainer_state.json").write_text('{"global_st')  # killed mid-write
    with caplog.at_level("WARNING"):
        assert last_complete_checkpoint(work) == good
    assert sorted(p.name for p in work.iterdir()) == [
        "checkpoint-2", "incomplete-checkpoint-10", "incomplete-checkpoint-4",
        "incomplete-checkpoint-6", "incomplete-checkpoint-8"]
    assert caplog.text.count("is incomplete") == 4
    assert last_complete_checkpoint(tmp_path / "nothing") is None


@pytest.fixture
def no_model(monkeypatch):
    """train() must get nowhere near loading a model in these tests."""
    import training.train

    def refuse(*a, **k):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(training.train, "load_base", refuse)


def test_interrupted_run_is_refused_with_both_ways_out(tmp_path, cache_dir, no_model):
    from fixtures_model import tiny_settings
    from training.train import train

    s, out = tiny_settings(cache_dir), tmp_path / "run"
    _checkpoint(tmp_path / ".run.partial", 200)
    with pytest.raises(ModelError, match="interrupted at step 200.*--resume.*--restart"):
        train(s, tmp_path / "missing-dataset", out)
    assert (tmp_path / ".run.partial" / "checkpoint-200").is_dir()  # nothing dropped
    with pytest.raises(DatasetError, match="not found"):
        train(s, tmp_path / "missing-dataset", out, restart=True)
    assert not (tmp_path / ".run.partial").exists()


def test_partial_dir_without_a_complete_checkpoint_is_started_over(tmp_path, cache_dir, no_model):
    from fixtures_model import tiny_settings
    from training.train import train

    _checkpoint(tmp_path / ".run.partial", 4, complete=False)
    for resume in (False, True):
        with pytest.raises(DatasetError, match="not found"):  # got past the partial dir
            train(tiny_settings(cache_dir), tmp_path / "missing", tmp_path / "run", resume=resume)
        assert not (tmp_path / ".run.partial").exists()


def _finished_final(work: Path, steps: int = 12) -> Path:
    from fixtures_versions import fake_run

    return fake_run(work / "final", metrics={"steps": steps, "eval_loss": 1.5})


PUBLISH_STEPS = ["old-aside", "moved", "removed .run.partial", "removed .run.old"]


@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_publish_killed_at_any_step_is_finished_by_resume(tmp_path, cache_dir, no_model,
                                                          monkeypatch, step):
    from fixtures_model import tiny_settings
    from fixtures_versions import fake_run
    from training import run_dir
    from training.train import train

    class Killed(BaseException):
        pass

    out = tmp_path / "run"
    fake_run(out, metrics={"steps": 3})  # the run being replaced (train --overwrite, demo)
    _checkpoint(tmp_path / ".run.partial", 12)
    _finished_final(tmp_path / ".run.partial")
    seen = []

    def kill(name):
        seen.append(name)
        if name == step:
            raise Killed

    monkeypatch.setattr(run_dir, "_step", kill)
    with pytest.raises(Killed):
        run_dir.publish(tmp_path / ".run.partial" / "final", out)
    monkeypatch.setattr(run_dir, "_step", lambda name: None)
    assert seen == PUBLISH_STEPS[: PUBLISH_STEPS.index(step) + 1]

    metrics = train(tiny_settings(cache_dir), tmp_path / "missing", out, resume=True)
    assert metrics["already_finished"] and metrics["steps"] == 12
    assert read_manifest(out)["metrics"]["steps"] == 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_finished_run_left_beside_its_partial_dir(tmp_path, cache_dir, no_model):
    """Killed after the rename, before cleanup: the run is finished, and the `train --out`
    run again (with or without --resume) says so and exits 0 (issue 22: it said "already
    exists" with exit 1, inviting the user to delete a good run)."""
    from fixtures_model import tiny_settings
    from fixtures_versions import fake_run
    from training.train import train

    out = fake_run(tmp_path / "run", metrics={"steps": 12})
    _checkpoint(tmp_path / ".run.partial", 12)
    metrics = train(tiny_settings(cache_dir), tmp_path / "missing", out)
    assert metrics["already_finished"] and metrics["steps"] == 12
    assert not (tmp_path / ".run.partial").exists()
    # Now that nothing was interrupted, the same --out is a run that exists: a new one
    # needs another --out; --resume says it has finished.
    with pytest.raises(ModelError, match="already exists"):
        train(tiny_settings(cache_dir), tmp_path / "missing", out)
    assert train(tiny_settings(cache_dir), tmp_path / "missing", out, resume=True)["steps"] == 12


@pytest.mark.parametrize("where", ["/proc/clonebot-run", "FILE/run", "FILE/deeper/run"])
def test_out_dir_that_cannot_exist_is_one_error(cli_runner, tmp_path, where):
    (tmp_path / "FILE").write_text("a regular file")
    out = where.replace("FILE", str(tmp_path / "FILE"))
    r = cli_runner("train", "--out", out, "--dataset", str(tmp_path))
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"error: cannot create {out}")
    assert (tmp_path / "FILE").read_text() == "a regular file"


@pytest.mark.parametrize("value", ["-1", "0", "inf", "nan", "1e3", str(10**10)])
def test_train_cli_refuses_bad_max_steps(cli_runner, value):
    r = cli_runner("train", "--max-steps", value)
    assert r.exit_code == 2 and "--max-steps" in r.output and "Traceback" not in r.output


def test_train_cli_without_out_points_at_the_interrupted_version(cli_runner, tmp_path, cache_dir):
    from clonebot import versions

    runs = tmp_path / "runs"
    v1 = versions.new_version_dir(runs, create=False)
    _checkpoint(versions.partial_dir(v1), 100)
    r = cli_runner("train", "--dataset", str(tmp_path / "missing"))
    assert r.exit_code == 1 and f"{v1.name} was interrupted at step 100" in r.output
    assert "--resume" in r.output and "--restart" in r.output
    r = cli_runner("train", "--dataset", str(tmp_path / "missing"), "--restart")
    assert r.exit_code == 1 and "dataset not found" in r.output
    assert not versions.partial_dir(v1).exists()
    r = cli_runner("train", "--resume", "--restart")
    assert r.exit_code == 2 and "exclude each other" in r.output


def test_resume_onto_a_run_with_a_damaged_manifest_says_so(tmp_path, cache_dir, no_model):
    from fixtures_model import tiny_settings
    from fixtures_versions import fake_run
    from training.train import train

    out = fake_run(tmp_path / "run")
    (out / "clonebot.json").write_text('{"base_model": 123}')
    with pytest.raises(ModelError, match="clonebot.json is damaged"):
        train(tiny_settings(cache_dir), tmp_path / "missing", out, resume=True)


# ----------------------------------------------------------------------------- batches


@pytest.fixture
def length_sorted_eval(tmp_path, mistral_dirs):
    """A tiny Mistral, its tokenizer, TrainingArguments as train() makes them, and a train
    and an eval split of varied lengths (eval sorted by length, as tokenize_eval gives it)."""
    import random

    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM

    from clonebot.config import TrainSettings
    from clonebot.model.load import load_tokenizer
    from training.train import training_arguments

    path = mistral_dirs["tiny-mistral-v1"]
    rng = random.Random(0)

    def split(n):
        lengths = [rng.randint(5, 90) for _ in range(n)]
        return Dataset.from_dict({"input_ids": [[5] * k for k in lengths], "labels": [[5] * k for k in lengths],
                                  "length": lengths})

    args = training_arguments(TrainSettings(batch_size=4, seed=3), tmp_path, "cpu", evaluate=True,
                              progress=False, precision={"bf16": False, "fp16": False}, optim="adamw_torch")
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    return model, load_tokenizer(path), args, split(64), split(40).sort("length")


def test_eval_batches_keep_their_length_sorted_order(length_sorted_eval):
    """train used to set group_by_length, which on transformers 5.x makes the *eval* sampler
    a length-grouped shuffle too, undoing the sort that keeps eval padding low."""
    from transformers import Trainer

    from training.train import PadCollator

    model, tok, args, train_ds, eval_ds = length_sorted_eval
    trainer = Trainer(model=model, args=args, data_collator=PadCollator(tok.pad_token_id),
                      train_dataset=train_ds, eval_dataset=eval_ds)
    widths = [b["input_ids"].shape[1] for b in trainer.get_eval_dataloader()]
    assert widths == sorted(widths)


def test_training_batches_come_from_the_length_grouped_sampler(length_sorted_eval):
    """Through Trainer.get_train_dataloader (public), not the private _get_train_sampler."""
    from training.train import LengthGroupedSampler, PadCollator, lora_trainer

    model, tok, args, train_ds, eval_ds = length_sorted_eval
    collator = PadCollator(tok.pad_token_id)
    trainer = lora_trainer(model, args, collator, train_ds, eval_ds, tok, None, progress=False)
    loader = trainer.get_train_dataloader()
    want = LengthGroupedSampler(train_ds["length"], 4, seed=3).batches()
    got = [b["input_ids"].shape for b in loader]
    assert got == [(len(b), max(train_ds["length"][i] for i in b)) for b in want]
    assert collator.padding_share < 0.05
    trainer.evaluate()  # eval batches don't count toward the training padding share
    assert collator.total_tokens == sum(n * w for n, w in got)
# ----------------------------------------------------------------------------- issue 22


@pytest.mark.slow
def test_resume_after_a_kill_during_the_final_writes_trains_no_step_more(
        tmp_path, cache_dir, test_model_dir, monkeypatch):
    """Killed while writing the manifest of a finished training, `train --resume` trained a
    fifth step of max_steps 4: the adapter differed from an uninterrupted run's."""
    import training.train as train_mod
    from safetensors.torch import load_file

    from fixtures_model import make_dataset, tiny_settings
    from training.train import train

    ds = make_dataset(tmp_path / "ds", n_train=8, n_eval=2, seed=3)
    s = tiny_settings(cache_dir, max_steps=4, save_steps=2, batch_size=2)
    out = tmp_path / "run"
    real = train_mod.write_manifest

    def killed_while_writing(path, manifest):
        (Path(path) / ".clonebot.json.x1y2.tmp").write_text('{"base_mo')  # half a temp
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "write_manifest", killed_while_writing)
    with pytest.raises(KeyboardInterrupt):
        train(s, ds, out, progress=False)
    monkeypatch.setattr(train_mod, "write_manifest", real)
    last = tmp_path / ".run.partial" / "checkpoint-4"
    assert last.is_dir() and not out.exists()
    trained = load_file(str(last / "adapter_model.safetensors"))

    metrics = train(s, ds, out, resume=True, progress=False)
    assert metrics["steps"] == 4 and read_manifest(out)["metrics"]["steps"] == 4
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 4
    final = load_file(str(out / "adapter_model.safetensors"))
    assert final.keys() == trained.keys()
    assert all(final[k].equal(trained[k]) for k in final)  # the weights of step 4, as they were
    m = read_manifest(out)
    assert set(m["weights"]) == {"adapter_model.safetensors", "adapter_config.json"}
    assert metrics["train_loss"] == metrics["train_loss"]  # a number (not NaN)
    assert not (tmp_path / ".run.partial").exists()


# (killed after the last step of all, nothing is left to finish: that run simply exists)
@pytest.mark.parametrize("step", PUBLISH_STEPS[:-1])
def test_a_run_finished_after_a_kill_is_reported_finished_not_taken(tmp_path, cache_dir,
                                                                    no_model, monkeypatch, step,
                                                                    cli_runner):
    """After a kill at the final rename, `train --out X` finished the run ("moving it into
    place") and then said "X already exists" with exit 1."""
    from fixtures_versions import fake_run
    from training import run_dir

    class Killed(BaseException):
        pass

    out = tmp_path / "run"
    fake_run(out, metrics={"steps": 3})  # the run being replaced (train --overwrite, demo)
    _checkpoint(tmp_path / ".run.partial", 12)
    _finished_final(tmp_path / ".run.partial")

    def kill(name):
        if name == step:
            raise Killed

    monkeypatch.setattr(run_dir, "_step", kill)
    with pytest.raises(Killed):
        run_dir.publish(tmp_path / ".run.partial" / "final", out)
    monkeypatch.setattr(run_dir, "_step", lambda name: None)
    r = cli_runner("train", "--out", str(out), "--dataset", str(tmp_path / "missing"))
    assert r.exit_code == 0, r.output
    assert "already exists" not in r.output and "nothing was trained" in r.output
    assert read_manifest(out)["metrics"]["steps"] == 12
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".run")) == []


def test_two_trainings_into_one_out_dir_are_refused(tmp_path, cache_dir, no_model, cli_runner):
    """Both exited 0 and the last rename won."""
    import fcntl

    out = tmp_path / "run"
    with open(tmp_path / ".run.lock", "w") as held:  # as a running `clonebot train` holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        r = cli_runner("train", "--out", str(out), "--dataset", str(tmp_path / "missing"))
        assert r.exit_code == 1 and "Traceback" not in r.output, r.output
        assert "another `clonebot train` is writing" in r.output
    r = cli_runner("train", "--out", str(out), "--dataset", str(tmp_path / "missing"))
    assert "dataset not found" in r.output  # free again: it gets on to its work
    assert not (tmp_path / ".run.lock").exists()


@pytest.mark.parametrize("seed", ["-1", "4294967296", "1.5"])
def test_a_seed_out_of_range_is_one_line(cli_runner, tmp_path, seed):
    (tmp_path / "config.toml").write_text(f"[train]\nseed = {seed}\n")
    r = cli_runner("train", "--dataset", str(tmp_path / "missing"))
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert r.output.startswith("error: ") and "seed" in r.output


def test_a_disk_too_small_for_the_run_is_said_before_training(tmp_path, cache_dir, small_disk,
                                                             monkeypatch):
    """torch.save on a full disk said `basic_ios::clear`, and a rerun filled it again."""
    import types

    from fixtures_model import make_dataset, tiny_settings
    from training import run_dir

    disk = small_disk("4m")
    if disk is None:
        monkeypatch.setattr(run_dir, "free_bytes", lambda path: 1 << 20)
        disk = tmp_path
    model = types.SimpleNamespace(parameters=lambda: [types.SimpleNamespace(
        requires_grad=True, numel=lambda: 2_500_000)])
    with pytest.raises(OutputError) as e:
        run_dir.check_space(model, disk / "runs" / "v001")
    assert "no space left on" in str(e.value) and "needs about" in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.slow
def test_a_full_disk_while_saving_a_checkpoint_is_one_line(tmp_path, cache_dir, test_model_dir,
                                                          small_disk):
    from transformers import TrainerCallback

    from fixtures_disk import fill
    from fixtures_model import make_dataset, tiny_settings
    from training.train import train

    disk = small_disk("160m")
    if disk is None:
        pytest.skip("needs a tmpfs (root)")
    ds = make_dataset(tmp_path / "ds", n_train=8, n_eval=2, seed=4)
    s = tiny_settings(cache_dir, max_steps=3, save_steps=1, batch_size=2)
    out = disk / "run"

    class FillTheDisk(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 2:  # after checkpoint-1, before checkpoint-2
                fill(disk, leave=1 << 20)

    with pytest.raises(OutputError) as e:
        train(s, ds, out, progress=False, callbacks=[FillTheDisk()])
    msg = str(e.value)
    assert msg.startswith(f"no space left on {disk}") and "needs about" in msg, msg
    assert "keeps checkpoint-1" in msg and "--resume" in msg
    partial = disk / ".run.partial"
    assert sorted(p.name for p in partial.iterdir() if "checkpoint" in p.name) == ["checkpoint-1"]
    assert not out.exists() and not (disk / ".run.lock").exists()
    (disk / ".filler").unlink()  # space freed: the run goes on from checkpoint-1
    metrics = train(s, ds, out, resume=True, progress=False)
    assert metrics["steps"] == 3 and metrics["resumed_from"] == "checkpoint-1"


def test_the_trainer_computes_logits_for_learnt_tokens_only_and_the_same_loss(tmp_path):
    """LoraTrainer's loss: the lm_head sees one row per learnt token (not batch x width), and
    the loss is the model's own over every position."""
    import torch
    from datasets import Dataset
    from test_masking import _labels_with_gaps, _tiny_lora_llama
    from transformers import TrainingArguments

    from training.train import PadCollator, lora_trainer

    model = _tiny_lora_llama()
    labels = _labels_with_gaps().tolist()
    ids = torch.randint(3, 64, (3, 9)).tolist()
    rows = {"input_ids": ids, "labels": labels, "length": [9, 9, 9]}
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none",
                             remove_unused_columns=False, label_names=["labels"])
    collator = PadCollator(0)
    trainer = lora_trainer(model, args, collator, Dataset.from_dict(rows), None, None, None, False)
    batch = collator([{"input_ids": i, "labels": lab} for i, lab in zip(ids, labels)])
    seen = []
    hook = model.get_base_model().lm_head.register_forward_hook(
        lambda mod, inp, out: seen.append(tuple(inp[0].shape)))
    try:
        loss = trainer.compute_loss(model, dict(batch))
    finally:
        hook.remove()
    assert seen == [(11, 32)]  # 11 learnt tokens x hidden 32, not (3, 9, 32)
    assert torch.allclose(loss, model(**batch).loss, atol=1e-6)


def test_lora_top_layers_adapts_only_the_top_layers_and_backward_stops_below(test_model_dir, cache_dir):
    import torch
    from fixtures_model import tiny_settings

    from clonebot.model.load import base_tokenizer
    from training.train import lora_model, top_layers

    cfg = type("Config", (), {"num_hidden_layers": 30})()
    assert top_layers(cfg, 0) is None and top_layers(cfg, 30) is None and top_layers(cfg, 99) is None
    assert top_layers(cfg, 3) == [27, 28, 29]
    # Without gradient checkpointing (it makes the embeddings' output require grad, for its
    # recomputed layers): the demo's profile.
    s = tiny_settings(cache_dir, lora_top_layers=3, quantize="none", gradient_checkpointing=False)
    model, _, _ = lora_model(s, base_tokenizer(s), "none")
    adapted = {int(n.split(".layers.")[1].split(".")[0]) for n, p in model.named_parameters()
               if p.requires_grad}
    assert adapted == {27, 28, 29}
    outputs = {}
    layers = model.get_base_model().model.layers
    hooks = [layers[i].register_forward_hook(lambda m, i, o, k=k: outputs.__setitem__(k, o))
             for k, i in (("below", 26), ("top", 29))]
    try:
        model(input_ids=torch.tensor([[1, 2, 3, 4]]), labels=torch.tensor([[1, 2, 3, 4]])).loss.backward()
    finally:
        for h in hooks:
            h.remove()
    first = lambda o: o[0] if isinstance(o, tuple) else o  # noqa: E731 - a layer may return a tuple
    assert not first(outputs["below"]).requires_grad  # nothing below the adapters is differentiated
    assert first(outputs["top"]).requires_grad
