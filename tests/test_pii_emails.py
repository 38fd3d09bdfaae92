"""E-mail addresses, also as written to dodge bots; "@", "at" and "собака" in prose stay."""

from __future__ import annotations

import pytest
from fixtures_pii import redacted, shown, untouched



@pytest.mark.parametrize("text,value", [
    ("пиши на olga.k(at)yandex.ru", "olga.k(at)yandex.ru"),
    ("resume to olga [at] gmail [dot] com pls", "olga [at] gmail [dot] com"),
    ("почта olga собака mail точка ru, жду", "olga собака mail точка ru"),
    ("почта olgaсобакаmail.ru", "olgaсобакаmail.ru"),
    ("olga {at} inbox {dot} ru", "olga {at} inbox {dot} ru"),
    ("olga at protonmail dot com", "olga at protonmail dot com"),
    ("мыло olga @ bk.ru", "olga @ bk.ru"),
    ("мыло olga@ bk.ru", "olga@ bk.ru"),
    ("OLGA.K@YANDEX.RU", "OLGA.K@YANDEX.RU"),
    ("адрес olga＠list.ru", "olga＠list.ru"),
    ("olga.k@yandex . ru", "olga.k@yandex . ru"),
    ("olga[@]rambler.ru", "olga[@]rambler.ru"),
    ("пиши на olga.k@gmail, не ошибись", "olga.k@gmail"),
])
def test_emails_found(text, value):
    assert redacted(text, value), (text, shown(text))


@pytest.mark.parametrize("text", [
    "brew install python@3.12",
    "npm i @types/node",
    "напиши @durov в личку",
    "2 @ 3.99 each",
    "look at google.com for that",
    "I work at yandex.ru now",
    "моя собака любит гулять, точка",
    "meet me at the cafe, dot on the map",
    "встреча at 5 pm",
    "pip install foo@mail",
])
def test_email_lookalikes_untouched(text):
    assert untouched(text), shown(text)
