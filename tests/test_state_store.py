"""The bot's state store: schema versions, ordered migrations, and stores written before
there were any (``tests/fixtures/state/approvals-v0.sql``: the schema and rows exactly as
the code before versions wrote them, including pending approvals and a send in doubt)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from clonebot.approval.feedback import preference_pairs
from clonebot.cli import _register_builtin, cli
from clonebot.errors import StateStoreError
from clonebot.state import migrations
from clonebot.state.store import StateStore, state_path

FIXTURE = Path(__file__).parent / "fixtures" / "state" / "approvals-v0.sql"


def write_v0_store(data_dir: Path, scratch: Path) -> Path:
    """``approvals.sqlite`` as a bot killed with ``kill -9`` leaves it: WAL mode, its rows
    still in the write-ahead log (copied while the writer had it open)."""
    scratch.mkdir(parents=True, exist_ok=True)
    live = scratch / "approvals.sqlite"
    db = sqlite3.connect(str(live), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(FIXTURE.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        shutil.copy(f"{live}{suffix}", data_dir / f"approvals.sqlite{suffix}")
    db.close()
    assert (data_dir / "approvals.sqlite-wal").stat().st_size > 0  # the rows are in there
    return data_dir / "approvals.sqlite"


def _schema(db_path: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(str(db_path))
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE "
                      "'sqlite_%' ORDER BY type, name").fetchall()
    db.close()
    # whitespace and "IF NOT EXISTS" aside: the same tables, columns, indexes
    norm = lambda sql: re.sub(r"\s+", " ", (sql or "").replace("IF NOT EXISTS ", "")).strip()  # noqa: E731
    return [(t, n, norm(s)) for t, n, s in rows]


def test_a_store_from_before_versions_is_adopted_with_every_row(tmp_path):
    data = tmp_path / "data"
    old = write_v0_store(data, tmp_path / "writer")
    path = state_path(data)
    assert path == data / "state.sqlite" and path.exists()
    assert not any(data.glob("approvals.sqlite*"))  # moved, its WAL folded in, nothing left
    with StateStore(path) as st:
        assert st.schema_version == migrations.latest()
        assert st.migrated == [m.name for m in migrations.MIGRATIONS]
        assert [s.id for s in st.pending()] == ["k7q2", "d3f4"]
        k7q2 = st.by_control_msg(5010)
        assert k7q2.id == "k7q2" and k7q2.pending and k7q2.suggestion == "sure, see you at 7"
        assert k7q2.prompt_turns == [{"role": "user", "content": "free tonight?"}]
        assert st.pending(mode="draft")[0].chat_id == 43
        assert [(d.id, d.decision) for d in st.decisions()] == [
            ("r5gn", "regenerated"), ("h8tq", "sent"), ("m4xp", "edited")]
        assert [r.sid for r in st.in_doubt()] == ["z9ud"]
        assert st.send_of("m4xp").msg_id == 6000 and st.is_sent_msg(42, 6000)
        assert st.chat_state(42) == ("approve", False) and st.chat_state(43) == (None, True)
        assert st.get_flag("control_seen") is True
        assert st.is_own_post(5010) and st.is_own_post(5011) and not st.is_own_post(5012)
        assert not st.take_control_message(5012) and st.take_control_message(5014)
        assert st.answered_upto(42) == 6001 and st.owner_wrote(43)
        pairs = {(p["chosen"], p["rejected"]) for p in preference_pairs(st.decisions())}
        assert pairs == {("yes, which one?", "no"), ("calling in 5", "ok")}
    assert not old.exists()
    with StateStore(path) as st:  # opened again: nothing left to migrate
        assert st.migrated == [] and st.schema_version == migrations.latest()


def test_a_migrated_store_has_the_schema_of_a_new_one(tmp_path):
    write_v0_store(tmp_path / "old", tmp_path / "writer")
    StateStore(state_path(tmp_path / "old")).close()
    StateStore(tmp_path / "new" / "state.sqlite").close()
    migrated = _schema(tmp_path / "old" / "state.sqlite")
    assert migrated == _schema(tmp_path / "new" / "state.sqlite")
    assert ("table", "schema_migrations") in [(t, n) for t, n, _ in migrated]


def test_a_store_from_a_newer_clonebot_is_refused_in_one_line(tmp_path):
    path = state_path(tmp_path / "data")
    StateStore(path).close()
    db = sqlite3.connect(str(path))
    db.execute("INSERT INTO schema_migrations VALUES (?, 'm999_future', 0)",
               (migrations.latest() + 1,))
    db.commit()
    db.close()
    with pytest.raises(StateStoreError, match="newer clonebot"):
        StateStore(path)
    _register_builtin()
    res = CliRunner().invoke(cli, ["feedback", "export"],
                             env={"CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data"),
                                  "CLONEBOT_PATHS__RUNS_DIR": str(tmp_path / "runs")})
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "newer clonebot" in res.output and "Traceback" not in res.output


def test_a_store_with_another_history_is_refused(tmp_path):
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    db = sqlite3.connect(str(path))
    db.execute("UPDATE schema_migrations SET name='m001_something_else' WHERE version=1")
    db.commit()
    db.close()
    with pytest.raises(StateStoreError, match="schema history"):
        StateStore(path)


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    before = _schema(path)

    def m999_half_done(db):
        db.execute("CREATE TABLE half (x INTEGER)")
        db.execute("INSERT INTO half VALUES (1)")
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, migrations.Migration(
        migrations.latest() + 1, "m999_half_done", m999_half_done)])
    with pytest.raises(RuntimeError, match="disk full"):
        StateStore(path)
    assert _schema(path) == before  # no half table, no version recorded
    monkeypatch.undo()
    with StateStore(path) as st:
        assert st.schema_version == migrations.latest() and st.migrated == []


def test_a_damaged_store_is_one_line(tmp_path):
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateStoreError, match="cannot open the state store"):
        StateStore(path)


def test_migrations_are_numbered_in_order_and_named_once():
    versions = [m.version for m in migrations.MIGRATIONS]
    names = [m.name for m in migrations.MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert len(set(names)) == len(names) and all(re.fullmatch(r"m\d{3}_\w+", n) for n in names)
    assert [int(n[1:4]) for n in names] == versions


def test_the_bot_carries_on_with_a_store_from_before_versions(tmp_path):
    """The owner upgrades with approvals pending: the one in doubt is settled and offered
    again, ``ok`` on an old post sends it, the pending draft is still known."""
    import asyncio

    from fixtures_telegram import ALICE, BOB, T0, FakeTelegram, ManualClock, make_env, standard_chats

    async def go():
        write_v0_store(tmp_path / "data", tmp_path / "writer")
        clock = ManualClock(start=T0 + 60, auto=True)
        fake = FakeTelegram(clock=clock)
        standard_chats(fake)
        while fake.next_id() < 9000:  # ids above the fixture's own (posts 5001-5013)
            pass
        env = await make_env(tmp_path, clock=clock, fake=fake)
        try:
            assert env.store.send_of("z9ud") is None and env.store.get("z9ud").pending
            assert any(p.startswith("🤖 #z9ud") and "interrupted" in p for p in fake.posts())
            await env.command("ok", reply_to=5010)
            await env.settle()
            assert fake.sent_to(ALICE) == ["sure, see you at 7"]
            assert env.store.get("k7q2").decision == "sent"
            await env.owner_writes(BOB, "see you at 1")
            await env.settle()
            assert env.store.get("d3f4").decision == "edited"
        finally:
            await env.close()

    asyncio.run(go())
