"""Exact geo coordinates: a pin as a map app copies it.

Found by default: a latitude and a longitude with six decimals or more (about 10 cm: what
Google and Yandex Maps copy, "55.751244, 37.618423"), degrees with minutes and seconds
("55°45′21″N 37°37′04″E"), a pair in a map link ("maps.google.com/?q=55.7558,37.6173",
"yandex.ru/maps/?pt=37.62,55.75"), and "lat 51.507351, lng -0.127758".

Coordinates typed by hand to four or five decimals ("координаты 47.0942, 20.6055", "встречаемся
тут 58.6783, 41.8516") are mostly meeting places and are left alone unless the owner asks
(``all_coordinates``): then any pair with four decimals or more, and any labelled one with
three. Scores, rates and versions ("2.5, 1.75", "92.4512, 100.2345", "55.0.2883.87") are
no pair: they fall outside the ranges or lack the decimals.
"""

from __future__ import annotations

import re

from clonebot.pii._candidate import Cand

_PAIR = re.compile(  # "55.751244, 37.618423", "N55.751201 E37.618412", "56.123456 N, 38.543219 E"
    r"(?<![\w.-])(?:[NSСЮ][ \t]?)?(?P<lat>-?\d{1,3}\.(?P<latd>\d{4,}))°?[ \t]*(?:[NSСЮ](?![\w]))?[ \t]*[,;/ \t][ \t]*"
    r"(?:[EWВЗ][ \t]?)?(?P<lon>-?\d{1,3}\.(?P<lond>\d{4,}))°?(?:[ \t]*[EWВЗ](?![\w]))?(?![\d.]|\.\d)")
# with decimal commas, as a spreadsheet writes them: "55,751244 37,618423" (six decimals or more)
_COMMA_PAIR = re.compile(r"(?<![\w.,-])(?P<lat>-?\d{1,2},(?P<latd>\d{6,}))[ \t;]+(?P<lon>-?\d{1,3},(?P<lond>\d{6,}))(?![\d,])")
_DMS = r"\d{1,3}°[ \t]*\d{1,2}['′’][ \t]*\d{1,2}(?:[.,]\d+)?(?:[\"″”]|'')?[ \t]*"
_DMS_PAIR = re.compile(rf"(?<![\d.]){_DMS}[NSСЮ][ \t,;]*{_DMS}[EWВЗ](?![\w])")
_LABELLED = re.compile(
    r"(?<![\w])(?:lat(?:itude)?|широта|lng|lon(?:gitude)?|долгота)[ \t]*[:=]?[ \t]*(?P<v>-?\d{1,3}\.(?P<d>\d{3,}))(?![\d.])",
    re.I)
_MAP_LINK = re.compile(
    r"(?:maps?\.google|google\.[a-z.]{2,6}/maps|goo\.gl/maps|yandex\.[a-z]{2,3}/maps|maps\.yandex|2gis\.|"
    r"openstreetmap\.org|maps\.apple\.com|waze\.com)[^\s]*", re.I)
_APP_DECIMALS = 6  # what map apps copy
# both numbers this small are the ocean off Africa, or a model's two losses ("1.234567, 2.345678")
_NEAR_ZERO = 5
_TYPED_DECIMALS = 4  # a pin typed by hand, or read off a link
_LABELLED_DECIMALS = 3

CUE = re.compile(r"\d[.,]\d{3}|°")  # on the line: a number with three decimals, or degrees


def coordinates(text: str, everything: bool = False) -> list[Cand]:
    """``everything``: also pairs typed to four or five decimals (the owner's choice)."""
    out: list[Cand] = []
    links = [m.span() for m in _MAP_LINK.finditer(text)] if "/" in text else []
    for m in (*_PAIR.finditer(text), *(_COMMA_PAIR.finditer(text) if "," in text else ())):
        in_link = any(s <= m.start() < e for s, e in links)
        need = _TYPED_DECIMALS if (everything or in_link) else _APP_DECIMALS
        if min(len(m.group("latd")), len(m.group("lond"))) < need:
            continue
        a, b = abs(float(m.group("lat").replace(",", "."))), abs(float(m.group("lon").replace(",", ".")))
        if min(a, b) <= 90 and max(a, b) <= 180 and max(a, b) >= _NEAR_ZERO:  # a map link may put the longitude first
            out.append(Cand("geo", m.start(), m.end(), "", f"{m.group('lat')},{m.group('lon')}"))
    for m in _DMS_PAIR.finditer(text):
        out.append(Cand("geo", m.start(), m.end(), "", " ".join(m.group().split())))
    for m in _LABELLED.finditer(text):
        if len(m.group("d")) >= (_LABELLED_DECIMALS if everything else _APP_DECIMALS) and abs(float(m.group("v"))) <= 180:
            out.append(Cand("geo", m.start("v"), m.end("v"), "", m.group("v")))
    return out
