"""End to end with the real test-model adapter: incoming event -> generation -> approve -> sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clonebot.prompt_format import STOP_STRINGS
from fixtures_telegram import ALICE, make_env

_HAS_MODEL_FIXTURES = (Path(__file__).parent / "fixtures_model.py").exists()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _HAS_MODEL_FIXTURES, reason="tests/fixtures_model.py (tiny_run) missing"),
]


def test_real_adapter_answers_through_the_bot(tmp_path, tiny_run, cache_dir):
    from clonebot.config import Settings
    from clonebot.model import load_generator

    settings = Settings(
        model={"base_model": "smollm2-135m"},
        paths={"cache_dir": str(cache_dir), "data_dir": tmp_path / "data",
               "runs_dir": tmp_path / "runs"},
        generate={"max_new_tokens": 24},
        bot={"debounce_seconds": 0, "chats": [{"chat": ALICE}]},
    )

    async def go():
        env = await make_env(tmp_path, settings=settings, adapter_dir=tiny_run,
                             factory=lambda p: load_generator(settings, p))
        await env.incoming(ALICE, "привет, как дела?")
        await env.settle()
        [s] = env.store.pending(ALICE)
        assert s.suggestion.strip()
        assert not any(stop in s.suggestion for stop in STOP_STRINGS)  # never the other side
        _, pid = env.last_suggestion_post()
        await env.command("ok", reply_to=pid)
        await env.settle()
        assert env.fake.sent_to(ALICE) == [s.suggestion]
        assert env.bot.worker.adapter_dir == tiny_run
        await env.close()

    asyncio.run(go())
