"""Disguised cues: a login verb with no password
word, a whole cue typed in the other keyboard layout, keywords spelt letter by letter, door
codes with a letter or key sign, order/request numbers that are no phones, and a passport
number with no keyword. Each group has look-alikes that must stay untouched."""

from __future__ import annotations

import pytest
from fixtures_pii import kinds, redacted, shown, untouched

from clonebot.pii._layout import to_cyrillic, to_latin
from clonebot.pii._spelled import despell


@pytest.mark.parametrize("text,value", [
    # 1. a login verb and a value that looks like a credential
    ("логинься с Rybka_2019", "Rybka_2019"),
    ("заходи под Vasya!77, я разрешил", "Vasya!77"),
    ("войди под Gorod2023x, это мой акк", "Gorod2023x"),
    ("залогинься через kx8#Lm2q", "kx8#Lm2q"),
    ("авторизуйся с Tulpan_44 и всё увидишь", "Tulpan_44"),
    ("log in with Falcon#88", "Falcon#88"),
    ("sign in using Mz7_qpR4 for now", "Mz7_qpR4"),
    ("use Vintage_1977 to sign in", "Vintage_1977"),
    ("use B3arCl@w to log into the nas", "B3arCl@w"),
    ("залогиньтесь с Marta2020!", "Marta2020!"),
    ("you can log in with: Rosebud#44", "Rosebud#44"),
    # 2. the whole cue typed in the other keyboard layout
    ("Gfhjkm jn Dfqafz: Lesnik_9", "Lesnik_9"),
    ("gfhjkm jn gjxns rjnbr", "rjnbr"),
    ("gfhjkm jn dfqafz - Dom_4455", "Dom_4455"),
    ("ьн зфыызщке тгьиук шы 4510 123456", "4510 123456"),
    ("gby-rjl jn rfhns 4417", "4417"),
    ("pfuhfy 75 1234567", "75 1234567"),
    ("зшт сщву 4821", "4821"),
    ("GFHJKM JN DFQAFZ - Sosna_71", "Sosna_71"),
    ("gfcgjhn 4510 123456", "4510 123456"),
    # 3. keywords spelt letter by letter
    ("P.A.S.S: Hedgehog_7", "Hedgehog_7"),
    ("п а с п о р т 4511 654321", "4511 654321"),
    ("p.a.s.s.w.o.r.d: Iris_2020", "Iris_2020"),
    ("П-А-Р-О-Л-Ь: Vetka_88", "Vetka_88"),
    ("p a s s w o r d is Quartz#19", "Quartz#19"),
    ("и н н 7707083893", "7707083893"),
    ("p_a_s_s_w_o_r_d = Gecko_2001", "Gecko_2001"),
    # 4. door and intercom codes: 2-4 digits with a letter or a key sign
    ("домофон 56В", "56В"),
    ("код 12К", "12К"),
    ("на двери #45*", "#45*"),
    ("код подъезда 3К7", "3К7"),
    ("домофон #2471", "#2471"),
    ("домофон: *7731", "*7731"),
    ("на двери *2471#", "*2471#"),
    # 6. a passport with no keyword: the exact series-and-number shape
    ("вот данные: 45 12 345678, выдан ОВД Тверского р-на", "45 12 345678"),
    ("4512 345678 выдан 12.05.2015", "4512 345678"),
    ("скан не нужен, просто 4512 345678", "4512 345678"),
    ("мои: 4603 512877 код подразделения 500-112", "4603 512877"),
])
def test_gaps_closed(text, value):
    assert redacted(text, value), shown(text)


@pytest.mark.parametrize("text,kind", [
    ("П.А.С.П.О.Р.Т 4509 112233", "passport"),
    ("П. А. С. П. О. Р. Т. 4509 112233", "passport"),
    ("4512 345678 выдан 12.05.2015", "passport"),
    ("п а с п о р т 4511 654321", "passport"),
])
def test_gaps_kind(text, kind):
    assert kind in kinds(text), shown(text)


@pytest.mark.parametrize("text", [
    # 1. a login verb with an ordinary word, or a way of logging in
    "логинься с телефона, так быстрее",
    "заходи под своим аккаунтом",
    "войди с паролем, а не через смс",
    "log in with Google, it's easier",
    "use Firefox to sign in, chrome is broken",
    "sign in with your work email",
    "заходи под вечер, часов в 7",
    "залогинься через VPN2, первый лежит",
    "use cli-v2 to log in, the web one is down",
    "войди под гостем 2 раза",
    # 2. ordinary Latin that happens to map to Cyrillic letters, and Cyrillic text
    "ghbdtn rfr ltkf",
    "just a normal english sentence: done",
    "ok lets go: tomorrow",
    # 3. spaced or dotted letters that spell nothing we know
    "С.С.С.Р. 1922 года",
    "т е с т 2024",
    "U.S.A. 2020 election",
    "a b c d e f 123456",
    # 4. apartments, floors, buildings and ordinary codes
    "кв. 56",
    "квартира 12Б",
    "дом 12К, корпус 3",
    "кв 56В, этаж 4",
    "дом 5 строение 12К",
    "код 200",
    "хэштег #45 в твиттере",
    "позвони *100# узнать баланс",
    "#1 в чарте",
    "корпус 3К1",
    "шоссе М4, 56 км",
    "подъезд 12А, этаж 3",
    # 5. numbers named as other kinds of number are no phones
    "номер заказа 7926123456",
    "номер заявки 79261234567",
    "номер договора 89161234567",
    "номер накладной 89161234567",
    "номер трека 79031234567, посылка в пути",
    "номер отправления 79031234567",
    "order number 79261234567",
    "номер ТТН 79031234567",
    "номер билета 79031234567",
    "номер платежа 79031234567",
    "номер моего заказа 79261234567",
    "номер заказа: 7926123456, статус: доставлен",
    # 6. ten digits that are not a passport
    "перевёл 4512 345678 рублей",
    "счёт 4512 345678 оплачен",
    "заказ 4512 345678 отправлен",
    "трек 4512 345678",
    "2019 2020 2021 2022",
    "в 2015 году 345678 человек",
    "итого 1500 345678",
    "тел 4512 345678 не отвечает",
    "номер 4512 345678 в очереди",
    "тираж 4512 345678 экз",
    "ставки 1000 500000",
    "в 2024 150000 заявок",
])
def test_gap_look_alikes_untouched(text):
    assert untouched(text), shown(text)


@pytest.mark.parametrize("text", [
    "номер 89161234567, звони после шести",
    "мой номер 89161234567, заказ отправлю завтра",
    "my mom's number in case of emergency 79258186385",
])
def test_phone_word_alone_still_names_a_phone(text):
    assert "phone" in kinds(text), shown(text)


def test_layout_mapping_both_ways():
    assert to_cyrillic("gfhjkm jn gjxns") == "пароль от почты"
    assert to_latin("зфыыцщкв") == "password"
    assert to_cyrillic("Gfhjkm") == "Пароль"


def test_despell_keeps_offsets_and_joins_only_spelled_runs():
    text = "П.А.С.П.О.Р.Т 4509 и т.д."
    joined, starts = despell(text)
    assert joined == "ПАСПОРТ 4509 и т.д."
    assert len(starts) == len(joined)
    assert text[starts[joined.index("4509")]:].startswith("4509")
    assert despell("и т.д. и т.п.") is None
