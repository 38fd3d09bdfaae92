"""Config: the example documents every key, env overrides TOML, bad config is one clear error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clonebot.config import Settings, load_settings
from clonebot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def _sections(text: str) -> dict[str, str]:
    """Section name -> its raw text, comments included."""
    parts = re.split(r"(?m)^\[(\w+)\]\s*$", text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_example_documents_every_key_and_only_real_keys():
    text = EXAMPLE.read_text()
    raw = _sections(text)
    assert set(raw) == set(Settings.model_fields), "one [section] per settings section"
    for name, field in Settings.model_fields.items():
        section_model = field.annotation
        for key in section_model.model_fields:
            assert re.search(rf"(?m)^#?\s*{key}\s*=", raw[name]), f"[{name}] {key} undocumented"
    # Loading the example itself must work and give the defaults back.
    loaded = load_settings(EXAMPLE)
    assert loaded.model_dump() == Settings().model_dump()


def test_env_overrides_toml(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[bot]\ndefault_mode = "auto"\n[train]\nlora_r = 8\n')
    assert load_settings(cfg).bot.default_mode == "auto"
    monkeypatch.setenv("CLONEBOT_BOT__DEFAULT_MODE", "draft")
    s = load_settings(cfg)
    assert s.bot.default_mode == "draft"
    assert s.train.lora_r == 8


def test_safe_defaults():
    s = Settings()
    assert s.bot.default_mode in ("draft", "approve")
    assert s.bot.chats == []
    assert s.model.base_model == "mistralai/Mistral-7B-v0.1"


@pytest.mark.parametrize(
    "body, needle",
    [
        ('[bot]\ndefault_mode = "yolo"\n', "bot.default_mode"),
        ("[bot\n", "cannot read config"),
        ("[nosuch]\nx = 1\n", "nosuch"),
        ('[bot]\nchats = [{ chat = "alice" }]\n', "username"),
        # the three context keys are one now (prepare.context_turns): an old config says so
        ("[prepare]\nmax_turns = 5\n",
         "prepare.max_turns was removed: use prepare.context_turns = max_turns - 1"),
        ("[generate]\ncontext_turns = 5\n",
         "generate.context_turns was removed: delete it: the turns of context are prepare.context_turns, and the "
         "bot, chat and eval give an adapter the number it was trained with (its manifest)"),
        ("[bot]\nhistory_turns = 5\n",
         "bot.history_turns was removed: delete it: the turns of context are prepare.context_turns, and the "
         "bot, chat and eval give an adapter the number it was trained with (its manifest)"),
    ],
)
def test_bad_config_is_one_named_error(tmp_path, body, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    msg = str(e.value)
    assert needle in msg and "\n" not in msg


def test_context_turns_is_the_one_context_key():
    assert load_settings(prepare={"context_turns": 2}).prepare.context_turns == 2


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_are_not_shown(monkeypatch):
    monkeypatch.setenv("CLONEBOT_TELEGRAM__API_HASH", "deadbeefdeadbeef")
    monkeypatch.setenv("CLONEBOT_TELEGRAM__PHONE", "+79123456789")
    s = load_settings()
    assert s.telegram.api_hash.get_secret_value() == "deadbeefdeadbeef"
    assert "deadbeef" not in repr(s) and "9123456789" not in str(s.model_dump())


def test_chat_rules_normalised():
    s = Settings(bot={"chats": [{"chat": "@Alice"}, {"chat": "12345", "mode": "draft"}]})
    assert [c.chat for c in s.bot.chats] == ["@alice", 12345]


@pytest.mark.parametrize("key, value", [
    ("approval_ttl_minutes", "inf"), ("flood_pause_minutes", "inf"),
    ("debounce_seconds", "nan"), ("catch_up_minutes", "inf"),
    ("approval_ttl_minutes", "1e300"), ("typing_chars_per_second", "nan"),
])
def test_bot_times_must_be_finite_and_sane(tmp_path, key, value):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[bot]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=f"bot.{key}"):
        load_settings(cfg)


def test_dotenv_lines_of_other_tools_are_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "DATABASE_URL=postgres://x\nSECRET_KEY=abc\nCLONEBOT_BOT__DEFAULT_MODE=draft\n"
        "CLONEBOT_TELEGRAM__API_ID=12345\n")
    s = load_settings()
    assert (s.bot.default_mode, s.telegram.api_id) == ("draft", 12345)
    (tmp_path / ".env").write_text("CLONEBOT_BOTT__DEFAULT_MODE=draft\n")  # ours, misspelt
    with pytest.raises(ConfigError, match="CLONEBOT_BOTT__DEFAULT_MODE: bott: no such section"):
        load_settings()


@pytest.mark.parametrize("chat", ["²", "@", "alice", "@al ice"])
def test_chat_names_that_are_not_ids_or_usernames_are_refused(chat):
    with pytest.raises(ValueError, match="numeric id or an @username"):
        Settings(bot={"chats": [{"chat": chat}]})


def test_control_chat_forms():
    assert Settings(bot={"control_chat": "me"}).bot.control_chat == "me"
    assert Settings(bot={"control_chat": "-100123"}).bot.control_chat == -100123
    assert Settings(bot={"control_chat": "@My_Notes"}).bot.control_chat == "@my_notes"
    with pytest.raises(ValueError, match="control_chat"):
        Settings(bot={"control_chat": "Saved Messages"})


@pytest.mark.parametrize("body, needle", [
    ('[bot]\ndefault_mod = "draft"\n', "bot.default_mod: no such key (did you mean default_mode?)"),
    ("[bott]\nx = 1\n", "bott: no such section (did you mean bot?)"),
    ("[train]\nzzz = 1\n", "train.zzz: no such key (known: lora_r,"),
    ("[bot]\nchats = [[1]]\n", 'write chats = ["@alice", 123456789]'),
])
def test_unknown_keys_say_what_was_meant(tmp_path, body, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert needle in str(e.value) and "Extra inputs" not in str(e.value)


def test_plain_chat_list_is_accepted(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[bot]\nchats = ["@Alice", 123, { chat = "@bob", mode = "draft" }]\n')
    rules = load_settings(cfg).bot.chats
    assert [(r.chat, r.mode) for r in rules] == [("@alice", None), (123, None), ("@bob", "draft")]


@pytest.mark.parametrize("name, needle", [
    ("CLONEBOT_BOT__DEFAULT_MOD", "bot.default_mod: no such key (did you mean default_mode?)"),
    ("CLONEBOT_BOTT__DEFAULT_MODE", "bott: no such section (did you mean bot?)"),
    ("CLONEBOT_DEFAULT_MODE", "did you mean CLONEBOT_BOT__DEFAULT_MODE?"),
])
def test_misspelt_environment_settings_are_errors_as_in_dotenv(tmp_path, monkeypatch, name, needle):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, "draft")
    with pytest.raises(ConfigError, match=re.escape(needle)):
        load_settings()
    # The same line in .env says the same.
    monkeypatch.delenv(name)
    (tmp_path / ".env").write_text(f"{name}=draft\n")
    if "__" in name:
        with pytest.raises(ConfigError, match=re.escape(needle)):
            load_settings()


def test_prefixed_variables_that_are_not_settings_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLONEBOT_OPENAI_API_KEY", "k")
    monkeypatch.setenv("CLONEBOT_LIVE_ACCOUNTS", "x.json")
    assert load_settings().bot.default_mode == "approve"


@pytest.mark.parametrize("body, env, says", [
    ("[prepare]\nscrub_pii = false\n", None, "prepare.scrub_pii was removed: it is pii.scrub now"),
    ("[prepare]\nsession_gap_hours = 2\n", None,
     "prepare.session_gap_hours was removed: it is dialogue.session_gap_hours now"),
    ("", "CLONEBOT_PREPARE__SCRUB_PII", "prepare.scrub_pii was removed: it is pii.scrub now"),
])
def test_keys_that_drive_the_bot_too_left_prepare_and_an_old_config_says_where(
        tmp_path, monkeypatch, body, env, says):
    """scrub_pii and session_gap_hours sat in [prepare] while the live bot read them for its
    context: they are pii.scrub and dialogue.session_gap_hours now."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    if env:
        monkeypatch.setenv(env, "false")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert says in str(e.value)


def test_prepare_and_the_bot_read_the_same_dialogue_and_pii_keys(tmp_path):
    from training.dataset.pipeline import Pipeline

    cfg = tmp_path / "c.toml"
    cfg.write_text("[dialogue]\nsession_gap_hours = 2.5\n[pii]\nscrub = false\n")
    s = load_settings(cfg)
    work = Pipeline(s, 0).work
    assert work.gap_seconds == 2.5 * 3600 and work.scrub_pii is False
