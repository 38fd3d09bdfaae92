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
    ],
)
def test_bad_config_is_one_named_error(tmp_path, body, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    msg = str(e.value)
    assert needle in msg and "\n" not in msg


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
