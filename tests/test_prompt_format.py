"""The prompt format at token level, on real tokenizers.

Inference feeds ``render_prompt(context)``; training feeds
``render_sample(context, reply)``. The prompt's tokens must be an exact prefix of the
sample's, or the model is trained on token sequences it never sees at inference.
Checked on the test model's byte-level BPE tokenizer and on Mistral-7B's own v0.1 and
v0.3 SentencePiece tokenizers (from the mistral-common wheel).
"""

from __future__ import annotations

import pytest

from clonebot.model.load import encode
from clonebot.prompt_format import (
    CLONE,
    STOP_STRINGS,
    USER,
    format_info,
    render_prompt,
    render_sample,
    strip_reply,
    writes_turn,
)

DIALOGUES = [
    [{"role": "user", "content": "привет, как дела?"}, {"role": "clone", "content": "норм, сам как)"}],
    [
        {"role": "user", "content": "hi"},
        {"role": "clone", "content": "hey!"},
        {"role": "user", "content": "are you coming at 7?"},
        {"role": "clone", "content": "yes 👍 see you"},
    ],
    [{"role": "user", "content": "  spaces around \n"}, {"role": "clone", "content": "123 numbers first"}],
    [
        {"role": "clone", "content": "я первый написал"},
        {"role": "user", "content": "multi\nline\n\nmessage"},
        {"role": "clone", "content": "### not a header\nok"},
    ],
    [{"role": "user", "content": "ok."}, {"role": "clone", "content": ")))"}],
]


@pytest.mark.parametrize("turns", DIALOGUES)
def test_prompt_tokens_are_a_prefix_of_the_sample(tokenizer, turns):
    eos = tokenizer.eos_token
    ctx, reply = turns[:-1], turns[-1]["content"]
    prompt = encode(tokenizer, render_prompt(ctx, eos))["input_ids"]
    sample = encode(tokenizer, render_sample(ctx, reply, eos))["input_ids"]
    assert sample[: len(prompt)] == prompt
    rest = sample[len(prompt):]
    assert rest[-1] == tokenizer.eos_token_id  # EOS is one special token, not its spelling
    assert tokenizer.eos_token_id not in rest[:-1]
    assert tokenizer.decode(rest[:-1]).strip() == render_sample([], reply, "").split("\n", 1)[1]


def test_format_hash_is_pinned():
    """Changing the headers, separator or stop strings changes the hash, and every trained
    adapter is refused: that must be a deliberate FORMAT_VERSION bump, not an accident."""
    assert format_info() == {"version": 1, "hash": "ea15187ed3ac3a32"}


def test_writes_turn_knows_each_roles_header_and_its_misspellings():
    assert writes_turn("sure\n### User:\nwhere are you", USER)
    assert writes_turn("sure\n## user: hi", USER) and writes_turn("ok\n#USER\nx", USER)
    assert not writes_turn("ok\n### Clone:\nand", USER) and writes_turn("ok\n### Clone:\nand", CLONE)
    assert not writes_turn("the user guide is here", USER)


def test_strip_reply_cuts_at_any_marker():
    for stop in STOP_STRINGS:
        assert strip_reply(f"ok see you {stop} blah") == "ok see you"
    assert strip_reply("  fine  ") == "fine"
