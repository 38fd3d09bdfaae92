"""Configuration: a TOML file, ``CLONEBOT_...`` environment overrides, and secrets.

Precedence (highest first): keyword arguments, environment (``CLONEBOT_BOT__DEFAULT_MODE``;
nested keys joined by ``__``), a git-ignored ``.env`` file, the TOML file (``--config FILE``,
else ``./config.toml`` if present), the defaults below. ``config.example.toml`` documents
every key; a test keeps the two in step.

Secrets (``telegram.api_id``, ``telegram.api_hash``, ``telegram.phone``) belong in the
environment or in ``.env`` (git-ignored), never in a committed file; the companion bot's
token (``bot.approval_bot_token``) is refused in the TOML file.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from clonebot.errors import ConfigError

DEFAULT_CONFIG = Path("config.toml")
Mode = Literal["draft", "approve", "auto"]


class _Section(BaseModel):
    model_config = {"extra": "forbid", "validate_assignment": True}


class Paths(_Section):
    model_config = {"extra": "forbid", "validate_assignment": True, "validate_default": True}

    data_dir: Path = Path("~/.local/share/clonebot")
    cache_dir: Path = Path("~/.cache/clonebot")
    runs_dir: Path = Path("runs")
    dataset_dir: Path = Path("data/dataset")

    @field_validator("data_dir", "cache_dir", "runs_dir", "dataset_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expandvars(str(v))).expanduser()


class ModelSettings(_Section):
    base_model: str = "mistralai/Mistral-7B-v0.1"
    revision: str | None = None
    # Allow running a 7B model on CPU anyway (hours per step); off so the owner gets a
    # clear refusal instead of silence.
    allow_large_on_cpu: bool = False
    # CPU threads for torch and llama.cpp; 0 = all cores, except llama.cpp writing a reply
    # token by token alone: the cores other processes leave idle (cpu.SpareCores). Idle
    # threads spin ~3 us, then sleep (see clonebot/model/cpu.py), so all cores stay a good
    # choice on a busy machine too; lower it to leave cores to other work.
    cpu_threads: int = Field(0, ge=0)
    # The base model as a GGUF file, for the llamacpp backend and `export gguf`'s Modelfile.
    # Empty: the test model's own file (smollm2-135m only); "f32" / "f16": that file
    # dequantized once into the cache dir (exactly the weights the torch test model has);
    # "q8_0": converted to Q8_0 once (prompts read faster; what `clonebot demo` uses).
    base_gguf: str = ""
    # llamacpp backend: fold the adapter into a copy of base_gguf, made once beside the
    # adapter's GGUF export (RUN_DIR/gguf/merged.*.gguf), so a token costs what the base's
    # costs instead of 40% more on the test model (a few percent on a 7B one). "auto": when the
    # base's matrices are 8-bit or finer (f32/f16/bf16/Q8_0: a delta drowns in a 4-bit grid)
    # and the base is under 2 GiB; "always": any size (an error on a 4-bit base); "never":
    # llama.cpp applies the adapter file at run time.
    gguf_merge: Literal["auto", "always", "never"] = "auto"


class DialogueSettings(_Section):
    """How a chat becomes a conversation, the same for training (prepare) and for the live
    bot's context: they must agree, so the keys live here and not in one of them."""

    # Silence that starts a new conversation: prepare's sessions, and what the bot reads back.
    session_gap_hours: float = Field(4.0, gt=0)


class PrepareSettings(_Section):
    owner_id: int | None = None
    owner_name: str | None = None
    # Turns of conversation the model sees before a reply. Training windows hold this many
    # before each reply; the bot, chat and eval give an adapter the number it was trained
    # with (its manifest), whatever this says when they run.
    context_turns: int = Field(4, ge=1, le=64)
    include_groups: bool = False
    include_chats: list[int | str] = []
    exclude_chats: list[int | str] = []
    eval_fraction: float = Field(0.1, ge=0, lt=1)
    # Worker processes that scrub and build samples while this one reads the export:
    # "auto" = one per usable core, at most 3 (none for exports under 8 MB or on one core);
    # 0 = everything in this process.
    workers: Annotated[int, Field(ge=0, le=256)] | Literal["auto"] = "auto"
    # The bot's approval store, which knows every message the clone sent: those are never
    # the owner's replies to learn (context only). "auto" = paths.data_dir/state.sqlite
    # if there is one; a path; "none" = do not look (the clone's messages count as yours).
    approval_store: Literal["auto", "none"] | Path = "auto"
    # An export read from a pipe (<(unzip -p ...), /dev/stdin) is copied beside the dataset
    # while it is parsed; a stream longer than this is refused (an endless one would fill
    # the disk).
    pipe_limit_gb: float = Field(16.0, gt=0, le=10_000, allow_inf_nan=False)


class PIISettings(_Section):
    # Scrub PII from what prepare writes and from the context the bot gives the model.
    scrub: bool = True
    denylist: list[str] = []
    names: bool = False
    # Coordinates typed to 4-5 decimals too, not only the 6-decimal pins map apps copy.
    all_coordinates: bool = False


class TrainSettings(_Section):
    # inf / nan pass every range check below; training on them runs forever or learns nothing.
    model_config = {"extra": "forbid", "validate_assignment": True, "allow_inf_nan": False}

    lora_r: int = Field(16, ge=1)
    lora_alpha: int = Field(32, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
    ]
    lora_top_layers: int = Field(0, ge=0)  # adapters on the top N decoder layers only; 0 = all
    learning_rate: float = Field(2e-4, gt=0)
    epochs: float = Field(2.0, gt=0, le=1000)
    max_steps: int = Field(-1, ge=-1, le=10**9)
    batch_size: int = Field(4, ge=1)
    grad_accum: int = Field(4, ge=1)
    max_seq_len: int = Field(512, ge=16)
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    eval_steps: int = Field(50, ge=1)
    save_steps: int = Field(100, ge=1)
    logging_steps: int = Field(10, ge=1)
    seed: int = Field(42, ge=0, le=2**32 - 1)  # numpy's seeds: 0 .. 2**32 - 1
    gradient_checkpointing: bool = True
    # CUDA-only; switched to adamw_torch on CPU.
    optim: str = "paged_adamw_8bit"
    # How the base model's weights are held while training: "4bit" = NF4 + double
    # quantization (QLoRA), "none" = plain LoRA on full-precision weights, "auto" = 4-bit on
    # CUDA, none on CPU. On a CPU, 4-bit buys a small model no memory that matters and its
    # dequantization dominates every step. The adapter records what it was trained on, and
    # inference loads its base the same way.
    quantize: Literal["auto", "4bit", "none"] = "auto"
    # Eval split is capped so eval passes stay short on big exports (a seeded sample over
    # every chat, not the first chats).
    max_eval_samples: int = Field(512, ge=1)

    @field_validator("max_steps")
    @classmethod
    def _steps(cls, v: int) -> int:
        if v == 0:
            raise ValueError("max_steps must be -1 (all epochs) or at least 1")
        return v


class GenerateSettings(_Section):
    # "local": torch + peft in process; "llamacpp": llama.cpp in process on the GGUF export
    # (pip install 'clonebot[llamacpp]'; model.base_gguf); "openai": an OpenAI-compatible server.
    backend: Literal["local", "llamacpp", "openai"] = "local"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "clone"
    max_new_tokens: int = Field(80, ge=1)
    # Sample from the adapter's own distribution: a temperature below 1 or a tight top-p/top-k
    # sharpens it toward the owner's most frequent habits (bench/bench_fidelity.py).
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    top_k: int = Field(0, ge=0)
    repetition_penalty: float = Field(1.15, ge=1)
    no_repeat_ngram_size: int = Field(4, ge=0)
    candidates: int = Field(1, ge=1)
    # Rounds of sampling before giving up with GenerationError (empty / marker-only replies).
    max_attempts: int = Field(3, ge=1)


_NUMERIC_ID = re.compile(r"-?[0-9]+")  # ASCII digits only: "²".isdigit() is True too
_BOT_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{8,}")
_USERNAME = re.compile(r"@[A-Za-z0-9_]{2,}")
_DAY_MINUTES = 24 * 60


def _chat_ref(v: int | str, error: str, also: tuple[str, ...] = ()) -> int | str:
    """A chat named in the config: a numeric id (as int) or an @username (lower case)."""
    if isinstance(v, str):
        v = v.strip()
        if _NUMERIC_ID.fullmatch(v):
            return int(v)
        if v not in also and not _USERNAME.fullmatch(v):
            raise ValueError(error)
        return v.lower()
    return v


class ChatRule(_Section):
    chat: int | str
    mode: Mode | None = None

    @field_validator("chat")
    @classmethod
    def _chat(cls, v: int | str) -> int | str:
        return _chat_ref(v, "chat must be a numeric id or an @username")


class _FiniteSection(_Section):
    # inf/nan would pass ge/gt checks and overflow later (time arithmetic, strftime)
    model_config = {"extra": "forbid", "validate_assignment": True, "allow_inf_nan": False}


class BotSettings(_FiniteSection):
    default_mode: Mode = "approve"
    chats: list[ChatRule] = []

    @field_validator("chats", mode="before")
    @classmethod
    def _plain_chats(cls, v: Any) -> Any:
        # `chats = ["@alice", 123]` is the natural first try: a bare chat is a rule with no mode.
        if isinstance(v, list):
            return [{"chat": c} if isinstance(c, (str, int)) and not isinstance(c, bool) else c
                    for c in v]
        return v
    control_chat: int | str = "me"
    # The companion bot that brings approval cards with buttons (a token from @BotFather).
    # A secret, like the session: environment or .env only, never the TOML file.
    approval_bot_token: SecretStr | None = None
    debounce_seconds: float = Field(5.0, ge=0, le=3600)
    approval_ttl_minutes: float = Field(720.0, gt=0, le=30 * _DAY_MINUTES)
    per_chat_per_hour: int = Field(20, ge=0)
    global_per_hour: int = Field(60, ge=0)
    auto_delay_min_seconds: float = Field(3.0, ge=0, le=3600)
    auto_delay_max_seconds: float = Field(15.0, ge=0, le=3600)
    typing_chars_per_second: float = Field(8.0, gt=0, le=1000)
    flood_pause_minutes: float = Field(30.0, ge=0, le=7 * _DAY_MINUTES)
    catch_up_minutes: float = Field(60.0, ge=0, le=7 * _DAY_MINUTES)

    @field_validator("approval_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr | None) -> SecretStr | None:
        # never echo the value: it is a login
        if v is not None and not v.get_secret_value().strip():
            return None
        if v is not None and not _BOT_TOKEN.fullmatch(v.get_secret_value().strip()):
            raise ValueError("not a bot token: @BotFather gives one like 123456789:AAE... "
                             "(digits, a colon, then letters)")
        return SecretStr(v.get_secret_value().strip()) if v is not None else None

    @field_validator("control_chat")
    @classmethod
    def _control_chat(cls, v: int | str) -> int | str:
        return _chat_ref(v, 'control_chat must be "me", a numeric chat id or an @username',
                         also=("me",))

    @model_validator(mode="after")
    def _delays(self) -> "BotSettings":
        if self.auto_delay_max_seconds < self.auto_delay_min_seconds:
            raise ValueError("auto_delay_max_seconds must be >= auto_delay_min_seconds")
        return self


class TelegramSettings(_FiniteSection):
    api_id: int | None = Field(None, ge=1)
    api_hash: SecretStr | None = None
    phone: SecretStr | None = None
    session_name: str = Field("clonebot", pattern=r"^[A-Za-z0-9_.-]+$")
    flood_sleep_threshold: int = Field(60, ge=0, le=24 * 3600)


class FetchSettings(_FiniteSection):
    """``clonebot fetch``: history straight from Telegram (which chats: ``[prepare]``)."""

    out: Path = Path("exports/telegram/result.json")
    takeout: bool = True
    takeout_interval_seconds: float = Field(0.3, ge=0, le=60)
    plain_interval_seconds: float = Field(1.0, ge=0, le=60)
    edit_window: int = Field(100, ge=0, le=100)
    max_flood_wait_seconds: float = Field(3600.0, ge=0, le=24 * 3600)

    @field_validator("out")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expandvars(str(v))).expanduser()


class RetrainSettings(_FiniteSection):
    """``clonebot retrain``: the clone-score gate (``training/retrain.py``)."""

    clone_score_samples: int = Field(100, ge=0, le=100_000)
    clone_score_tolerance: float = Field(0.0, ge=0, le=1)


class _PrefixedDotEnvSource(DotEnvSettingsSource):
    """``.env`` is shared with other tools: lines without the ``CLONEBOT_`` prefix are theirs
    (``DATABASE_URL=...``) and are ignored; a misspelt ``CLONEBOT_`` key is still an error."""

    def __call__(self) -> dict[str, Any]:
        prefix = (self.env_prefix or "").lower()
        fields = self.settings_cls.model_fields
        check_env_keys([k.upper() for k in self.env_vars], where=f"{self.env_file}:")
        return {k: v for k, v in super().__call__().items()
                if k in fields or k.lower().startswith(prefix)}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLONEBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
    )

    paths: Paths = Paths()
    model: ModelSettings = ModelSettings()
    dialogue: DialogueSettings = DialogueSettings()
    prepare: PrepareSettings = PrepareSettings()
    pii: PIISettings = PIISettings()
    train: TrainSettings = TrainSettings()
    generate: GenerateSettings = GenerateSettings()
    bot: BotSettings = BotSettings()
    telegram: TelegramSettings = TelegramSettings()
    fetch: FetchSettings = FetchSettings()
    retrain: RetrainSettings = RetrainSettings()

    _toml_file: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv = _PrefixedDotEnvSource(settings_cls)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)


# Keys that are gone, and what to do instead: a config that still sets one is told so.
_TRAINED_CONTEXT = ("delete it: the turns of context are prepare.context_turns, and the bot, "
                    "chat and eval give an adapter the number it was trained with (its manifest)")
REMOVED_KEYS = {
    "prepare.max_turns": "use prepare.context_turns = max_turns - 1 (the turns before the reply)",
    "generate.context_turns": _TRAINED_CONTEXT,
    "bot.history_turns": _TRAINED_CONTEXT,
    # Both also drive the live bot's context, so they left [prepare].
    "prepare.scrub_pii": "it is pii.scrub now (prepare and the bot's context alike)",
    "prepare.session_gap_hours": "it is dialogue.session_gap_hours now (prepare and the bot alike)",
}


def _known_keys(loc: tuple) -> list[str]:
    """The keys that exist where ``loc`` points: the sections, or one section's keys."""
    if len(loc) == 1:
        return list(Settings.model_fields)
    section = Settings.model_fields.get(str(loc[0]))
    if len(loc) == 2 and section is not None and hasattr(section.annotation, "model_fields"):
        return list(section.annotation.model_fields)
    return []


def unknown_key_message(loc: tuple) -> str:
    """``bot.default_mod: no such key (did you mean default_mode?)``."""
    where = ".".join(str(p) for p in loc)
    what = "section" if len(loc) == 1 else "key"
    known = _known_keys(loc)
    close = difflib.get_close_matches(str(loc[-1]).lower(), known, n=1, cutoff=0.6)
    if close:
        return f"{where}: no such {what} (did you mean {close[0]}?)"
    if known:
        return f"{where}: no such {what} (known: {', '.join(known)})"
    return f"{where}: no such {what}"


_CHAT_RULE_HINT = ('write chats = ["@alice", 123456789] or '
                   'chats = [{ chat = "@alice", mode = "draft" }]')


def _describe(err: ValidationError) -> str:
    for e in err.errors():
        where = ".".join(str(p) for p in e.get("loc", ()))
        if e.get("type") == "extra_forbidden" and where in REMOVED_KEYS:
            return f"{where} was removed: {REMOVED_KEYS[where]}"
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    if first.get("type") == "extra_forbidden":
        return unknown_key_message(loc) + more
    where = ".".join(str(p) for p in loc) or "config"
    msg = first.get("msg")
    if loc[:2] == ("bot", "chats") and first.get("type") in ("model_type", "model_attributes_type"):
        msg = f"each chat is an id, an @username or a table: {_CHAT_RULE_HINT}"
    return f"{where}: {msg}{more}"


def check_env_keys(names: Iterable[str], where: str = "environment variable") -> None:
    """A variable meant as a setting but misspelt is an error, in the environment as in
    ``.env``: ``CLONEBOT_BOT__DEFAULT_MOD`` would otherwise be silently ignored."""
    prefix = Settings.model_config["env_prefix"]
    delim = Settings.model_config["env_nested_delimiter"]
    for name in names:
        if not name.upper().startswith(prefix):
            continue
        parts = tuple(p.lower() for p in name[len(prefix):].split(delim))
        if delim not in name[len(prefix):]:
            # A whole section as JSON is pydantic's to check; other prefixed names may be
            # another tool's, unless they name a key without its section.
            owners = [sec for sec, f in Settings.model_fields.items()
                      if parts[0] in getattr(f.annotation, "model_fields", {})]
            if owners:
                raise ConfigError(f"{where} {name}: a setting needs its section "
                                  f"(did you mean {prefix}{owners[0].upper()}{delim}"
                                  f"{parts[0].upper()}?)")
            continue
        if parts[0] not in Settings.model_fields:
            raise ConfigError(f"{where} {name}: {unknown_key_message(parts[:1])}")
        if parts[1] not in _known_keys(parts[:1] + ("",)):
            gone = REMOVED_KEYS.get(".".join(parts[:2]))
            raise ConfigError(f"{where} {name}: " + (f"{'.'.join(parts[:2])} was removed: {gone}"
                                                     if gone else unknown_key_message(parts[:2])))


# Secrets that would be a login in the wrong hands: never in the TOML file, which people
# copy, share and commit.
TOML_REFUSED = {("bot", "approval_bot_token"): "CLONEBOT_BOT__APPROVAL_BOT_TOKEN"}


def _refuse_secrets_in(toml: Path) -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli, as pydantic-settings reads TOML there
        import tomli as tomllib
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return  # the TOML source reports it
    for (section, key), env in TOML_REFUSED.items():
        if isinstance(data.get(section), dict) and key in data[section]:
            raise ConfigError(f"{section}.{key} is a secret (a login to your bot): remove it "
                              f"from {toml} and set {env} in the environment or .env")


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read settings; ``path=None`` uses ``./config.toml`` when it exists."""
    toml: Path | None
    if path is not None:
        toml = Path(path).expanduser()
        if not toml.is_file():
            raise ConfigError(f"config file not found: {toml}")
    else:
        toml = DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None

    check_env_keys(os.environ)
    if toml is not None:
        _refuse_secrets_in(toml)
    cls = type("LoadedSettings", (Settings,), {"_toml_file": toml})
    try:
        return cls(**overrides)
    except ValidationError as e:
        src = f" in {toml}" if toml else ""
        raise ConfigError(f"invalid configuration{src}: {_describe(e)}") from None
    except (OSError, ValueError) as e:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"cannot read config {toml}: {e}") from None
