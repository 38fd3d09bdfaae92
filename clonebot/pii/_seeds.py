"""BIP-39 seed phrases, as people write them, and not every list of common nouns.

All of "milk, bread, butter, cheese, apple" are BIP-39 words, so a run of list words is a
seed only when people would write it so:
- its checksum holds (12/15/18/21/24 words);
- it is numbered ("1. abandon 2. ability ...");
- it is announced ("seed", "сид", "мнемоника", "фраза восстановления", "recovery phrase",
  "12 слов", ...): then halves with words between count too;
- or it is a plain run of 12+ words joined by spaces or dashes only, all in one case (a
  sentence never holds 12 list words in a row; a shopping list has commas).
Words may be joined by spaces, commas, "-", " / ", newlines or list numbers, and one word
in a phrase may carry a typo (one letter added, dropped, changed or swapped).
"""

from __future__ import annotations

import re
from functools import lru_cache

from mnemonic import Mnemonic

from clonebot.pii._candidate import Cand

_MNEMONIC = Mnemonic("english")
_WORDS = frozenset(_MNEMONIC.wordlist)
_LENGTHS = (12, 15, 18, 21, 24)
_WORD = re.compile(r"[A-Za-z]+")
_GAP = re.compile(r"[\s,;.:)(\-/|•*]*(?:\d{1,2}[.):]?[\s,;.:)(\-/|•*]*)?")
_MAX_GAP = 8
_NUMBERED = re.compile(r"\d{1,2}")
_LEAD_NUM = re.compile(r"(?<!\d)\d{1,2}[.):-]?\s*$")
_ANNOUNCED = re.compile(
    r"seed|сид\b|сид[- ]?фраз|мнемони|mnemonic|recovery|восстановл|backup|бэкап|secret\s+phrase|"
    r"секретн\w*\s+фраз|фраз[аыуе]\s+(?:от|для)|(?:12|24|двенадцать)\s+(?:слов|words)|слова\s+от|"
    r"кошел|wallet|metamask|метамаск|trust\s?wallet|ledger|phantom|exodus|половин|half|первые\s+\d|"
    r"остальн|first\s+\d|last\s+\d",
    re.I)
_MIN_ANNOUNCED_RUN = 4
_MIN_ANNOUNCED_TOTAL = 10


def announces_seed(text: str) -> bool:
    return _ANNOUNCED.search(text) is not None


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_ONE_LESS = {}  # a list word with one letter dropped -> the word
for _w in _WORDS:
    for _d in _deletions(_w):
        _ONE_LESS.setdefault(_d, _w)


@lru_cache(maxsize=4096)
def _near_word(word: str) -> bool:
    """One letter added, dropped, changed or two swapped ("abandn", "abbandon", "abanodn")."""
    if len(word) < 4:
        return False
    if word in _ONE_LESS:
        return True
    dels = _deletions(word)
    return any(d in _WORDS or d in _ONE_LESS for d in dels)


def _status(w: str, in_run: bool) -> int:
    """2: a list word, 1: a list word with a typo (only looked for inside a run), 0: else."""
    if not (w.islower() or w.isupper() or w.istitle()):
        return 0
    low = w.lower()
    if low in _WORDS:
        return 2
    return 1 if in_run and _near_word(low) else 0


def seeds(text: str) -> list[Cand]:
    runs = _runs(text)
    if not runs:
        return []
    announced = announces_seed(text)
    out: list[Cand] = []
    # a phrase split in parts with words between ("... и дальше ..."): announced, or each
    # part written plainly and the parts adding up to a phrase length
    parts = runs if announced else [r for r in runs if _plain(text, r)]
    total = sum(len(r) for r in parts)
    split = len(parts) > 1 and (total in _LENGTHS or (announced and total >= _MIN_ANNOUNCED_TOTAL))
    for run in runs:
        if _is_seed(text, run, announced) or (split and any(run is p for p in parts)):
            out.append(_cand(text, run))
    return out


def _runs(text: str) -> list[list[tuple[re.Match, int]]]:
    """Maximal runs of list words (at most one typo each) with list-like gaps between."""
    runs: list[list[tuple[re.Match, int]]] = []
    run: list[tuple[re.Match, int]] = []
    typos = 0
    for m in _WORD.finditer(text):
        st = _status(m.group(), bool(run))
        if run and st:
            gap = text[run[-1][0].end() : m.start()]
            if len(gap) > _MAX_GAP or not _GAP.fullmatch(gap) or (st == 1 and typos):
                runs.append(run)
                run, typos = [], 0
        if st == 1 and not run:
            continue  # a phrase does not start with a typo
        if st:
            run.append((m, st))
            typos += st == 1
        elif run:
            runs.append(run)
            run, typos = [], 0
    if run:
        runs.append(run)
    for r in runs:
        while r and r[-1][1] == 1:  # nor end with one
            r.pop()
    return [r for r in runs if len(r) >= _MIN_ANNOUNCED_RUN]


def _is_seed(text: str, run: list[tuple[re.Match, int]], announced: bool) -> bool:
    n = len(run)
    if announced and n >= 6:
        return True
    if n < 12:
        return False
    gaps = [text[a[0].end() : b[0].start()] for a, b in zip(run, run[1:])]
    if sum(1 for g in gaps if _NUMBERED.search(g)) >= n - 2:
        return True  # a numbered list
    if all(st == 2 for _, st in run) and _checksum_window(run):
        return True
    return _plain(text, run)


def _plain(text: str, run: list[tuple[re.Match, int]]) -> bool:
    """Joined by spaces, dashes or slashes only, all in one case: how seeds are pasted."""
    words = [m.group() for m, _ in run]
    if not (all(w.islower() for w in words) or all(w.isupper() for w in words)):
        return False
    return all(text[a[0].end() : b[0].start()].strip(" \t\n-/") == "" for a, b in zip(run, run[1:]))


def _checksum_window(run: list[tuple[re.Match, int]]) -> bool:
    words = [m.group().lower() for m, _ in run]
    for size in _LENGTHS:
        for i in range(0, len(words) - size + 1):
            if _MNEMONIC.check(" ".join(words[i : i + size])):
                return True
    return False


def _cand(text: str, run: list[tuple[re.Match, int]]) -> Cand:
    start = run[0][0].start()
    lead = _LEAD_NUM.search(text, max(0, start - 5), start)
    if lead:  # "1. word 2. word ...": take the first marker too
        start = lead.start()
    words = " ".join(m.group().lower() for m, _ in run)
    return Cand("seed", start, run[-1][0].end(), f"{len(run)} words", words)
