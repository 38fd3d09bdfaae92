"""llama.cpp against torch: the proof of the GGUF export, and the llamacpp backend in use.

Parity: the trained test adapter, on the eval contexts of its dataset, teacher-forced through
the owner's replies: next-token logits of torch (peft adapter, full precision) and of
llama.cpp (a base GGUF + the exported LoRA GGUF). With an f32 base (the shipped Q4_1 file
dequantized: exactly torch's weights) the top-1 token agrees at >= 99% of positions and
greedy replies are the same; with the Q4_1 base itself (its kernels round activations to 8
bits) >= 95% of the reply positions. A control exported without the q/k permutation fails
the same checks, so they can tell. Needs llama-cpp-python (``clonebot[llamacpp]``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("llama_cpp")

pytestmark = pytest.mark.slow


def _settings(cache_dir: Path, **model):
    from clonebot.config import load_settings

    return load_settings(model={"base_model": "smollm2-135m", "cpu_threads": 1, **model},
                         paths={"cache_dir": str(cache_dir)}, generate={"max_new_tokens": 24})


@pytest.fixture(scope="module")
def torch_adapter(tiny_run, cache_dir):
    from clonebot.model.load import load_model

    return load_model(_settings(cache_dir), tiny_run)


@pytest.fixture(scope="module")
def eval_rows(tiny_dataset):
    from training.eval.rows import load_split

    return list(load_split(tiny_dataset, "eval"))


def _parity(torch_loaded, llama, rows) -> dict:
    """Teacher-forced next-token logits of both on every eval sample (prompt as the bot
    builds it, then the owner's reply and EOS)."""
    import torch

    from clonebot.prompt_format import render_sample

    same = n = reply_same = reply_n = 0
    worst = 0.0
    for r in rows:
        p = llama.prompt(r["messages"][:-1])
        ids = llama.tokenizer(render_sample(p.turns, r["messages"][-1]["content"], llama.eos),
                              add_special_tokens=True)["input_ids"]
        assert ids[: len(p.ids)] == p.ids  # the prompt is a prefix of the training text
        with torch.inference_mode():
            lt = torch_loaded.model(torch.tensor([ids])).logits[0].float().numpy()
        ll = llama.next_token_logits(ids)
        agree = lt.argmax(1) == ll.argmax(1)
        same, n = same + int(agree.sum()), n + len(ids)
        reply = agree[len(p.ids) - 1:-1]  # positions that predict a reply token or EOS
        reply_same, reply_n = reply_same + int(reply.sum()), reply_n + len(reply)
        worst = max(worst, float(np.abs(lt - ll).max()))
    return {"top1": same / n, "reply_top1": reply_same / reply_n, "max_diff": worst,
            "positions": n}


def _llama(settings, run, **kw):
    from clonebot.model.backends.llamacpp import load_llamacpp

    return load_llamacpp(settings, run, **kw)


def test_f32_base_plus_exported_lora_matches_torch(torch_adapter, tiny_run, eval_rows, cache_dir):
    import torch

    llama = _llama(_settings(cache_dir, base_gguf="f32", gguf_merge="never"), tiny_run,
                   logits_all=True)
    assert llama.adapter_gguf is not None  # the adapter file, applied by llama.cpp
    got = _parity(torch_adapter, llama, eval_rows)
    print(f"\nparity, f32 base: top-1 {got['top1']:.2%} of {got['positions']} positions, "
          f"{got['reply_top1']:.2%} of reply positions, max |logit diff| {got['max_diff']:.4f}")
    assert got["top1"] >= 0.99, got
    # ... and the adapter matters: llama.cpp's base alone is far from torch's adapter
    ids = llama.prompt(eval_rows[0]["messages"][:-1]).ids
    with torch.inference_mode(), torch_adapter.model.disable_adapter():
        base = torch_adapter.model(torch.tensor([ids])).logits[0].float().numpy()
    effect = float(np.abs(base - llama.next_token_logits(ids)).max())
    print(f"the adapter moves the logits by up to {effect:.1f}")
    assert effect > 20 * got["max_diff"]
    _greedy_replies_agree(torch_adapter, llama, eval_rows, got["max_diff"])


def _greedy_replies_agree(torch_adapter, llama, eval_rows, max_diff: float) -> None:
    """Greedy replies: the same tokens from both backends, penalties and stops included,
    except where torch's two best tokens tie within the float rounding between the two
    (``max_diff``, measured): no implementation can promise the same pick there."""
    import torch

    from clonebot.model.backends.local import LocalGenerator
    from clonebot.model.penalties import penalise

    local = LocalGenerator(torch_adapter, llama.settings)
    s = llama.settings
    same = 0
    for r in eval_rows:
        ctx = r["messages"][:-1]
        [a] = local.continuations([local.prompt(ctx)], temperature=0)
        [b] = llama.continuations([llama.prompt(ctx)], temperature=0)
        if (a.tokens, a.stop) == (b.tokens, b.stop):
            same += 1
            continue
        j = next(i for i, (x, y) in enumerate(zip(a.tokens + (-1,), b.tokens + (-2,))) if x != y)
        prefix = list(a.tokens[:j])
        with torch.inference_mode():
            scores = torch_adapter.model(torch.tensor([local.prompt(ctx).ids + prefix])).logits[0, -1]
            penalise(scores, prefix, s.repetition_penalty, s.no_repeat_ngram_size)
        eos = llama.eos_id
        picks = [(a.tokens + (eos,))[j], (b.tokens + (eos,))[j]]
        margin = abs(float(scores[picks[0]] - scores[picks[1]]))
        print(f"greedy replies part at token {j} of {a.text!r} / {b.text!r}: a tie of {margin:.4f}")
        assert margin <= 2 * max_diff, (ctx, a.text, b.text, margin)
    print(f"greedy replies: {same} of {len(eval_rows)} the same token for token")
    assert same >= len(eval_rows) - 2


def test_the_adapter_merged_into_an_f16_base_matches_torch(torch_adapter, tiny_run, eval_rows,
                                                          cache_dir):
    """model.gguf_merge: one GGUF, the adapter folded into the base, as close to torch as
    the adapter applied at run time: >= 99% top-1, greedy replies the same."""
    llama = _llama(_settings(cache_dir, base_gguf="f16"), tiny_run, logits_all=True)
    assert llama.adapter_gguf is None and llama.base_gguf.name.startswith("merged.")
    got = _parity(torch_adapter, llama, eval_rows)
    print(f"\nparity, adapter merged into f16: top-1 {got['top1']:.2%} of {got['positions']} "
          f"positions, {got['reply_top1']:.2%} of reply positions, max |logit diff| {got['max_diff']:.4f}")
    assert got["top1"] >= 0.99, got
    _greedy_replies_agree(torch_adapter, llama, eval_rows, got["max_diff"])


@pytest.mark.parametrize("base,merge", [("", "auto"), ("q8_0", "never"), ("q8_0", "auto")],
                         ids=["shipped Q4_1 + adapter", "Q8_0 of it + adapter (the demo's)",
                              "adapter merged into Q8_0 (the bot's, the bench's)"])
def test_quantized_bases_stay_close(torch_adapter, tiny_run, eval_rows, cache_dir, base, merge):
    llama = _llama(_settings(cache_dir, base_gguf=base, gguf_merge=merge), tiny_run, logits_all=True)
    # a 4-bit base keeps the adapter file: a delta drowns in its grid (tests/test_gguf_merge.py)
    assert (llama.adapter_gguf is None) == (base == "q8_0" and merge == "auto")
    got = _parity(torch_adapter, llama, eval_rows)
    print(f"\nparity, {base or 'Q4_1'} base, merge {merge}: top-1 {got['top1']:.2%} of "
          f"{got['positions']} positions, {got['reply_top1']:.2%} of reply positions, "
          f"max |logit diff| {got['max_diff']:.4f}")
    assert got["reply_top1"] >= 0.95, got


def test_without_the_rotary_permutation_parity_fails(torch_adapter, tiny_run, eval_rows,
                                                     cache_dir, tmp_path, monkeypatch):
    """The control: the parity test above can tell a wrong export."""
    from clonebot.model import gguf_adapter
    from clonebot.model.backends.llamacpp import LlamaCppGenerator
    from clonebot.model.gguf_base import resolve_base_gguf

    base = resolve_base_gguf("f32", "smollm2-135m", cache_dir)
    monkeypatch.setattr(gguf_adapter, "permute_rows", lambda w, n: w)
    wrong = gguf_adapter.convert_adapter(tiny_run, tmp_path / "wrong.gguf",
                                         gguf_adapter.shape_from_gguf(base))
    llama = LlamaCppGenerator(_settings(cache_dir).generate, base_gguf=base, adapter_gguf=wrong,
                              tokenizer=torch_adapter.tokenizer, context_turns=4, max_seq_len=128,
                              threads=1, logits_all=True)
    got = _parity(torch_adapter, llama, eval_rows)
    print(f"\nparity without the q/k permutation: top-1 {got['top1']:.2%}, "
          f"max |logit diff| {got['max_diff']:.2f}")
    assert got["top1"] < 0.99 and got["max_diff"] > 0.5, got


# --------------------------------------------------------------------- the backend in use


def test_llamacpp_backend_exports_on_first_use_and_replies(tiny_run, cache_dir, tmp_path):
    import shutil

    from clonebot.model import load_generator
    from clonebot.model.backends.llamacpp import LlamaCppGenerator

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("gguf"))
    s = _settings(cache_dir).model_copy(update={"generate": _settings(cache_dir).generate.model_copy(
        update={"backend": "llamacpp"})})
    gen = load_generator(s, run)
    assert isinstance(gen, LlamaCppGenerator)
    assert gen.adapter_gguf == run / "gguf" / "adapter.gguf" and gen.adapter_gguf.is_file()
    replies = gen.replies([{"role": "user", "content": "привет, как дела?"}], n=2)
    assert len(replies) == 2
    assert all(r.text.strip() and "###" not in r.text and "<|im_end|>" not in r.text for r in replies)
    # a newer adapter makes a new export; an unchanged one is reused
    before = gen.adapter_gguf.stat().st_mtime_ns
    assert load_generator(s, run).adapter_gguf.stat().st_mtime_ns == before
    os.utime(run / "adapter_model.safetensors")
    assert load_generator(s, run).adapter_gguf.stat().st_mtime_ns > before


def test_eval_generates_with_the_llamacpp_backend(tiny_run, tiny_dataset, cache_dir, tmp_path,
                                                  torch_adapter):
    import shutil

    from training.eval import EvalOptions, run_eval

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    s = _settings(cache_dir)
    s = s.model_copy(update={"generate": s.generate.model_copy(update={"backend": "llamacpp"})})
    rep = run_eval(s, run, tiny_dataset, EvalOptions(samples=6, ppl_rows=4, base=False),
                   loaded=torch_adapter)
    assert rep.settings["samples"] == 6 and len(rep.examples) == 6
    assert all(e["clone"].strip() for e in rep.examples)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tiny_run, cache_dir):
    """``python -m llama_cpp.server`` on loopback, serving the base + the exported adapter."""
    from clonebot.model.gguf_export import export_gguf

    done = export_gguf(_settings(cache_dir), tiny_run)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(done.base),
         "--lora_path", str(done.adapter), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "512", "--n_threads", "1", "--n_threads_batch", "1", "--verbose", "False",
         "--flash_attn", "True"],  # as the backend in process runs it
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/models", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"llama_cpp.server did not start: {proc.stderr.read()[-2000:]}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(10)


def test_openai_backend_against_a_real_llama_cpp_server(llama_server, tiny_run, cache_dir):
    """The OpenAI-compatible backend, as is, against llama.cpp's own server: clean replies,
    and with sampling off the same text as llama.cpp in process (so the same prompt)."""
    from clonebot.model import load_generator

    s = _settings(cache_dir)
    server_side = s.model_copy(update={"generate": s.generate.model_copy(update={
        "backend": "openai", "openai_base_url": llama_server})})
    gen = load_generator(server_side, tiny_run)
    replies = gen.replies([{"role": "user", "content": "hi, are you coming tonight?"}], n=2)
    assert all(r.text.strip() and "###" not in r.text for r in replies)

    greedy = {"temperature": 0.0, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0}
    remote = load_generator(server_side.model_copy(update={"generate": server_side.generate.model_copy(
        update=greedy)}), tiny_run)
    local = _llama(s.model_copy(update={"generate": s.generate.model_copy(update=greedy)}), tiny_run)
    for text in ("привет, как дела?", "where are you?", "what are you up to?"):
        turns = [{"role": "user", "content": text}]
        assert remote.generate(turns) == local.generate(turns)


def test_the_bot_answers_with_the_llamacpp_backend_over_the_telegram_double(tiny_run, cache_dir,
                                                                              tmp_path):
    """The real bot on the Telethon double (Telethon's own update loop and requests), its
    generator the llamacpp backend: a friend writes, the owner gets a suggestion to approve."""
    from fixtures_telegram_bot import bot_on_double

    from clonebot.model import load_generator
    from clonebot.runtime.control import BOT_PREFIX

    s = _settings(cache_dir)
    s = s.model_copy(update={"generate": s.generate.model_copy(update={"backend": "llamacpp"})})

    async def go():
        env = await bot_on_double(tmp_path, factory=lambda path: load_generator(s, tiny_run))
        env.tg.send(env.p.owner, env.p.alice, "see you friday")
        env.tg.send(env.p.alice, env.p.owner, "привет, как дела?")
        deadline = time.time() + 300  # a real model in the worker thread: seconds, not loop turns
        while not any(p.startswith(BOT_PREFIX + "#") for p in env.posts()) and time.time() < deadline:
            await asyncio.sleep(0.1)
        await env.settle()
        post, _ = env.last_post()
        assert "привет, как дела?" in post
        suggestion = post.split("привет, как дела?", 1)[1]
        assert suggestion.strip() and "###" not in suggestion and "<|im_end|>" not in suggestion
        assert env.bot.worker.generations == 1
        await env.close()

    asyncio.run(go())


def test_chat_answers_with_the_llamacpp_backend(tiny_run, cache_dir, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from clonebot.cli import chat, cli

    chat.register(cli)
    monkeypatch.chdir(tmp_path)
    for key, value in {"PATHS__CACHE_DIR": str(cache_dir), "GENERATE__BACKEND": "llamacpp",
                       "GENERATE__MAX_NEW_TOKENS": "16", "MODEL__CPU_THREADS": "1"}.items():
        monkeypatch.setenv("CLONEBOT_" + key, value)
    r = CliRunner().invoke(cli, ["chat", "--adapter", str(tiny_run)], input="привет\nwhere are you?\n")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(line.strip() and "###" not in line for line in lines)


def test_a_small_model_decodes_on_one_thread_and_reads_prompts_on_all(cache_dir, monkeypatch):
    """cpu_threads = 0: prompts in batches on every core, tokens one at a time on as many
    threads as the weights keep busy (the 90 MB test model: one); a set value is both."""
    from clonebot.model.backends.llamacpp import load_llamacpp

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    gen = load_llamacpp(_settings(cache_dir, cpu_threads=0), None)
    assert (gen.llm.context_params.n_threads, gen.llm.context_params.n_threads_batch) == (1, 4)
    gen = load_llamacpp(_settings(cache_dir, cpu_threads=3), None)
    assert (gen.llm.context_params.n_threads, gen.llm.context_params.n_threads_batch) == (3, 3)
    assert gen.workers == 1


def test_a_lone_decode_follows_the_cores_other_processes_leave_idle(cache_dir, monkeypatch):
    """cpu_threads = 0: a prompt decoded alone takes every core while nothing else runs and
    drops to one as soon as another job takes a core (re-read every few tokens, mid-reply);
    prompts of a batch keep one thread each; a set cpu_threads is never changed."""
    import llama_cpp

    from clonebot.model.backends.llamacpp import load_llamacpp

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("GOMP_SPINCOUNT", "300")  # clonebot's default (cpu.OPENMP_DEFAULTS)
    gen = load_llamacpp(_settings(cache_dir, cpu_threads=0), None)
    assert gen._spare is not None and gen._spare.cores == 2

    class Scripted:
        cores = 2

        def __init__(self, figures):
            self.figures = list(figures)

        def spare(self):
            return self.figures.pop(0) if len(self.figures) > 1 else self.figures[0]

    seen = []

    def no_eos_and_watch(ids, logits):  # long replies; which threads decoded each token
        seen.append(tuple(llama_cpp.llama_n_threads(c.ctx) for c in gen._contexts))
        logits[gen.eos_id] = -1e9
        return logits

    gen._scripted = [no_eos_and_watch]
    prompt = gen.prompt([{"role": "user", "content": "привет, как дела?"}])
    gen._spare = Scripted([2.0, 2.0, 0.9])  # quiet, quiet, then a job beside us
    gen.continuations([prompt], 1, temperature=0.9, max_new_tokens=24, seed=1)
    threads = [s[0] for s in seen]
    assert threads[1:9] == [2] * 8 and threads[-1] == 1, threads
    seen.clear()
    gen._spare = Scripted([2.0])
    prompts = [gen.prompt([{"role": "user", "content": t}]) for t in ("ok", "where are you?")]
    gen.continuations(prompts, 1, temperature=0.9, max_new_tokens=12, seed=1)
    assert len(gen._contexts) == 2 and {t for s in seen for t in s} == {1}  # a batch: one each

    monkeypatch.setenv("GOMP_SPINCOUNT", "0")  # threads that sleep at once: one, always
    assert load_llamacpp(_settings(cache_dir, cpu_threads=0), None)._spare is None
    monkeypatch.setenv("GOMP_SPINCOUNT", "300")
    gen = load_llamacpp(_settings(cache_dir, cpu_threads=1), None)
    assert gen._spare is None
    gen.continuations([prompt], 1, temperature=0.9, max_new_tokens=12, seed=1)
    assert llama_cpp.llama_n_threads(gen.llm.ctx) == 1


def test_cores_a_lone_decode_leaves_idle_take_other_prompts(cache_dir, monkeypatch):
    """With more cores than a decode uses, a batch of prompts is dealt over contexts of their
    own, and what each prompt gets is what it gets on one context (its own sampler), with
    the same seed; an error in any of them is the batch's error."""
    from clonebot.model.backends.llamacpp import load_llamacpp

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    gen = load_llamacpp(_settings(cache_dir, cpu_threads=0), None)  # decode 1, prompts 2
    assert gen.workers == 2 and len(gen._contexts) == 1  # the second made when needed
    turns = ["привет, как дела?", "where are you?", "пойдём в кино", "ok", "what's the plan"]
    prompts = [gen.prompt([{"role": "user", "content": t}]) for t in turns]
    both = gen.continuations(prompts, 2, temperature=0.9, seed=11)
    assert len(gen._contexts) == 2 and all(c.n_tokens > 0 for c in gen._contexts)
    gen.workers = 1
    one = gen.continuations(prompts, 2, temperature=0.9, seed=11)
    assert [c.tokens for c in both] == [c.tokens for c in one]
    assert len({c.tokens for c in both}) > 2  # sampled, not one reply repeated

    gen.workers = 2
    calls = []

    def breaks_on_the_fourth(ids, logits):
        calls.append(1)
        if ids[: len(prompts[3].ids)] == prompts[3].ids:
            raise RuntimeError("scripted failure")
        return logits

    gen._scripted = [breaks_on_the_fourth]
    with pytest.raises(RuntimeError, match="scripted failure"):
        gen.continuations(prompts, 1, temperature=0.9, seed=11)
    assert len(calls) > 4  # the other worker's prompts went on


def test_the_merged_model_is_made_once_beside_the_export_and_again_for_a_new_adapter(
        tiny_run, cache_dir, tmp_path):
    import shutil

    from clonebot.errors import ModelError
    from clonebot.model.gguf_merge import MERGE_KEY
    from clonebot.model.gguf_meta import read_metadata

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("gguf"))
    s = _settings(cache_dir, base_gguf="q8_0")
    gen = _llama(s, run)
    merged = run / "gguf" / "merged.SmolLM2-135M-Instruct.Q4_1.q8_0.gguf"
    assert gen.base_gguf == merged and gen.adapter_gguf is None
    assert (run / "gguf" / "adapter.gguf").is_file()  # the export it was made from stays
    assert str(run / "gguf" / "adapter.gguf") in read_metadata(merged)[MERGE_KEY]
    assert all(r.text.strip() for r in gen.replies([{"role": "user", "content": "привет"}], n=2))
    assert sorted(p.name for p in (run / "gguf").iterdir()) == ["adapter.gguf", merged.name]
    before = merged.stat().st_mtime_ns
    assert _llama(s, run).base_gguf.stat().st_mtime_ns == before  # reused
    os.utime(run / "adapter_model.safetensors")  # a newer adapter: exported and merged again
    assert _llama(s, run).base_gguf.stat().st_mtime_ns > before
    # "never": the adapter file at run time; "always" on a 4-bit base: a clear refusal
    assert _llama(_settings(cache_dir, base_gguf="q8_0", gguf_merge="never"), run).adapter_gguf
    with pytest.raises(ModelError, match="8-bit or finer"):
        _llama(_settings(cache_dir, gguf_merge="always"), run)


def test_llama_cpp_prints_nothing_on_a_repacked_base_with_an_adapter(tiny_run, cache_dir,
                                                                     tmp_path, capfd):
    """On a Q4_0 base llama.cpp repacks the weights for this CPU and warns, once per adapted
    matrix, that the adapter cannot use that layout: the bot's terminal stays clean."""
    import gguf

    from clonebot.model.backends.llamacpp import LlamaCppGenerator
    from clonebot.model.gguf_adapter import convert_adapter, shape_from_gguf
    from clonebot.model.gguf_base import rewrite_gguf
    from clonebot.model.registry import test_model_gguf

    Q = gguf.GGMLQuantizationType
    shipped = test_model_gguf()
    q4_0 = rewrite_gguf(gguf.GGUFReader(str(shipped)), tmp_path / "q4_0.gguf",
                        lambda t: Q.Q4_0 if t.tensor_type == Q.Q4_1 else t.tensor_type)
    lora = convert_adapter(tiny_run, tmp_path / "adapter.gguf", shape_from_gguf(shipped))
    capfd.readouterr()
    from clonebot.model.load import load_tokenizer

    gen = LlamaCppGenerator(_settings(cache_dir).generate, base_gguf=q4_0, adapter_gguf=lora,
                            tokenizer=load_tokenizer(tiny_run), context_turns=4, max_seq_len=256,
                            threads=1)
    gen.continuations([gen.prompt([{"role": "user", "content": "hi"}])], temperature=0.7)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_generator_left_to_the_end_of_the_process_exits_quietly(tiny_run, cache_dir, tmp_path):
    """llama-cpp-python's finalizers, left to the interpreter's teardown, print a traceback
    ("'NoneType' object is not callable"); the backend closes its contexts before that."""
    code = (f"from pathlib import Path\n"
            f"from clonebot.config import load_settings\n"
            f"from clonebot.model.backends.llamacpp import load_llamacpp\n"
            f"s = load_settings(model={{'base_model': 'smollm2-135m', 'cpu_threads': 1, "
            f"'base_gguf': 'q8_0'}}, paths={{'cache_dir': {str(cache_dir)!r}}})\n"
            f"gen = load_llamacpp(s, Path({str(tiny_run)!r}))\n"
            f"base = load_llamacpp(s, None)\n"
            f"print(bool(gen.replies([{{'role': 'user', 'content': 'hi'}}])[0].text))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=600)
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "True", "")


def test_a_marker_spelled_across_tokens_stops_the_reply_at_its_last_token(tokenizer):
    """The reply is decoded to look for a marker only once a token shows a marker's key
    character ("#"): a marker split over tokens (single '#' tokens; Mistral's byte token
    <0x23>) still stops the reply at the token that completes it, on every tokenizer."""
    from clonebot.config import GenerateSettings
    from clonebot.model.backends.llamacpp import LlamaCppGenerator
    from clonebot.model.registry import test_model_gguf

    hash_ids = [i for i in range(len(tokenizer)) if tokenizer.decode([i]) == "#"]
    assert hash_ids  # a token that is "#" alone: a byte token on Mistral, a char on SmolLM2
    words = tokenizer("ok then", add_special_tokens=False)["input_ids"]
    newline = tokenizer.convert_tokens_to_ids(tokenizer.tokenize("\n")[-1:])
    user = tokenizer(" User", add_special_tokens=False)["input_ids"]
    forced = words + newline + hash_ids[-1:] * 3 + user + words * 5
    text = tokenizer.decode(forced, skip_special_tokens=True)
    assert "\n###" in text, text

    def script(ids, logits):
        n = len(ids) - prompt_len
        logits[:] = -1e9
        logits[forced[n]] = 0.0
        return logits

    settings = GenerateSettings(max_new_tokens=40, repetition_penalty=1.0, no_repeat_ngram_size=0)
    gen = LlamaCppGenerator(settings, base_gguf=test_model_gguf(), adapter_gguf=None,
                            tokenizer=tokenizer, context_turns=4, max_seq_len=256, threads=1,
                            logits_processors=[script])
    prompt = gen.prompt([{"role": "user", "content": "hi"}])
    prompt_len = len(prompt.ids)
    [c] = gen.continuations([prompt], temperature=0)
    ends = min(j for j in range(1, len(forced) + 1)
               if "\n###" in tokenizer.decode(forced[:j], skip_special_tokens=True))
    assert c.stop == "marker" and list(c.tokens) == forced[:ends]
