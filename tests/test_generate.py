"""Generation: stops on EOS and on turn markers, never returns empty or marker replies.

The stop tests drive the real test model with a scripted logits processor that forces a
chosen continuation, so the behaviour under test (stopping, cutting, retrying) is the
generator's, not the luck of sampling.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from clonebot.config import GenerateSettings, load_settings
from clonebot.errors import FormatMismatchError, GenerationError, ModelError
from clonebot.model import OpenAIGenerator, ReplyGenerator, load_generator
from clonebot.model.backends.local import LocalGenerator
from clonebot.model.generate import last_turns
from clonebot.model.load import encode
from clonebot.prompt_format import USER_HEADER, render_prompt
from fake_openai import CompletionsServer

TURNS = [
    {"role": "user", "content": "привет"},
    {"role": "clone", "content": "ку)"},
    {"role": "user", "content": "are you coming tonight?"},
]


class Forced:
    """A logits processor that makes the model emit ``seq`` (then EOS); counts its steps."""

    def __init__(self, seq: list[int], eos_id: int):
        self.seq, self.eos_id = seq, eos_id
        self.prompt_len = 0
        self.steps = 0

    def __call__(self, input_ids, scores):
        i = input_ids.shape[1] - self.prompt_len
        tok = self.seq[i] if i < len(self.seq) else self.eos_id
        self.steps += 1
        scores[:] = float("-inf")
        scores[:, tok] = 0.0
        return scores


@pytest.fixture(scope="module")
def base_loaded(cache_dir, test_model_dir):
    from clonebot.model.load import load_model

    s = load_settings(model={"base_model": "smollm2-135m"}, paths={"cache_dir": str(cache_dir)})
    return load_model(s, None)


def _forced_generator(loaded, text: str, **gen) -> tuple[LocalGenerator, Forced]:
    tok = loaded.tokenizer
    seq = tok(text, add_special_tokens=False)["input_ids"]
    forced = Forced(seq, tok.eos_token_id)
    g = LocalGenerator(loaded, GenerateSettings(max_new_tokens=40, **gen), logits_processors=[forced])
    forced.prompt_len = len(g.prompt_ids(TURNS))
    return g, forced


@pytest.mark.slow
def test_stops_on_eos(base_loaded):
    tok = base_loaded.tokenizer
    g, forced = _forced_generator(base_loaded, "yes, at seven" + tok.eos_token + " ### User: junk")
    assert g.generate(TURNS) == ["yes, at seven"]
    assert forced.steps == len(tok("yes, at seven", add_special_tokens=False)["input_ids"]) + 1


@pytest.mark.slow
def test_stops_on_the_other_sides_marker(base_loaded):
    tok = base_loaded.tokenizer
    text = "sure\n### User:\nthen I write your lines forever and ever and ever"
    g, forced = _forced_generator(base_loaded, text)
    assert g.generate(TURNS) == ["sure"]
    upto_marker = len(tok("sure\n### User", add_special_tokens=False)["input_ids"])
    assert forced.steps <= upto_marker + 1  # stopped at the marker, not at max_new_tokens
    assert g.generate(TURNS, n=2) == ["sure", "sure"]  # n replies even if they coincide


@pytest.mark.slow
def test_a_reply_the_token_limit_ends_is_marked_cut(base_loaded):
    """No EOS and no stop marker within max_new_tokens: the reply says so (the bot never
    sends such a reply unasked); one that ends on EOS or a marker is not cut."""
    tok = base_loaded.tokenizer
    g, _ = _forced_generator(base_loaded, "call me at <PHONE_1> tomorrow morning, or later " * 4)
    g.settings = GenerateSettings(max_new_tokens=6)
    [cut] = g.generate(TURNS)
    assert cut.cut and cut.startswith("call me at")
    g, _ = _forced_generator(base_loaded, "yes, at seven" + tok.eos_token)
    [whole] = g.generate(TURNS)
    assert whole == "yes, at seven" and not whole.cut
    g, _ = _forced_generator(base_loaded, "sure\n### User:\nmore")
    assert not g.generate(TURNS)[0].cut


@pytest.mark.slow
def test_batched_prompts_continue_as_they_do_one_by_one(base_loaded):
    """Left-padded prompts sampled together: greedy gives what each prompt gives alone."""
    g = LocalGenerator(base_loaded, GenerateSettings(max_new_tokens=8))
    contexts = [TURNS, TURNS[-1:], [{"role": "user", "content": "what time is it?"}]]
    alone = [g.continuations([g.prompt(c)], 1, temperature=0)[0] for c in contexts]
    together = g.continuations([g.prompt(c) for c in contexts], temperature=0)
    assert [c.tokens[:4] for c in together] == [c.tokens[:4] for c in alone]
    assert all(c.tokens for c in together)


@pytest.mark.slow
def test_no_usable_reply_is_a_named_error_after_retries(base_loaded):
    g, forced = _forced_generator(base_loaded, "### User:\nI talk for you", max_attempts=3)
    with pytest.raises(GenerationError):
        g.generate(TURNS)
    assert forced.steps >= 3  # three rounds were tried


@pytest.mark.slow
def test_trained_adapter_generates_clean_replies(tiny_run, cache_dir):
    s = load_settings(paths={"cache_dir": str(cache_dir)}, generate={"max_new_tokens": 24})
    gen = load_generator(s, tiny_run)
    assert isinstance(gen, ReplyGenerator)
    replies = gen.generate([{"role": "user", "content": "привет, как дела?"}], n=2)
    assert len(replies) == 2
    for r in replies:
        assert r.strip() and "###" not in r and "<|im_end|>" not in r
    # Trained with quantize = "auto" on this CPU: a full-precision base, loaded back as such.
    import bitsandbytes as bnb

    assert not any(isinstance(m, bnb.nn.Linear4bit) for m in gen.loaded.model.modules())


def test_adapter_with_another_prompt_format_is_refused(tiny_run_manifest_copy):
    s = load_settings(model={"base_model": "smollm2-135m"})
    with pytest.raises(FormatMismatchError, match="retrain"):
        load_generator(s, tiny_run_manifest_copy)


@pytest.fixture
def tiny_run_manifest_copy(tmp_path) -> Path:
    """A run dir whose manifest pins a different prompt format (no weights needed)."""
    from clonebot.model.manifest import new_manifest, write_manifest

    m = new_manifest(base_model="smollm2-135m", revision=None, eos_token="<|im_end|>",
                     context_turns=4)
    m["prompt_format"] = {"version": 0, "hash": "deadbeefdeadbeef"}
    write_manifest(tmp_path, m)
    (tmp_path / "adapter_config.json").write_text("{}")
    return tmp_path


def test_large_model_on_cpu_is_refused_clearly(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("has a GPU")
    from clonebot.model.load import load_base

    cfg = {"model_type": "mistral", "architectures": ["MistralForCausalLM"], "hidden_size": 4096,
           "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
           "num_key_value_heads": 8, "vocab_size": 32000}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    s = load_settings(model={"base_model": str(tmp_path)})
    with pytest.raises(ModelError, match="allow_large_on_cpu"):
        load_base(s)


def test_context_drops_empty_and_unknown_turns():
    turns = [{"role": "user", "content": "a"}, {"role": "user", "content": "  "},
             {"role": "system", "content": "x"}, {"role": "clone", "content": "b"},
             {"role": "user", "content": "c"}]
    assert [t["content"] for t in last_turns(turns, 2)] == ["b", "c"]


# ----------------------------------------------------------------- prompt length


def _short_generator(tokenizer, max_seq_len: int = 64, context_turns: int = 4) -> LocalGenerator:
    """A LocalGenerator for prompt building only (no model): 64 - 16 = 48 prompt tokens."""
    loaded = SimpleNamespace(tokenizer=tokenizer, model=None, context_turns=context_turns,
                             manifest={"hyperparameters": {"max_seq_len": max_seq_len}})
    return LocalGenerator(loaded, GenerateSettings(max_new_tokens=16))


def test_the_prompt_holds_the_adapters_trained_number_of_turns(smol_tokenizer):
    """Training windows held 4 turns of context while the bot and eval gave 5: the prompt
    holds exactly the number the adapter was trained with, whatever the caller passes."""
    ctx = [{"role": "user" if i % 2 == 0 else "clone", "content": f"m{i}"} for i in range(7)]
    for trained in (2, 4):
        g = _short_generator(smol_tokenizer, max_seq_len=512, context_turns=trained)
        want = render_prompt(ctx[-trained:], smol_tokenizer.eos_token)
        assert g.prompt_ids(ctx) == encode(smol_tokenizer, want)["input_ids"]


def test_over_long_context_loses_its_oldest_turns_whole(tokenizer):
    g = _short_generator(tokenizer)
    ctx = [{"role": "user", "content": "word " * 60}, {"role": "clone", "content": "ok)"},
           {"role": "user", "content": "and now?"}]
    assert g.prompt_ids(ctx) == encode(tokenizer, render_prompt(ctx[1:], tokenizer.eos_token))["input_ids"]


def test_a_lone_over_long_turn_keeps_bos_header_and_its_end(tokenizer):
    """Cutting token ids from the left dropped BOS and the "### User:" header: the model
    saw a headless fragment it was never trained on."""
    g = _short_generator(tokenizer)
    ctx = [{"role": "user", "content": "hi"},
           {"role": "user", "content": "blah " * 80 + "so are you coming"}]
    ids = g.prompt_ids(ctx)
    assert len(ids) <= g.max_prompt_tokens
    head = encode(tokenizer, USER_HEADER)["input_ids"][:-1]  # BOS (if any) + "### User:"
    assert ids[: len(head)] == head
    text = tokenizer.decode(ids, skip_special_tokens=True)
    assert text.replace(" ", "").endswith("soareyoucoming\n###Clone:\n")
    assert text.count("### User:") == 1


# ----------------------------------------------------------------- remote backend


def _Server(texts: list[list[str]]) -> CompletionsServer:
    """Answers request i with ``texts[i]`` (the last one again after the end); a dict is a
    whole choice (``finish_reason`` too)."""
    srv = CompletionsServer(lambda body: [t if isinstance(t, dict) else {"text": t} for t in
                                          texts[min(len(srv.requests), len(texts)) - 1]])
    return srv


def test_openai_backend_uses_the_same_prompt_and_cleaning():
    srv = _Server([["ok, see you\n### User: next", "   "], ["on my way"]])
    try:
        gen = OpenAIGenerator(GenerateSettings(openai_base_url=srv.url), eos="</s>", context_turns=4)
        assert gen.generate(TURNS, n=2) == ["ok, see you", "on my way"]
        first = srv.requests[0]
        assert first["path"] == "/v1/completions"
        assert first["prompt"] == render_prompt(TURNS, "</s>")
        assert first["stop"][0] == "</s>" and "### User" in first["stop"]
        assert srv.requests[1]["n"] == 1  # only the missing candidate is asked again
    finally:
        srv.close()


def test_openai_backend_marks_a_reply_the_token_limit_ended():
    srv = _Server([[{"text": "call me at <PHO", "finish_reason": "length"},
                    {"text": "ok", "finish_reason": "stop"}]])
    try:
        gen = OpenAIGenerator(GenerateSettings(openai_base_url=srv.url), eos="</s>", context_turns=4)
        cut, whole = gen.generate(TURNS, n=2)
        assert (cut, cut.cut) == ("call me at <PHO", True) and (whole, whole.cut) == ("ok", False)
    finally:
        srv.close()


def test_openai_backend_gives_up_with_a_named_error():
    srv = _Server([["### User: hi"]])
    try:
        gen = OpenAIGenerator(GenerateSettings(openai_base_url=srv.url, max_attempts=2), eos="</s>",
                              context_turns=4)
        with pytest.raises(GenerationError):
            gen.generate(TURNS)
        assert len(srv.requests) == 2
    finally:
        srv.close()


def test_openai_backend_unreachable_is_a_model_error():
    gen = OpenAIGenerator(GenerateSettings(openai_base_url="http://127.0.0.1:9/v1"), eos="</s>",
                          context_turns=4, timeout=2)
    with pytest.raises(ModelError, match="cannot reach"):
        gen.generate(TURNS)


def test_load_generator_picks_the_remote_backend_without_loading_a_model(tmp_path):
    """The remote backend prompts as the adapter was trained: EOS and context length from
    its manifest. Without an adapter there is nothing to take them from (it used to guess
    Mistral's "</s>")."""
    from clonebot.model.manifest import new_manifest, write_manifest

    s = load_settings(generate={"backend": "openai"})
    with pytest.raises(ModelError, match="--adapter"):
        load_generator(s, None)
    write_manifest(tmp_path, new_manifest(base_model="x", revision=None, eos_token="<|im_end|>",
                                          context_turns=2))
    gen = load_generator(s, tmp_path)
    assert isinstance(gen, OpenAIGenerator)
    assert gen.eos == "<|im_end|>" and gen.context_turns == 2


def test_openai_backend_prompts_with_the_adapters_context_length(tmp_path):
    from clonebot.model.manifest import new_manifest, write_manifest

    write_manifest(tmp_path, new_manifest(base_model="x", revision=None, eos_token="<|im_end|>",
                                          context_turns=2))
    srv = _Server([["ok"]])
    try:
        s = load_settings(generate={"backend": "openai", "openai_base_url": srv.url})
        assert load_generator(s, tmp_path).generate(TURNS) == ["ok"]
        assert srv.requests[0]["prompt"] == render_prompt(TURNS[-2:], "<|im_end|>")
    finally:
        srv.close()


# ----------------------------------------------------------------- clonebot chat


@pytest.fixture
def chat_cli(tmp_path, monkeypatch, cache_dir):
    from click.testing import CliRunner

    from clonebot.cli import chat, cli

    chat.register(cli)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("CLONEBOT_PATHS__RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CLONEBOT_GENERATE__MAX_NEW_TOKENS", "16")
    return lambda args, input=None: CliRunner().invoke(cli, args, input=input)


def test_chat_without_any_adapter_is_one_clear_error(chat_cli):
    r = chat_cli(["chat"], input="hi\n")
    assert r.exit_code == 1 and "error: no adapter given" in r.output


@pytest.mark.slow
def test_chat_reads_a_pipe_and_answers_each_line(chat_cli, tiny_run):
    r = chat_cli(["chat", "--adapter", str(tiny_run)], input="привет\n\n/reset\nwhere are you?\n")
    assert r.exit_code == 0, r.output
    # Exactly one stdout line per message (a multi-line reply is one line, an unanswered
    # message an empty one); blank lines and /reset are not messages.
    lines = r.stdout.splitlines()
    assert len(lines) == 2, r.output
    assert all("###" not in line for line in lines)


def test_chat_in_a_pipe_keeps_one_line_per_message(chat_cli, monkeypatch, tmp_path):
    from clonebot.errors import GenerationError
    from clonebot.model.base import ScriptedGenerator

    replies = iter(["two\nlines", GenerationError("no usable reply"), "ok"])

    class Gen(ScriptedGenerator):
        context_turns = 4

        def generate(self, turns, n=1):
            r = next(replies)
            if isinstance(r, Exception):
                raise r
            return [r] * n

    monkeypatch.setattr("clonebot.model.load_generator", lambda s, a: Gen([]))
    monkeypatch.setattr("clonebot.versions.resolve", lambda runs, a: tmp_path)
    r = chat_cli(["chat", "--adapter", "x"], input="a\nb\nc\n")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["two\\nlines", "", "ok"]
    assert "no usable reply" in r.stderr


# ----------------------------------------------------------------- penalties


def test_penalties_look_at_the_reply_not_the_prompt():
    """The prompt holds the owner's earlier turns (their words, emoji and the EOS after each):
    penalising those pushes the clone away from the owner's habits and from stopping."""
    torch = pytest.importorskip("torch")
    from clonebot.model.backends.local import reply_penalties

    s = GenerateSettings(repetition_penalty=2.0, no_repeat_ngram_size=3)
    prompt = [5, 1, 2, 9, 0]  # 0 = EOS after an earlier owner turn; "1 2 9" an owner phrase
    ids = torch.tensor([prompt + [1, 2, 3, 1, 2]])
    scores = torch.full((1, 10), 4.0)
    scores[0, 6] = -4.0
    for proc in reply_penalties(s, len(prompt)):
        scores = proc(ids, scores)
    got = scores[0].tolist()
    assert got[5] == 4.0 and got[0] == 4.0 and got[9] == 4.0  # prompt-only tokens untouched
    assert got[1] == 2.0 and got[2] == 2.0  # the reply's own tokens are penalised
    assert got[3] == float("-inf")  # "1 2 3" again would repeat a 3-gram of the reply
    assert got[6] == -4.0 and got[7] == 4.0
    assert reply_penalties(GenerateSettings(repetition_penalty=1.0, no_repeat_ngram_size=0), 5) == []
