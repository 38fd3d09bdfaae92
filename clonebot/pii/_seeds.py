"""BIP-39 seed phrases, as people write them, and not every list of common nouns.

All of "milk, bread, butter, cheese, apple" are BIP-39 words, so a run of list words is a
seed only when people would write it so:
- its checksum holds (12/15/18/21/24 words);
- it is numbered ("1. abandon 2. ability ...");
- it is announced ("seed", "сид", "мнемоника", "фраза восстановления", "recovery phrase",
  "12 слов", ...): then 6+ words are enough, and halves with words between count too;
- or its parts, split by other words, add up to a checksum-valid phrase.
A run of list words with none of these (a shopping list, a quiz of animals) stays.
Words may be joined by spaces, commas, "-", " / ", newlines or list numbers, and one word
in a phrase may carry a typo (one letter added, dropped, changed or swapped).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from mnemonic import Mnemonic

from clonebot.pii._candidate import Cand

_WORDLIST = Mnemonic("english").wordlist
_WORDS = frozenset(_WORDLIST)
_INDEX = {w: i for i, w in enumerate(_WORDLIST)}
_LENGTHS = (12, 15, 18, 21, 24)
_WORD = re.compile(r"[A-Za-z][A-Za-z]*")  # a class first, not a repeat: re skips to the letters
_GAP = re.compile(r"[\s,;.:)(\-/|•*_+]*(?:\d{1,2}[.):]?[\s,;.:)(\-/|•*_+]*)?")
_MAX_GAP = 8
_MAX_NUMBERED_GAP = 24  # a phrase in two columns: "1 crouch       13 loud"
_NUMBERED = re.compile(r"\d{1,2}")
_LEAD_NUM = re.compile(r"(?<!\d)\d{1,2}[.):-]?\s*$")
_ANNOUNCED = re.compile(
    r"seed|сид(?![а-яё])|сид[ыа]\b|мнемони|mnemonic|recovery|восстановл|backup|бэкап|phrase|фраз[аыуе]|"
    r"(?:wallet|кошел\w*|metamask|метамаск\w*|ledger|trust\s?wallet|phantom|exodus)\s+(?:words|слов)|"
    r"половин|\bhalf\b|первые\s+\d|остальн|first\s+\d|last\s+\d|the\s+rest\b|остаток|продолжени|окончани|"
    # "вторая часть: ...", "part 2", "pt 2" (not "вторая часть списка: ...")
    r"(?:перв|втор|трет|последн|друг|нижн|верхн)\w*\s+(?:часть|кусок)\s*[:\-—]|\b(?:part|pt\.?)\s*(?:\d|one|two)\b|"
    r"(?:words?|слов[ао]?)\s+(?:\d{1,2}\s*(?:[-–]|to|по|до)\s*\d{1,2}|с\s+\d)",
)  # read in lower case (announces_seed): re.I over Cyrillic costs ~3x
_MIN_ANNOUNCED_RUN = 4
_MAX_TYPOS = 2  # in one run
_MIN_ANNOUNCED_TOTAL = 10


# literal stems of every announcement: a fast first look before the full pattern
_ANNOUNCE_HINT = re.compile(
    r"seed|сид|мнемон|mnemonic|recover|восстанов|backup|бэкап|phrase|фраз|слов|word|half|половин|"
    r"первые|остальн|first|last|rest|остат|продолж|оконч|част|кусок|part|pt")


# A count of words alone ("12 words list for the spelling test: ...", "24 слова для диктанта")
# announces a list, not a wallet: such a run is a seed only when its checksum holds
_COUNTED = re.compile(r"(?:12|15|18|24|двенадцать|двадцать\s+четыре)\s+(?:слов|words)|слова\s+(?:от|для|к)\s")


def announces_seed(low: str) -> bool:
    """`low`: the text in lower case (re.I over Cyrillic is slow). A seed, a wallet, a
    recovery phrase or a part of one is named."""
    return _ANNOUNCE_HINT.search(low) is not None and _ANNOUNCED.search(low) is not None


def may_announce(low: str) -> bool:
    """`announces_seed`, or a count of words: worth a look for a checksum-valid run. (A count
    holds "слов" or "words", both stems of the first look: one scan rules both out.)"""
    return _ANNOUNCE_HINT.search(low) is not None and (
        _ANNOUNCED.search(low) is not None or _COUNTED.search(low) is not None)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_BY_DELETION: dict[str, list[str]] = {}  # a list word with one letter dropped -> the words
for _w in _WORDS:
    for _d in _deletions(_w):
        _BY_DELETION.setdefault(_d, []).append(_w)


@lru_cache(maxsize=4096)
def _corrections(word: str) -> tuple[str, ...]:
    """List words one edit away: a letter added, dropped, changed or two swapped
    ("abandn", "abbandon", "abanodn")."""
    if len(word) < 3:
        return ()
    dels = _deletions(word)
    out = {d for d in dels if d in _WORDS}  # a letter added
    out.update(_BY_DELETION.get(word, ()))  # a letter dropped
    for d in dels:  # changed or swapped
        out.update(_BY_DELETION.get(d, ()))
    out.discard(word)
    return tuple(sorted(out))


def _checksum_valid(words: list[str]) -> bool:
    """BIP-39: 11 bits a word; the last len/3 bits are the first bits of SHA-256(entropy)."""
    bits = 0
    for w in words:
        i = _INDEX.get(w)
        if i is None:
            return False
        bits = bits << 11 | i
    total = len(words) * 11
    cs = total // 33
    entropy = (bits >> cs).to_bytes((total - cs) // 8, "big")
    return hashlib.sha256(entropy).digest()[0] >> (8 - cs) == bits & ((1 << cs) - 1)


@lru_cache(maxsize=8192)  # chat words repeat: most lookups are hits
def _status(w: str) -> int:
    """2: a list word, 1: a list word with a typo, 0: anything else."""
    if not (w.islower() or w.isupper() or w.istitle()):
        return 0
    low = w.lower()
    if low in _WORDS:
        return 2
    return 1 if _corrections(low) else 0


# The fewest words a finding needs (an announced run of six; a split phrase has ten, a run on
# its own twelve): a line with fewer words is not walked word by word.
_FEWEST_WORDS = 6


def seeds(text: str) -> list[Cand]:
    words = _WORD.findall(text)
    if len(words) < _FEWEST_WORDS:
        return []
    if not _enough_list_words(words):
        return []
    runs = _runs(text)
    if not runs:
        return []
    announced = announces_seed(_outside_runs(text, runs).lower())
    out: list[Cand] = []
    # a phrase split in parts with words between ("... и дальше ..."): announced, or the
    # parts together a checksum-valid phrase
    total = sum(len(r) for r in runs)
    split = len(runs) > 1 and (
        (announced and total >= _MIN_ANNOUNCED_TOTAL)
        or (total in _LENGTHS and _checksum_ok([w for r in runs for w in r], max_typos=1)))
    for run in runs:
        if (split and _few_typos(run)) or _is_seed(text, run, announced):
            out.append(_cand(text, run))
    return out


# a list word as _status takes it exactly: in lower case, upper case or title case
_EXACT_FORMS = frozenset(f for w in _WORDLIST for f in (w, w.upper(), w.title()))


def _enough_list_words(words: list[str]) -> bool:
    """A run is kept with this many exact list words: a line with fewer in all is not walked."""
    return sum(map(_EXACT_FORMS.__contains__, words)) >= _MIN_ANNOUNCED_RUN


def _outside_runs(text: str, runs: list[list[tuple[re.Match, int]]]) -> str:
    """The text around the runs (and their first two words: "seed phrase: ..."): "seed",
    "phrase" and "half" are list words too, and a list that holds one announces nothing."""
    parts, pos = [], 0
    for run in runs:
        cut = run[min(2, len(run) - 1)][0].start()
        parts.append(text[pos:cut])
        pos = max(pos, run[-1][0].end())
        parts.append(" ")
    parts.append(text[pos:])
    return "".join(parts)


def _few_typos(run: list[tuple[re.Match, int]]) -> bool:
    """One typo in a short run, two from twelve words on: prose is full of near-words."""
    return sum(st == 1 for _, st in run) <= max(1, len(run) // 6)


# A list-like gap (_GAP) holds only these characters: a run never crosses any other one. The
# stretches of words and such gaps that hold enough words for a run (four), each whole.
# (The first letter before the look behind at a word's start: re skips to the Latin letters.)
_STRETCH = re.compile(r"[A-Za-z](?<![A-Za-z]{2})[A-Za-z]*+(?:[\s,;.:)(\-/|•*_+\d]++[A-Za-z]++){%d,}"
                      % (_MIN_ANNOUNCED_RUN - 1))


def may_hold_run(text: str) -> bool:
    """Whether `text` holds a stretch a run can lie in (``seeds`` finds nothing in a line
    without one): one scan that skips to the Latin letters, before any count of words or
    separators (most chat lines are ruled out here; a Cyrillic line costs next to nothing)."""
    return _STRETCH.search(text) is not None


def _runs(text: str) -> list[list[tuple[re.Match, int]]]:
    """Maximal runs of list words (at most two typos each) with list-like gaps between, looked
    for stretch by stretch: a run closes where its stretch ends, once the word after it is read
    (a typo there drops a typo that opened the run)."""
    runs: list[list[tuple[re.Match, int]]] = []
    for stretch in _STRETCH.finditer(text):
        after = _WORD.search(text, stretch.end())
        runs += _stretch_runs(text, stretch.start(), len(text) if after is None else after.end())
    return runs


def _stretch_runs(text: str, start: int, end: int) -> list[list[tuple[re.Match, int]]]:
    runs: list[list[tuple[re.Match, int]]] = []
    run: list[tuple[re.Match, int]] = []
    typos = exact = 0  # in the open run
    last_end = 0  # where the open run's last word ends
    for m in _WORD.finditer(text, start, end):
        st = _status(m.group())
        if run and st:
            gap = text[last_end : m.start()]
            if st == 1 and typos == _MAX_TYPOS and run[0][1] == 1:
                run.pop(0)  # "the seed ...": a near-word in front was no typo after all
                typos -= 1
            # one space, the usual gap, is a list-like one (and the number looked for only in a
            # gap too long for a plain one)
            too_long = gap != " " and len(gap) > _MAX_GAP and (
                len(gap) > _MAX_NUMBERED_GAP or _NUMBERED.search(gap) is None)
            if too_long or (gap != " " and not _GAP.fullmatch(gap)) or (st == 1 and typos == _MAX_TYPOS):
                if exact >= _MIN_ANNOUNCED_RUN:
                    runs.append(run)
                run, typos, exact = [], 0, 0
        if st:
            run.append((m, st))
            typos += st == 1
            exact += st == 2
            last_end = m.end()
        elif run:
            if exact >= _MIN_ANNOUNCED_RUN:
                runs.append(run)
            run, typos, exact = [], 0, 0
    if run and exact >= _MIN_ANNOUNCED_RUN:
        runs.append(run)
    return runs


def _is_seed(text: str, run: list[tuple[re.Match, int]], announced: bool) -> bool:
    n = len(run)
    if announced and n >= 6 and _few_typos(run):
        return True
    if n < 12:
        return False
    gaps = [text[a[0].end() : b[0].start()] for a, b in zip(run, run[1:])]
    if sum(1 for g in gaps if _NUMBERED.search(g)) >= n - 2:
        return True  # a numbered list
    if sum(st == 1 for _, st in run) > 1 and not _whole_line(text, run, gaps):
        return False  # with two typos the checksum proves little: only a line that is a phrase
    return _checksum_ok(run, _MAX_TYPOS, gaps)


def _whole_line(text: str, run: list[tuple[re.Match, int]], gaps: list[str]) -> bool:
    """The line is the phrase, words split by single spaces, as seeds are written."""
    return (len(run) in _LENGTHS and all(g == " " for g in gaps)
            and _LINE_HEAD.fullmatch(text, 0, run[0][0].start()) is not None
            and _LINE_TAIL.fullmatch(text, run[-1][0].end()) is not None)


# what may stand around a phrase that is the whole line: a short label ("seed: ") and a full stop
_LINE_HEAD = re.compile(r"\s*(?:\S(?:.{0,10}\S)?)?\s*", re.S)
_LINE_TAIL = re.compile(r"[ .!]*")


def _checksum_ok(run: list[tuple[re.Match, int]], max_typos: int, gaps: list[str] | None = None) -> bool:
    """The run is a checksum-valid phrase (typos: once corrected). With `gaps` (a run found
    on its own) it may carry one more list word set off by punctuation ("wallet: w1 ... w12");
    a window inside a longer list is chance (1 in 16 per window for 12 words)."""
    words = [m.group().lower() for m, _ in run]
    typos = [i for i, (_, st) in enumerate(run) if st == 1]
    if len(typos) > max_typos:
        return False
    options = [words]
    for i in typos:
        options = [ws[:i] + [w] + ws[i + 1 :] for ws in options for w in _corrections(words[i])]
    starts = [0]
    if gaps is not None and len(run) - 1 in _LENGTHS:
        starts = [i for i, gap in ((0, gaps[-1]), (1, gaps[0])) if gap.strip(" \t")]
        size = len(run) - 1
    elif len(run) in _LENGTHS:
        size = len(run)
    else:
        return False
    for ws in options:
        for i in starts:
            if _checksum_valid(ws[i : i + size]):
                return True
    return False


def _cand(text: str, run: list[tuple[re.Match, int]]) -> Cand:
    start = run[0][0].start()
    lead = _LEAD_NUM.search(text, max(0, start - 5), start)
    if lead:  # "1. word 2. word ...": take the first marker too
        start = lead.start()
    words = " ".join(m.group().lower() for m, _ in run)
    return Cand("seed", start, run[-1][0].end(), f"{len(run)} words", words)
