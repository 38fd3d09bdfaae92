"""Stream a Telegram Desktop JSON export (``result.json``) as typed message records.

Both layouts are read in one pass at the *message* level, so memory does not grow with the
export (one chat alone can hold a million messages):

- full account export: ``personal_information.user_id`` is the owner, chats under
  ``chats.list`` (and ``left_chats.list``);
- single-chat export: the file is the chat (``name``, ``type``, ``id``, ``messages``); the
  owner must be given (``--owner-id`` / ``prepare.owner_id``).

- ``reader``: ``ExportReader`` walks the file (chats, then each chat's messages);
- ``messages``: one raw message dict -> a ``Message`` (types and ranges checked);
- ``guard``: the bytes the parser sees (nesting depth, huge numbers, lone surrogates).

Bad input never raises anything but ``ExportError`` (one line): a message that cannot be
read is a MALFORMED record, a file that cannot be read is refused.
"""

from training.export.messages import (
    EMPTY,
    MALFORMED,
    MEDIA,
    SERVICE,
    TEXT,
    UNSUPPORTED,
    Message,
    flatten_text,
    peer_id,
    to_message,
)
from training.export.reader import Chat, ExportReader, check_regular_file, export_mode

__all__ = [
    "EMPTY", "MALFORMED", "MEDIA", "SERVICE", "TEXT", "UNSUPPORTED", "Chat", "ExportReader",
    "Message", "check_regular_file", "export_mode", "flatten_text", "peer_id", "to_message",
]
