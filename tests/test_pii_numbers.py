"""Cards, IBANs, INN, SNILS and passports in loose formats; look-alikes stay."""

from __future__ import annotations

import pytest
from fixtures_pii import kinds, redacted, shown, untouched



@pytest.mark.parametrize("text,value", [
    ("карта 2200.7000.1234.5673", "2200.7000.1234.5673"),
    ("карта 2200\u00a07000\u00a01234\u00a05673", "2200\u00a07000\u00a01234\u00a05673"),
    ("кидай на 5536-9100-1234-5676", "5536-9100-1234-5676"),
    ("номер карты 55 36 91 00 12 34 56 76", "55 36 91 00 12 34 56 76"),
    ("card 5536_9100_1234_5676 exp 11/27", "5536_9100_1234_5676"),
    ("amex 3714 496353 98431", "3714 496353 98431"),
    ("карта: первые 5536 9100, остальные 1234 5676", "5536 9100"),
    ("карта: первые 5536 9100, остальные 1234 5676", "1234 5676"),
    # in parts with words and counts between
    ("first 8 5106 4327 rest 9622 4902", "5106 4327"),
    ("first 8 5106 4327 rest 9622 4902", "9622 4902"),
    ("карта, первые 8 цифр: 2200 7000, последние 8: 1234 5673", "1234 5673"),
    ("4276 1300 потом 1234 и в конце 5678", "1234"),
    ("4276 1300 потом 1234 и в конце 5678", "5678"),
    ("5536 9100 (first half), 12345676 (second)", "12345676"),
])
def test_cards_found(text, value):
    assert redacted(text, value) and "card" in kinds(text), shown(text)


@pytest.mark.parametrize("text,value", [
    ("iban de44-5001-0517-5407-3249-31", "de44-5001-0517-5407-3249-31"),
    ("IBAN DE 44 5001 0517 5407 3249 31, Kontoinhaber ich", "DE 44 5001 0517 5407 3249 31"),
    ("gb29nwbk60161331926819", "gb29nwbk60161331926819"),
    ("счёт es91.2100.0418.4502.0005.1332", "es91.2100.0418.4502.0005.1332"),
])
def test_ibans_found(text, value):
    assert redacted(text, value) and kinds(text) == {"iban"}, shown(text)


@pytest.mark.parametrize("text,value,kind", [
    ("инн ип 5001 0073 2259", "5001 0073 2259", "inn"),
    ("7707083893 — инн конторы", "7707083893", "inn"),
    ("tax number 770-708-389-3", "770-708-389-3", "inn"),
    ("снилс 123 456 789 64", "123 456 789 64", "snils"),
    ("12345678964 это снилс", "12345678964", "snils"),
    ("серия 4510, номер 123456", "4510", "passport"),
    ("серия 4510, номер 123456", "123456", "passport"),
    ("номер 654321 серия 4511", "654321", "passport"),
    ("45 11 654321 — это мой паспорт", "45 11 654321", "passport"),
    ("загран 72 345 6789", "72 345 6789", "passport"),
    ("пасп. 4511654321", "4511654321", "passport"),
    ("passport no. C01X00T47", "C01X00T47", "passport"),
    ("серия паспорта 4511, а номер 654321", "4511", "passport"),
    ("паспорт: серия — 4511, номер — 654321", "654321", "passport"),
    ("паспорт Украины ЕК 654321", "ЕК 654321", "passport"),
    # passport words transliterated, misspelled, Belarusian
    ("ser 45 10 nomer 654321", "45 10 nomer 654321", "passport"),
    ("seriya 4511 nomer 654321", "654321", "passport"),
    ("пасспорт 4511-654321", "4511-654321", "passport"),
    ("паспарт: 4511 654321", "4511 654321", "passport"),
    ("pasport 4511 654321", "4511 654321", "passport"),
    ("пашпарт МР 1234567", "МР 1234567", "passport"),
    ("zagran 72 3456789", "72 3456789", "passport"),
    ("nomer pasporta 654321, seria 4511", "4511", "passport"),
    ("с/н 4511 654321", "4511 654321", "passport"),
    ("ID-картка 001234567", "001234567", "passport"),
    # other countries' taxpayer numbers under their own names, with their own checksums
    ("мій РНОКПП 9458073026", "9458073026", "inn"),
    ("ІПН 1573681936", "1573681936", "inn"),
    ("ИИН 900101300007", "900101300007", "inn"),
    ("налоговый номер 851231401238 (Казахстан)", "851231401238", "inn"),
])
def test_ids_in_loose_order_found(text, value, kind):
    assert redacted(text, value) and kind in kinds(text), shown(text)


@pytest.mark.parametrize("text", [
    "карта 2200 7000 1234 5674",  # Luhn fails
    "было 2000 2100, стало 2200 и 3900",  # round prices that happen to pass Luhn
    "сезоны 2000 2001, потом 2002 и 2019",  # years
    "first 8 5106 4327 rest 9622 4903",  # Luhn fails
    "первые 8 серий, остальные 4",
    "последние цифры карты *5673",
    "в 4510 году было 123456 человек",
    "ИНН 7707083894",  # checksum fails
    "ІПН 1573681937",  # the Ukrainian checksum fails
    "ИИН 900101300008",  # the Kazakh checksum fails
    "артикул 1573681936",  # valid for Ukraine, but no taxpayer word
    "артикул 7707083893",  # a valid INN without INN context
    "SWIFT SABRRUMM, БИК 044525225",
    "штрихкод 4607065001234",
    "timestamp 1710240000123",
    "iban DE44 5001 0517 5407 3249 32",  # check digits fail
    "ser 4510 bought in 2019",
    "serial 4511 654321",
    "серия игр 2019 года, 123456 проданных копий",
    "паспорт продлил в 2019, фото 3x4",
    "паспорт получил, в 2019 году, номер квартиры 12",
])
def test_number_lookalikes_untouched(text):
    assert untouched(text), shown(text)


def test_a_number_of_thousands_of_digits_is_scanned_not_raised():
    # int() refuses strings over 4300 digits; a pasted blob of digits must not crash the scan
    from clonebot.pii import scan

    blob = "1 2 3 4 5 " + "7" * 5000
    assert isinstance(scan(blob), list)
    assert isinstance(scan(" ".join(["9" * 5000] * 5)), list)
