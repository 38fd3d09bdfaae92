"""Nothing broken reaches a friend: a reply with anything placeholder-like (intact, damaged,
another case, without its number, cut off), a broken character (U+FFFD), or one the token
limit cut off is never sent automatically or drafted: the bot samples again, else asks the
owner, flagged. Over Telethon's real code (the request-level double)."""

from __future__ import annotations

import asyncio

import pytest

from clonebot.model.base import Reply
from clonebot.pii import PIIFilter, RedactionSession, placeholder_like
from clonebot.runtime.reply_checks import text_problems
from fixtures_telegram_bot import bot_on_double

# What a model trained on scrubbed data writes back, as seen live (issue 19) and around it.
PLACEHOLDER_LIKE = [
    "call me at <PHONE_1", "<phone_1> is my number", "my number is <PHONE>", "write to <EMAIL_2>",
    "< PHONE-1 >", "[PHONE_1]", "{email}", "&lt;PHONE_1&gt;", "＜ＰＨＯＮＥ＿１＞", "<PHONE_NUMBER>",
    "<phone number> ok", "PHONE_1", "it is phone_number_2", "<REDACTED>", "[PERSON]", "<URL>",
    "<ТЕЛЕФОН_1>", "<телефон_1>", "call me at <PH", "my pin is <", "(PHONE_1)", "«PHONE_1»",
    "<PRIVATE_3> is where I live", "<NAME_1> said hi", "<P\u200bHONE_1>", "<Phone_1>",
    "card <CARD_1", "the code is <pass", "<PHONE 1>", "pay to <IBAN_1>.", "<email-1>",
    "<SECRET_12>", "<seed_1>", "<Crypto_2>", "<SNILS>", "<inn_1>", "<passport_1>",
]
ORDINARY = [
    "love you <3", "<b>bold</b>", ">_<", "«имя» и фамилия", "I paid (card)", "my phone is new",
    "phone 1", "name_tag", "a<b and c>d", "x <- y", "<3 <3", "<br>", "iphone_12", "<names>",
    "<innocent>", "the password is in the email", "да не всло Kyrgyzзан 🤙", "<Bob>", ":<",
    "5 < 7 and 8 > 3", "ok, at 7!", "ну давай)", "-> see above",
]


@pytest.mark.parametrize("text", PLACEHOLDER_LIKE)
def test_placeholder_like_finds_every_damaged_form(text):
    assert placeholder_like(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_placeholder_like_leaves_ordinary_text_alone(text):
    assert placeholder_like(text) == []


def test_every_placeholder_the_scrubber_writes_is_caught_with_any_damage():
    pii = PIIFilter(denylist=["Lenina 5"])
    session = RedactionSession()
    line = ("+7 912 345-67-89 ivan@mail.ru 4111 1111 1111 1111 DE89370400440532013000 "
            "пароль: Qwerty123! Lenina 5 0x52908400098527886E0F7030069857D2E4169EE7")
    scrubbed = pii.redact(line, session)
    placeholders = [p for p in scrubbed.split() if p.startswith("<")]
    assert len(placeholders) >= 6
    for p in placeholders:
        for damaged in (p, p[:-1], p.lower(), p.split("_")[0] + ">", p[:3]):
            assert placeholder_like(f"sure: {damaged}"), damaged


def test_broken_characters_are_problems():
    assert text_problems("да не всло\ufffd Kyrgyzзан 🤙") == ["a broken character (U+FFFD)"]
    assert text_problems("ok \ud800") == ["a broken character (lone surrogate)"]
    assert text_problems("да не вслоняйся 🤙") == []


# --- the bot over the Telethon double ------------------------------------------------------

BROKEN = {
    "unclosed": "sure, call me at <PHONE_1",
    "lower case": "<phone_1> is my number",
    "no number": "text me at <PHONE>",
    "U+FFFD": "да не всло\ufffd Kyrgyzзан 🤙",
    "cut off": Reply("see you at the station near the", cut=True),
}


def run(coro):
    return asyncio.run(coro)


async def _asked(tmp_path, mode: str, replies: list):
    env = await bot_on_double(tmp_path, replies=replies,
                              chats=[{"chat": "@alice", "mode": mode}])
    tg, p = env.tg, env.p
    await env.owner_types(p.alice, "hey")
    tg.send(p.alice, p.owner, "how do I reach you?")
    await env.settle()
    return env


@pytest.mark.parametrize("mode", ["auto", "draft"])
@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_reply_is_never_sent_or_drafted_it_goes_to_approval_flagged(tmp_path, mode, kind):
    async def go():
        env = await _asked(tmp_path, mode, [BROKEN[kind]])
        tg, p = env.tg, env.p
        assert tg.texts(p.alice, p.owner) == ["hey", "how do I reach you?"]
        assert tg.draft(p.owner, p.alice) == ""
        assert env.bot.worker.generations == 3  # sampled again twice, nothing whole came back
        post, pid = env.last_post()
        flag = "cut off at the token limit" if kind == "cut off" else \
            "broken character" if kind == "U+FFFD" else "placeholder"
        assert flag in post and f"not {'drafted' if mode == 'draft' else 'sent'}" in post
        await env.owner_types(p.owner, "ok", reply_to=pid)
        if kind == "cut off":  # the owner read it: theirs to send as it is
            assert tg.texts(p.alice, p.owner)[-1] == str(BROKEN[kind])
        else:  # broken text never leaves, not even on ok
            assert tg.texts(p.alice, p.owner) == ["hey", "how do I reach you?"]
            assert "was not sent" in env.posts()[-1]
            await env.owner_types(p.owner, "edit call me at +1 555 0100", reply_to=pid)
            assert tg.texts(p.alice, p.owner)[-1] == "call me at +1 555 0100"
        await env.close()

    run(go())


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_reply_is_resampled_away_in_auto_mode(tmp_path, kind):
    async def go():
        env = await _asked(tmp_path, "auto", [BROKEN[kind], "text me later"])
        tg, p = env.tg, env.p
        assert tg.texts(p.alice, p.owner)[-1] == "text me later"
        assert env.bot.worker.generations == 2 and env.posts() == []
        await env.close()

    run(go())
