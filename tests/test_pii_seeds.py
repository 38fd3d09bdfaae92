"""Seed phrases as people write them; lists of nouns (all BIP-39 words) stay."""

from __future__ import annotations

import pytest
from fixtures_pii import kinds, redacted, shown, untouched


# checksum-valid phrases made for these tests
S12 = "extend car small town run stay dinner cross embody wing still accident".split()
S24 = ("unit task effort delay meat sustain twice social vapor observe citizen early depth basic "
       "move inject trust expect health coral patrol meadow trouble sketch").split()


def _typo(words: list[str], i: int, new: str) -> list[str]:
    return words[:i] + [new] + words[i + 1 :]


@pytest.mark.parametrize("text,value", [
    (" ".join(S12), " ".join(S12)),
    ("-".join(S12), "-".join(S12)),
    (" / ".join(S12), " / ".join(S12)),
    ("\n".join(S12), "\n".join(S12)),
    (" ".join(S24).upper(), " ".join(S24).upper()),
    (" ".join(f"{i}) {w}" for i, w in enumerate(S12, 1)), " ".join(f"{i}) {w}" for i, w in enumerate(S12, 1))),
    # halves with words between, announced or not
    (f"сид, первые шесть: {' '.join(S12[:6])}, остальные завтра", " ".join(S12[:6])),
    (f"{' '.join(S12[:6])} и дальше {' '.join(S12[6:])}", " ".join(S12[6:])),
    (f"{' '.join(S12[:6])} и дальше {' '.join(S12[6:])}", " ".join(S12[:6])),
    # one typo: a letter dropped, added or swapped
    (" ".join(_typo(S12, 3, "twon")), " ".join(_typo(S12, 3, "twon"))),
    (" ".join(_typo(S12, 11, "acident")), " ".join(_typo(S12, 11, "acident"))),
    (" ".join(_typo(S24, 0, "units")), " ".join(_typo(S24, 0, "units"))),
    # joined with no spaces at all
    ("/".join(S12), "/".join(S12)),
    ("_".join(S12), "_".join(S12)),
    (".".join(S12), ".".join(S12)),
    ("|".join(S24), "|".join(S24)),
    # two typos in a bare phrase
    (" ".join(_typo(_typo(S12, 3, "twon"), 8, "embdy")), " ".join(_typo(_typo(S12, 3, "twon"), 8, "embdy"))),
    (" ".join(_typo(_typo(S24, 1, "tsak"), 20, "patroll")), " ".join(_typo(_typo(S24, 1, "tsak"), 20, "patroll"))),
    # a half on its own, announced as part of a phrase
    (f"сид1: {' '.join(S12[:6])}", " ".join(S12[:6])),
    (f"вторая часть: {' '.join(S12[6:])}", " ".join(S12[6:])),
    (f"seed pt 2 - {' '.join(S12[6:])}", " ".join(S12[6:])),
    (f"остаток фразы: {' '.join(S12[6:])}", " ".join(S12[6:])),
    (f"words 7 to 12: {' '.join(S12[6:])}", " ".join(S12[6:])),
    (f"мнемоника (продолжение) {', '.join(S12[6:])}", ", ".join(S12[6:])),
    # announced, checksum or not
    ("моя мнемоника: milk bread butter cheese apple banana egg sugar rice coffee water juice",
     "milk bread butter cheese apple banana egg sugar rice coffee water juice"),
    ("recovery phrase: zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo",
     "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo"),
])
def test_seeds_found(text, value):
    assert redacted(text, value) and kinds(text) == {"seed"}, shown(text)


@pytest.mark.parametrize("text", [
    "milk, bread, butter, cheese, apple, banana, egg, sugar, rice, coffee, water, juice, salt",
    "купи: onion kiwi soap apple egg ketchup grape chicken tissue banana pepper cheese",
    "don't forget beef / coffee / egg / tissue / candy / orange / honey / juice / mushroom / tomato",
    "animal quiz: elephant, dolphin, tiger, zebra, monkey, rabbit, eagle, shark, whale, horse, camel, lion",
    "рюкзак в поход: water, snack, jacket, camera, ticket, phone, wallet",
    "my seed phrase is in a safe place, never ask me for it",
    " ".join(S12[:11]),  # eleven words are not a phrase
    "milk/bread/butter/cheese/apple/banana/egg/sugar/rice/coffee/water/juice/salt",
    "вторая часть списка: milk, bread, butter, cheese, apple, banana",
    "first part: wake up, run, shower, coffee, work",
    "backup plan: this will give you back some time later",  # prose is full of near-words
    # a shopping list with two misspellings, commas between
    "milk, bred, buter, cheese, apple, banana, egg, sugar, rice, coffee, water, juice",
])
def test_word_lists_untouched(text):
    assert untouched(text), shown(text)
