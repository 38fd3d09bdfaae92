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


# ---------------------------------------------------------------- labels as people misspell them
@pytest.mark.parametrize("text,value", [
    ("parol ot pochty Lenka1987", "Lenka1987"),
    ("paroly ot wifi kotik2020", "kotik2020"),
    ("parolь: zaika77", "zaika77"),
    ("парль от вк masha_99", "masha_99"),
    ("праоль от ноута Dusya2011", "Dusya2011"),
    ("паролль: Dusya2011", "Dusya2011"),
    ("passowrd: Dusya2011", "Dusya2011"),
    ("passwort ist Dusya2011", "Dusya2011"),
    ("гасло від пошти Dusya2011", "Dusya2011"),
    ("pasvord Dusya2011", "Dusya2011"),
    ("pinkod 4821", "4821"),
    ("wi fi Dusya2011", "Dusya2011"),
    ("вай фай: Dusya2011", "Dusya2011"),
    # other words, an article or a possessive between the label and its value
    ("pass for the router is Tr0ub4dor", "Tr0ub4dor"),
    ("password to my old laptop is sunflower99", "sunflower99"),
    ("пароль от моего старого роутера — Dusya2011", "Dusya2011"),
    ("the wifi pass at home is Dusya2011", "Dusya2011"),
    ("пароль от учётной записи на госуслугах у мамы Dusya2011", "Dusya2011"),
    ("password for the wifi network in the living room is Dusya2011", "Dusya2011"),
    # fillers, tense and "the same" between the label and its value
    ("пароль, если что, Dusya2011", "Dusya2011"),
    ("старый пароль был Dusya2011", "Dusya2011"),
    ("пароль сейчас dusya2011", "dusya2011"),
    ("pass is still dusya2011", "dusya2011"),
    ("password was changed to dusya2011", "dusya2011"),
    ("пароль тот же dusya2011", "dusya2011"),
    ("пароль поставил dusya2011", "dusya2011"),
])
def test_misspelled_and_transliterated_labels(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "пароль поставил на телефон",
    "пароль сейчас скину",
    "пароль был сложный",
    "password was changed yesterday",
    "пароль тот же, что и раньше",
    "pass is still valid",
    "Note: what is the wifi password? thanks!",
    "rewrite it as a single-pass loop. ([#974](https://github.com/x/y/pull/974))",
    "As password, use the token itself, including the `pypi-` prefix.",
    "passwords written in words (`восемь девятьсот три`) are out of scope",
    "пароль был неправильный, теперь норм",
])
def test_fillers_without_a_value_untouched(text):
    assert untouched(text), shown(text)


# ---------------------------------------------------------------- a password named by what was done with it
@pytest.mark.parametrize("text,value", [
    ("у меня везде одинаковый Qwerty2019", "Qwerty2019"),
    ("везде один и тот же: lenka_1987", "lenka_1987"),
    ("поставил Qwerty_2019 на всё", "Qwerty_2019"),
    ("поставила на вход Lenka!87", "Lenka!87"),
    ("I use Lenka_1987 everywhere", "Lenka_1987"),
    ("same one everywhere: lenka1987", "lenka1987"),
])
def test_password_cues_without_the_word(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "у меня везде одинаковые кроссовки",
    "везде один и тот же ник Masha",
    "поставил Windows 11 вчера",
    "поставил iOS 17.4 на телефон",
    "поставил 5 звёзд",
    "I use Python3 everywhere",
    "same everywhere: 2 of 3 failed",
    "md5 fa94f12ddcffb22b708832b10bd325e8 у обоих файлов одинаковый",
])
def test_cue_words_without_a_password_untouched(text):
    assert untouched(text), shown(text)


# ---------------------------------------------------------------- login/password pairs
@pytest.mark.parametrize("text,value", [
    ("логин/пароль: admin/Adm1n_2024", "Adm1n_2024"),
    ("login/pass: olga / Pupsik_99", "Pupsik_99"),
    ("л/п olga:pupsik99", "pupsik99"),
    ("логин и пароль: olga, pupsik99", "pupsik99"),
    ("user:password = root:t00r!", "t00r!"),
    ('wifi: "Home_5G" / "vera_2019"', "vera_2019"),
    ("admin / Xr9!kT2w", "Xr9!kT2w"),
    ("root:Zk8#pq2m", "Zk8#pq2m"),
])
def test_login_password_pairs(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "admin / moderator",
    "логин/пароль потерял",
    "логин/пароль: спрошу у админа",
    "user/pass в 1password",
    "root: the cause was DNS",
    "admin: 3 new users today",
    "load('test/botchan_en_unigram_1000.model')",
    "cd root/build_2024",
])
def test_pair_lookalikes_untouched(text):
    assert untouched(text), shown(text)


# ---------------------------------------------------------------- a password dictated with a space
@pytest.mark.parametrize("text,value", [
    ("пароль от вай фая кукуруза 2020", "кукуруза 2020"),
    ("пароль от вайфая ромашка 77", "ромашка 77"),
    ("wifi password is sunny 2020", "sunny 2020"),
])
def test_dictated_password_with_a_space(text, value):
    assert redacted(text, value), (text, shown(text))


# ---------------------------------------------------------------- codes with no "код" beside them
@pytest.mark.parametrize("text,value", [
    ("смска пришла 735 204", "735 204"),
    ("эсэмэска: 4821", "4821"),
    ("kod iz sms 3309", "3309"),
    ("kodik 482193", "482193"),
    ("цифры из смс 48 21 90", "48 21 90"),
    ("Use 382 910 to verify", "382 910"),
    ("enter 582913 to confirm your login", "582913"),
    ("введи 4821 для входа", "4821"),
    ("вот он: 66 12 09", "66 12 09"),
    ("here it is: 482193", "482193"),
    ("прислали 482 193, это от госуслуг?", "482 193"),
    ("цифры из письма 482193", "482193"),
    ("пришла эсэмэска с цифрами 4821", "4821"),
    ("verification: 482193", "482193"),
    ("двухфакторка 482193", "482193"),
])
def test_codes_without_a_code_word(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "смс пришла в 12:30",
    "смс на 900 не отправляется",
    "пришла смс от 9000",
    "use 2 cups of flour to make it",
    "enter 2024 to confirm the year",
    "вот он: 150 рублей",
    "вот он: 2024 год",
    "вот она, 100000 подписчиков",
    "держи 5000",
    "kod 2024 goda",
    "смс с 9000 не приходят",
    "пришло 100000 просмотров",
    "received 250000 views",
    "verification of 2024 results",
    "sms 1234 chars limit",
    "смс рассылка 10000 штук",
])
def test_numbers_near_code_cues_untouched(text):
    assert untouched(text), shown(text)


# ---------------------------------------------------------------- famous passwords in talk about passwords
@pytest.mark.parametrize("text", [
    '"password123" is the most common password lol',
    "самый популярный пароль — 123456",
    "никогда не ставь пароль qwerty123",
    "пароли типа 12345678 взламывают за секунду",
])
def test_famous_example_passwords_in_talk_untouched(text):
    assert untouched(text), shown(text)


@pytest.mark.parametrize("text,value", [
    ("мой пароль qwerty123", "qwerty123"),
    ("пароль от вайфая 12345678", "12345678"),
])
def test_famous_passwords_that_are_someones_password(text, value):
    assert redacted(text, value), (text, shown(text))
