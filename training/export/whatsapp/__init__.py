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

Why our own parser: whatstk 0.9.1 and chat-miner 0.6.0 (PyPI) were run on this project's
fixtures (tests/fixtures/whatsapp/: 11 chats, 103 text messages; counted right = the same
minute and the same text; 2026-12-06):

=============  ======================  ==================  ============================
parser         chats read              text messages right  WhatsApp's own lines as text
=============  ======================  ==================  ============================
whatstk        11 of 11                71 of 103            41 of 125 rows
chat-miner     10 of 11 (ja: crash)    67 of 103            41 of 133 rows
this package   11 of 11                103 of 103 (tested)  0
=============  ======================  ==================  ============================

whatstk read nothing right of the Spanish "p. m." chats and the Japanese one, 3 of 10 of the
Russian 12-hour one (``%p`` is AM/PM only), and Lucía's D/M dates as M/D; chat-miner read
0 of 20 of the US-English chat (``9:41``, U+202F, ``PM``) and 6 of 10 of the Russian
12-hour one.
Both keep placeholders, deletions, system lines and the edited mark as messages, neither
derives ids that survive a newer export, and they pull in pandas/plotly or polars/dateutil.
Beyond the fixtures, this package read 473 of the 476 real exports in a public test corpus
(starkdmi/whats_json; measured, not shipped): the 3 it refuses are 2013-era files that wrote
month names; 50 lines among ~640k were unreadable (pages pasted from PDFs).
"""

from training.export.whatsapp.bodies import DELETED, UNREADABLE
from training.export.whatsapp.chat import GROUP, PERSONAL, ChatFile, WhatsAppChat
from training.export.whatsapp.identity import ID_BASE
from training.export.whatsapp.reader import WhatsAppReader

__all__ = ["DELETED", "GROUP", "ID_BASE", "PERSONAL", "UNREADABLE", "ChatFile", "WhatsAppChat",
           "WhatsAppReader"]
