"""What the code assumed about tokenizers, checked on Mistral-7B's own (v0.1 and v0.3, from
the mistral-common wheel) and on SmolLM2's byte-level BPE.

Each test names the assumption. Those that failed before their fix: a tokenizer that
appends EOS (the prompt ended in EOS), a message spelling a special token (it became an
EOS or a control token), no pad token (a row stopped by a turn marker read as stopped by
EOS), a slow tokenizer (no offsets: masking crashed). Those that held and are kept held:
the leading space at turn boundaries, no chat template, real token counts.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clonebot.config import GenerateSettings
from clonebot.model.backends.local import LocalGenerator
from clonebot.model.load import encode, load_tokenizer
from clonebot.prompt_format import render_prompt, render_sample
from training.masking import IGNORE, tokenize_sample

TURNS = [
    {"role": "user", "content": "ты завтра свободен?"},
    {"role": "clone", "content": "ага, после шести)"},
    {"role": "user", "content": "ok, the usual place?"},
    {"role": "clone", "content": "да 👍"},
]


def _generator(tokenizer, model=None, **gen) -> LocalGenerator:
    loaded = SimpleNamespace(tokenizer=tokenizer, model=model, context_turns=8,
                             manifest={"hyperparameters": {"max_seq_len": 512}})
    return LocalGenerator(loaded, GenerateSettings(**gen))


def _special_ids(tokenizer) -> list[int]:
    return sorted(set(tokenizer.all_special_ids) | {
        i for i, t in tokenizer.added_tokens_decoder.items() if t.special})


# --- BOS / EOS ---------------------------------------------------------------------------------

@pytest.fixture
def eos_appending(mistral_dirs, tmp_path):
    """Mistral's v0.1 tokenizer saved with add_eos_token = true, as some fine-tunes ship it."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(mistral_dirs["tiny-mistral-v1"]),
                                        add_bos_token=True, add_eos_token=True)
    assert tok("hi")["input_ids"][-1] == tok.eos_token_id  # what the tokenizer itself does
    tok.save_pretrained(str(tmp_path))
    return load_tokenizer(tmp_path)


def test_prompt_gets_bos_once_and_never_an_eos_from_the_tokenizer(eos_appending):
    tok = eos_appending
    prompt = encode(tok, render_prompt(TURNS[:1], tok.eos_token))["input_ids"]
    assert prompt[0] == tok.bos_token_id and tok.bos_token_id not in prompt[1:]
    assert tok.eos_token_id not in prompt  # a prompt ending in EOS asks for an empty reply
    feat = tokenize_sample(TURNS, tok, 512)
    eos_at = [i for i, t in enumerate(feat["input_ids"]) if t == tok.eos_token_id]
    assert len(eos_at) == 2 and eos_at[-1] == len(feat["input_ids"]) - 1  # one per clone turn
    assert all(feat["labels"][i] == tok.eos_token_id for i in eos_at)


def test_mistral_gets_bos_and_smollm2_does_not(tokenizer):
    ids = encode(tokenizer, "### User:\nhi")["input_ids"]
    if tokenizer.eos_token == "</s>":  # Mistral
        assert ids[0] == tokenizer.bos_token_id == 1 and ids.count(1) == 1
    else:
        assert tokenizer.bos_token_id not in ids


def test_a_message_that_spells_a_special_token_stays_text(tokenizer):
    """"</s>" in a message (or "[INST]" with v0.3's tokenizer, "<|im_end|>" with SmolLM2's)
    was parsed as that special token: an EOS in the middle of a reply taught the clone to
    stop there, and v0.3 got [INST] control tokens out of a chat about chatbots."""
    spelled = " ".join(["</s>", "<s>", "[INST]", "[/INST]", "<|im_end|>", "<unk>",
                        tokenizer.eos_token])
    turns = [{"role": "user", "content": f"what does {spelled} mean?"},
             {"role": "clone", "content": f"no idea, {spelled} lol"},
             {"role": "user", "content": "ok"},
             {"role": "clone", "content": "bye"}]
    feat = tokenize_sample(turns, tokenizer, 512)
    ids = feat["input_ids"]
    found = [i for i in ids if i in _special_ids(tokenizer)]
    bos = [tokenizer.bos_token_id] if ids[0] == tokenizer.bos_token_id else []
    assert found == [*bos, tokenizer.eos_token_id, tokenizer.eos_token_id]
    text = tokenizer.decode(ids)
    assert "</s>" in text.replace("\u2060", "")  # still there, as text
    # Inference reads the same turns into the same tokens.
    prompt = _generator(tokenizer).prompt_ids(turns[:-1])
    assert ids[: len(prompt)] == prompt


# --- the leading space at turn boundaries ------------------------------------------------------

def test_reply_starts_where_the_prompt_ends_on_mistral(mistral_tokenizer):
    """SentencePiece marks a word start with "▁" and v0.1's tokenizer (legacy) puts a lone
    "▁" after every </s>: the prompt's tokens must still be exactly the sample's first ones,
    the reply must start with no word-start marker (nothing precedes it but the newline),
    and nothing of the separator after an EOS is learnable."""
    tok = mistral_tokenizer
    ctx, reply = TURNS[:3], TURNS[3]["content"]
    prompt = encode(tok, render_prompt(ctx, tok.eos_token))["input_ids"]
    sample = encode(tok, render_sample(ctx, reply, tok.eos_token))["input_ids"]
    assert sample[: len(prompt)] == prompt
    assert tok.convert_ids_to_tokens(prompt[-1]) == "<0x0A>"
    rest = sample[len(prompt):]
    assert rest[-1] == tok.eos_token_id and tok.decode(rest[:-1]) == reply
    assert not tok.convert_ids_to_tokens(rest[0]).startswith("▁")
    feat = tokenize_sample(TURNS, tok, 512)
    learnable = [t for t, lab in zip(feat["input_ids"], feat["labels"]) if lab != IGNORE]
    assert tok.decode(learnable) == "ага, после шести)</s>да 👍</s>"
    after_eos = feat["input_ids"].index(tok.eos_token_id) + 1
    assert feat["labels"][after_eos] == IGNORE  # v0.1: the lone "▁"; v0.3: the newline
    assert (tok.convert_ids_to_tokens(feat["input_ids"][after_eos]) == "▁") == (tok.vocab_size == 32000)


# --- no pad token ------------------------------------------------------------------------------

def test_mistral_has_no_pad_token_and_gets_one_that_is_not_eos(mistral_tokenizer):
    assert mistral_tokenizer.pad_token_id not in (None, mistral_tokenizer.eos_token_id)
    assert mistral_tokenizer.pad_token == "<unk>"


@pytest.mark.parametrize("alias", ["smollm2-135m", "tiny-mistral-v1"])
def test_a_row_stopped_by_a_turn_marker_is_not_read_as_eos(alias, mistral_dirs, test_model_dir):
    """Two prompts sampled together: one writes "### User" and stops on the marker while the
    other goes on; transformers pads the stopped row with the pad id. With pad = EOS (the
    only choice before, for Mistral, and SmolLM2's own), the stopped row read as one that
    stopped by EOS: eval counted model that began the other person's turn as a clean stop."""
    import torch
    from transformers import AutoModelForCausalLM, LogitsProcessor

    path = test_model_dir if alias == "smollm2-135m" else mistral_dirs[alias]
    tok = load_tokenizer(path)
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32).eval()
    marker = tok("\n### User:", add_special_tokens=False)["input_ids"]
    words = tok(" fine, see you there then", add_special_tokens=False)["input_ids"]
    plans = [marker, [*words, tok.eos_token_id]]

    class Script(LogitsProcessor):  # forces each row's tokens, one per step
        def __call__(self, input_ids, scores):
            step = input_ids.shape[1] - width
            forced = torch.full_like(scores, -float("inf"))
            for row, plan in enumerate(plans):
                forced[row, plan[min(step, len(plan) - 1)]] = 0
            return forced

    ctxs = [[{"role": "user", "content": "hi"}], [{"role": "user", "content": "where are you?"}]]
    gen = _generator(tok, model, temperature=0, repetition_penalty=1.0, no_repeat_ngram_size=0)
    gen._scripted = [Script()]
    prompts = [gen.prompt(c) for c in ctxs]
    width = max(len(p.ids) for p in prompts)
    stopped, finished = gen.continuations(prompts, 1, temperature=0, max_new_tokens=16)
    assert finished.hit_eos and list(finished.tokens) == words
    assert not stopped.hit_eos
    assert tok.decode(stopped.tokens).strip() == "###"  # stopped on "\n###"


# --- slow tokenizers: no offsets ---------------------------------------------------------------

def test_masking_without_offsets_matches_masking_with_them(mistral_tokenizers):
    """transformers' slow (pure-Python SentencePiece) tokenizer gives no character offsets:
    masking crashed on it. It now measures by prefixes and labels the same tokens."""
    from clonebot.model.mistral import _data_dir
    from transformers.tokenization_utils_sentencepiece import SentencePieceBackend

    slow = SentencePieceBackend(vocab_file=str(_data_dir() / "tokenizer.model.v1"),
                                bos_token="<s>", eos_token="</s>", unk_token="<unk>", legacy=True)
    assert not slow.is_fast
    assert "offset_mapping" not in slow("hi", return_offsets_mapping=True)
    fast = mistral_tokenizers["tiny-mistral-v1"]
    got, want = tokenize_sample(TURNS, slow, 512), tokenize_sample(TURNS, fast, 512)
    skip = len(want["input_ids"]) - len(got["input_ids"])  # the slow one puts no BOS first
    assert skip in (0, 1)
    assert got["input_ids"] == want["input_ids"][skip:] and got["labels"] == want["labels"][skip:]


# --- no chat template --------------------------------------------------------------------------

def test_the_prompt_never_comes_from_a_chat_template(mistral_tokenizer):
    """Mistral-7B v0.1 (the default base) ships no chat template; v0.3 Instruct ships an
    [INST] one. clonebot's prompt is its own format: with or without a template, the
    same tokens."""
    tok = mistral_tokenizer
    assert tok.chat_template is None
    before = tokenize_sample(TURNS, tok, 512)
    tok.chat_template = "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"
    try:
        assert tokenize_sample(TURNS, tok, 512) == before
        assert _generator(tok).prompt_ids(TURNS[:3]) == before["input_ids"][: len(
            encode(tok, render_prompt(TURNS[:3], tok.eos_token))["input_ids"])]
    finally:
        tok.chat_template = None


# --- Cyrillic ----------------------------------------------------------------------------------

def test_cyrillic_costs_mistral_more_tokens_per_character_than_latin(mistral_tokenizer):
    """Figures are counted with the real tokenizer, never guessed from characters: Russian
    costs Mistral ~1.6x the tokens of English per character (the sample export: 2.1 vs
    3.4 characters a token)."""
    tok = mistral_tokenizer
    ru = "привет, ты сегодня придёшь на встречу? я буду ждать у входа после шести"
    en = "hi, are you coming to the meeting today? I will wait at the entrance after six"
    per_char = {s: len(tok(s, add_special_tokens=False)["input_ids"]) / len(s) for s in (ru, en)}
    assert per_char[ru] > 1.4 * per_char[en]


@pytest.mark.parametrize("hub_id, alias", [("mistralai/Mistral-7B-v0.1", "tiny-mistral-v1"),
                                           ("mistralai/Mistral-7B-v0.3", "tiny-mistral-v3")])
def test_the_bundled_tokenizer_of_a_hub_id_reads_text_as_its_test_model_does(hub_id, alias,
                                                                              cache_dir, mistral_dirs):
    """prepare counts tokens with the tokenizer built for a hub id (its weights are not
    here); it must split text as training will. After a special token v0.1 (legacy) starts
    a new word ("▁ok"), v0.3 does not: a config that loses the flag reads v0.1 like v0.3."""
    from clonebot.model.mistral import tokenizer_dir

    text = "hello</s>ok, как дела"
    bundled = load_tokenizer(tokenizer_dir(hub_id, cache_dir))
    tiny = load_tokenizer(mistral_dirs[alias])
    ids = encode(bundled, text)["input_ids"]
    assert ids == encode(tiny, text)["input_ids"]
    after_eos = bundled.convert_ids_to_tokens(ids)[ids.index(bundled.eos_token_id) + 1]
    assert after_eos == ("▁ok" if hub_id.endswith("v0.1") else "ok")
