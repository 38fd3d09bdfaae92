"""Who and which chat: WhatsApp has no user ids and no chat ids, so both are derived, and
message ids too, from what stays the same between two exports of one chat.

- **People** are their display names as the exporting phone shows them: a saved contact's
  name, else the phone number. ``name_key`` compares them as a person would (case, bidi
  marks, spacing and, for numbers, the formatting ignored); a person's id is a hash of it.
- **A personal chat** is the other person: its id is a hash of their name key, so a file
  renamed by hand or exported from a phone in another language is still the same chat. A
  **group** is its name, from the file name WhatsApp gave the export (``WhatsApp Chat with
  Family.txt``, ``WhatsApp Chat - Family.zip``, ``Чат WhatsApp с группой Family.txt``), or
  the file's own name when it has no such prefix.
- **A message** is its minute and its place among the lines with a sender in that minute
  (Android's system lines, which have none, left out: WhatsApp re-dates them). Both survive
  a later export that holds more messages, an edit (same place, new text) and a deletion
  for everyone (the line stays, as "This message was deleted"), across 12/24-hour and
  language changes (a place never depends on what a line says), and from an Android export
  to an iPhone one (minutes: Android writes no seconds).

What this cannot see, and what then happens (also in the README): a contact renamed on the
phone between two exports (the chat and that person get new ids: the old and the new
messages are kept side by side, and the two exports are not de-duplicated); a message
deleted "for me" or, in a chat over WhatsApp's 40,000-message export limit, the first
minute of the export cut in two (the rest of that minute's messages change places and are
stored twice); a phone set to another time zone between exports (every time moves).

Every derived id is at least 2**62: Telegram's user and chat ids stay below 2**53, so a
WhatsApp chat never collides with a Telegram one and the id alone says where a message
came from (``training.dataset.sources``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from training.export.whatsapp.bodies import strip_bidi

ID_BASE = 1 << 62
MINUTE_SLOTS = 1 << 16  # messages one minute can hold in the id

_PHONE = re.compile(r"\+?[\d\s().\-\u2011]{7,}")
_DUP_SUFFIX = re.compile(r"\s*\(\d{1,3}\)$")
# Localized prefixes WhatsApp gives an export's file name, before the chat's name.
_PREFIXES = re.compile(
    r"^(?:WhatsApp Chat (?:with|mit|met|con|s uživatelem|z|med|ile)|WhatsApp[- ]chat (?:met|med)|"
    r"Chat (?:de |do )?WhatsApp (?:con|com|avec|s uživatelem|s)|Discussion WhatsApp avec|"
    r"Conversa (?:do|de) WhatsApp com|Czat WhatsApp z|Чат WhatsApp с(?: контактом| группой)?|"
    r"Чат WhatsApp з(?: контактом| групою)?|WhatsApp Chat -|WhatsApp Chat|WhatsApp)\s*[-–:]?\s*",
    re.I)
_SUFFIXES = re.compile(r"\s+ile WhatsApp Sohbeti$|\s+WhatsApp\S* (?:chat|sohbeti)$", re.I)


def display_name(raw: str) -> str:
    """A sender as shown: bidi marks gone, Unicode compatibility forms folded, spaces single."""
    return " ".join(unicodedata.normalize("NFKC", strip_bidi(raw)).split())


def name_key(raw: str) -> str:
    """The key two spellings of one person share: case-blind; a phone number by its digits."""
    shown = display_name(raw)
    if _PHONE.fullmatch(shown) and sum(c.isdigit() for c in shown) >= 7:
        return "+" + "".join(c for c in shown if c.isdigit())
    return shown.casefold()


def _hash_id(kind: str, key: str) -> int:
    h = hashlib.blake2b(f"whatsapp\x00{kind}\x00{key}".encode(), digest_size=8).digest()
    return ID_BASE | (int.from_bytes(h, "big") & (ID_BASE - 1))


def person_id(key: str) -> int:
    return _hash_id("person", key)


def chat_id(personal: bool, key: str) -> int:
    return _hash_id("personal" if personal else "group", key)


def message_id(seconds: int, slot: int) -> int:
    """Minute of the message, then its place among that minute's messages: ids sort in time
    order, and two exports of the chat give a message the same one."""
    return (seconds // 60) * MINUTE_SLOTS + slot


def chat_name_from_file(stem: str) -> tuple[str, bool]:
    """(the chat's name, whether the name had WhatsApp's prefix) from an export's file name
    without extension ("WhatsApp Chat with Alice (2)" -> ("Alice", True))."""
    s = _DUP_SUFFIX.sub("", display_name(stem))
    m = _PREFIXES.match(s)
    if m is not None and m.end() < len(s):
        return s[m.end():].strip(), True
    m = _SUFFIXES.search(s)
    if m is not None and m.start() > 0:
        return s[:m.start()].strip(), True
    return s, False


def _letters(s: str) -> str:
    return "".join(c for c in s.casefold() if c.isalnum())


def same_name(file_name: str, key: str) -> bool:
    """Does a chat's name (from its file name) name this person? File names lose what a file
    system does not allow and gain what a person adds ("Alice (old)"), so only letters and
    digits are compared, one holding the other."""
    if key.startswith("+"):
        return key[1:] in "".join(c for c in file_name if c.isdigit())
    a, b = _letters(file_name), _letters(key)
    return bool(a and b) and (a in b or b in a)
