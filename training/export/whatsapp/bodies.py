"""What a WhatsApp message body is: the sender's words, or something WhatsApp wrote.

WhatsApp writes its own text into the sender's line, localized: media left out
(``<Media omitted>``, ``<Без медиафайлов>``, iOS ``image omitted``), attachments
(``IMG-20240101-WA0001.jpg (file attached)``, iOS ``<attached: 00000012-PHOTO-….jpg>``),
view-once media (``null``), deleted messages (``This message was deleted``, ``You deleted
this message``), locations, polls, missed calls, and the edited mark (``… <This message was
edited>``). None of that is the owner's voice. Two kinds of evidence, strongest first:

- **shapes**, which hold in every language: iOS starts whatever it writes with a U+200E
  (or U+200F) mark, Android writes a placeholder as one ``<…>`` line and an attachment as
  ``file.ext (…)``; media file names have a fixed pattern;
- **tables** of the words, for what has no shape (Android's deleted and missed-call lines,
  its edited mark): English, Russian, German, Spanish, French, Portuguese, Italian, Dutch,
  Turkish, Indonesian, Ukrainian, Polish, Czech. A locale missing here lets such a line
  through as text: one short line a chat, not a habit.

A caption sent with media stands on the lines after the placeholder, where an Android
export without media also writes a document's file name: the two cannot be told apart, so
media messages never become text (the caption is lost, a file name is never learned).
"""

from __future__ import annotations

import re

# Message kinds of a WhatsApp line (TEXT... are the Telegram reader's names).
from training.export.messages import EMPTY, MEDIA, SERVICE, TEXT

DELETED = "deleted"
UNREADABLE = "unreadable_line"

# Bidi marks and the BOM: invisible, never the sender's (ZWJ/ZWNJ stay: emoji, Persian).
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff"
_BIDI_RE = re.compile(f"[{BIDI}]")
_GENERATED = ("\u200e", "\u200f")  # iOS opens what it writes with one of these


def _norm(s: str) -> str:
    return " ".join(_BIDI_RE.sub("", s).replace("\u00a0", " ").split()).casefold().rstrip(".")


DELETED_TEXTS = frozenset(_norm(s) for s in (
    "This message was deleted", "You deleted this message", "This message was deleted by admin",
    "Данное сообщение удалено", "Вы удалили данное сообщение", "Это сообщение удалено",
    "Вы удалили это сообщение",
    "Diese Nachricht wurde gelöscht", "Du hast diese Nachricht gelöscht",
    "Se eliminó este mensaje", "Eliminaste este mensaje", "Este mensaje fue eliminado",
    "Ce message a été supprimé", "Vous avez supprimé ce message",
    "Esta mensagem foi apagada", "Você apagou esta mensagem", "Mensagem apagada",
    "Apagou esta mensagem",
    "Questo messaggio è stato eliminato", "Hai eliminato questo messaggio",
    "Dit bericht is verwijderd", "Je hebt dit bericht verwijderd",
    "Bu mesaj silindi", "Bu mesajı sildiniz",
    "Pesan ini telah dihapus", "Anda menghapus pesan ini",
    "Це повідомлення видалено", "Ви видалили це повідомлення",
    "Ta wiadomość została usunięta", "Usunięto tę wiadomość",
    "Tato zpráva byla smazána", "Tuto zprávu jste smazali",
))
_SERVICE_TEXTS = frozenset(_norm(s) for s in (
    "Missed voice call", "Missed video call", "Missed group voice call",
    "Missed group video call", "Waiting for this message. This may take a while",
    "Live location shared", "Трансляция геоданных", "Live-Standort geteilt",
    "Ubicación en tiempo real compartida",
    "Пропущенный аудиозвонок", "Пропущенный видеозвонок", "Пропущенный групповой аудиозвонок",
    "Пропущенный групповой видеозвонок",
    "Ожидание этого сообщения. Это может занять некоторое время",
    "Verpasster Sprachanruf", "Verpasster Videoanruf", "Verpasster Gruppensprachanruf",
    "Verpasster Gruppenvideoanruf", "Warten auf diese Nachricht. Dies kann etwas dauern",
    "Llamada de voz perdida", "Videollamada perdida", "Llamada grupal de voz perdida",
    "Videollamada grupal perdida", "Esperando este mensaje. Esto puede tomar un tiempo",
    "Appel vocal manqué", "Appel vidéo manqué",
    "Chamada de voz perdida", "Chamada de vídeo perdida",
    "Chiamata vocale persa", "Videochiamata persa",
    "Gemiste spraakoproep", "Gemiste video-oproep",
    "Cevapsız sesli arama", "Cevapsız görüntülü arama",
    "Panggilan suara tak terjawab", "Panggilan video tak terjawab",
))
# Android's placeholder line: "<Media omitted>", "<Без медиафайлов>", "<Medien ausgeschlossen>".
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,80}>")
# "IMG-20240101-WA0001.jpg (file attached)", "Alex.vcf (Datei angehängt)".
_ATTACHED = re.compile(r"\S.{0,200}\.[0-9A-Za-z]{1,5} \([^()\n]{2,40}\)")
_MEDIA_FILE = re.compile(
    r"(?:IMG|VID|PTT|AUD|STK|DOC|PHOTO|VIDEO|AUDIO|STICKER|GIF)-\d{8}-WA\d+\b|"
    r"\d{8}-(?:PHOTO|VIDEO|AUDIO|STICKER|GIF|DOCUMENT)-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.\w+")
_LOCATION = re.compile(r"[^\s:]{2,30}: https?://maps\.(?:google|apple)\.com/\S*")
# The first line of an Android poll: "POLL:", "ОПРОС:", "UMFRAGE:", "ENCUESTA:".
_POLL = re.compile(r"(?:POLL|ОПРОС|UMFRAGE|ENCUESTA|SONDAGE|ENQUETE|SONDAGGIO|PEILING|ANKET)\s?:")
# The edited mark at the end of a message, in any language the stems cover, or any "<…>"
# without a colon right after iOS's U+200E ("<attached: x.jpg>" has one).
_EDITED = re.compile(
    r"\s*(?:[\u200e\u200f]\s*<[^<>:\n]{3,80}>|<[^<>\n]*(?:edit|изменен|змінен|bearbeit|modific|"
    r"modifi|düzenlen|upraven|edytow|bewerk|redig|muokat|diedit|editad|редакт)[^<>\n]*>)\s*$",
    re.I)
# Group events (creating, adding, leaving, renaming), for telling a group from a personal chat.
GROUP_EVENT = re.compile(
    r"created group|\badded\b|\bremoved\b|\bleft\b|joined using|changed the subject|"
    r"changed this group|changed the group|создал\S* группу|добавил|исключил|вышел|вышла|"
    r"изменил\S* тему|название группы|hat die Gruppe|hinzugefügt|entfernt|ist ausgetreten|"
    r"creó el grupo|añadió|salió del grupo|eliminó a|cambió el asunto|nombre del grupo|"
    r"a créé le groupe|a ajouté|est parti|criou o grupo|adicionou|removeu|saiu do grupo|"
    r"ha creato il gruppo|ha aggiunto|è uscito", re.I)


# iOS's "… omitted" in the languages of the tables above (for the counts only: a generated
# line is never text either way).
_OMITTED = re.compile(r"omit|weggelassen|ausgelassen|absente|omess|отсутству|відсутн|vynechán|"
                      r"não revelad|disertakan|weggelaten|atlanmış|pominięt", re.I)


def strip_bidi(s: str) -> str:
    return _BIDI_RE.sub("", s) if not s.isascii() else s


def is_generated(body: str) -> bool:
    """iOS marks what WhatsApp wrote into a line with a leading U+200E / U+200F."""
    return body.lstrip(" ").startswith(_GENERATED)


def classify(first: str, more: list[str] | None, ios: bool) -> tuple[str, str, bool]:
    """(kind, text, edited) of a body: its first line and the lines after it; ``ios``: the
    file writes iOS headers (``[date, time]``)."""
    if not more and not strip_bidi(first).strip():
        return EMPTY, "", False
    if is_generated(first):
        core = _norm(first)
        if core in DELETED_TEXTS:
            return DELETED, "", False
        return (MEDIA if "<" in first or _OMITTED.search(core) or _MEDIA_FILE.search(first)
                else SERVICE), "", False
    line = first.strip()
    if not more and line == "null":  # Android's view-once media
        return MEDIA, "", False
    core = _norm(line)
    if core in DELETED_TEXTS:
        return DELETED, "", False
    if core in _SERVICE_TEXTS:
        return SERVICE, "", False
    bare = strip_bidi(line)
    if (_PLACEHOLDER.fullmatch(bare) or _ATTACHED.fullmatch(bare) or _MEDIA_FILE.search(bare)
            or _LOCATION.match(bare) or _POLL.fullmatch(bare)):
        return MEDIA, "", False
    text = first if not more else "\n".join([first, *more])
    edited = False
    m = _EDITED.search(text)
    if m is not None:
        text, edited = text[:m.start()], True
    elif ios and ("\u200e" in text or "\u200f" in text):
        # A file name, then what WhatsApp wrote: "notes.txt \u200edocument omitted",
        # "cv.pdf \u2022 \u200e2 pages \u200e<attached: …>" (localized).
        return MEDIA, "", False
    text = strip_bidi(text).strip()
    if not text:
        return EMPTY, "", edited
    return TEXT, text, edited
