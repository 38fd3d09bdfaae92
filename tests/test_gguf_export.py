"""`clonebot export gguf`: the LoRA adapter in llama.cpp's adapter format, and the Ollama
Modelfile beside it. (Its numbers against llama.cpp itself: tests/test_llamacpp.py.)"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from clonebot.config import GenerateSettings
from clonebot.errors import ModelError
from clonebot.model.gguf_adapter import BaseShape, convert_adapter, permute_rows
from clonebot.model.modelfile import ollama_template, render_modelfile
from clonebot.prompt_format import clean_content, render_prompt

# --------------------------------------------------------------------- the rotary permutation


def _rope_halves(x: np.ndarray, pos: int, base: float = 10000.0) -> np.ndarray:
    """transformers' RoPE on one head: dimension i rotates with i + d/2 (rotate_half)."""
    d = x.size
    inv = base ** (-np.arange(0, d, 2) / d)
    ang = np.concatenate([pos * inv, pos * inv])
    rot = np.concatenate([-x[d // 2:], x[: d // 2]])
    return x * np.cos(ang) + rot * np.sin(ang)


def _rope_pairs(x: np.ndarray, pos: int, base: float = 10000.0) -> np.ndarray:
    """llama.cpp's Llama RoPE on one head: dimensions 2i and 2i+1 rotate together."""
    d = x.size
    inv = base ** (-np.arange(0, d, 2) / d)
    c, s = np.cos(pos * inv), np.sin(pos * inv)
    out = np.empty_like(x)
    out[0::2] = x[0::2] * c - x[1::2] * s
    out[1::2] = x[0::2] * s + x[1::2] * c
    return out


def test_permuted_rows_under_llama_cpps_rope_give_transformers_attention_scores():
    """The reason for the permutation, checked without llama.cpp: q and k made by permuted
    weights and rotated in adjacent pairs score every key as transformers' do."""
    rng = np.random.default_rng(0)
    n_head, n_kv, d, dim = 4, 2, 8, 16
    wq = rng.normal(size=(n_head * d, dim))
    wk = rng.normal(size=(n_kv * d, dim))
    x_q, x_k = rng.normal(size=dim), rng.normal(size=dim)
    pq, pk = permute_rows(wq, n_head), permute_rows(wk, n_kv)
    for h in range(n_head):
        kv = h // (n_head // n_kv)  # grouped-query attention: the key head this one reads
        q_hf = _rope_halves((wq @ x_q)[h * d:(h + 1) * d], pos=5)
        k_hf = _rope_halves((wk @ x_k)[kv * d:(kv + 1) * d], pos=2)
        q_ll = _rope_pairs((pq @ x_q)[h * d:(h + 1) * d], pos=5)
        k_ll = _rope_pairs((pk @ x_k)[kv * d:(kv + 1) * d], pos=2)
        assert q_ll @ k_ll == pytest.approx(q_hf @ k_hf, rel=1e-9)
    # the other direction (or none) would not: the test can tell
    wrong = _rope_pairs((wq @ x_q)[:d], pos=5) @ _rope_pairs((wk @ x_k)[:d], pos=2)
    assert wrong != pytest.approx(_rope_halves((wq @ x_q)[:d], 5) @ _rope_halves((wk @ x_k)[:d], 2))


def test_permuting_b_permutes_the_adapters_delta():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 16)), rng.normal(size=(32, 4))
    assert np.allclose(permute_rows(b, 4) @ a, permute_rows(b @ a, 4))


# --------------------------------------------------------------------- a synthetic adapter

SHAPE = BaseShape("llama", n_layers=2, n_head=4, n_head_kv=2, vocab_size=100)


def _adapter(tmp_path: Path, config: dict | None = None, extra: dict | None = None, r: int = 4) -> Path:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(2)
    out = {}
    for layer in range(2):
        for mod, rows in (("self_attn.q_proj", 32), ("self_attn.k_proj", 16),
                          ("self_attn.v_proj", 16), ("mlp.down_proj", 32)):
            key = f"base_model.model.model.layers.{layer}.{mod}"
            out[f"{key}.lora_A.weight"] = rng.normal(size=(r, 32)).astype(np.float32)
            out[f"{key}.lora_B.weight"] = rng.normal(size=(rows, r)).astype(np.float32)
    out.update(extra or {})
    save_file(out, str(tmp_path / "adapter_model.safetensors"))
    cfg = {"peft_type": "LORA", "r": r, "lora_alpha": 8, "target_modules": ["q_proj"]}
    cfg.update(config or {})
    (tmp_path / "adapter_config.json").write_text(json.dumps(cfg))
    return tmp_path


def _read(path: Path):
    import gguf

    r = gguf.GGUFReader(str(path))
    fields = {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}
    return fields, {t.name: np.array(t.data) for t in r.tensors}


def test_the_adapter_gguf_is_what_llama_cpp_reads(tmp_path):
    from safetensors.numpy import load_file

    (tmp_path / "a").mkdir()
    src = _adapter(tmp_path / "a")
    out = convert_adapter(src, tmp_path / "out" / "adapter.gguf", SHAPE)
    fields, tensors = _read(out)
    assert fields["general.architecture"] == "llama"
    assert fields["general.type"] == "adapter"
    assert fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == 8.0
    assert sorted(tensors) == sorted(
        f"blk.{i}.{t}.weight.lora_{ab}" for i in range(2)
        for t in ("attn_q", "attn_k", "attn_v", "ffn_down") for ab in "ab")
    peft = load_file(str(src / "adapter_model.safetensors"))
    key = "base_model.model.model.layers.1.self_attn.{}.lora_{}.weight"
    # A as is; B's rows in llama.cpp's rotary order for q (4 heads) and k (2 kv heads) only
    assert np.array_equal(tensors["blk.1.attn_q.weight.lora_a"], peft[key.format("q_proj", "A")])
    assert np.array_equal(tensors["blk.1.attn_q.weight.lora_b"],
                          permute_rows(peft[key.format("q_proj", "B")], 4))
    assert np.array_equal(tensors["blk.1.attn_k.weight.lora_b"],
                          permute_rows(peft[key.format("k_proj", "B")], 2))
    assert np.array_equal(tensors["blk.1.attn_v.weight.lora_b"], peft[key.format("v_proj", "B")])
    assert not any(p.name.endswith(".tmp") for p in out.parent.iterdir())


def test_peft_scalings_llama_cpp_lacks_are_folded_into_b(tmp_path):
    """llama.cpp scales by alpha / rank; rsLoRA scales by alpha / sqrt(rank)."""
    from safetensors.numpy import load_file

    src = _adapter(tmp_path, {"use_rslora": True}, r=4)
    _, tensors = _read(convert_adapter(src, tmp_path / "x.gguf", SHAPE))
    b = load_file(str(src / "adapter_model.safetensors"))[
        "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"]
    # peft: 8 / sqrt(4) = 4; llama.cpp: 8 / 4 = 2; so B doubles
    assert np.allclose(tensors["blk.0.attn_v.weight.lora_b"], 2 * b)


@pytest.mark.parametrize("config, extra, match", [
    ({"modules_to_save": ["embed_tokens", "lm_head"]}, None, "embed_tokens, lm_head"),
    (None, {"base_model.model.model.embed_tokens.weight": np.zeros((100, 32), np.float32)},
     "embeddings"),
    (None, {"base_model.model.lm_head.lora_A.weight": np.zeros((4, 32), np.float32),
            "base_model.model.lm_head.lora_B.weight": np.zeros((100, 4), np.float32)},
     "embeddings"),
    ({"use_dora": True}, None, "DoRA"),
])
def test_an_adapter_llama_cpp_cannot_hold_is_refused_in_one_line(tmp_path, config, extra, match):
    src = _adapter(tmp_path, config, extra)
    with pytest.raises(ModelError, match=match) as e:
        convert_adapter(src, tmp_path / "x.gguf", SHAPE)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "x.gguf").exists()


def test_a_resized_vocabulary_is_refused(tmp_path):
    src = _adapter(tmp_path)
    with pytest.raises(ModelError, match="tokenizer has 101 tokens.*vocabulary 100"):
        convert_adapter(src, tmp_path / "x.gguf", SHAPE, tokenizer_size=101)


# --------------------------------------------------------------------- the Modelfile


def _go_template(template: str, messages: list[dict]) -> str:
    """Go text/template, the part of it the TEMPLATE uses (range over .Messages, if / else
    if on eq .Role, .Content, literal text); anything else fails the test."""
    parts = re.split(r"(\{\{.*?\}\})", template, flags=re.S)
    pos = 0

    def block(msg):
        nonlocal pos
        out = []
        while pos < len(parts):
            p = parts[pos]
            pos += 1
            if not p.startswith("{{"):
                out.append(p)
                continue
            action = p[2:-2]
            assert not action.startswith("-") and not action.endswith("-"), "no trimming"
            action = action.strip()
            if action == "end" or action.startswith("else"):
                return "".join(out)  # the caller reads which one from parts[pos - 1]
            if action == "range .Messages":
                start = pos
                text = []
                for m in messages:
                    pos = start
                    text.append(block(m))
                if not messages:
                    block(None)
                out.append("".join(text))
            elif action.startswith("if "):
                chosen = False
                cond = action.split("if ", 1)[1]
                while True:
                    m = re.fullmatch(r'eq \.Role "(\w+)"', cond)
                    assert m, f"unknown condition {cond!r}"
                    hit = not chosen and msg is not None and msg["role"] == m.group(1)
                    body = block(msg)
                    if hit:
                        out.append(body)
                        chosen = True
                    nxt = parts[pos - 1][2:-2].strip()
                    if nxt == "end":
                        break
                    assert nxt.startswith("else if "), nxt
                    cond = nxt.split("if ", 1)[1]
            elif action == ".Content":
                out.append(msg["content"])
            else:
                raise AssertionError(f"unknown action {action!r}")
        return "".join(out)

    return block(None)


@pytest.mark.parametrize("eos", ["<|im_end|>", "</s>"])
def test_the_ollama_template_renders_what_render_prompt_renders(eos):
    turns = [{"role": "user", "content": "привет!\nкак дела?"}, {"role": "clone", "content": "норм)"},
             {"role": "user", "content": "ok"}, {"role": "clone", "content": "a"},
             {"role": "user", "content": "so, tonight?"}]
    for n in range(1, len(turns) + 1):
        msgs = [{"role": {"user": "user", "clone": "assistant"}[t["role"]],
                 "content": clean_content(t["content"])} for t in turns[:n]]
        assert _go_template(ollama_template(eos), msgs) == render_prompt(turns[:n], eos)


def test_the_modelfile_names_base_adapter_stops_and_sampling():
    text = render_modelfile(Path("/m/base.gguf"), "./adapter.gguf", "<|im_end|>",
                            GenerateSettings(temperature=0.9, top_p=0.9, max_new_tokens=60), 512)
    lines = text.splitlines()
    assert "FROM /m/base.gguf" in lines and "ADAPTER ./adapter.gguf" in lines
    assert 'PARAMETER stop "<|im_end|>"' in lines and 'PARAMETER stop "### User"' in lines
    assert 'PARAMETER stop """' in lines  # "\n###": a value with a line break, triple-quoted
    for want in ("temperature 0.9", "top_p 0.9", "num_predict 60", "num_ctx 512",
                 "repeat_penalty 1"):
        assert f"PARAMETER {want}" in lines
    template = text.split('TEMPLATE """', 1)[1].split('"""', 1)[0]
    assert template == ollama_template("<|im_end|>")


# --------------------------------------------------------------------- the command


@pytest.fixture
def export_cli(tmp_path, monkeypatch, cache_dir):
    from click.testing import CliRunner

    from clonebot.cli import cli, export

    export.register(cli)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(tmp_path / "runs"))
    return lambda args: CliRunner().invoke(cli, args)


@pytest.mark.slow
def test_export_gguf_writes_the_adapter_and_a_modelfile(export_cli, tiny_run, tmp_path):
    from clonebot.model.registry import test_model_gguf

    r = export_cli(["export", "gguf", "--adapter", str(tiny_run), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    fields, tensors = _read(tmp_path / "out" / "adapter.gguf")
    assert fields["general.type"] == "adapter" and fields["adapter.lora.alpha"] == 16.0
    assert len(tensors) == 30 * 7 * 2  # 30 layers x 7 projections x (a, b)
    modelfile = (tmp_path / "out" / "Modelfile").read_text()
    assert f"FROM {test_model_gguf().resolve()}" in modelfile
    assert "ollama create" in r.output and "llama-server" in r.output


def test_export_without_a_base_gguf_for_a_real_model_is_one_line(export_cli, tmp_path):
    from clonebot.model.manifest import new_manifest, write_manifest

    run = tmp_path / "run"
    run.mkdir()
    _adapter(run)
    write_manifest(run, new_manifest(base_model="mistralai/Mistral-7B-v0.1", revision=None,
                                     eos_token="</s>", context_turns=4))
    r = export_cli(["export", "gguf", "--adapter", str(run)])
    assert r.exit_code == 1
    assert r.output.count("\n") == 1 and "model.base_gguf" in r.output
    assert not (run / "gguf").exists()


@pytest.mark.slow
def test_an_extended_vocabulary_is_refused_by_the_command(export_cli, tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("gguf"))  # no export of an earlier test
    cfg = json.loads((run / "adapter_config.json").read_text())
    cfg["modules_to_save"] = ["embed_tokens", "lm_head"]
    (run / "adapter_config.json").write_text(json.dumps(cfg))
    r = export_cli(["export", "gguf", "--adapter", str(run)])
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert r.output.startswith("error: the adapter trains whole layers (embed_tokens, lm_head)")
    assert not (run / "gguf" / "adapter.gguf").exists()

