"""One generation contract, every backend: torch ("local"), llama.cpp ("llamacpp"), an
OpenAI-compatible server ("openai") and the scripted fake the other tests use.

The "model" is scripted in each: a logits processor that forces a text for the backends
that compute logits (it runs where the model's logits would, before the penalties and the
sampling, so those are the backend's own), a loopback HTTP server for the remote one, canned
continuations for the fake. What is checked is the generator's behaviour around it: the
prompt it builds (whole turns cut to the adapter's max_seq_len), how it stops and cleans,
that it never hands back an empty reply, its named errors, the ``ended`` flag (token limit
vs an end marker), and penalties that look at the reply only.
"""

from __future__ import annotations

import numpy as np
import pytest

from clonebot.config import GenerateSettings
from clonebot.errors import GenerationError, ModelError
from clonebot.model.base import ScriptedGenerator
from clonebot.prompt_format import render_prompt
from fake_openai import CompletionsServer

# The backends that load the real test model are slow ones.
BACKENDS = ["scripted", "openai", pytest.param("local", marks=pytest.mark.slow),
            pytest.param("llamacpp", marks=pytest.mark.slow)]
LONG = [{"role": "user", "content": "word " * 60}, {"role": "clone", "content": "ok)"},
        {"role": "user", "content": "and now?"}]
HI = [{"role": "user", "content": "hi"}]


class Script:
    """The scripted model: sample i writes ``items[i]`` (the last one again after the end):
    its text, then EOS (``end="eos"``) or filler until the token limit (``end="none"``)."""

    def __init__(self, tokenizer, items):
        self.tok = tokenizer
        self.items = [(t, "eos") if isinstance(t, str) else t for t in items]
        self.i = -1
        self.samples = 0
        self.prompts: list[str] = []
        self._last: list[int] | None = None

    def text(self, i: int) -> tuple[str, str]:
        return self.items[min(i, len(self.items) - 1)]

    def forced(self, ids: list[int]) -> int:
        """The token the model writes after ``ids`` (a new sample when ids do not extend the
        last call's by one token)."""
        if self._last is None or ids[:-1] != self._last:
            self.i += 1
            self.samples += 1
            self.prompt_len = len(ids)
            self.prompts.append(self.tok.decode(ids, skip_special_tokens=False))
        self._last = list(ids)
        text, end = self.text(self.i)
        seq = self.tok(text, add_special_tokens=False)["input_ids"]
        n = len(ids) - self.prompt_len
        if n < len(seq):
            return seq[n]
        return self.tok.eos_token_id if end == "eos" else self.tok(" la", add_special_tokens=False)["input_ids"][0]


class Preference:
    """A model with fixed preferences: ``{token: logit}``, everything else impossible."""

    def __init__(self, prefs: dict[int, float]):
        self.prefs = prefs


def _np_processor(model):
    def proc(ids, scores):
        scores = np.full_like(scores, -np.inf)
        if isinstance(model, Script):
            scores[model.forced(list(ids))] = 0.0
        else:
            for t, v in model.prefs.items():
                scores[t] = v
        return scores

    return proc


def _torch_processor(model):
    def proc(input_ids, scores):
        scores[:] = float("-inf")
        for row in range(scores.shape[0]):
            if isinstance(model, Script):
                scores[row, model.forced(input_ids[row].tolist())] = 0.0
            else:
                for t, v in model.prefs.items():
                    scores[row, t] = v
        return scores

    return proc


def _server(script: Script) -> CompletionsServer:
    """An OpenAI-compatible server whose "model" is ``script``: its texts, cut at the token
    limit ("length") and at the request's stop strings ("stop"), as servers cut them."""

    def respond(body: dict) -> list[dict]:
        choices = []
        for _ in range(body["n"]):
            script.i += 1
            script.samples += 1
            script.prompts.append(body["prompt"])
            text, end = script.text(script.i)
            ids = script.tok(text, add_special_tokens=False)["input_ids"]
            finish = "stop"
            if end == "none" or len(ids) > body["max_tokens"]:
                text = script.tok.decode(ids[: body["max_tokens"]])
                finish = "length"
            for stop in body["stop"]:
                if stop in text:
                    text, finish = text[: text.index(stop)], "stop"
            choices.append({"text": text, "finish_reason": finish})
        return choices

    return CompletionsServer(respond)


@pytest.fixture(scope="module")
def torch_base(test_model_dir):
    from clonebot.config import load_settings
    from clonebot.model.load import load_model

    s = load_settings(model={"base_model": "smollm2-135m", "cpu_threads": 1},
                      paths={"cache_dir": str(test_model_dir.parent)})
    return load_model(s, None)


@pytest.fixture(scope="module")
def llama_base(test_model_dir):
    pytest.importorskip("llama_cpp")
    from clonebot.model.registry import test_model_gguf

    return test_model_gguf()


@pytest.fixture(params=BACKENDS)
def make(request, smol_tokenizer):
    """``make(model, max_seq_len=..., **generate settings) -> (generator, model)``."""
    kind = request.param
    servers: list[CompletionsServer] = []

    def build(model, *, max_seq_len: int = 512, **gen):
        settings = GenerateSettings(**{"max_new_tokens": 16, "repetition_penalty": 1.0,
                                       "no_repeat_ngram_size": 0, "temperature": 0.0, **gen})
        if kind == "scripted":
            assert isinstance(model, Script)
            return _Recorded(model, settings, smol_tokenizer, max_seq_len)
        if kind == "openai":
            from clonebot.model.backends.openai import OpenAIGenerator

            srv = _server(model)
            servers.append(srv)
            g = OpenAIGenerator(settings.model_copy(update={"openai_base_url": srv.url}),
                                smol_tokenizer.eos_token, 4, tokenizer=smol_tokenizer,
                                max_seq_len=max_seq_len)
            g.server = srv
            return g
        if kind == "local":
            from types import SimpleNamespace

            from clonebot.model.backends.local import LocalGenerator

            base = request.getfixturevalue("torch_base")
            loaded = SimpleNamespace(model=base.model, tokenizer=smol_tokenizer, context_turns=4,
                                     manifest={"hyperparameters": {"max_seq_len": max_seq_len}})
            return LocalGenerator(loaded, settings, logits_processors=[_torch_processor(model)])
        from clonebot.model.backends.llamacpp import LlamaCppGenerator

        return LlamaCppGenerator(settings, base_gguf=request.getfixturevalue("llama_base"),
                                 adapter_gguf=None, tokenizer=smol_tokenizer, context_turns=4,
                                 max_seq_len=max_seq_len, threads=1,
                                 logits_processors=[_np_processor(model)])

    build.kind = kind
    yield build
    for s in servers:
        s.close()


class _Recorded(ScriptedGenerator):
    """The scripted fake, its canned texts a Script's (an endless one padded past any
    token limit), recording into the Script what it was asked, as the other harnesses do."""

    def __init__(self, script: Script, settings, tokenizer, max_seq_len):
        texts = [t if end == "eos" else t + " la" * 200 for t, end in script.items]
        super().__init__(texts, settings=settings, tokenizer=tokenizer, eos=tokenizer.eos_token,
                         max_seq_len=max_seq_len, context_turns=4)
        self.script = script

    def _continue(self, prompts, k, **kw):
        for p in prompts:
            self.script.prompts += [p.text] * k
            self.script.samples += k
        return super()._continue(prompts, k, **kw)


# ---------------------------------------------------------------------------------- the prompt


def test_the_prompt_loses_its_oldest_turns_whole_to_fit(make, smol_tokenizer):
    script = Script(smol_tokenizer, ["ok"])
    g = make(script, max_seq_len=64)  # 64 - 16 new tokens = 48 for the prompt
    assert g.generate(LONG) == ["ok"]
    assert script.prompts[0] == render_prompt(LONG[1:], smol_tokenizer.eos_token)


def test_the_prompt_holds_the_adapters_number_of_turns(make, smol_tokenizer):
    script = Script(smol_tokenizer, ["ok"])
    g = make(script)
    turns = [{"role": "user" if i % 2 == 0 else "clone", "content": f"m{i}"} for i in range(7)]
    g.generate(turns)
    assert script.prompts[0] == render_prompt(turns[-4:], smol_tokenizer.eos_token)


# ---------------------------------------------------------------------------------- stopping


def test_stops_on_eos(make, smol_tokenizer):
    script = Script(smol_tokenizer, ["yes, at seven"])
    [r] = make(script).replies(HI)
    assert (r.text, r.ended) == ("yes, at seven", True)


def test_stops_on_the_other_sides_marker_and_cuts_there(make, smol_tokenizer):
    script = Script(smol_tokenizer, [("sure\n### User:\nthen I write your lines forever", "none")])
    [r] = make(script, max_new_tokens=40).replies(HI)
    assert (r.text, r.ended) == ("sure", True)


def test_a_reply_cut_by_the_token_limit_says_so(make, smol_tokenizer):
    script = Script(smol_tokenizer, [("one two three four five six seven eight nine ten", "none")])
    [r] = make(script, max_new_tokens=5).replies(HI)
    assert r.ended is False
    assert r.text and "one two three four five six seven eight nine ten".startswith(r.text)


# ---------------------------------------------------------------------------------- never empty


def test_an_unusable_reply_is_retried(make, smol_tokenizer):
    script = Script(smol_tokenizer, ["### User:\nI talk for you", "   ", "on my way"])
    g = make(script)
    assert g.generate(HI) == ["on my way"]
    assert script.samples == 3


def test_no_usable_reply_is_a_named_error_never_an_empty_one(make, smol_tokenizer):
    script = Script(smol_tokenizer, ["### User: hi"])
    g = make(script, max_attempts=2)
    with pytest.raises(GenerationError, match="no usable reply"):
        g.generate(HI)
    assert script.samples == 2
    with pytest.raises(GenerationError, match="nothing to reply to"):
        g.generate([{"role": "user", "content": "   "}])


def test_a_backend_that_cannot_run_is_a_model_error(make, smol_tokenizer, tmp_path):
    if make.kind == "scripted":
        pytest.skip("the fake always runs")
    if make.kind == "openai":
        from clonebot.model.backends.openai import OpenAIGenerator

        g = OpenAIGenerator(GenerateSettings(openai_base_url="http://127.0.0.1:9/v1"), "</s>", 4,
                            timeout=2)
        with pytest.raises(ModelError, match="cannot reach"):
            g.generate(HI)
    elif make.kind == "local":
        from clonebot.config import load_settings
        from clonebot.model.load import load_model
        from clonebot.model.manifest import new_manifest, write_manifest

        write_manifest(tmp_path, new_manifest(base_model="smollm2-135m", revision=None,
                                              eos_token="<|im_end|>", context_turns=4))
        with pytest.raises(ModelError, match="adapter_config.json"):
            load_model(load_settings(), tmp_path)
    else:
        from clonebot.model.backends.llamacpp import LlamaCppGenerator, llama_cpp_available

        bad = tmp_path / "base.gguf"
        bad.write_bytes(b"GGUF not really")
        # without the extra the one line says how to install it (set-up command 2 has no extra)
        want = "llama.cpp cannot load" if llama_cpp_available() else "needs llama-cpp-python"
        with pytest.raises(ModelError, match=want):
            LlamaCppGenerator(GenerateSettings(), base_gguf=bad, adapter_gguf=None,
                              tokenizer=smol_tokenizer, context_turns=4, max_seq_len=64, threads=1)


# ---------------------------------------------------------------------------------- penalties


HA = [{"role": "clone", "content": "ha ha ha"}, {"role": "user", "content": "lol"}]


def test_no_repeat_ngrams_look_at_the_reply_only(make, smol_tokenizer):
    """The owner's "ha ha ha" in the prompt does not stop the reply from laughing; the
    reply itself never repeats a 2-gram. Backends that see the logits ban the repeating
    token (the model's next choice comes instead); a server's reply is cut before it."""
    ha, yes = (smol_tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in (" ha", " yes"))
    if make.kind in ("local", "llamacpp"):
        model = Preference({ha: 10.0, yes: 5.0, smol_tokenizer.eos_token_id: 1.0})
        want = "ha ha yes ha"
    else:
        model = Script(smol_tokenizer, [" ha ha ha ha ha"])
        want = "ha ha"
    [r] = make(model, no_repeat_ngram_size=2).replies(HA)
    assert r.text == want
    ids = smol_tokenizer(" " + r.text, add_special_tokens=False)["input_ids"]
    pairs = list(zip(ids, ids[1:]))
    assert len(pairs) == len(set(pairs))


def test_the_repetition_penalty_looks_at_the_reply_only(make, smol_tokenizer):
    """" ha" is in the prompt and still wins the first step; once in the reply it is
    penalised (10 / 2 < 9.5). A server cannot be told "the reply only": its own penalties
    (which count the prompt) are switched off instead."""
    ha, yes = (smol_tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in (" ha", " yes"))
    if make.kind == "scripted":
        pytest.skip("the fake writes its script; nothing to penalise")
    if make.kind == "openai":
        g = make(Script(smol_tokenizer, ["ok"]), repetition_penalty=2.0)
        g.generate(HA)
        body = g.server.requests[0]
        assert body["repetition_penalty"] == 1.0 and body["repeat_penalty"] == 1.0
        assert body["frequency_penalty"] == 0.0 and body["presence_penalty"] == 0.0
        return
    model = Preference({ha: 10.0, yes: 9.5, smol_tokenizer.eos_token_id: 6.0})
    [r] = make(model, repetition_penalty=2.0).replies(HA)
    assert r.text == "ha yes"
