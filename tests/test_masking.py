"""Loss masking shared by training and eval's perplexity (``training.masking``).

Training's own masking tests (which tokens are learnable, dropping old turns) are in
test_train.py; these check what eval scores with the same function.
"""

from __future__ import annotations

from clonebot.model.load import encode
from clonebot.prompt_format import render_sample
from training.masking import IGNORE, tokenize_sample

TURNS = [
    {"role": "user", "content": "ты завтра свободен?"},
    {"role": "clone", "content": "ага, после шести)"},
    {"role": "user", "content": "cool, the usual place?"},
    {"role": "clone", "content": "10 min 👍"},
]


def test_reply_only_scores_the_final_reply_with_trainings_tokens(tokenizer):
    train = tokenize_sample(TURNS, tokenizer, 512)
    scored = tokenize_sample(TURNS, tokenizer, 512, reply_only=True)
    assert scored["input_ids"] == train["input_ids"]
    kept = [i for i, lab in enumerate(scored["labels"]) if lab != IGNORE]
    # The final reply + EOS, labelled exactly as training labels them; nothing before.
    assert kept == list(range(kept[0], len(train["labels"])))
    assert [scored["labels"][i] for i in kept] == [train["labels"][i] for i in kept]
    assert all(lab == IGNORE for lab in scored["labels"][: kept[0]])
    assert tokenizer.decode(scored["labels"][kept[0]:-1]).strip() == "10 min 👍"
    assert scored["labels"][-1] == tokenizer.eos_token_id


def test_too_long_cuts_whole_turns_keeping_bos_and_header(tokenizer):
    """An over-long sample loses its oldest turns whole: what is left is a rendered sample
    of the last turns, starting with BOS (if the tokenizer has one) and a turn header."""
    ctx = [{"role": "user", "content": f"сообщение номер {i}, довольно длинное"} for i in range(20)]
    turns = [*ctx, {"role": "clone", "content": "ok)"}]
    feat = tokenize_sample(turns, tokenizer, 48, reply_only=True)
    assert feat is not None and len(feat["input_ids"]) <= 48
    eos = tokenizer.eos_token
    kept = [encode(tokenizer, render_sample(turns[k:-1], "ok)", eos))["input_ids"]
            for k in range(len(turns))]
    assert feat["input_ids"] in kept
    assert tokenizer.decode(feat["input_ids"], skip_special_tokens=True).lstrip().startswith("### ")
    if tokenizer.bos_token_id is not None and encode(tokenizer, "x")["input_ids"][0] == tokenizer.bos_token_id:
        assert feat["input_ids"][0] == tokenizer.bos_token_id
