"""Passwords, PINs and codes in slang and both languages; talk about them stays."""

from __future__ import annotations

import pytest
from fixtures_pii import redacted, shown, untouched

from clonebot.pii import scan



@pytest.mark.parametrize("text,value", [
    # slang keywords, no colon
    ("пасворд от вайфая lenka1987", "lenka1987"),
    ("парольку скинь: Tigr_77", "Tigr_77"),
    ("паролик от инсты — masha2010", "masha2010"),
    ("пасс от ноута Zx9kLm", "Zx9kLm"),
    ("pw for the router: h0tdog!", "h0tdog!"),
    # qualifier words before the value
    ("пароль такой же как от почты: sobaka77", "sobaka77"),
    ("пароль от роутера на даче у мамы gfhjkm12", "gfhjkm12"),
    ("поменял пароль на Vesna2025", "Vesna2025"),
    ("пароль тот же что и раньше — Vesna2025", "Vesna2025"),
    ("pass to my vk: Vesna_2025", "Vesna_2025"),
    ("use Vesna2025 as the password", "Vesna2025"),
    ("пароль... vesna2025", "vesna2025"),
    ("пароль qwerty(1)", "qwerty(1)"),
    # quotes, value before the keyword, login/password pairs
    ('the password is "bluebird"', "bluebird"),
    ("Lenka_1987 — мой пароль от вк", "Lenka_1987"),
    ("логин olga пароль pupsik", "pupsik"),
    ("olga.k@mail.ru / Pupsik99", "Pupsik99"),
    ("логин olga / pupsik77", "pupsik77"),
    ("креды olga / Pupsik99", "Pupsik99"),
    ("пароли: от почты lenka1, от вк lenka2", "lenka2"),
    ("пороль от вк lenka1987", "lenka1987"),
    ("pasword: sunshine1", "sunshine1"),
    # Wi-Fi
    ("вайфай у соседей 55667788aa", "55667788aa"),
    ("wi-fi key 9931204455", "9931204455"),
    # codes and PINs
    ("код 5517", "5517"),
    ("otp 120934", "120934"),
    ("пин 3 9 1 7", "3 9 1 7"),
    ("pin: 3-9-1-7", "3-9-1-7"),
    ("пин 3 - 9 - 1 - 7", "3 - 9 - 1 - 7"),
    ("код подтверждения — 512 774", "512 774"),
    ("код из смс 48 21 90, не говори никому", "48 21 90"),
    ("домофон 27#4410", "27#4410"),
    ("код калитки 1470#", "1470#"),
    ("cvc 913", "913"),
    ("код: X7Y9Z2", "X7Y9Z2"),
    ("резервные коды: 4411-2290, 7783-1002", "7783-1002"),
    # secret words and answers
    ("секретное слово: барсик", "барсик"),
    ("кодовое слово в банке — синий кит", "синий кит"),
    ("security answer is apple pie", "apple pie"),
])
def test_passwords_found(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "забыл пароль, сбросил через почту",
    "пароль не подходит, попробую завтра",
    "пароль должен быть не короче 8 символов",
    "the password must be at least 12 characters",
    "код ошибки 404, опять",
    "error code 500 на проде",
    "code review в 15:00",
    "код 2024 года не компилируется",
    "код заказа 482193 пришёл на почту",
    "order code 4821 shipped",
    "код купона 2024 больше не работает",
    "пин-код пришлют в 10:30",
    "код из смс не пришёл",
    "промокод LETO25 на 25%",
    "the pass is closed due to snow",
    "boarding pass 12345678 на руках",
    "wifi 6 роутер за 7990",
    "password: ********",
    "pass: [hidden]",
    "api key лежит в 1password",
    "пароль это дата рождения мамы",
    "кодовое слово знаешь?",
    "ОТП банк одобрил",
    "кредит 12345678 одобрили",
    "pin код сбросил в 2023",
    "code 2024 is better than 2023",
    "логин тот же / пароль другой",
])
def test_password_talk_untouched(text):
    assert untouched(text), shown(text)


@pytest.mark.parametrize("text,value", [
    ("postgres://admin:S3cretPass@db.host:5432/app", "S3cretPass"),
    ("DATABASE_URL=mysql://root:hunter2@localhost/db", "hunter2"),
    ("amqp://guest:guest@rabbit:5672/", "guest"),
])
def test_url_credentials_are_a_password_not_an_email(text, value):
    found = [(f.kind, f.text) for f in scan(text)]
    assert ("password", value) in found and not any(k == "email" for k, _ in found), found
