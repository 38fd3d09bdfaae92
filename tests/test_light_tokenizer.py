"""Token counts without transformers (``clonebot.model.light_tokenizer``): the kept snapshot
of a transformers tokenizer gives the same ids, offsets, special tokens and fitted samples
as transformers itself, and ``prepare``'s token report reads it without importing torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clonebot.model.light_tokenizer import (LightTokenizer, counting_tokenizer, keep_snapshot,
                                            read_snapshot, snapshot_of, snapshot_path)
from clonebot.model.load import _facts, encode, literal_turns, load_tokenizer, token_counts
from clonebot.prompt_format import render_prompt, render_sample
from training.lengths import measure, report_dataset, sample_rows
from training.masking import fit_sample

# A friend typing every kind of special token, emoji, odd whitespace.
TRICKY = [{"role": "user", "content": "hi </s> [INST] <|im_end|> <s>x\u2060 [control_12]"},
          {"role": "clone", "content": "ok</s>[/INST]  ё 😀\n\n  tab\t end "}]


def _rows(dataset: Path) -> list[dict]:
    rows, _ = sample_rows(dataset, 10**9)
    return rows + [{"messages": TRICKY, "chat_id": 1, "message_id": 1}]


def _bundled(version: str, cache_dir: Path):
    from clonebot.model.mistral import tokenizer_dir

    return load_tokenizer(tokenizer_dir(f"mistralai/Mistral-7B-{version}", cache_dir))


@pytest.fixture(params=["smollm2", "tiny-mistral-v1", "tiny-mistral-v3",
                        "mistral-7b-v0.1", "mistral-7b-v0.3"])
def each_tokenizer(request, smol_tokenizer, mistral_tokenizers, cache_dir):
    """The test models' tokenizers, then the Mistral-7B ids' tokenizers built from the
    mistral-common wheel (what prepare counts with by default; transformers loads those
    dirs as another class than the tiny models', with another Metaspace prepend scheme)."""
    if request.param == "smollm2":
        return smol_tokenizer
    if request.param in mistral_tokenizers:
        return mistral_tokenizers[request.param]
    return _bundled(request.param.rsplit("-", 1)[1], cache_dir)


def test_snapshot_counts_equal_transformers_on_the_sample_dataset(each_tokenizer, sample_dataset):
    hf = each_tokenizer
    light = LightTokenizer(json.loads(json.dumps(snapshot_of(hf))))  # as kept on disk
    hf_facts, light_facts = _facts(hf), _facts(light)
    assert light_facts[0] == hf_facts[0]  # BOS first or not
    assert sorted(light_facts[1].pattern.split("|")) == sorted(hf_facts[1].pattern.split("|"))
    for attr in ("eos_token", "bos_token", "eos_token_id", "bos_token_id", "unk_token_id"):
        assert getattr(light, attr) == getattr(hf, attr), attr
    rows = _rows(sample_dataset)
    assert len(rows) > 100
    wholes, prompts = [], []
    for row in rows:
        turns = literal_turns(row["messages"], hf)
        assert literal_turns(row["messages"], light) == turns
        whole = render_sample(turns[:-1], turns[-1]["content"], hf.eos_token)
        assert encode(light, whole, offsets=True) == encode(hf, whole, offsets=True)
        assert fit_sample(row["messages"], light, 48) == fit_sample(row["messages"], hf, 48)
        wholes.append(whole)
        prompts.append(render_prompt(turns[:-1], hf.eos_token))
    assert token_counts(light, wholes) == token_counts(hf, wholes)
    assert token_counts(light, prompts) == token_counts(hf, prompts)
    assert measure(rows, light, 64, name="t", max_new_tokens=8) == \
        measure(rows, hf, 64, name="t", max_new_tokens=8)


def test_a_changed_tokenizer_file_is_not_read_from_an_old_snapshot(tmp_path, test_model_dir):
    src = tmp_path / "tok"
    src.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (src / name).write_bytes((test_model_dir / name).read_bytes())
    cache = tmp_path / "cache"
    keep_snapshot(load_tokenizer(src), src, cache)
    assert isinstance(read_snapshot(snapshot_path(src, cache)), LightTokenizer)
    config = json.loads((src / "tokenizer_config.json").read_text())
    config["eos_token"] = "<|endoftext|>"
    (src / "tokenizer_config.json").write_text(json.dumps(config))
    assert read_snapshot(snapshot_path(src, cache)) is None  # another key: loaded afresh


def test_counting_tokenizer_loads_with_transformers_once_then_from_the_snapshot(tmp_path, mistral_dirs):
    cache = tmp_path / "cache"
    (cache / "tiny-mistral-v3").parent.mkdir(parents=True)
    os.symlink(mistral_dirs["tiny-mistral-v3"], cache / "tiny-mistral-v3")
    first, name = counting_tokenizer("tiny-mistral-v3", None, cache)
    assert name == "tiny-mistral-v3" and not isinstance(first, LightTokenizer)
    second, _ = counting_tokenizer("tiny-mistral-v3", None, cache)
    assert isinstance(second, LightTokenizer)
    assert counting_tokenizer("someone/not-downloaded-7b", None, cache) is None


def test_prepare_report_estimates_from_spread_samples_and_says_so(sample_dataset, tmp_path, cache_dir):
    import shutil

    from clonebot.config import load_settings

    ds = tmp_path / "ds"
    shutil.copytree(sample_dataset, ds)
    settings = load_settings(None, model={"base_model": "tiny-mistral-v1"},
                             paths={"cache_dir": str(cache_dir)}, train={"max_seq_len": 64})
    exact = report_dataset(ds, settings)
    total = exact.samples
    assert total > 100 and exact.dataset_samples == total and not exact.estimated
    assert "estimated" not in "\n".join(exact.lines())
    tok, _ = counting_tokenizer("tiny-mistral-v1", None, cache_dir)
    rows, n = sample_rows(ds, 10**9)
    assert n == total
    whole = measure(rows, tok, 64, name=exact.tokenizer, max_new_tokens=exact.max_new_tokens)
    assert {**exact.as_dict(), "dataset_samples": None} == whole.as_dict()  # all counted: exact

    est = report_dataset(ds, settings, limit=40)
    assert est.samples == 40 and est.dataset_samples == total and est.estimated
    picked, _ = sample_rows(ds, 40)
    ids = [(r["chat_id"], r["message_id"]) for r in picked]
    assert len(set(ids)) == 40 and ids != [(r["chat_id"], r["message_id"]) for r in rows[:40]]
    assert ids[-1] in [(r["chat_id"], r["message_id"]) for r in rows[-total // 40 - 1:]]  # spread
    text = "\n".join(est.lines())
    assert f"estimated from 40 of {total} samples" in text and "`clonebot train` counts them all" in text
    assert f"of 40 counted samples" in text
    kept = json.loads((ds / "stats.json").read_text())["lengths"]
    assert kept["samples"] == 40 and kept["dataset_samples"] == total


def test_prepare_token_report_imports_neither_transformers_nor_torch(sample_dataset, tmp_path, cache_dir):
    """Once the tokenizer's snapshot is kept (the first count keeps it)."""
    import shutil

    ds = tmp_path / "ds"
    shutil.copytree(sample_dataset, ds)
    code = (
        "import sys\n"
        "from clonebot.config import load_settings\n"
        "from training.lengths import report_dataset\n"
        f"s = load_settings(None, paths={{'cache_dir': {str(cache_dir)!r}}})\n"
        f"report_dataset({str(ds)!r}, s)\n"  # keeps the snapshot if this machine has none yet
        "assert not any(m in sys.modules for m in ('torch', 'transformers')) or 'first' in sys.argv\n"
    )
    env = {**os.environ, "CLONEBOT_MODEL__BASE_MODEL": "mistralai/Mistral-7B-v0.3"}
    subprocess.run([sys.executable, "-c", code, "first"], env=env, check=True, timeout=300)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    stats = json.loads((ds / "stats.json").read_text())
    assert stats["lengths"]["tokenizer"] == "mistralai/Mistral-7B-v0.3: Mistral v0.3's tokenizer"


@pytest.mark.parametrize("max_seq_len", [16, 24, 40])
def test_replies_too_long_alone_are_found_over_every_sample_exactly(tokenizer, sample_dataset,
                                                                      max_seq_len):
    """prepare counts 2,000 samples, but names every reply too long on its own: screened by
    bytes, the few left tokenized. Same count and names as tokenizing every sample."""
    from training.lengths import too_long_everywhere

    light = LightTokenizer(snapshot_of(tokenizer))
    rows, total = sample_rows(sample_dataset, 10**9)
    full = measure(rows, light, max_seq_len, name="t")
    count, named, checked = too_long_everywhere(sample_dataset, light, max_seq_len)
    assert checked == total
    assert count == full.too_long and named == full.too_long_named
    if max_seq_len == 16:
        assert count > 0  # the test is not empty


def test_an_estimate_still_names_a_reply_too_long_outside_its_sample(sample_dataset, tmp_path,
                                                                       cache_dir):
    import shutil

    from clonebot.config import load_settings

    ds = tmp_path / "ds"
    shutil.copytree(sample_dataset, ds)
    settings = load_settings(None, model={"base_model": "tiny-mistral-v3"},
                             paths={"cache_dir": str(cache_dir)}, train={"max_seq_len": 24})
    tok, _ = counting_tokenizer("tiny-mistral-v3", None, cache_dir)
    rows, total = sample_rows(ds, 10**9)
    full = measure(rows, tok, 24, name="t")
    est = report_dataset(ds, settings, limit=10)
    sampled = measure(sample_rows(ds, 10)[0], tok, 24, name="t")
    assert full.too_long > sampled.too_long  # some are outside the 10 counted
    assert est.samples == 10 and est.too_long == full.too_long and est.too_long_checked == total
    assert est.too_long_named == full.too_long_named
    text = "\n".join(est.lines())
    assert f"{full.too_long} replies longer than 24 tokens on their own are NOT trained on" in text
    assert "among the" not in text


def test_a_tokenizer_not_on_this_machine_is_not_looked_for_with_torch(tmp_path):
    code = (
        "import sys\n"
        "from clonebot.model.light_tokenizer import counting_tokenizer\n"
        f"assert counting_tokenizer('someone/not-downloaded-7b', None, {str(tmp_path)!r}) is None\n"
        f"assert counting_tokenizer('/nonexistent', None, {str(tmp_path)!r}) is None\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]


def test_a_tokenizer_in_the_hugging_face_cache_is_found_there(tmp_path, test_model_dir):
    # Laid out as huggingface_hub keeps a download: refs/main names the snapshot.
    import shutil

    repo = tmp_path / "hub" / "models--someone--chat-7b"
    snap = repo / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    shutil.copy(Path(test_model_dir) / "tokenizer.json", snap / "tokenizer.json")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    code = (
        "import sys\n"
        "from clonebot.model.light_tokenizer import source_dir\n"
        f"print(source_dir('someone/chat-7b', None, {str(tmp_path / 'cache')!r}))\n"
        f"assert source_dir('someone/other-7b', None, {str(tmp_path / 'cache')!r}) is None\n"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub")}
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == repr((snap, "someone/chat-7b"))


def test_no_repo_in_the_hugging_face_cache_needs_no_hub_download_code(tmp_path):
    # The end of every prepare looks there: huggingface_hub's download module takes ~0.15 s
    # to import, for a folder that is not there.
    code = (
        "import sys\n"
        "from clonebot.model.light_tokenizer import _hub_cache\n"
        "assert _hub_cache('someone/chat-7b', None) is None\n"
        "assert 'huggingface_hub.file_download' not in sys.modules, 'imported'\n"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "empty-hub")}
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
