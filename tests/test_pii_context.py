"""PII as people really type it — values known by their context rather than a
tidy "keyword: value", and the look-alikes that must stay untouched."""

from __future__ import annotations

import random

import pytest
from fixtures_pii import kinds, redacted, shown, untouched
from mnemonic import Mnemonic

from clonebot.pii import scan


@pytest.mark.parametrize("text,value", [
    # a question about a password, answered on the same line or the next
    ("какой пароль от роутера?\nTigr_2020", "Tigr_2020"),
    ("а пароль какой? — Morkov_77", "Morkov_77"),
    ("пароль?\n«qwerty123»", "qwerty123"),
    ("> what's the password for the nas?\nbluefish44", "bluefish44"),
    ("pass for the vpn? -> Gr33n!Leaf", "Gr33n!Leaf"),
    ("> а код от сейфа?\n4817", "4817"),
    ("код какой пришёл? а, вот — 55 31", "55 31"),
    # no keyword: what it opens, or a try at a login
    ("от вайфая: Xy7!kq99", "Xy7!kq99"),
    ("from the router: Pelican_81", "Pelican_81"),
    ("от планшета — Dasha2011", "Dasha2011"),
    ("попробуй Medved1987, должно подойти", "Medved1987"),
    ("ввела Kx8!mq2 и не пускает", "Kx8!mq2"),
    ("try Sunset#42 and it should let you in", "Sunset#42"),
    ("попробуй Sunflower7, должно пустить", "Sunflower7"),
    # filler words between keyword and value
    ("пароль кстати вот такой: Lapa_3434", "Lapa_3434"),
    ("пароль там короче Volga2008", "Volga2008"),
    ("password btw is Hummer!12", "Hummer!12"),
    ("пароль там мой день рождения 23111988", "23111988"),
    ("пароль от почты, кстати, Zaq_1209", "Zaq_1209"),
    ("пароль не поменяла, всё ещё Kolobok_88", "Kolobok_88"),
    ("the password hasn't changed, still Rocket_2024", "Rocket_2024"),
    # a plain Russian noun is the password
    ("пароль — сковородка", "сковородка"),
    ("пароль от почты черепаха", "черепаха"),
    ("пароль от вк бегемот или begemot77, не помню", "бегемот"),
    ("пароль от вк бегемот или begemot77, не помню", "begemot77"),
    # misspelt and wrong-layout keywords
    ("gfhjkm Kroshka_5", "Kroshka_5"),
    ("пороль Zebra2021", "Zebra2021"),
    ("парол: Mishka88", "Mishka88"),
    ("passwrd: Tundra2019", "Tundra2019"),
    ("pwd Kettle_99", "Kettle_99"),
    ("moi parol' Orel_1999", "Orel_1999"),
    ("паролт Sova2017 сорри опечатка", "Sova2017"),
    ("зфыыцщкв: Granit77", "Granit77"),
    ("пароьл: Sinica_55", "Sinica_55"),
    ("прароль: Volk_777", "Volk_777"),
    ("passw: Kitty_Cat1", "Kitty_Cat1"),
    ("code word is Marmalade", "Marmalade"),
    ("пароль у меня там Kaktus_2020", "Kaktus_2020"),
    ("пароль вроде бы Kisa_2015", "Kisa_2015"),
    # secret words and a security question's answer
    ("кодовое слово — жираф", "жираф"),
    ("кодовое слово в банке blue whale", "blue whale"),
    ("секретный вопрос кличка собаки, ответ Рекс", "Рекс"),
    ("security question: first pet, answer: Biscuit", "Biscuit"),
    ("security question answer — Bagel", "Bagel"),
    # Wi-Fi: the network's password, not its name
    ("wifi: HomeNet_5G / Lampa2020x", "Lampa2020x"),
    ("сеть: Beeline_A12F пароль: 73kd92mq", "73kd92mq"),
    ("TP-Link_7C3A / k9Vm2xQw", "k9Vm2xQw"),
    ("SSID: Home, PSK: garden_gnome_7", "garden_gnome_7"),
    # URL credentials in any scheme, with or without a user
    ("redis://:Xk29fLq7w0pA@10.1.2.3:6379", "Xk29fLq7w0pA"),
    ("ftp://admin:Hx7!pw22@files.local/", "Hx7!pw22"),
    ("amqp://guest:Rabbit_55@mq:5672/", "Rabbit_55"),
    # bank SMS with an amount first, forwarded messages
    ("Списание 1500р. Код 4821", "4821"),
    ("Покупка на сумму 2 340,00 RUB. Код подтверждения: 771904", "771904"),
    ("Your OTP for payment of USD 49.99 is 309182", "309182"),
    ("one-time password for purchase $20.39: 567397", "567397"),
    ("Пароль для подтверждения оплаты 970: 9313. Никому не сообщайте", "9313"),
    ("Пересланное сообщение\nТинькофф: Никому не говорите код 6619. Вход в приложение", "6619"),
    ("ща, код... 553201", "553201"),
    ("Your Amazon OTP is 883201. Order total $45.00", "883201"),
    ("what's the code for the door?\n4471#", "4471#"),
    # recovery code lists
    ("коды восстановления: 1234-5678 9876-5432 1122-3344", "9876-5432"),
    ("recovery key: ABCD-EF12-GH34-JK56", "ABCD-EF12-GH34-JK56"),
    ("резервные коды:\n83920174\n55120938\n10293847", "10293847"),
    ("backup codes: vsvl-weru 62lt-p1v2", "vsvl-weru"),
    ("мои коды:\n1. 8341 2093\n2. 4412 0098\n3. 7731 5520", "7731 5520"),
    ("1234-5678 9876-5432 4455-1290 8830-1147 6621-0098", "6621-0098"),
    ("ab12-cd34 ef56-gh78 ij90-kl12 mn34-op56", "ij90-kl12"),
    ("Оплата 4500 руб. в магазине. Код 8812", "8812"),
    # door and gate codes
    ("домофон 45к7689", "45к7689"),
    ("в подъезд код В2468", "В2468"),
    ("калитка 5931#", "5931#"),
    ("код калитки 7731К", "7731К"),
    ("gate code is 7731", "7731"),
    ("ворота 7788", "7788"),
    ("пин-код от симки 1234, пак 87654321", "87654321"),
    # TOTP setup keys
    ("totp secret: jbsw y3dp ehpk 3pxp", "jbsw y3dp ehpk 3pxp"),
    ("ключ для аутентификатора JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"),
    ("2fa key: mzxw 6ytb oi4d 2mzq gq3t", "mzxw 6ytb oi4d 2mzq gq3t"),
    # the value on the line after its keyword
    ("пароль:\nXyz123ab", "Xyz123ab"),
    ("pin\n4912", "4912"),
    ("пароль от вайфая:\n\nKotlin_2024", "Kotlin_2024"),
    ("pass\n-> Parrot_77", "Parrot_77"),
])
def test_values_known_by_context(text, value):
    assert redacted(text, value), shown(text)


@pytest.mark.parametrize("text,value,kind", [
    ("И.Н.Н. 7707083893", "7707083893", "inn"),
    ("мой яндекс: petrov.sergey88", "petrov.sergey88", "email"),
    ("карта 5469 3800\n1234 5673", "5469 3800\n1234 5673", "card"),
    ("IBAN: DE89 3704 0044\n0532 0130 00", "DE89 3704 0044\n0532 0130 00", "iban"),
    ("паспорт 4 5 1 0 1 2 3 4 5 6", "4 5 1 0 1 2 3 4 5 6", "passport"),
    ("паспорт: 45 10\n123456", "45 10\n123456", "passport"),
])
def test_ids_dotted_or_broken_over_lines(text, value, kind):
    assert redacted(text, value) and kind in kinds(text), shown(text)


@pytest.mark.parametrize("text", [
    # talk about passwords: a value must look like one or be introduced
    "пароль не подходит уже третий раз",
    "забыл пароль опять, восстанавливаю",
    "password is wrong again",
    "password reset link expired",
    "пароль: смотри выше",
    "Пароль изменён 12.03.2024 в 14:22",
    "Пароль изменён 05/03/2026 в 3:20",
    "пароли держать в заметках - так себе идея",
    "password rules: 10+ symbols",
    "пароль поменяй", "пароль сменю завтра", "пароль знает только мама",
    "какой пароль? не помню", "what's the password? ask Mike",
    "Note: what is the wifi password? thanks!",
    "пароль от почты, блин, забыла",
    "пароль у брата спроси",
    "password isn't working",
    "код от подъезда сломан, цена 200к",
    "попробуй ещё раз, должно пустить",
    "от дома: 15 минут пешком", "from the station: 10min walk",
    "контрольный вопрос: девичья фамилия матери",
    "security question is about my first pet",
    # ids, ranges and part numbers are not phones
    "номер заявки 1-2345678901 в поддержке",
    "договор № 77-01/2024-318",
    "spare part no. 6520-1180-07",
    "свеча NGK 0 242 235 666 подходит",
    "артикул 79261234567",
    "net income 4500 pass-through",
    "годы 2015-2019 и 2020-2024",
    "2019-2020 2020-2021 2021-2022 2022-2023",
    "0900-1300 1400-1800 1900-2100 0800-1000",
    # bookings, flights, rooms and apartments
    "hotel confirmation code QK4T9M",
    "бронь X3KQ9P на 12 мая",
    "на домофоне жми 127 — это наша квартира",
    "rooms 1204, 1205 and 1206 are booked",
    "коды скидок: LETO25 и ZIMA10",
    # Wi-Fi network names
    "вайфай MGTS_GPON_3D2A опять отваливается",
    "the wifi network Keenetic-7731 keeps dropping",
    "сеть называется TP-Link_5A3C",
    # not a code: an amount after "Списание"
    "Списание 1500р. Баланс 3200р",
    "card 4276 2656 2425 4375 was declined",  # digit groups are not a TOTP key
    "параллельно 2 задачи делаю",
    "кодовое слово в банке поменяла вчера",
    "король: Карл III", "parole: granted in 2019", "пароход: Титаник",
    # the new cues' look-alikes: an answer that is talk, a sender, a version, a door's number
    "а пароль? — сейчас скину",
    "код? 5 минут жду уже",
    "пароль:\nпосмотри на роутере",
    "от Пети: буду в 19:00",
    "from the team: thanks for 2024!",
    "try v2.3.1, should work now",
    "попробуй iPhone15 в магазине, там работает",
    "подъезд 4, этаж 9, квартира 156",
    "домофон 125, квартира 125",
    "redis://localhost:6379/0",
    "9:00-13:00 14:00-18:00",
])
def test_look_alikes_untouched(text):
    assert untouched(text), shown(text)


def test_login_pair_takes_the_password_not_its_keyword():
    assert shown("username: ann / pass: Zzz_9090") == [("password", "Zzz_9090")]


def test_seed_checksum_window_inside_a_longer_list_is_no_phrase():
    """A 12-word window of a 14-word list passes the checksum 1 time in 16: chance, not a
    seed. The whole run must be the phrase (one more word only when punctuation sets it off)."""
    words = Mnemonic("english").wordlist
    rng = random.Random(7)
    lists = []
    while len(lists) < 5:
        ws = [rng.choice(words) for _ in range(14)]
        if any(Mnemonic("english").check(" ".join(ws[i : i + 12])) for i in range(3)):
            lists.append(" ".join(ws))
    assert all(not any(f.kind == "seed" for f in scan(t)) for t in lists), [shown(t) for t in lists]


def test_seed_whole_run_and_announced_word_before_it():
    phrase = Mnemonic("english").generate(128)
    assert redacted(phrase, phrase)
    assert redacted(f"wallet: {phrase}", phrase)
    columns = phrase.split()
    two_columns = "\n".join(f" {i + 1:<2} {columns[i]:<10}    {i + 7:<2} {columns[i + 6]}" for i in range(6))
    assert "seed" in kinds("ledger backup:\n" + two_columns), shown(two_columns)
