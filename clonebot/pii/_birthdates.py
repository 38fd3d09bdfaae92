"""Dates of birth: a date that a birthday word names, before or just after it.

"мой др 14.02.1991", "дата рождения: 03.07.1985", "у меня день рождения 12 марта", "я родилась
5 мая 1990", "12.03.1990 г.р.", "DOB 1988-11-23", "I was born on March 3, 1992", "my birthday
is July 14th", "b-day 22/09". The date may have no year: a birthday is the same every year.

Left alone: a date no birthday word names ("встреча 12.03.2024"), a birthday with no date ("с
днём рождения!", "др у Пети в субботу"), a year alone ("родился в 1995-м"), a birthday of a
company or a channel, and "родился <date>" with no one named before it (a fact from a
quiz or a biography: who was born is not in the line). Dates before 1900 are history.
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_RU_MONTH = (r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
             r"янв|февр?|мар|апр|июн|июл|авг|сент?|окт|нояб?|дек)(?![^\W\d_])\.?")
_EN_MONTH = (r"(?:January|February|March|April|(?-i:May)|June|July|August|September|October|November|December|"
             r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)(?![^\W\d_])\.?")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d\d"
_DATE = (
    rf"(?<![\d.,/-])(?:{_DAY}(?P<s>[./-]){_MONTH}(?:(?P=s)(?:{_YEAR}|\d\d))?"  # 14.02.1991, 22/09
    rf"|{_MONTH}/{_DAY}(?:/{_YEAR})?"  # 04/12/1986, 3/14: written the American way
    rf"|{_DAY}[ \t]{_MONTH}[ \t]{_YEAR}"  # 15 03 1990
    rf"|{_YEAR}-{_MONTH}-{_DAY}"  # 1988-11-23
    rf"|{_DAY}(?:-?(?:го|е|st|nd|rd|th))?(?:[ \t]+of)?[ \t]+(?:{_RU_MONTH}|{_EN_MONTH})(?:,?[ \t]+{_YEAR})?"
    rf"|{_EN_MONTH}[ \t]+{_DAY}(?:st|nd|rd|th)?(?:,?[ \t]+{_YEAR})?)(?![\d.,/-]?\d)(?!,?[ \t]+\d{{3,4}}(?!\d))")
_CUE = (r"(?<![\w.])(?:др|д\.[ \t]?р\.?|д/р|днюх\w*|(?:день|дня|днём|днем|дню)[ \t]+рождени\w*|дат\w*[ \t]+рожд\w*\.?|"
        r"рожд\.|(?P<born_ru>родил(?:ся|ась|ись|сь))|date[ \t]+of[ \t]+birth|birth[ \t]?date|dob|d\.o\.b\.?|"
        r"(?:birthday|b-?day|bday)(?:['’]s)?|born)(?![\w])")
# what may stand between the word and the date: a colon or "is", and at most three short words
# ("у меня день рождения 12 марта", "her birthday's on October 2nd", "дата рождения — 30.11.1993")
_GAP = r"(?P<gap>(?:[ \t]*(?:[:=—–,-]+|[^\W\d]{1,10})){0,3}?)[ \t]*"
_BIRTHDAY_THEN_DATE = re.compile(rf"{_CUE}{_GAP}(?P<date>{_DATE})", re.I)
# "12.03.1990 г.р.", "5 мая 1990 года рождения", "14.02 — мой др"
_DATE_THEN_BIRTHDAY = re.compile(
    rf"(?P<date>{_DATE})[ \t]*(?:г\.?[ \t]?р\.?|года[ \t]+рождения|г\.[ \t]*рожд|[—–-][ \t]*(?:мой|моя|его|её|ее|наш)?[ \t]*(?:др|днюха|день[ \t]+рождения|birthday))(?![\w])",
    re.I)
# a birthday that is no one's: "др компании 12 мая", "birthday of the channel"
_NOT_A_PERSON = re.compile(  # and a party on a date, not a birth: "happy birthday, see you on 12.05"
    r"see|meet|party|celebrat|увид|встреч|вечеринк|праздну|отмеча|компани|фирм|магазин|канал|групп|проект|город|школ|сайт|бренд|клуб|блог|приложени|бизнес|"
    r"company|store|shop|channel|project|school|city|club|brand|blog|app\b|business", re.I)
# "родился" names someone's birth only with someone before it: "я родилась", "сын родился"
_SOMEONE = re.compile(
    r"(?:(?<!\w)(?:я|ты|он|она|мы|вы|они|сын\w*|доч\w*|реб[её]н\w*|малыш\w*|внук\w*|внучк\w*|брат\w*|сестр\w*|"
    r"мам\w*|пап\w*|муж|жена|племянни\w*|крестни\w*|друг|подруга)|(?-i:[А-ЯЁ][а-яё]+))[ \t,]+(?:\w+[ \t]+)?$", re.I)
# "родился 12.05.1993, а ты?": an answer about oneself that asks back
_ASKED_BACK = re.compile(r"[ \t]*[,.!)]*[ \t]*(?:а|and)[ \t]+(?:ты|вы|у[ \t]+тебя|у[ \t]+вас|you)\b", re.I)
_NAMED = re.compile(r"(?-i:[А-ЯЁA-Z][а-яёa-z]+)")
_SOMEONE_AFTER = re.compile(r"[ \t]+(?:я|ты|он|она|мы|вы|они)[ \t]*", re.I)  # "родилась я 1 апреля 1995"
_YEAR_WORD = re.compile(r"[ \t]*(?:года|год|г\.(?:[ \t]?р\.)?|г(?![\w]))", re.I)  # "5 мая 1990 года"
_YEAR_IN = re.compile(r"(?:1[0-8]|19|20)\d\d")

CUE = re.compile(r"др|д\.|д/р|днюх|рожд|родил|birth|dob|d\.o\.b|b-?day|bday|born|г\.р|г\. р")  # on the lowered line


def birthdates(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _BIRTHDAY_THEN_DATE.finditer(text):
        gap = m.group("gap") or ""
        if _NOT_A_PERSON.search(gap):
            continue
        if m.group("born_ru") and not (_SOMEONE.search(text, max(0, m.start() - 30), m.start())
                                       or _SOMEONE_AFTER.fullmatch(m.group("gap") or "")
                                       or _ASKED_BACK.match(text, m.end())):
            continue  # "родился 13.09.1984": who was born is not in the line
        if _NAMED.search(gap) and not _YEAR_IN.search(m.group("date")):
            continue  # "день рождения Пушкина — 6 июня": someone named, no year: a date to know, not a DOB
        out += _date(m)
    for m in _DATE_THEN_BIRTHDAY.finditer(text):
        out += _date(m)
    return out


def _date(m: re.Match) -> list[Cand]:
    date = m.group("date")
    year = _YEAR_IN.search(date)
    if year is not None and int(year.group()) < 1900:
        return []  # history, not a living person
    end = m.end("date")
    year_word = _YEAR_WORD.match(m.string, end) if year is not None else None
    return [Cand("birthdate", m.start("date"), year_word.end() if year_word else end, "", date.lower())]
