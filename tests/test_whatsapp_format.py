"""WhatsApp's text format as phones write it (training/export/whatsapp/: lines, stamps,
bodies, identity): headers of every locale shape, the date order and 12-hour markers decided
over a whole file, marks and line ends, multi-line messages, WhatsApp's own lines."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from training.export.messages import EMPTY, MEDIA, SERVICE, TEXT
from training.export.whatsapp import identity
from training.export.whatsapp.bodies import DELETED, classify
from training.export.whatsapp.lines import decoded_lines, entries, split_header, split_sender
from training.export.whatsapp.stamps import StampStats, parse_stamp

LRM, NNBSP, NBSP = "\u200e", "\u202f", "\u00a0"


def clock_of(stamps: list[str]):
    stats = StampStats()
    parsed = [parse_stamp(s) for s in stamps]
    assert all(parsed), stamps
    for st in parsed:
        stats.add(st)
    return stats.decide(), parsed


def when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


# -- headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("line,ios,sender,body", [
    ("24/12/2023, 21:41 - Alice: hi", False, "Alice", "hi"),  # Android, en-GB
    (f"12/24/23, 9:41{NNBSP}PM - Alice: hi", False, "Alice", "hi"),  # Android 14, en-US
    ("[24/12/2023, 21:41:05] Alice: hi", True, "Alice", "hi"),  # iOS
    (f"{LRM}[24/12/2023, 21:41:05] Alice: {LRM}image omitted", True, "Alice",
     f"{LRM}image omitted"),
    ("24.12.23, 21:41 - Алиса: привет", False, "Алиса", "привет"),  # ru / de
    ("24.12.23 21:41 - Alice: hi", False, "Alice", "hi"),  # cs: no comma
    ("24-12-2023 21:41 - Alice: hi", False, "Alice", "hi"),  # nl
    ("[12/24/23 21.41.05] Alice: hi", True, "Alice", "hi"),  # id: dots in the time
    ("[21:41:05, 12/24/23] Alice: hi", True, "Alice", "hi"),  # vi: time first
    ("2023/12/24 午後9:41 - アリス: こんにちは", False, "アリス", "こんにちは"),  # ja
    ("2023. 12. 24. 오후 9:41 - 앨리스: 안녕", False, "앨리스", "안녕"),  # ko
    ("24/12/2023 à 21:41 - Alice: salut", False, "Alice", "salut"),  # a word between
    ("[12/24/2566 BE, 21:41:05] Alice: hi", True, "Alice", "hi"),  # Buddhist calendar
    ("[12/24/R5, 21:41:05] Alice: hi", True, "Alice", "hi"),  # Japanese era
    ("[\u0662\u0664\u200f/\u0661\u0662\u200f/\u0662\u0660\u0662\u0663\u060c "
     "\u0669:\u0664\u0661:\u0660\u0665 \u0645] Alice: hi", True, "Alice", "hi"),  # ar digits
    ("12/24/17, 9:41:05 PM: Alice: hi", True, "Alice", "hi"),  # iOS before ~2017
    ("24/12/2023, 21:41 - Alice created group \"Trip: day 1\"", False, None,
     "Alice created group \"Trip: day 1\""),  # a system line with a colon in it
    ("24/12/2023, 21:41 - Messages and calls are end-to-end encrypted.", False, None,
     "Messages and calls are end-to-end encrypted."),
    ("24/12/2023, 21:41 - Alice:", False, "Alice", ""),  # an empty message
])
def test_headers_of_every_shape(line, ios, sender, body):
    h = split_header(line)
    assert h is not None, line
    _, rest, is_ios = h
    assert is_ios == ios
    assert split_sender(rest) == (sender, body)


@pytest.mark.parametrize("line", [
    "see you at 9:41 - ok?", "2023 was a good year - Alice: no", "10 - 5 = 5",
    "[link] Alice: hi", "24/12/2023 - Alice: no time", "Alice: 24/12/2023, 21:41",
    "[99/99/9999, 99:99:99] Alice: not a time", "",
])
def test_lines_that_are_not_headers(line):
    assert split_header(line) is None


# -- the date order and the 12-hour clock, over the whole file --------------------------------
def test_day_first_is_decided_by_the_dates_that_can_only_be_one():
    clock, sts = clock_of(["03/04/24, 10:00", "05/04/24, 11:00", "13/04/24, 12:00"])
    assert clock.order == "DMY"
    assert when(clock.seconds(sts[0])) == "2024-04-03 10:00:00"  # not March 4th
    clock, sts = clock_of(["04/03/24, 10:00", "04/05/24, 11:00", "04/13/24, 12:00"])
    assert clock.order == "MDY"
    assert when(clock.seconds(sts[0])) == "2024-04-03 10:00:00"


def test_ambiguous_dates_go_by_the_order_they_appear_in():
    # Every field <= 12: either order is a real date; only one keeps the file in time order.
    clock, _ = clock_of(["01/02/24, 10:00", "05/02/24, 10:00", "11/02/24, 10:00",
                         "03/03/24, 10:00"])
    assert clock.order == "DMY"  # 1, 5, 11 Feb, 3 Mar (as MDY: Jan 2, May 2, Nov 2, Mar 3)
    # In order both ways: the shorter span wins (days, not months, between messages).
    clock, _ = clock_of(["3/7/24, 19:00", "4/7/24, 09:15"])
    assert clock.order == "DMY"
    clock, _ = clock_of(["7/3/24, 19:00", "7/4/24, 09:15"])
    assert clock.order == "MDY"


def test_one_ambiguous_date_follows_the_locale_habit():
    assert clock_of(["05/06/24, 10:00"])[0].order == "DMY"
    assert clock_of([f"05/06/24, 10:00{NNBSP}AM"])[0].order == "MDY"  # en-US
    assert clock_of(["2024/05/06 10:00"])[0].order == "YMD"


@pytest.mark.parametrize("stamps,want", [
    ([f"1/5/24, 9:41{NNBSP}AM", f"1/5/24, 9:41{NNBSP}PM", f"1/5/24, 12:05{NNBSP}AM"],
     ["09:41", "21:41", "00:05"]),
    ([f"5/1/24, 9:41{NBSP}a.{NBSP}m.", f"5/1/24, 9:41{NBSP}p.{NBSP}m.",
      f"5/1/24, 12:30{NBSP}p.{NBSP}m."], ["09:41", "21:41", "12:30"]),  # es
    (["05.01.24, 9:41 утра", "05.01.24, 2:15 дня", "05.01.24, 9:41 вечера",
      "06.01.24, 12:10 ночи"], ["09:41", "14:15", "21:41", "00:10"]),  # ru
    (["2024/01/05 午前9:41", "2024/01/05 午後9:41"], ["09:41", "21:41"]),  # ja
    (["05/01/24, 9:41 in the morning", "05/01/24, 3:00 in the afternoon",
      "05/01/24, 10:00 at night"], ["09:41", "15:00", "22:00"]),
    (["05/01/24, 21:41", "05/01/24, 09:41"], ["21:41", "09:41"]),  # 24-hour
])
def test_twelve_hour_markers_of_many_locales(stamps, want):
    clock, sts = clock_of(stamps)
    assert [when(clock.seconds(s))[11:16] for s in sts] == want


def test_an_unknown_marker_pair_is_told_apart_by_the_order_of_the_day():
    # Markers no table knows: within one day the morning one comes first.
    clock, sts = clock_of(["05/01/24, 8:00 xq", "05/01/24, 3:00 zr", "06/01/24, 9:00 xq",
                           "06/01/24, 5:00 zr"])
    assert [when(clock.seconds(s))[11:16] for s in sts] == ["08:00", "15:00", "09:00", "17:00"]


def test_impossible_times_are_none():
    clock, _ = clock_of(["05/01/24, 9:41 PM", "13/01/24, 10:00 AM"])
    assert clock.seconds(parse_stamp("05/01/24, 13:41 PM")) is None  # 13 o'clock PM
    assert clock.seconds(parse_stamp("31/02/24, 10:00 AM")) is None  # 31 February
    assert parse_stamp("05/01/24, 10:75") is None


# -- bytes, marks, line ends ---------------------------------------------------------------------
def _entries(data: bytes):
    return list(entries(lambda: io.BytesIO(data)))


def test_crlf_bom_and_multi_line_messages():
    text = ("\ufeff[24/12/2023, 21:41:05] Alice: first line\r\nsecond line\r\n\r\nfourth\r\n"
            "[24/12/2023, 21:42:00] Bob: ok\r\n")
    es = _entries(text.encode())
    assert [(e.sender, e.first, e.more) for e in es] == [
        ("Alice", "first line", ["second line", "", "fourth"]), ("Bob", "ok", None)]
    assert classify(es[0].first, es[0].more, True) == (TEXT, "first line\nsecond line\n\nfourth",
                                                        False)


def test_utf16_files_are_read():
    text = "24/12/2023, 21:41 - Alice: привет\n24/12/2023, 21:42 - Bob: hi\n"
    es = _entries(text.encode("utf-16"))
    assert [(e.sender, e.first) for e in es] == [("Alice", "привет"), ("Bob", "hi")]


def test_unreadable_lines_are_entries_of_their_own():
    data = (b"junk before the first header\n24/12/2023, 21:41 - Alice: ok\n\xff\xfe bad\n"
            b"24/12/2023, 21:42 - Bob: fine\n")
    es = _entries(data)
    assert [e.stamp is None for e in es] == [True, False, True, False]  # file order
    assert [e.first for e in es] == ["", "ok", "", "fine"]
    assert [n for _, n in decoded_lines(io.BytesIO(data))][:1] == [29]


def test_endless_lines_and_messages_are_unreadable_not_memory(monkeypatch):
    from training.export.whatsapp import lines

    monkeypatch.setattr(lines, "_MAX_LINE", 64)
    monkeypatch.setattr(lines, "_MAX_MESSAGE", 200)
    data = (b"24/12/2023, 21:41 - Alice: " + b"x" * 500 + b"\n"  # one line of 527 bytes
            + b"24/12/2023, 21:42 - Bob: ok\n" + b"more\n" * 100
            + b"24/12/2023, 21:43 - Alice: fine\n")
    es = _entries(data)
    assert [e.first for e in es if e.stamp is not None] == ["ok", "fine"]
    bob = next(e for e in es if e.first == "ok")
    assert 30 < len(bob.more) < 40  # the message stopped at 200 bytes
    assert sum(e.size for e in es) == len(data)  # every byte accounted for, in order


# -- bodies: the sender's words, or WhatsApp's ------------------------------------------------
@pytest.mark.parametrize("first,more,ios,kind", [
    ("<Media omitted>", None, False, MEDIA),
    ("<Без медиафайлов>", None, False, MEDIA),
    ("<Medien ausgeschlossen>", None, False, MEDIA),
    ("<Multimedia omitido>", ["caption or a document's name"], False, MEDIA),
    ("IMG-20240101-WA0001.jpg (file attached)", None, False, MEDIA),
    ("Alex.vcf (Datei angehängt)", None, False, MEDIA),
    ("PTT-20240101-WA0003.opus (файл добавлен)", None, False, MEDIA),
    ("null", None, False, MEDIA),  # view-once
    ("location: https://maps.google.com/?q=1.0,2.0", None, False, MEDIA),
    ("POLL:", ["Where?", "OPTION: here (2 votes)"], False, MEDIA),
    (f"{LRM}image omitted", None, True, MEDIA),
    (f"{LRM}изображение отсутствует", None, True, MEDIA),
    (f"{LRM}<attached: 00000012-PHOTO-2024-01-01-10-00-00.jpg>", None, True, MEDIA),
    (f"cv.pdf {LRM}• {LRM}2 pages {LRM}<attached: 00000013-cv.pdf>", None, True, MEDIA),
    (f"Some file.txt {LRM}Dokument weggelassen", None, True, MEDIA),
    ("This message was deleted", None, False, DELETED),
    ("You deleted this message", None, False, DELETED),
    (f"{LRM}This message was deleted.", None, True, DELETED),
    ("Данное сообщение удалено", None, False, DELETED),
    ("Вы удалили данное сообщение", None, False, DELETED),
    ("Diese Nachricht wurde gelöscht", None, False, DELETED),
    (f"{LRM}Se eliminó este mensaje.", None, True, DELETED),
    ("Eliminaste este mensaje", None, False, DELETED),
    ("Missed voice call", None, False, SERVICE),
    ("Пропущенный аудиозвонок", None, False, SERVICE),
    (f"{LRM}Messages and calls are end-to-end encrypted.", None, True, SERVICE),
    ("", None, False, EMPTY),
    (LRM, None, False, EMPTY),
])
def test_whatsapps_own_lines_are_never_text(first, more, ios, kind):
    assert classify(first, more, ios)[0] == kind


@pytest.mark.parametrize("first,ios,text", [
    ("see you at 6 <This message was edited>", False, "see you at 6"),
    ("супер, спасибо <Сообщение изменено>", False, "супер, спасибо"),
    ("bis gleich <Diese Nachricht wurde bearbeitet>", False, "bis gleich"),
    (f"allí estaré{LRM} <Se editó este mensaje.>", True, "allí estaré"),
    (f"done{LRM} <Bu mesaj düzenlendi>", True, "done"),  # any <...> after iOS's mark
])
def test_the_edited_mark_is_taken_off_and_noted(first, ios, text):
    assert classify(first, None, ios) == (TEXT, text, True)


@pytest.mark.parametrize("first", [
    "I <3 you", "a <b> tag", "meet at the <usual> place tomorrow?", "null and void",
    "Tap to learn more", "location?", "deleted it, sorry",
])
def test_ordinary_words_stay_text(first):
    kind, text, edited = classify(first, None, False)
    assert (kind, text, edited) == (TEXT, first, False)


# -- identity --------------------------------------------------------------------------------
def test_name_keys_and_chat_names():
    assert identity.name_key("Alex  Kim") == identity.name_key(f"{LRM}alex kim")
    assert identity.name_key("\u202a+7 912 345-67-89\u202c") == identity.name_key("+79123456789")
    assert identity.chat_name_from_file("WhatsApp Chat with Maria Lopez (2)") == (
        "Maria Lopez", True)
    assert identity.chat_name_from_file("WhatsApp Chat - Tom Baker") == ("Tom Baker", True)
    assert identity.chat_name_from_file("Чат WhatsApp с\u00a0контактом Иван") == ("Иван", True)
    assert identity.chat_name_from_file("Chat de WhatsApp con Lucía") == ("Lucía", True)
    assert identity.chat_name_from_file("WhatsApp Chat mit Jonas") == ("Jonas", True)
    assert identity.chat_name_from_file("Ayşe ile WhatsApp Sohbeti") == ("Ayşe", True)
    assert identity.chat_name_from_file("my notes") == ("my notes", False)
    assert identity.same_name("Maria Lopez 🌸", "maria lopez")
    assert identity.same_name("+7 912 345 67 89", "+79123456789")
    assert not identity.same_name("Family", "mum")


def test_ids_are_above_telegrams_and_sort_in_time_order():
    cid = identity.chat_id(True, "maria lopez")
    assert cid >= 2**62 and cid < 2**63
    assert cid == identity.chat_id(True, "maria lopez") != identity.chat_id(False, "maria lopez")
    minute = 1_699_999_980  # a whole minute
    a = identity.message_id(minute, 0)
    assert a < identity.message_id(minute, 1) < identity.message_id(minute + 60, 0)
    assert identity.message_id(minute + 59, 3) == identity.message_id(minute, 3)  # Android
