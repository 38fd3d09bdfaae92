"""``clonebot prepare`` end to end: real fixtures, the bundled sample, bad input, merges,
canaries (training/dataset/, training/commands/prepare.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from clonebot.cli import cli
from fixtures_dataset import assert_one_line_error
from clonebot.config import load_settings
from clonebot.prompt_format import render_sample
import training.commands.prepare
from training.dataset import merge_records, plan_split, prepare

training.commands.prepare.register(cli)

FIX = Path(__file__).resolve().parent / "fixtures" / "telegram-exports"
SAMPLE = Path(__file__).resolve().parents[1] / "exports" / "sample" / "result.json"
PII_VALUES = ["+7 916 123-45-67", "916 123", "alex.petrov@example.com", "4111 1111 1111 1111",
              "Stend#2024secret"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray ./config.toml
    for k in ("CLONEBOT_MODEL__BASE_MODEL", "CLONEBOT_PREPARE__OWNER_ID"):
        monkeypatch.delenv(k, raising=False)


def run(*args):
    return CliRunner().invoke(cli, ["prepare", *map(str, args)])


def rows(out: Path) -> dict[str, list[dict]]:
    d = datasets.load_from_disk(str(out))
    return {s: d[s].to_list() for s in d}


def text_of(row: dict) -> str:
    """A sample's words, every turn (samples are turns: no rendered text in the dataset)."""
    return "\n".join(t["content"] for t in row["messages"])


def all_bytes(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())


assert_failed_cleanly = assert_one_line_error


# -- the bundled sample ----------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("s") / "ds"
    r = CliRunner().invoke(cli, ["prepare", str(SAMPLE), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out, r


def test_sample_dataset_layout_and_rows(sample_out):
    out, r = sample_out
    stats = json.loads((out / "stats.json").read_text())
    for k in ("owner_id", "chats_used", "messages_read", "samples",
              "pii_redactions", "skipped", "messages_new", "messages_duplicate"):
        assert k in stats
    # No tokenizer's EOS in the dataset: train renders with the one it loads.
    assert "eos_token" not in stats and stats["settings"]["context_turns"] == 4
    assert stats["owner_id"] == 100200300
    assert stats["messages_read"] == 403 and stats["chats_used"] == 5
    data = rows(out)
    assert set(data) == {"train", "eval"} and len(data["eval"]) >= 1
    assert stats["samples"] == len(data["train"]) + len(data["eval"]) > 100
    for split in data.values():
        for row in split:
            msgs = row["messages"]
            assert set(row) == {"messages", "chat_id", "message_id", "date"}
            assert msgs[-1]["role"] == "clone" and any(m["role"] == "user" for m in msgs)
            assert len(msgs) <= 5  # up to 4 turns of context, then the reply
            text = render_sample(msgs[:-1], msgs[-1]["content"], "<EOS>")
            # EOS after every Clone turn, nowhere else.
            assert text.count("<EOS>") == sum(m["role"] == "clone" for m in msgs)
            assert all("{'type'" not in m["content"] for m in msgs)
    assert "prepared" in r.stdout and "PII redacted" in r.stdout
    assert "up to 4 turns before each reply" in r.stdout


def test_sample_eval_is_the_latest_part_of_each_chat(sample_out):
    data = rows(sample_out[0])
    for row in data["eval"]:
        later = [t for t in data["train"] if t["chat_id"] == row["chat_id"] and t["date"] > row["date"]]
        assert not later  # no future leaks into training
    assert plan_split([[1, 20], [2, 3]], 0.1) == [2, 0]
    assert plan_split([[1, 3], [2, 4]], 0.1) == [0, 1]  # small export: still one eval row
    assert plan_split([[1, 3]], 0.0) == [0]


def test_sample_pii_scrubbed_everywhere(sample_out):
    out = sample_out[0]
    blob = all_bytes(out).decode("utf-8", "replace")
    for v in PII_VALUES:
        assert v not in blob
    stats = json.loads((out / "stats.json").read_text())
    assert {"phone", "email", "card", "password"} <= set(stats["pii_redactions"])
    texts = [text_of(r) for s in rows(out).values() for r in s]
    assert any("<PHONE_1>" in t for t in texts) and any("<EMAIL_1>" in t for t in texts)
    # The message around the secret survives (PII is redacted, not the whole message).
    assert any("старый уже не работает" in t for t in texts)


def test_sample_chat_selection_and_text_rules(sample_out):
    texts = "\n".join(text_of(r) for s in rows(sample_out[0]).values() for r in s)
    assert "/newbot" not in texts and "token" not in texts  # bot chat
    assert "Вышла новая версия Python" not in texts  # channel
    assert "идеи: сделать бота-клона" not in texts  # saved messages
    assert "Кто сегодня в бар?" not in texts  # group without --groups
    assert "Вот что я по этому поводу думаю" not in texts  # owner's forward
    assert "Смотри, что пишут" not in texts  # their forward
    assert "Очень понравился, особенно концовка!" in texts  # edited text wins
    assert "Рад слышать" in texts  # deleted account (from: null) still a User turn
    clone = [m["content"] for s in rows(sample_out[0]).values() for r in s for m in r["messages"]
             if m["role"] == "clone"]
    assert any(c in ("😂", "👍", "❤️", "🤔", "😭") or c.endswith(("😂", "👍", "❤️", "🤔", "😭"))
               for c in clone)  # stickers became their emoji
    stats = json.loads((sample_out[0] / "stats.json").read_text())
    assert stats["skipped"]["forwarded"] == 2 and stats["skipped"]["unsupported"] == 1
    assert stats["chats_skipped"] == {"type:bot_chat": 1, "type:private_group": 1,
                                      "type:public_channel": 1, "type:saved_messages": 1}


def test_groups_include_and_exclude(tmp_path):
    out = tmp_path / "g"
    r = run(SAMPLE, "--out", out, "--groups", "--exclude-chat", "Мама", "--exclude-chat", "200000003")
    assert r.exit_code == 0, r.output
    data = rows(out)
    chats = {row["chat_id"] for s in data.values() for row in s}
    assert 300000001 in chats and 200000004 not in chats and 200000003 not in chats
    out2 = tmp_path / "i"
    r = run(SAMPLE, "--out", out2, "--include-chat", "sam")
    assert r.exit_code == 0, r.output
    assert {row["chat_id"] for s in rows(out2).values() for row in s} == {200000003}
    out3 = tmp_path / "n"
    r = run(SAMPLE, "--out", out3, "--include-chat", "BotFather")
    assert_failed_cleanly(r, out3, "no text messages from the owner")


def test_progress_and_library_entry_point(tmp_path):
    calls = []
    stats = prepare(SAMPLE, tmp_path / "lib", load_settings(None),
                    progress=lambda phase, n, total: calls.append(phase))
    assert {"read", "write"} <= set(calls) and stats["samples"] > 100


# -- every real fixture ----------------------------------------------------------------
OUTCOMES = {
    # fixture: (extra args, expected exit, text in output)
    "frozenspider_telegram_2020-01.result.json": (["--groups"], 0, "prepared 1 samples"),
    "frozenspider_telegram_2023-01.result.json": (["--groups"], 1, "no text messages from the owner"),
    "frozenspider_telegram_2023-10_audio-video.result.json": (["--groups"], 1, "no text messages from the owner"),
    "frozenspider_telegram_2024-01.result.json": ([], 1, "no training samples"),
    "frozenspider_telegram_2024-01_inline-bot-buttons.result.json": ([], 1, "no training samples"),
    "frozenspider_telegram_2024-06_blockquote-collapsed.result.json": (["--groups"], 1, "no training samples"),
    "frozenspider_telegram_2025-12.result.json": (["--groups"], 1, "no text messages from the owner"),
    "frozenspider_telegram_2026-08_1to1_single_chat.result.json": (["--owner-id", "5333333333"], 0, "prepared 1 samples"),
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_every_real_fixture(name, tmp_path):
    assert {p.name for p in FIX.glob("*.result.json")} == set(OUTCOMES)
    args, code, text = OUTCOMES[name]
    out = tmp_path / "out"
    r = run(FIX / name, "--out", out, *args)
    if code:
        assert_failed_cleanly(r, out, text)
    else:
        assert r.exit_code == 0, r.output
        assert text in r.stdout
        data = rows(out)
        assert len(data["train"]) + len(data["eval"]) == 1


def test_2020_group_sample_and_personal_only_default(tmp_path):
    out = tmp_path / "o"
    assert run(FIX / "frozenspider_telegram_2020-01.result.json", "--out", out, "--groups").exit_code == 0
    row = rows(out)["train"][0]
    assert row["messages"] == [{"role": "user", "content": "Reply to this!"},
                               {"role": "clone", "content": "+, окно в Ад"}]
    assert row["chat_id"] == 8123123123 and row["message_id"] == 39740
    # Personal chats only: the owner's lines there open sessions or follow media -> nothing.
    r = run(FIX / "frozenspider_telegram_2020-01.result.json", "--out", tmp_path / "p")
    assert_failed_cleanly(r, tmp_path / "p", "no training samples")


def test_single_chat_owner_from_flag_config_or_error(tmp_path, monkeypatch):
    single = FIX / "frozenspider_telegram_2026-08_1to1_single_chat.result.json"
    r = run(single, "--out", tmp_path / "a")
    assert_failed_cleanly(r, tmp_path / "a", "--owner-id")
    monkeypatch.setenv("CLONEBOT_PREPARE__OWNER_ID", "5333333333")
    r = run(single, "--out", tmp_path / "b")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "b" / "stats.json").read_text())["owner_id"] == 5333333333
    # Wrong owner: the other person's lines would become Clone turns -> they do, but only
    # as replies to the real owner; with an id nobody has there are no owner messages.
    r = run(single, "--out", tmp_path / "c", "--owner-id", "42")
    assert_failed_cleanly(r, tmp_path / "c", "no text messages from the owner (user id 42)")


# -- bad input ----------------------------------------------------------------------------
def test_invalid_json_fixture(tmp_path, invalid_export):
    r = run(invalid_export, "--out", tmp_path / "o")
    assert_failed_cleanly(r, tmp_path / "o", "not valid JSON", "line 12, column 25")


def test_truncated_wrong_schema_unreadable(tmp_path, monkeypatch):
    cut = tmp_path / "cut.json"
    cut.write_bytes(SAMPLE.read_bytes()[: 60_000])
    assert_failed_cleanly(run(cut, "--out", tmp_path / "o1"), tmp_path / "o1", "truncated")
    arr = tmp_path / "arr.json"
    arr.write_text("[]")
    assert_failed_cleanly(run(arr, "--out", tmp_path / "o2"), tmp_path / "o2", "not a Telegram Desktop export")
    other = tmp_path / "other.json"
    other.write_text('{"name": "x", "list": [1, 2]}')
    assert_failed_cleanly(run(other, "--out", tmp_path / "o3"), tmp_path / "o3", "not a Telegram Desktop export")
    assert_failed_cleanly(run(tmp_path / "missing.json", "--out", tmp_path / "o4"), tmp_path / "o4", "not found")
    locked = tmp_path / "locked.json"
    locked.write_bytes(SAMPLE.read_bytes())
    import training.export.reader as ex

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ex, "open", deny, raising=False)
    assert_failed_cleanly(run(locked, "--out", tmp_path / "o5"), tmp_path / "o5", "Permission denied")


def test_failure_leaves_an_existing_dataset_untouched(tmp_path, invalid_export):
    out = tmp_path / "ds"
    assert run(SAMPLE, "--out", out).exit_code == 0
    before = all_bytes(out)
    r = run(invalid_export, "--out", out)
    assert r.exit_code == 1 and all_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_refuses_a_foreign_non_empty_out_dir(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    r = run(SAMPLE, "--out", out)
    assert r.exit_code == 1 and "refusing" in r.stderr
    assert (out / "notes.txt").read_text() == "keep me"


# -- re-prepare: merge and dedupe (issue 6) ---------------------------------------------------
def test_same_export_twice_changes_nothing(tmp_path):
    out = tmp_path / "ds"
    assert run(SAMPLE, "--out", out).exit_code == 0
    first = rows(out)
    s1 = json.loads((out / "stats.json").read_text())
    r = run(SAMPLE, "--out", out)
    assert r.exit_code == 0, r.output
    assert rows(out) == first
    s2 = json.loads((out / "stats.json").read_text())
    assert s2["messages_new"] == 0 and s2["messages_duplicate"] == s1["messages_new"] > 300
    assert s2["fingerprint"] == s1["fingerprint"] and "merged: 0 new" in r.stdout


def _edited_sample(tmp_path: Path) -> tuple[Path, str, str]:
    data = json.loads(SAMPLE.read_text())
    masha = data["chats"]["list"][0]
    target = next(m for m in masha["messages"] if m.get("from_id") == "user100200300"
                  and m.get("text") == "Ок, успею после работы")
    target["text"] = "Ок, успею, но опоздаю минут на 5"
    target["text_entities"] = [{"type": "plain", "text": target["text"]}]
    target["edited_unixtime"] = str(int(target["date_unixtime"]) + 600)
    last = masha["messages"][-1]
    t, mid = int(last["date_unixtime"]) + 86400, max(m["id"] for m in masha["messages"])
    masha["messages"] += [
        {"id": mid + 1, "type": "message", "date_unixtime": str(t), "from": "Маша",
         "from_id": "user200000001", "text": "Ты уже вернулся из отпуска?"},
        {"id": mid + 2, "type": "message", "date_unixtime": str(t + 60), "from": "Alex Petrov",
         "from_id": "user100200300", "text": "Да, вчера прилетел"},
    ]
    p = tmp_path / "newer.json"
    p.write_text(json.dumps(data, ensure_ascii=False))
    return p, "Ок, успею после работы", "Ок, успею, но опоздаю минут на 5"


def test_newer_export_merges_dedupes_and_takes_newer_edits(tmp_path):
    out = tmp_path / "ds"
    assert run(SAMPLE, "--out", out).exit_code == 0
    old_n = json.loads((out / "stats.json").read_text())["messages_total"]
    newer, old_text, new_text = _edited_sample(tmp_path)
    r = run(newer, "--out", out)
    assert r.exit_code == 0, r.output
    s = json.loads((out / "stats.json").read_text())
    assert s["merged"] and s["messages_new"] == 2 and s["messages_updated"] == 1
    assert s["messages_duplicate"] == old_n and s["messages_total"] == old_n + 2
    texts = "\n".join(text_of(r) for split in rows(out).values() for r in split)
    assert new_text in texts and old_text not in texts
    assert "Да, вчера прилетел" in texts
    # And merging the OLD export again does not bring the old text back (newer edit wins).
    assert run(SAMPLE, "--out", out).exit_code == 0
    texts = "\n".join(text_of(r) for split in rows(out).values() for r in split)
    assert new_text in texts and old_text not in texts
    # Records on disk: one per (chat, message), scrubbed.
    t = pq.read_table(out / "messages.parquet").to_pylist()
    keys = [(x["chat_id"], x["message_id"]) for x in t]
    assert len(keys) == len(set(keys)) == old_n + 2
    assert not any(v in x["text"] for x in t for v in PII_VALUES)


def test_merge_records_rule(tmp_path):
    import pyarrow as pa

    from training.dataset import RECORD_SCHEMA

    def table(rows_):
        p = tmp_path / f"t{len(list(tmp_path.iterdir()))}.parquet"
        pq.write_table(pa.Table.from_pylist(
            [dict(zip(RECORD_SCHEMA.names, r)) for r in rows_], schema=RECORD_SCHEMA), p)
        return p

    old = table([(1, 1, 10, 0, 5, False, "a"), (1, 2, 20, 0, 6, True, "b"), (2, 1, 5, 0, 5, False, "x")])
    new = table([(2, 1, 5, 0, 5, False, "x"), (1, 2, 20, 30, 6, True, "b2"), (1, 3, 40, 0, 5, False, "c"),
                 (3, 1, 1, 0, 5, False, "z")])
    out = tmp_path / "m.parquet"
    st = merge_records(old, new, out)
    got = [(r["chat_id"], r["message_id"], r["text"]) for r in pq.read_table(out).to_pylist()]
    assert got == [(1, 1, "a"), (1, 2, "b2"), (1, 3, "c"), (2, 1, "x"), (3, 1, "z")]
    assert st == {"messages_new": 2, "messages_duplicate": 2, "messages_updated": 1,
                  "messages_total": 5, "messages_bot": 0, "duplicates_same": 0,
                  "duplicates_conflicting": 0, "duplicate_ids": {}}


# -- canaries -------------------------------------------------------------------------------
def test_canaries_planted_in_train_replies_only(tmp_path):
    out = tmp_path / "ds"
    r = run(SAMPLE, "--out", out, "--canaries", "3")
    assert r.exit_code == 0, r.output
    c = json.loads((out / "canaries.json").read_text())
    secrets = c["canaries"]
    assert len(secrets) == len(set(secrets)) == 3 and len(c["planted"]) == 3
    data = rows(out)
    for s in secrets:
        hits = [row for row in data["train"] if s in text_of(row)]
        assert len(hits) == 1
        assert s in hits[0]["messages"][-1]["content"] and hits[0]["messages"][-1]["role"] == "clone"
        assert not any(s in text_of(row) for row in data["eval"])
        assert s not in (out / "messages.parquet").read_bytes().decode("latin-1")
    assert json.loads((out / "stats.json").read_text())["canaries"] == 3
    # Re-preparing with the same count keeps the same canaries and rows.
    before = rows(out)
    assert run(SAMPLE, "--out", out, "--canaries", "3").exit_code == 0
    assert json.loads((out / "canaries.json").read_text())["canaries"] == secrets
    assert rows(out) == before
    assert re.fullmatch(r"CNRY-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", secrets[0])


def test_too_many_canaries_is_an_error(tmp_path):
    r = run(FIX / "frozenspider_telegram_2026-08_1to1_single_chat.result.json", "--out",
            tmp_path / "o", "--owner-id", "5333333333", "--canaries", "5")
    assert_failed_cleanly(r, tmp_path / "o", "--canaries 5")


# -- no tokenizer in the dataset ---------------------------------------------------------------
def test_the_dataset_is_the_same_whatever_base_model_is_configured(tmp_path, monkeypatch):
    """Prepare used to resolve EOS from the base model's tokenizer (offline: a "</s>" guess,
    pinned in the dataset): the dataset now holds turns only, the same for every model."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(SAMPLE, "--out", a).exit_code == 0
    monkeypatch.setenv("CLONEBOT_MODEL__BASE_MODEL", "smollm2-135m")
    assert run(SAMPLE, "--out", b).exit_code == 0
    assert rows(a) == rows(b)
    fp = [json.loads((d / "stats.json").read_text())["fingerprint"] for d in (a, b)]
    assert fp[0] == fp[1]


def test_context_turns_shapes_the_windows(tmp_path, monkeypatch):
    monkeypatch.setenv("CLONEBOT_PREPARE__CONTEXT_TURNS", "2")
    out = tmp_path / "ds"
    assert run(SAMPLE, "--out", out).exit_code == 0
    data = rows(out)
    longest = max(len(row["messages"]) for split in data.values() for row in split)
    assert longest == 3  # 2 turns of context, then the reply
    assert json.loads((out / "stats.json").read_text())["settings"]["context_turns"] == 2


def test_a_chat_listed_twice_is_deduplicated(tmp_path):
    data = json.loads(SAMPLE.read_text())
    data["left_chats"] = {"about": "", "list": [data["chats"]["list"][2]]}  # Sam again
    p = tmp_path / "dup.json"
    p.write_text(json.dumps(data, ensure_ascii=False))
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(SAMPLE, "--out", a).exit_code == 0
    assert run(p, "--out", b).exit_code == 0
    assert rows(a) == rows(b)


def test_shared_sample_dataset_fixture(sample_dataset):
    d = datasets.load_from_disk(str(sample_dataset))
    assert len(d["train"]) > 100 and len(d["eval"]) > 0
    assert json.loads((sample_dataset / "stats.json").read_text())["samples"] == len(d["train"]) + len(d["eval"])
