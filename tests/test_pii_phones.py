"""Phones as people type them, and numbers that only look like phones."""

from __future__ import annotations

import pytest
from fixtures_pii import redacted, shown, untouched



@pytest.mark.parametrize("text,value", [
    # ten digits, no prefix (Russian mobile 9xx)
    ("набери мне 9165551234 после обеда", "9165551234"),
    ("вот мобильный 916 555 12 34", "916 555 12 34"),
    # Unicode dashes, non-breaking hyphens and spaces
    ("звони +7 916 555\u201112\u201134", "+7 916 555\u201112\u201134"),
    ("8 916 555–12–34 это рабочий", "8 916 555–12–34"),
    ("мой 8\u00a0(916)\u00a0555\u00a012\u00a034", "8\u00a0(916)\u00a0555\u00a012\u00a034"),
    # digits spaced one by one
    ("пиши на 8 9 1 6 5 5 5 1 2 3 4", "8 9 1 6 5 5 5 1 2 3 4"),
    ("+ 7 9 1 6 5 5 5 1 2 3 4 вот", "7 9 1 6 5 5 5 1 2 3 4"),
    # US-style numbers
    ("call me at (415) 555-2671 tonight", "(415) 555-2671"),
    ("my cell 415.555.2671", "415.555.2671"),
    ("text 1-415-555-2671 when you land", "1-415-555-2671"),
    # international prefixes and other countries
    ("номер в Берлине 0049 151 23456789", "0049 151 23456789"),
    ("UK mobile 07911 123456", "07911 123456"),
    ("Минск +375 (29) 555-12-34", "+375 (29) 555-12-34"),
    # a city number without its area code, called a phone
    ("тел. 245-12-34, спросить Олю", "245-12-34"),
    ("домашний 245-12-34", "245-12-34"),
    # a number split in two with words between
    ("запиши +7 916, а дальше 555-12-34", "+7 916"),
    ("запиши +7 916, а дальше 555-12-34", "555-12-34"),
    # a number sign beside a phone word is no id
    ("№ телефона 9165551234", "9165551234"),
    ("тел. № 916 555 12 34", "916 555 12 34"),
    ("phone # 415-555-2671", "415-555-2671"),
    ("мой № 8 916 555 12 34", "8 916 555 12 34"),
])
def test_phones_found(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "стоит 12 990 руб, доставка 490",
    "встреча 14.05.2025 в 18:30",
    "версия 10.4.1185 собрана",
    "заказ 9165551234 отгружен",  # a phone-shaped id beside an id word
    "артикул 9165551234",
    "трек-номер 80087654321098",
    "order 112-9165551-2345678 shipped",
    "счёт матча 3:1, 2:2 в прошлый раз",
    "считаем: 1 2 3 4 5 6 7 8 9 10",
    "рост 182, вес 78, размер 48-50",
    "ISBN 978-5-17-118366-9",
    "координаты 55.7558, 37.6173",
    "+7 123 456 78 90 — такого номера нет",
    "население 146 150 789 человек",
    "кабинет 245-12-34",  # a city-number shape without a phone word
    "порт 8080, ip 10.0.0.12",  # two numbers that only together look like a phone
    # a date and a time: together ten digits, no phone
    "2024-05-12 09:30 созвон",
    "created_at: 2023-12-31 23:59:59",
    "лог 2024-01-15 14:22:01,123 ERROR",
    "30.12.2024 18 00 встречаемся",
    "2024/03/15 11 45",
    "№ заказа 9165551234",
])
def test_phone_lookalikes_untouched(text):
    assert untouched(text), shown(text)
