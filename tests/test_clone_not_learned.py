"""The clone never learns from itself: what the bot sent (auto replies, suggestions approved
with ok, drafts the owner sent unchanged) is context in the dataset, labelled ``bot``, never
a Clone turn, whether the history comes from ``clonebot fetch`` or a Desktop export, on
every later prepare and retrain too. What the owner edited or wrote stays theirs.

The loop runs for real: the bot on a Telethon client over the request-level Telegram double
sends, ``fetch_history`` downloads the account through Telethon, ``prepare`` builds the
dataset with the bot's approval store in ``paths.data_dir``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clonebot.state import StateStore
from clonebot.config import FetchSettings, Settings
from clonebot.errors import DatasetError
from clonebot.fetch.fetcher import FetchOptions, fetch_history
from clonebot.prompt_format import BOT, CLONE, USER, sample_segments
from fixtures_telegram import ManualClock
from fixtures_telegram_bot import bot_on_double, people
from telegram_double import TelegramDouble
from training.dataset import prepare
from training.dataset.records import MESSAGES_FILE
from training.eval.rows import load_split, pick_rows

# What the scripted model says, in the order the bot asks it.
R_AUTO_1, R_AUTO_2, R_DRAFT_SENT, R_DRAFT_EDITED, R_OK, R_EDIT = (
    "all good, you?", "sure, at 7 then", "coffee at 5?", "tea at 6?", "me, with cake!",
    "ugh fine whatever")
BOT_SAID = {R_AUTO_1, R_AUTO_2, R_DRAFT_SENT, R_OK}
OWNER_SAID = {"actually make it 8", "no, tomorrow I'm busy", "yes, a big one", "hey alice",
              "yo bob", "hi all"}


def _settings(tmp_path: Path, **prepare_) -> Settings:
    prepare_.setdefault("include_groups", True)
    prepare_.setdefault("eval_fraction", 0.5)
    prepare_.setdefault("workers", 0)
    return Settings(paths={"data_dir": tmp_path / "data", "runs_dir": tmp_path / "runs",
                           "dataset_dir": tmp_path / "dataset"}, prepare=prepare_)


async def _bot_conversations(tmp_path: Path):
    """The bot at work for a while: auto replies to Alice, drafts for Bob (one sent as is, one
    changed), suggestions in the family group (one ok, one edited)."""
    clock = ManualClock(auto=True)
    tg = TelegramDouble(clock=clock.now)
    p = people(tg)
    env = await bot_on_double(
        tmp_path, tg=tg, p=p, clock=clock,
        replies=[R_AUTO_1, R_AUTO_2, R_DRAFT_SENT, R_DRAFT_EDITED, R_OK, R_EDIT],
        chats=[{"chat": "@alice", "mode": "auto"}, {"chat": "@bob", "mode": "draft"},
               {"chat": p.family, "mode": "approve"}])
    await env.owner_types(p.alice, "hey alice")
    tg.send(p.alice, p.owner, "how are you?")
    await env.settle()
    tg.send(p.alice, p.owner, "fine. dinner tonight?")
    await env.settle()
    await env.owner_types(p.alice, "actually make it 8")
    assert tg.texts(p.alice, p.owner) == ["hey alice", "how are you?", R_AUTO_1,
                                          "fine. dinner tonight?", R_AUTO_2, "actually make it 8"]

    await env.owner_types(p.bob, "yo bob")
    tg.send(p.bob, p.owner, "free later?")
    await env.settle()
    assert tg.draft(p.owner, p.bob) == R_DRAFT_SENT
    await env.owner_types(p.bob, R_DRAFT_SENT)  # the draft, sent as it was
    tg.send(p.bob, p.owner, "tomorrow?")
    await env.settle()
    assert tg.draft(p.owner, p.bob) == R_DRAFT_EDITED
    await env.owner_types(p.bob, "no, tomorrow I'm busy")  # the owner's own words instead

    await env.owner_types(p.family, "hi all")
    tg.send(p.alice, p.family, "who's coming on sunday?")
    await env.settle()
    await env.owner_types(p.owner, "ok")
    tg.send(p.bob, p.family, "bring a cake?")
    await env.settle()
    await env.owner_types(p.owner, "edit yes, a big one")
    return env


async def _fetch(env, out: Path) -> None:
    client = await env.tg.connect(env.p.owner, name="fetch")
    try:
        me = await client.get_me()
        await fetch_history(client, me, env.store.path.parent, FetchOptions(out, groups=True),
                            FetchSettings(), lambda event: None, sleep=env.clock.sleep,
                            clock=env.clock.now, now=env.clock.now)
    finally:
        await client.disconnect()


def _rows(out: Path) -> list[list[dict]]:
    d = datasets.load_from_disk(str(out))
    return [r for split in ("train", "eval") for r in d[split]["messages"]]


def _check_dataset(out: Path) -> None:
    """No bot text in a Clone turn; each as a labelled bot turn somewhere; the owner's
    edits and own words are replies learned."""
    rows = _rows(out)
    assert rows
    by_role: dict[str, set[str]] = {USER: set(), CLONE: set(), BOT: set()}
    for turns in rows:
        assert turns[-1]["role"] == CLONE
        for t in turns:
            by_role[t["role"]].add(t["content"])
    learned = " | ".join(by_role[CLONE])
    for said in BOT_SAID:
        assert said not in learned
    assert BOT_SAID <= by_role[BOT]  # kept as context, labelled
    assert {"actually make it 8", "no, tomorrow I'm busy", "yes, a big one"} <= by_role[CLONE]
    for r in pick_rows(load_split(out, "eval"), None):  # eval's held-out owner replies
        assert r["messages"][-1]["content"] not in BOT_SAID


def test_the_whole_loop_bot_sends_fetch_prepare_never_learns_the_bot(tmp_path):
    async def go():
        env = await _bot_conversations(tmp_path)
        ids = env.store.clone_messages()
        assert len(ids) == len(BOT_SAID)
        export = tmp_path / "exports" / "result.json"
        await _fetch(env, export)
        await env.close()
        return export

    export = asyncio.run(go())
    texts = json.dumps(json.loads(export.read_text()), ensure_ascii=False)
    assert all(s in texts for s in BOT_SAID)  # Telegram has them as the owner's messages
    out = tmp_path / "dataset"
    stats = prepare(export, out, _settings(tmp_path))
    _check_dataset(out)
    assert stats["sent_by_bot"]["ids_in_store"] == 4
    assert stats["sent_by_bot"]["messages"] == 4
    assert stats["sent_by_bot"]["turns_not_learned"] == 4
    assert stats["sent_by_bot"]["approval_store"] == str(tmp_path / "data" / "state.sqlite")
    assert stats["skipped"]["sent_by_bot"] == 4
    saved = json.loads((out / "stats.json").read_text())
    assert saved["sent_by_bot"] == stats["sent_by_bot"]


def test_without_the_store_the_bot_counts_as_the_owner(tmp_path):
    """--no-approvals (prepare.approval_store = "none") is the old behaviour: the test above
    would fail without the exclusion."""
    async def go():
        env = await _bot_conversations(tmp_path)
        await _fetch(env, tmp_path / "result.json")
        await env.close()

    asyncio.run(go())
    out = tmp_path / "dataset"
    stats = prepare(tmp_path / "result.json", out, _settings(tmp_path, approval_store="none"))
    learned = {t["content"] for turns in _rows(out) for t in turns if t["role"] == CLONE}
    assert R_OK in " | ".join(learned)
    assert stats["sent_by_bot"]["messages"] == 0


def test_once_marked_always_marked_across_refetch_edit_and_a_lost_store(tmp_path):
    """The merged history is rebuilt into samples on every prepare: a bot message re-fetched
    later (here: edited since, so the new copy wins the merge) stays the bot's even when the
    store that knew it is gone."""
    async def go():
        env = await _bot_conversations(tmp_path)
        await _fetch(env, tmp_path / "result.json")
        out = tmp_path / "dataset"
        prepare(tmp_path / "result.json", out, _settings(tmp_path))
        store_file = env.store.path
        # the approval store is lost (a new data dir, a reinstall)...
        env.store.close()
        for f in store_file.parent.glob(store_file.name + "*"):
            f.unlink()
        # ...and the bot's message in the group was edited since: fetch re-reads it
        tg, p = env.tg, env.p
        mine = next(m for m in tg.history(p.owner, p.family) if m.message == R_OK)
        tg.edit(p.owner, p.family, mine.id, R_OK + " 🎂")
        await _fetch(env, tmp_path / "result.json")
        env.store = StateStore(tmp_path / "elsewhere.sqlite")  # for env.close()
        await env.close()
        return out

    out = asyncio.run(go())
    stats = prepare(tmp_path / "result.json", out, _settings(tmp_path))
    assert stats["messages_updated"] >= 1 and stats["sent_by_bot"]["ids_in_store"] == 0
    assert stats["sent_by_bot"]["messages"] == 4
    learned = " | ".join(t["content"] for turns in _rows(out) for t in turns
                         if t["role"] == CLONE)
    assert R_OK not in learned and R_AUTO_1 not in learned
    bots = {t["content"] for turns in _rows(out) for t in turns if t["role"] == BOT}
    assert R_OK + " 🎂" in bots


def _desktop_export(path: Path, owner: int, friend: int) -> Path:
    def msg(i: int, sender: int, text: str) -> dict:
        t = 1_700_000_000 + 60 * i
        return {"id": i, "type": "message", "date": "2023-11-14T22:13:20",
                "date_unixtime": str(t), "from": "x", "from_id": f"user{sender}",
                "text": text, "text_entities": [{"type": "plain", "text": text}]}

    chat = {"name": "Friend", "type": "personal_chat", "id": friend, "messages": [
        msg(1, friend, "hi! long time"), msg(2, owner, "hey, yes, busy months"),
        msg(3, friend, "how is the new job?"), msg(4, owner, "great so far, you should come"),
        msg(5, friend, "when?"), msg(6, owner, "saturday maybe"),
        msg(7, friend, "ok deal"), msg(8, owner, "see you then"),
    ]}
    path.write_text(json.dumps({"personal_information": {"user_id": owner},
                                "chats": {"list": [chat]}}))
    return path


def _store_with_sends(path: Path, chat_id: int, sent: dict[int, str]) -> None:
    """Record sends as the runtime does (begin_send / finish_send): msg_id -> how."""
    with StateStore(path) as st:
        for msg_id, how in sent.items():
            s = st.create(chat_id=chat_id, mode="approve", prompt_turns=[], suggestion="x",
                          now=1.0, ttl_seconds=60)
            if how == "auto":
                st.begin_send(s.id, "x", now=1.0, by="auto", decision=None)
            else:
                st.begin_send(s.id, "x" if how == "sent" else "mine", now=1.0, by="owner",
                              decision=how)
            st.finish_send(s.id, msg_id, now=2.0)


def test_a_desktop_export_leaves_out_what_the_bot_sent_and_keeps_edits(tmp_path):
    owner, friend = 111, 222
    export = _desktop_export(tmp_path / "result.json", owner, friend)
    _store_with_sends(tmp_path / "data" / "state.sqlite", friend,
                      {4: "auto", 6: "sent", 8: "edited"})
    out = tmp_path / "dataset"
    stats = prepare(export, out, _settings(tmp_path))
    learned = [t["content"] for turns in _rows(out) for t in turns if t["role"] == CLONE]
    assert "great so far, you should come" not in learned and "saturday maybe" not in learned
    assert "see you then" in learned  # edited before it was sent: the owner's words
    assert stats["sent_by_bot"]["messages"] == 2
    # the same with an explicit store elsewhere, and none when it is missing
    moved = tmp_path / "old.sqlite"
    for f in (tmp_path / "data").glob("state.sqlite*"):
        f.rename(tmp_path / f.name.replace("state", "old"))
    stats = prepare(export, tmp_path / "ds2", _settings(tmp_path, approval_store=moved))
    assert stats["sent_by_bot"]["messages"] == 2
    with pytest.raises(DatasetError, match="no approval store"):
        prepare(export, tmp_path / "ds3", _settings(tmp_path, approval_store=tmp_path / "nope"))
    assert not (tmp_path / "ds3").exists()


def test_a_dataset_from_before_the_bot_column_merges_and_gets_marked(tmp_path):
    owner, friend = 111, 222
    export = _desktop_export(tmp_path / "result.json", owner, friend)
    out = tmp_path / "dataset"
    prepare(export, out, _settings(tmp_path))
    old = pq.read_table(out / MESSAGES_FILE).drop_columns(["bot"])  # as written before
    pq.write_table(old, out / MESSAGES_FILE)
    _store_with_sends(tmp_path / "data" / "state.sqlite", friend, {6: "auto"})
    stats = prepare(export, out, _settings(tmp_path))
    assert stats["sent_by_bot"]["messages"] == 1
    assert pq.read_table(out / MESSAGES_FILE).schema.field("bot").type == pa.bool_()
    assert "saturday maybe" not in [t["content"] for turns in _rows(out) for t in turns
                                    if t["role"] == CLONE]


def test_prepare_cli_flags_choose_the_store(tmp_path):
    from click.testing import CliRunner

    import training.commands.prepare
    from clonebot.cli import cli

    training.commands.prepare.register(cli)
    owner, friend = 111, 222
    export = _desktop_export(tmp_path / "result.json", owner, friend)
    store = tmp_path / "bot.sqlite"
    _store_with_sends(store, friend, {4: "auto"})
    env = {"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data")}
    r = CliRunner().invoke(cli, ["prepare", str(export), "--out", str(tmp_path / "a"),
                                 "--approvals", str(store)], env=env)
    assert r.exit_code == 0, r.output
    assert "sent by the bot (context only, never learned as yours): 1 messages" in r.output
    r = CliRunner().invoke(cli, ["prepare", str(export), "--out", str(tmp_path / "b"),
                                 "--no-approvals"], env=env)
    assert r.exit_code == 0 and "sent by the bot" not in r.output
    r = CliRunner().invoke(cli, ["prepare", str(export), "--out", str(tmp_path / "c"),
                                 "--approvals", str(tmp_path / "missing.sqlite")], env=env)
    assert r.exit_code == 1 and "no approval store" in r.output and "Traceback" not in r.output


def test_a_bot_turn_renders_as_a_clone_turn_and_is_never_trained_on():
    turns = [{"role": USER, "content": "hi"}, {"role": BOT, "content": "hello from the bot"},
             {"role": USER, "content": "and you?"}, {"role": CLONE, "content": "me too"}]
    segs = sample_segments(turns, "</s>")
    as_clone = sample_segments([*turns[:1], {"role": CLONE, "content": "hello from the bot"},
                                *turns[2:]], "</s>")
    assert "".join(s.text for s in segs) == "".join(s.text for s in as_clone)
    assert [s.text for s in segs if s.trainable] == ["me too</s>"]


def test_the_bot_sees_its_own_replies_as_training_labels_them():
    """At inference the bot's earlier reply is a turn of its own too (rendered as a Clone
    turn), never merged with what the owner typed after it: the prompt is the one training
    built for the same history."""
    from clonebot.runtime.context import history_to_turns
    from clonebot.telegram.messages import Msg

    history = [Msg(1, 5, 5, False, "how are you?", 100.0), Msg(2, 5, 1, True, "fine, you?", 110.0),
               Msg(3, 5, 1, True, "btw I'm late", 120.0), Msg(4, 5, 5, False, "ok", 130.0)]
    turns = history_to_turns(history, context_turns=8, session_gap_seconds=3600,
                             sent_by_bot=lambda chat, msg: (chat, msg) == (5, 2))
    assert [(t["role"], t["content"]) for t in turns] == [
        (USER, "how are you?"), (BOT, "fine, you?"), (CLONE, "btw I'm late"), (USER, "ok")]


def test_retrain_merges_without_the_bot_and_scores_only_the_owners_replies(tmp_path):
    """retrain's prepare reads the same store; the held-out replies that decide promotion
    are the owner's only."""
    from fixtures_versions import fake_run
    from training import retrain

    owner, friend = 111, 222
    export = _desktop_export(tmp_path / "result.json", owner, friend)
    _store_with_sends(tmp_path / "data" / "state.sqlite", friend, {4: "auto", 8: "sent"})
    scored: list[str] = []

    def train(settings, dataset_dir, out, *, resume=False, restart=False, progress=True):
        fake_run(out, base_model="fake")
        return {"eval_loss": 1.0, "steps": 1}

    def score(settings, new_dir, current_dir, items, gen_rows=()):
        scored.extend(row["messages"][-1]["content"] for row in items)
        s = retrain.Score(1.0, 1.0, 2.0, len(items))
        return retrain.Scores(s, s, None)

    r = retrain.retrain(_settings(tmp_path, eval_fraction=0.9), export, train_fn=train,
                        score_fn=score)
    assert r.prepare["sent_by_bot"]["messages"] == 2
    assert scored and "see you then" not in scored and "great so far, you should come" not in scored
    assert "saturday maybe" in scored or "hey, yes, busy months" in scored
