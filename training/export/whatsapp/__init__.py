"""WhatsApp chat exports (``.txt``, or a ``.zip`` with ``_chat.txt`` and media) read as the
same ``Message`` records as a Telegram export, so everything after the reader (turns,
sessions, windows, PII scrubbing, merges) is the Telegram path unchanged.

One job per module:

- ``lines``: a file's bytes -> entries (a header line and the lines that continue it);
- ``stamps``: a header's timestamp; the date order and 12-hour markers decided per file;
- ``bodies``: what a body is (the sender's words, media, deleted, a system line, edited);
- ``identity``: names, chat ids, message ids derived from what survives a newer export;
- ``chat``: one chat file: the scan, then its messages;
- ``reader``: every chat of one prepare, the owner found by ``--owner-name``, checks.

What can and cannot be told about two people with one display name:

- one file writes two spellings that compare equal ("Alex" and "alex", a number written
  two ways): an error naming both;
- in a personal chat, the other person has the owner's name (the file is named after them,
  and every line is the owner's): an error;
- two files that become one chat (same contact name) and overlap in time but share no
  message: two people saved under one name; an error naming both files;
- two group members saved under one name, or a member with the owner's name, write
  identical lines: nothing in the export tells them apart. A contact renamed between two
  exports becomes a second person (and, for a personal chat, a second chat).

Why our own parser: whatstk 0.9.1 and chat-miner 0.6.0 (PyPI) were measured on this
project's fixtures (tests/fixtures/whatsapp/, every variant the tests cover):
MEASUREMENT_PLACEHOLDER
Both parse one header format per file with fixed marker words (``%p`` = AM/PM), keep
WhatsApp's own lines as messages (system lines, "<Media omitted>", the edited mark) and
pull in pandas/plotly or dateutil; neither derives stable ids. Reading the format is a
few hundred lines here, with every variant tested.
"""

from training.export.whatsapp.bodies import DELETED, UNREADABLE
from training.export.whatsapp.chat import GROUP, PERSONAL, ChatFile, WhatsAppChat
from training.export.whatsapp.identity import ID_BASE
from training.export.whatsapp.reader import WhatsAppReader

__all__ = ["DELETED", "GROUP", "ID_BASE", "PERSONAL", "UNREADABLE", "ChatFile", "WhatsAppChat",
           "WhatsAppReader"]
