"""Unicode look-alikes are folded before recognizers run; spans point into the original."""

from __future__ import annotations

import pytest

from clonebot.pii import scan
from clonebot.pii._normalize import fold


def test_fold_keeps_offsets_for_one_to_one_characters():
    text = "+7\u00a0903\u2009123\u201145\u201467 ＠ ９"
    folded = fold(text)
    assert folded.text == "+7 903 123-45-67 @ 9" and folded.kept is None
    assert fold("привет, как дела?").text == "привет, как дела?"


def test_fold_drops_invisible_characters_and_maps_spans_back():
    text = "тел 8903\u200b123\u200d4567 ок"
    folded = fold(text)
    assert folded.text == "тел 89031234567 ок"
    s = folded.text.index("8903")
    assert folded.span(s, s + 11) == (4, 17)
    [f] = scan(text)
    assert (f.kind, f.text) == ("phone", "8903\u200b123\u200d4567")


@pytest.mark.parametrize("text,value", [
    ("звони +7\u00a0916\u00a0555\u201112\u201134", "+7\u00a0916\u00a0555\u201112\u201134"),  # NBSP, non-breaking hyphen
    ("номер 8 916 555—12—34", "8 916 555—12—34"),  # em dashes
    ("тел. ８ ９１６ ５５５ １２ ３４", "８ ９１６ ５５５ １２ ３４"),  # full-width digits
    ("mail me: anna＠example.org", "anna＠example.org"),  # full-width at
    ("карта 4276\u202f3800\u202f1234\u202f5679", "4276\u202f3800\u202f1234\u202f5679"),  # narrow NBSP
])
def test_folded_pii_is_found_with_original_offsets(text, value):
    findings = scan(text)
    assert [(f.text, text[f.start : f.end]) for f in findings] == [(value, value)]


def test_text_without_pii_is_left_alone_whatever_its_script():
    for text in ("ＯＫ，ｄａ", "Привет — как ты?", "ça va — oui", "👍🏽 норм"):
        assert scan(text) == []


@pytest.mark.parametrize("text,value", [
    # Ukrainian and Belarusian letters (і ї є ґ ў) name the same things as Russian ones
    ("мій інн 7707083893", "7707083893"),
    ("серія 4510 номер 123456", "4510"),
    ("серыя 4510 нумар 123456", "123456"),
    ("ІНН: 500100732259", "500100732259"),
])
def test_ukrainian_and_belarusian_spellings_of_labels(text, value):
    assert any(text[f.start : f.end].find(value) >= 0 for f in scan(text)), [(f.kind, f.text) for f in scan(text)]


def test_ukrainian_letters_fold_one_to_one():
    folded = fold("мій інн, ґанок, Єва, ўсё")
    assert folded.text == "мий инн, ганок, Ева, усё" and folded.kept is None


@pytest.mark.parametrize("text,value", [
    ("PİN: 4821", "4821"),  # a Turkish keyboard's capital I
    ("pın 4821", "4821"),  # and its dotless small one
    ("мой паролᲆ: Kedr_2018", "Kedr_2018"),  # an old form of ъ (U+1C86), which re.I takes for ъ
])
def test_letters_lower_case_keeps_apart_reach_the_keywords(text, value):
    # keywords are looked for in the lowered line; str.lower() leaves these letters as
    # they are (or makes "İ" two characters), so fold() gives the ordinary ones
    assert [text[f.start : f.end] for f in scan(text)] == [value]
    assert len(fold(text).text) == len(text)
