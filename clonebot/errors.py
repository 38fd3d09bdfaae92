"""Small, named errors. Library code raises these; only the CLI prints and exits."""


class CloneBotError(Exception):
    """Base class: the CLI turns any of these into one line on stderr and exit code 1."""


class ConfigError(CloneBotError):
    """The configuration file or an override is missing or invalid."""


class ExportError(CloneBotError):
    """A Telegram export cannot be read: unreadable, invalid JSON, wrong schema, no owner."""


class DatasetError(CloneBotError):
    """A prepared dataset is missing, empty or inconsistent."""


class ModelError(CloneBotError):
    """A base model or adapter cannot be loaded or used here."""


class AdapterError(ModelError):
    """Which adapter: a version is unknown, missing or broken, the promotion state is damaged,
    or there is nothing to roll back to."""


class FormatMismatchError(ModelError):
    """An adapter was trained with a different prompt format than this code renders."""


class OutputError(CloneBotError):
    """An output path cannot be created or written (under a regular file, on /proc, read-only)."""


class TelegramError(CloneBotError):
    """Login, session or Telegram API trouble the owner has to act on."""


class UnknownChatError(TelegramError):
    """A chat (an id or @username) Telegram will not resolve for this account: it has never
    met them, or the name is taken by nobody."""


class GenerationError(ModelError):
    """The model produced no usable reply (empty, or only the other side's lines) after retries."""


class AlreadyRunningError(CloneBotError):
    """Another clonebot process holds the data directory (its session file and store)."""


class StateStoreError(CloneBotError):
    """The bot's state store cannot be used: written by a newer clonebot, or damaged."""
