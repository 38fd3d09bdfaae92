"""Home addresses: a street and a house number, as people type them.

Russian: "ул. Ленина, д. 5, кв. 12", "пр-т Мира 15к2, кв. 48", "Тверская ул., д. 7",
"Кутузовский проспект, 24", "наб. реки Мойки, 12", "ул Новая 3 кв 17", "д. 9, кв. 203"; a
street without its type word when a flat or building follows ("Профсоюзная 56, кв 3") or
an address is announced ("живу на Зелёной 18", "адрес: Садовая 3"). The town, region or
postcode written just before goes with it ("г. Казань, ул. Баумана, 12-4").

English: "221B Baker Street", "17 Elm St, Apt 4", "1207 W Division St, Chicago, IL 60622",
"Flat 2, 14 Mill Lane"; in lower case after "I live at", "ship to", ...

A street named without a number is a direction, not an address ("поверни на улице Ленина",
"turn left on Main Street"); a number that is a distance, a time or a count is no house
("от улицы Гагарина 2 км", "до Ленина 5 минут", "на Садовой 3 светофора"); a flat alone is
talk ("квартира 56, этаж 4", "54 кв. м").
"""

from __future__ import annotations

import re

from clonebot.pii._alternatives import by_first_letter
from clonebot.pii._candidate import Cand

# ------------------------------------------------------------------ Russian
_TYPE = (r"(?:ул(?:ица|ице|ицу|ицы|ицей)?\.?|пр-к?т\.?|просп\.|проспект(?:а|е|ом|у)?|пр\.|пер\.|"
         r"переул(?:ок|ке|ка|ком|ку)|б-р\.?|бул\.|бульвар(?:а|е|ом|у)?|ш\.|шоссе|наб\.|набережн(?:ая|ой|ую)|"
         r"пл\.|площад(?:ь|и|ью)|проезд(?:а|е|у)?|туп\.|тупик(?:а|е|у)?|алле(?:я|е|и|ю)|мкр-?н?\.?|"
         r"микрорайон(?:а|е|у)?|кв-л\.?|квартал(?:а|е|у)?|лини(?:я|и|ю)|тракт(?:а|е|у)?)")
# a type word that follows the street's name ("Тверская ул.", "Ленинском проспекте")
_TYPE_AFTER = (r"(?:ул\.?|улица|улице|пр-к?т\.?|пр\.|просп\.|проспект(?:а|е|ом|у)?|пер\.|переул(?:ок|ке|ка)|"
               r"б-р\.?|бульвар(?:а|е|у)?|ш\.|шоссе|наб\.|набережн(?:ая|ой|ую)|пл\.|площад(?:ь|и)|"
               r"проезд(?:а|е)?|тупик(?:а|е)?|алле(?:я|е|и)|тракт(?:а|е)?|лини(?:я|и))")
_HOUSE = r"\d{1,4}[а-яa-z]?(?:[ \t]?/[ \t]?\d{1,4}[а-яa-z]?|-\d{1,4}[а-яa-z]?)?(?:[ \t]?(?:к|корп\.?)[ \t]?\d{1,2})?(?:[ \t]?(?:с|стр\.?)[ \t]?\d{1,2})?"
_HOUSE_WORD = r"(?:д\.?|дом|дома|доме)"
_PART_WORD = (r"(?:корп(?:ус)?\.?|к\.|стр(?:оение)?\.?|лит(?:ер|ера)?\.?|кв(?:артира|\.)?|оф(?:ис|\.)?|"
              r"комн(?:ата|\.)?|пом(?:ещение|\.)?|подъезд|под\.|эт(?:аж|\.)?|вл(?:адение|д)?\.?)")
_PARTS = rf"(?:[ \t]*,?[ \t]*{_PART_WORD}[ \t]*№?[ \t]*\d{{1,4}}[а-яa-z]?)*"
# a street's name after its type: one word in any case ("ул новая"), then capitalised words or
# the small ones names hold ("наб. реки Мойки", "ул. 8 Марта", "пр-т маршала Жукова")
_NAME = (r"(?:\d{1,4}(?:-?[а-я]{1,2})?[ \t]+)?[^\W\d_][\w-]*\.?"
         r"(?:[ \t]+(?:(?-i:[А-ЯЁA-Z][\w-]*\.?)|реки|им\.|имени|генерала|маршала|академика|героя|героев|"
         r"лет|года|канала|острова)){0,2}")
# capitalised, whatever re.I says around it
_CAPITAL = r"(?-i:[А-ЯЁ][а-яё-]+|[А-ЯЁ]{2,})"
_HOUSE_AT = rf"[ \t]*,?[ \t]*(?:{_HOUSE_WORD}[ \t]*№?[ \t]*)?(?P<house>{_HOUSE})(?P<parts>{_PARTS})"
_RU_ADDRESS = re.compile(
    rf"(?<![\w.-])(?:{_TYPE}[ \t]*{_NAME}"  # "ул. Ленина", "пр-т Мира", "наб. реки Мойки"
    rf"|{_CAPITAL}(?:[ \t]+{_CAPITAL})?[ \t]+{_TYPE_AFTER}"  # "Тверская ул.", "Невский пр."
    rf"|(?P<bare>{_CAPITAL}(?:[ \t]+{_CAPITAL})?))"  # "Профсоюзная 56, кв 3", "по адресу Мира 7-15"
    rf"{_HOUSE_AT}(?![\w/:-])", re.I)
# a house and a flat, the street (if any) after them: "д. 9, кв. 203", "д.15 кв.3 ул.Мира"
_HOUSE_AND_FLAT = re.compile(
    rf"(?<![\w.])(?:д\.|дом)[ \t]*{_HOUSE}[ \t]*,?[ \t]*(?:кв\.?|квартира)[ \t]*\d{{1,4}}(?![\w/])"
    rf"(?:[ \t]*,?[ \t]*{_TYPE}[ \t]*(?-i:[А-ЯЁ][\w-]*)(?:[ \t]+(?-i:[А-ЯЁ][\w-]*))?)?", re.I)
# what a number after a street is when it is no house: "2 км", "5 минут", "3 светофора"
_NOT_A_HOUSE = re.compile(
    r"[ \t]*(?:км|м\b|м\.|метр|мин|час|сек|раз|шаг|этаж|светофор|остановк|станци|перекр|поворот|дн[яейи]|день|недел|"
    r"месяц|лет\b|год|руб|р\.|₽|\$|€|тыс|млн|%|°|шт|человек|чел\b|штук|кг|литр|л\b|сот|квадрат|кв\.?[ \t]*м\b|"
    r"км/ч|минут|полос|машин|дом[аов]\b|квартир|подъезд[аов]|этаж[аей])", re.I)
_DWELLING = re.compile(r"кв|оф|комн|пом|подъезд|корп|к\.", re.I)
# a street with no type word is an address when one is announced or a flat follows
_ANNOUNCED = re.compile(
    r"(?<!\w)(?:ед[ьу]|езжай|поехали|подвез\w*|довез\w*|привез\w*|жив[уеёё]\w*|прожива\w*|прописан\w*|прописк\w*|адрес\w*|переехал\w*|доставк\w*|курьер\w*|посылк\w*|"
    r"приезжай|заезжай|подъезжай|забери|такси|я[ \t]+на|я[ \t]+у|мы[ \t]+на|к[ \t]+нам|ко[ \t]+мне|мой[ \t]+дом|"
    r"наш[ \t]+дом)[^.!?\n]{0,25}$", re.I)
# the town, region or postcode written before the street ("г. Казань, ", "Тульская обл., ")
_PLACE_BEFORE = re.compile(
    r"(?:\d{6}|(?:г\.?|(?:гор|с|пос|пгт|п|дер|д|ст|х)\.)[ \t]*[А-ЯЁ][\w-]+(?:[ \t]+[А-ЯЁ][\w-]+)?|"
    r"(?:город|село|деревня|пос[её]лок)[ \t]+[А-ЯЁ][\w-]+|[А-ЯЁ][а-яё]+[ \t]+(?:обл\.|область|край|р-н|район)|"
    r"(?:мкр|микрорайон)\.?[ \t]*[А-ЯЁ][\w-]+|Москва|Санкт-Петербург|СПб|Питер|Новосибирск|Екатеринбург|Казань|"
    r"Нижний[ \t]+Новгород|Челябинск|Самара|Омск|Ростов-на-Дону|Уфа|Красноярск|Воронеж|Пермь|Волгоград|Краснодар|"
    r"Тюмень|Саратов|Ижевск|Барнаул|Иркутск|Хабаровск|Ярославль|Владивосток|Томск|Оренбург|Кемерово|Рязань|"
    r"Набережные[ \t]+Челны|Пенза|Липецк|Тула|Киров|Калининград|Сочи|Минск|Киев|Алматы|Астана|Россия|РФ)"
    r"[ \t]*,?[ \t]*$")

# ------------------------------------------------------------------ English
_EN_TYPE = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|"
            r"Way|Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Close|Row|Circle|Alley|Trail|Mews|Gardens|Grove)")
_UNIT = r"(?:Apt|Apartment|Unit|Suite|Ste|Flat|Fl|Floor|Room|Rm|#)\.?[ \t]*#?[ \t]*[0-9][0-9A-Za-z-]{0,4}"
_EN_ADDRESS = re.compile(
    rf"(?<![\w#.,/-])(?:(?:Flat|Apt|Apartment|Unit|Suite)\.?[ \t]*\w{{1,5}},[ \t]*)?"
    rf"\d{{1,5}}[A-Za-z]?(?:-\d{{1,4}})?[ \t]+(?:(?:N|S|E|W|North|South|East|West)\.?[ \t]+)?"
    rf"(?:[A-Z][a-z'’]+|\d{{1,3}}(?:st|nd|rd|th))(?:[ \t]+[A-Z][a-z'’]+){{0,2}}[ \t]+{_EN_TYPE}\.?(?![\w'’])"
    rf"(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W|North|South|East|West)\b)?(?P<unit>[ \t]*,?[ \t]*{_UNIT}(?![\w-]))?")
# what comes before an address in a sentence ("I live at", "send it to", "new place:"), or after it
_EN_LEAD = re.compile(
    r"(?:(?<![\w'])(?:at|to|on|from|is|in|address|addr|live[sd]?|place|home|house|moved|visit|meet|come|"
    r"deliver|ship|send|mail|via|mine|ours)|[:—–(-])[ \t]*,?[ \t]*$", re.I)
_EN_TAIL = re.compile(r"[ \t]*(?:$|[.,;:!?)(—–-]|(?:is|was|now|then|please|pls|thanks|and|or|for|at|on|by|in|from|after|"
                      r"before|tomorrow|tonight|today|anytime|asap|if)\b|[\U0001F300-\U0001FAFF\u2600-\u27BF])",
                      re.I)
# said in lower case after a word that announces it: "i live at 12 baker street"
_EN_ANNOUNCED = re.compile(
    r"(?:live[sd]?|living|address|addr|ship|send|deliver|moved|mail)[ \t]+(?:is[ \t]+|at[ \t]+|to[ \t]+|:[ \t]*)*"
    r"(?P<a>\d{1,5}[a-z]?[ \t]+[a-z]+(?:[ \t]+[a-z]+)?[ \t]+(?:street|avenue|road|lane|drive|court|boulevard|place|way)\b"
    rf"(?:[ \t]*,?[ \t]*{_UNIT})?)", re.I)
# ", Springfield", ", Chicago, IL 60622": the town and state after the street
_EN_TOWN_AFTER = re.compile(
    r"[ \t]*,[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?(?:(?:[ \t]*,[ \t]*|[ \t]+)[A-Z]{2}(?:[ \t]+\d{5}(?:-\d{4})?)?"
    r"|,?[ \t]+[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})?"  # a UK postcode: "London SW1A 2AA"
    r"(?=[ \t]*(?:$|[.!?;)\n]|,[ \t]+[a-z]))")

# A word every address above holds (matched on the lowered line): a cheap look first
_CUE_WORDS = (
    "ул", "пр-", r"пр\.", "просп", "пер", "б-р", "бул", "бульв", r"ш\.", "шоссе", "наб", r"пл\.", "площад",
    "проезд", "туп", "алле", "мкр", "микрорайон", "кв", "лини", "тракт", r"д\.", "дом", "жив", "адрес",
    "прописк", "переехал", "доставк", "курьер", "посылк", "приезжай", "заезжай", "подъезжай", "забери",
    "такси", "я на", "я у", "едь", "еду", "езжай", "поехали", "подвез", "довез", "привез", "мы на",
    "к нам", "ко мне", "street", r"st\b", r"st\.", "avenue", "ave", "road", r"rd\b", r"rd\.", "boulevard",
    "blvd", "lane", r"ln\b", "drive", r"dr\b", r"dr\.", "court", r"ct\b", "place", r"pl\b", "terrace",
    r"way\b", "parkway", "pkwy", "highway", "hwy", "square", r"sq\b", "crescent", "close", r"row\b",
    "circle", "alley", "trail", "mews", "gardens", "grove",
)
# gathered under their first letters (only whether one is there is asked: 2-3x cheaper)
CUE = re.compile(by_first_letter(_CUE_WORDS))


def addresses(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _RU_ADDRESS.finditer(text):
        if _NOT_A_HOUSE.match(text, m.end("house")) and not m.group("parts"):
            continue
        if m.group("bare") is not None and not _bare_street_ok(text, m):
            continue
        out.append(_cand(text, _place_before(text, m.start()), m.end()))
    for m in _HOUSE_AND_FLAT.finditer(text):
        out.append(_cand(text, _place_before(text, m.start()), m.end()))
    for m in _EN_ADDRESS.finditer(text):
        town = _EN_TOWN_AFTER.match(text, m.end())
        if not (town or m.group("unit") or _EN_LEAD.search(text, max(0, m.start() - 30), m.start())
                or _EN_TAIL.match(text, m.end())):
            continue  # "12 Oak Street trees were cut down": a count and a street, not an address
        out.append(_cand(text, m.start(), town.end() if town else m.end()))
    for m in _EN_ANNOUNCED.finditer(text):
        out.append(_cand(text, m.start("a"), m.end("a")))
    return out


def _bare_street_ok(text: str, m: re.Match) -> bool:
    """A street named without its type word ("Профсоюзная 56"): an address when a flat or
    building follows, or when one is announced just before ("живу на Зелёной 18", "по адресу
    Мира 7-15", "едь на Гоголя 4"); otherwise a name and a number ("Маша 5", "Спартак 2")."""
    if _DWELLING.search(m.group("parts")):
        return True  # a flat, an office, a building: "стр. 12" alone may be a page ("Глава 5, стр. 12")
    return _ANNOUNCED.search(text, max(0, m.start() - 40), m.start()) is not None


def _place_before(text: str, start: int) -> int:
    """Take in the town, region and postcode written just before (up to three of them)."""
    for _ in range(3):
        m = _PLACE_BEFORE.search(text, max(0, start - 60), start)
        if m is None:
            break
        start = m.start()
    return start


def _cand(text: str, start: int, end: int) -> Cand:
    while end > start and text[end - 1] in " \t,.":
        end -= 1
    return Cand("address", start, end, "", " ".join(text[start:end].lower().split()))
