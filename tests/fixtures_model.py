"""Model fixtures: a tiny prepared dataset and a short real QLoRA run of the test model.

``tiny_run`` is session-scoped and shared with other areas' tests (bot, eval, retrain):
a run dir with ``adapter_config.json``, adapter weights, tokenizer files and
``clonebot.json``. It trains the real test model on CPU through the same code path as
``clonebot train`` (~30-60 s on 2 cores). Tests only read it: one that writes into a run dir
(``eval`` writes ``eval.json`` there) works on a copy.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

# The clone's style is deliberately narrow (short, lowercase, a trailing ")"), so a few
# steps visibly lower the eval loss.
_PAIRS = [
    ("привет, как дела?", "норм, сам как)"),
    ("ты сегодня придёшь?", "ага, буду к семи)"),
    ("что делаешь?", "да ничего, работаю)"),
    ("пойдём в кино?", "давай, только вечером)"),
    ("скинь фотки", "щас скину)"),
    ("hi, are you coming tonight?", "yep, around seven)"),
    ("what are you up to?", "nothing much, working)"),
    ("can you call me later?", "sure, after six)"),
    ("did you see the match?", "yeah, crazy game)"),
    ("where are you?", "almost there)"),
    ("спасибо!", "да не за что)"),
    ("ок, до завтра", "до завтра)"),
]


def _dialogue(rng: random.Random, n_pairs: int) -> list[dict]:
    turns: list[dict] = []
    for user, clone in rng.sample(_PAIRS, n_pairs):
        turns.append({"role": "user", "content": user})
        turns.append({"role": "clone", "content": clone})
    return turns


def make_dataset(out: Path, n_train: int = 48, n_eval: int = 8, seed: int = 0) -> Path:
    """A prepared dataset dir in prepare's shape (turns only, no tokenizer's EOS), built
    without an export."""
    from datasets import Dataset, DatasetDict

    rng = random.Random(seed)

    def rows(n: int, base_id: int) -> dict:
        cols: dict[str, list] = {"messages": [], "chat_id": [], "message_id": [], "date": []}
        for i in range(n):
            cols["messages"].append(_dialogue(rng, rng.randint(1, 2)))
            cols["chat_id"].append(1000 + i % 3)
            cols["message_id"].append(base_id + i)
            cols["date"].append(1_700_000_000 + 60 * (base_id + i))
        return cols

    dsd = DatasetDict({"train": Dataset.from_dict(rows(n_train, 0)),
                       "eval": Dataset.from_dict(rows(n_eval, 10_000))})
    dsd.save_to_disk(str(out))
    (out / "stats.json").write_text(json.dumps(
        {"owner_id": 424242, "train": n_train, "eval": n_eval,
         "settings": {"context_turns": 4}}))
    return out


def tiny_settings(cache_dir: Path, **train):
    """Settings for a fast CPU run of the test model."""
    from clonebot.config import load_settings

    t = {"max_steps": 12, "batch_size": 4, "grad_accum": 1, "max_seq_len": 128,
         "learning_rate": 1e-3, "lora_r": 8, "lora_alpha": 16, "eval_steps": 1000,
         "save_steps": 6, "logging_steps": 4, "warmup_ratio": 0.0}
    t.update(train)
    return load_settings(
        model={"base_model": "smollm2-135m"},
        paths={"cache_dir": str(cache_dir)},
        train=t,
        generate={"max_new_tokens": 24},
    )


@pytest.fixture(scope="session")
def smol_tokenizer(test_model_dir: Path):
    from clonebot.model.load import load_tokenizer

    return load_tokenizer(test_model_dir)


@pytest.fixture(params=["smollm2", "tiny-mistral-v1", "tiny-mistral-v3"])
def tokenizer(request, smol_tokenizer, mistral_tokenizers):
    """Each kind of tokenizer in turn: byte-level BPE (SmolLM2) and Mistral's own
    SentencePiece ones (v0.1: legacy, a "▁" after every special token; v0.3: control tokens)."""
    return smol_tokenizer if request.param == "smollm2" else mistral_tokenizers[request.param]


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("tiny-dataset") / "dataset")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_dataset: Path, test_model_dir: Path, cache_dir: Path) -> Path:
    """A trained test-model run dir (adapter + tokenizer + clonebot.json)."""
    from training.train import train

    out = tmp_path_factory.mktemp("tiny-run") / "run"
    train(tiny_settings(cache_dir), tiny_dataset, out, progress=False)
    return out
