"""The cheap looks in front of costly patterns (issue 23) may only rule out lines the pattern
cannot match: on every line of the PII corpora, and on lines written for each shape, a line
a pattern matches passes the look that guards it. (A look that says "no" to such a line
would lose a redaction; editing a pattern without its look fails here.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from clonebot.pii import _links, _passwords, _secrets
from clonebot.pii._normalize import fold

ROOT = Path(__file__).resolve().parent

# Lines each guarded pattern matches (the corpora hold few of some shapes).
WRITTEN = [
    "бот: 1234567890:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0 не свети",
    "discord MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123",
    "ключ ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 и sk-proj-abcdefghijklmnopqrstu12345",
    "AKIAIOSFODNN7EXAMPLE и xoxb-1234567890-abcdefghij, AIzaSyA1234567890abcdefghijklmnopqrstu",
    "заходи https://t.me/+AbCdEfGhIjKl12 или https://chat.whatsapp.com/AbCdEfGhIjKl12",
    "https://discord.gg/7hKm2Qx, https://ZOOM.US/j/12345678901?pwd=abc, HTTPS://MEET.GOOGLE.COM/abc-defg-hij",
    "вход: https://example.com/auth/magic/7f3b9c2a81d4e5f60718293a4b5c6d7e",
    "https://site.ru/Reset-Password/8HddK2mQ9xZ41bTy",
    "логин ivan / qwerty1, login: ivan:Passw0rd!, USERNAME petya|Secret99",
    "пароьл: Tr0ub4dor, pasword= hunter22, прароль — Zx81zx81",
]


def _corpus_lines() -> list[str]:
    lines = list(WRITTEN)
    for path in sorted(ROOT.glob("pii_*/*.jsonl")):
        for row in path.read_text(encoding="utf-8").splitlines():
            if row.strip():
                text = json.loads(row).get("text")
                if isinstance(text, str):
                    lines.append(text)
    # the same lines shouted and inside a link: the looks are case-blind where the patterns are
    return lines + [t.upper() for t in lines] + [t + " https://example.com/a" for t in lines]


LINES = [fold(t).text for t in _corpus_lines()]


def test_the_corpora_are_there():
    assert len(LINES) > 3000


def test_every_provider_shape_passes_the_shared_look():
    matched = set()
    for t in LINES:
        for label, _, rx in _secrets._SHAPES:
            if rx.search(t):
                matched.add(label)
                # the look secrets() takes for a line with a long token
                assert (_secrets._ANY_LITERAL.search(t)
                        or any(r.search(t) for r in _secrets._TIGHTER.values())), (label, t)
    assert {"Telegram bot token", "Discord bot token", "GitHub token", "OpenAI key"} <= matched


@pytest.mark.parametrize("look,name", [(_links.may_invite, "invite"), (_links.may_log_in, "login link")],
                         ids=["invite", "login link"])
def test_links_pass_their_look(look, name):
    found = 0
    for t in LINES:
        hit = _links.invites(t) if name == "invite" else _links.login_links(t)
        if hit:
            found += 1
            assert look(t.lower()), (name, t)
    assert found >= 5


def test_password_pairs_and_slips_pass_their_looks():
    slips = pairs = 0
    for t in LINES:
        low = t.lower()
        if _passwords._SLIPPED_KEY_LOW.search(low) or _passwords._SLIPPED_KEY.search(t):
            slips += 1
            assert _passwords._SLIP_MARK.search(low) and _passwords._SLIP_MARK.search(t), t
        if _passwords._LOGIN_PAIR_LOW.search(low):
            pairs += 1
            assert _passwords._LOGIN_WORD.search(low), t
    assert slips >= 3 and pairs >= 3


def test_seed_phrases_are_found_with_and_without_the_word_count_look(monkeypatch):
    from clonebot.pii import _seeds

    lines = [t for t in LINES if len(t) >= 20] + [
        "seed: abandon ability able about above absent", "сид первая половина: zoo wrong year yellow zone"]
    gated = [_seeds.seeds(t) for t in lines]
    monkeypatch.setattr(_seeds, "_FEWEST_WORDS", 0)
    assert gated == [_seeds.seeds(t) for t in lines]
    assert sum(map(bool, gated)) >= 10


def test_shapes_that_need_a_long_run_start_at_or_after_the_first_one():
    """secrets() and the wallet look read a line from its first run of 16 token characters on
    (`_detect._long_at`): every match of those patterns must start there or later."""
    from clonebot.pii import _crypto, _detect, _totp

    checked = 0
    keys = ["2fa JBSWY3DPEHPK3PXP", "totp: jbswy3dpehpk3pxp7a", "x JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"]
    for t in LINES + keys:
        long_at = _detect._long_at(t)
        rxs = [rx for label, _, rx in _secrets._SHAPES if label not in _secrets._SHORT_SHAPES]
        rxs += [_secrets._LONG, _detect._CRYPTO_TOKEN, _crypto._SOL, _totp._SOLID]
        rxs += [rx for _, rx, _ in _crypto._CRYPTO]
        for rx in rxs:
            for m in rx.finditer(t):
                checked += 1
                assert long_at is not None and m.start() >= long_at, (rx.pattern[:40], t)
    assert checked >= 200


def test_a_random_string_starts_at_or_after_the_first_run_of_25():
    """secrets() reads unlabelled random strings (``_secrets._LONG``) from the line's first run of
    ``_detect._CRYPTO_TOKEN`` on, and not at all in a line without one."""
    from clonebot.pii import _detect

    checked = 0
    lines = LINES + ["key aB3xY9kL2mN8pQ4rS7tU1vW5zC6dE0fGhJ2 and", "https://x.io/a:b/" + "aB3xY9kL2m" * 4,
                     "a:" + "aB3xY9kL2m" * 3 + "Q x", "//" + "aB3xY9kL2m" * 4]
    for t in lines:
        run = _detect._CRYPTO_TOKEN.search(t)
        for m in _secrets._LONG.finditer(t):
            checked += 1
            assert run is not None and m.start() >= run.start(), t
    assert checked >= 30


def test_the_grouped_looks_find_what_their_words_do():
    """``_ANY_LITERAL`` and ``_LABEL_OR_ASSIGNED_CUE`` are gathered under first letters
    (``_alternatives``): each still finds every one of its words, and nothing else."""
    tighter = _secrets._TIGHTER
    literals = [n for label, needs, _ in _secrets._SHAPE_TABLE if label not in tighter for n in needs]
    plain = re.compile("|".join(map(re.escape, literals)))
    for t in LINES + literals + [f"x {n} y" for n in literals]:
        assert bool(_secrets._ANY_LITERAL.search(t)) == bool(plain.search(t)), t
    words = _secrets._LABEL_CUE.pattern.split("|") + _secrets._ASSIGNED_CUE.pattern.split("|")
    for t in [t.lower() for t in LINES] + words:
        both = [m.start() for rx in (_secrets._LABEL_CUE, _secrets._ASSIGNED_CUE)
                for m in [rx.search(t)] if m]
        cue = _secrets._LABEL_OR_ASSIGNED_CUE.search(t)
        assert (cue.start() if cue else None) == (min(both) if both else None), t


@pytest.mark.parametrize("text,kind", [
    # the short shapes are read from the line's start: a link after them must not hide them
    ("-----BEGIN PRIVATE KEY----- abc -----END PRIVATE KEY----- https://example.com/docs", "secret"),
    ("slack xoxb-1234567890 см https://example.com/abcdefgh", "secret"),
    # a link first, a key after it
    ("https://example.com/a и ключ ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "secret"),
    ("see https://example.com/abcdef then 1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "crypto"),
])
def test_a_key_before_or_after_a_link_is_found(text, kind):
    from clonebot.pii import scan

    assert kind in [f.kind for f in scan(text)], text


def test_seed_looks_let_every_run_and_every_count_through():
    from clonebot.pii import _seeds

    lines = LINES + ["seed: abandon ability able about above absent", "12 words: zoo wrong year yellow",
                     "двадцать четыре слова: zoo wrong year yellow", "слова для диктанта: zoo wrong year"]
    runs = counts = 0
    for t in lines:
        if _seeds._runs(t):  # a line with a run has as many exact list words in all
            runs += 1
            assert _seeds._enough_list_words(_seeds._WORD.findall(t)), t
        low = t.lower()
        if _seeds._COUNTED.search(low):  # a count of words holds a stem of the announcement look
            counts += 1
            assert _seeds._ANNOUNCE_HINT.search(low) and _seeds.may_announce(low), t
    assert runs >= 10 and counts >= 3


@pytest.mark.parametrize("text", ["ivan-at-mail.ru", "ivan_at_mail.ru", "ivan(at)mail.ru", "ivan[at]mail.ru",
                                  "ivan{at}mail.ru", "ivan<at>mail.ru", "ivan(a)mail.ru", "ivan[a]mail.ru"])
def test_odd_ats_open_the_email_look(text):
    from clonebot.pii import _detect, scan

    assert _detect._EMAIL_RX.search(text.lower())
    assert [f.kind for f in scan(text)] == ["email"], text


SPELLED_LINES = ["п а с п о р т 4511 123456", "P.A.S.S: Kedr_2018", "p. a. s. s: Kedr_2018", "п_и_н 4821",
                 "к*о*д 4821", "p/i/n 4821", "П-А-Р-О-Л-Ь: Kedr_2018", "gfhjkm jn gjxns: Kedr_2018",
                 "зфыыцщкв: Kedr_2018", "a.b. c", "а я и", "x-y", "т.д.", "мой п а р о л ь тут"]


def test_the_rewrite_look_passes_every_line_a_rewrite_changes():
    from clonebot.pii import _detect

    marks = re.compile("|".join(_detect._spelled_marks()))
    rewritten = 0
    for t in LINES + SPELLED_LINES + [t.lower() for t in SPELLED_LINES]:
        low = t.lower()
        # the marks-first alternatives find a spelt run exactly where the letter-first pattern does
        assert bool(re.search(_detect._SPELLED_START, low)) == bool(marks.search(low)), t
        if _detect._rewrite_cues(t, low) is not None:
            rewritten += 1
            assert _detect._REWRITE_GATE.search(low), t
    assert rewritten >= 8


SEED_LINES = [
    "1. abandon 2. ability 3. able 4. about 5. above 6. absent 7. absorb 8. abstract 9. absurd 10. abuse",
    "seed: zoo wrong year yellow zone, кофе потом: abandon ability able about",
    "abandon\u2003ability • able • about / above | absent_absorb+abstract",
    "ABANDON ABILITY ABLE ABOUT ABOVE ABSENT", "Abandon Ability Able About Above Absent",
    "abandon, abilty, able, about; above (absent) absorb: abstract 12 absurd 3) abuse",
    "фраза abandon ability able about и дальше above absent absorb abstract",
    "abandon 1234 ability able about above", "abandon ability able aboutкофе above absent",
    # a typo right after the stretch drops the typo that opened the run
    "dAc=+55ftain sing have chunk hybrid attitude forw@ard custom",
]


def test_runs_are_the_same_walked_stretch_by_stretch():
    """`_seeds._runs` walks only the stretches a run can lie in: the runs of the whole line."""
    from clonebot.pii import _seeds

    def spans(runs):
        return [[(m.span(), st) for m, st in run] for run in runs]

    found = 0
    for t in LINES + SEED_LINES:
        whole = _seeds._stretch_runs(t, 0, len(t))
        found += bool(whole)
        assert spans(_seeds._runs(t)) == spans(whole), t
    assert found >= 15


def test_exact_forms_are_the_list_words_status_takes_exactly():
    from clonebot.pii import _seeds

    for w in _seeds._WORDLIST[::7]:
        for form in (w, w.upper(), w.title(), w[:-1] + w[-1].upper(), w.upper()[:-1] + w[-1], w + "s"):
            assert (form in _seeds._EXACT_FORMS) == (_seeds._status(form) == 2), form


def _first_chars(items) -> tuple[set[str], bool]:
    """The characters a match of a parsed pattern can open with, and whether it can be empty."""
    from re import _constants as c

    out: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            return out | {chr(av)}, False
        if op is c.IN:
            for o, a in av:
                assert o in (c.LITERAL, c.RANGE), o
                out |= {chr(a)} if o is c.LITERAL else set(map(chr, range(a[0], a[1] + 1)))
            return out, False
        if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
            continue
        if op is c.BRANCH:
            subs = [_first_chars(b.data) for b in av[1]]
        elif op is c.SUBPATTERN:
            subs = [_first_chars(av[-1].data)]
        else:
            assert op in (c.MAX_REPEAT, c.MIN_REPEAT), op
            first, empty = _first_chars(av[2].data)
            subs = [(first, empty or av[0] == 0)]
        out |= set().union(*(f for f, _ in subs))
        if not any(e for _, e in subs):
            return out, False
    return out, True


def test_every_password_keyword_opens_with_a_word_character_of_the_lowered_look():
    from re import _parser

    first, empty = _first_chars(_parser.parse(re.compile(_passwords._KEY.pattern).pattern).data)
    assert not empty and first <= set(_passwords._KEY_FIRST), first - set(_passwords._KEY_FIRST)
    assert all(re.fullmatch(r"\w", ch) for ch in _passwords._KEY_FIRST)
    plain = re.compile(_passwords._KEY.pattern)  # the look behind first, as _KEY has it
    found = 0
    for t in LINES:
        low = t.lower()
        got = [(m.span(), m.lastgroup) for m in _passwords._KEY_LOW.finditer(low)]
        assert got == [(m.span(), m.lastgroup) for m in plain.finditer(low)], t
        found += bool(got)
    assert found >= 500


def test_every_slipped_password_word_passes_the_slip_look():
    slips = [*_passwords._one_slip("пароль", "[а-яё]").split("|"),
             *_passwords._one_slip("password", "[a-z]").split("|")]
    checked = 0
    for alt in slips:
        word = re.sub(r"\\(.)", r"\1", alt.replace("[а-яё]", "ж").replace("[a-z]", "q"))
        for mark in (":", "=", " :", "\t=", "— ", "- ", "– "):
            line = f"мой {word}{mark} Kedr_2018"
            if _passwords._SLIPPED_KEY_LOW.search(line):
                checked += 1
                assert _passwords._SLIP_WORD.search(line), line
    assert checked > 300


def test_the_keyword_look_finds_a_keyword_at_every_word_start():
    from clonebot.pii import _detect

    behind = re.compile(r"(?<![a-zа-яё])" + _detect._KEYWORDS)  # at a word start, looked behind
    hits = 0
    for t in LINES + SPELLED_LINES + ["пароль", "code", "1code", "x code", "Дcode", "ёcode", "xcode", ""]:
        low = t.lower()
        found = _detect._keyword_at_word_start(low)
        assert found == (behind.search(low) is not None), t
        hits += found
    assert hits >= 1000


PAIR_LINES = ["логин/пароль: admin/Qwerty12", "л/п ivan:Qwerty12", "логин и пароль: ivan, Qwerty12",
              "user:password = root:Toor1234", "login & pass: ivan Qwerty12", "e-mail + pw: a@b.c Qwerty12",
              "почта,пароль ivan@mail.ru,Qwerty12", "u/p: root / Toor1234",
              "login and\tpassword: ivan Qwerty12",
              "l|p root|Toor1234", "LOGIN\\PASS root\\Toor1234", "юзер :   пасс root Toor1234"]


def test_every_pair_header_passes_the_pair_mark_look():
    headers = 0
    for t in LINES + PAIR_LINES:
        low = t.lower()
        if _passwords._PAIR_HEADER_LOW.search(low):
            headers += 1
            assert _passwords._PAIR_MARK.search(low), t
    assert headers >= len(PAIR_LINES)


@pytest.mark.parametrize("text,kind", [
    ("пиши на ivan@mail.ru или звони 89161234567", "phone"),  # "@" first, the digits after it
    ("пин 4821, почта ivan@mail.ru", "password"),
    ("карта 4111 1111 1111 1111", "card"),
])
def test_the_digit_look_is_answered_by_the_sign_look(text, kind):
    from clonebot.pii import scan

    assert kind in [f.kind for f in scan(text)], scan(text)


SEED_LINES = [
    "seed: abandon ability able about above absent", "сид первая половина: zoo wrong year yellow zone zoo",
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    "1. abandon 2. ability 3. able 4. about 5. above 6. absent 7. absorb 8. abstract 9. absurd 10. abuse"
    " 11. access 12. accident",
    "кошелек: legal/winner/thank/year/wave/sausage/worth/useful/legal/winner/thank/yellow",
    "фраза восстановления zoo,wrong,year,yellow,zone,zoo", "Seed Abandon Ability Able About Above Absent"]


def test_a_seed_line_passes_the_stretch_look_and_others_find_nothing():
    """``_detect`` asks ``may_hold_run`` before any count of separators: a line it rules out
    must be one ``seeds`` finds nothing in (shouted, glued to Cyrillic or cut short too), and
    one where the word walk over the whole line (not stretch by stretch) finds no run."""
    from clonebot.pii import _seeds

    found = 0
    lines = LINES + SEED_LINES + [t.upper() for t in SEED_LINES] + [t.replace(" ", "ж") for t in SEED_LINES]
    for t in lines + [t[: len(t) // 2] for t in lines]:
        if not _seeds.may_hold_run(t):
            assert _seeds.seeds(t) == [] and _seeds._stretch_runs(t, 0, len(t)) == [], t
        elif _seeds.seeds(t):
            found += 1
    assert found >= 15


@pytest.mark.parametrize("text", SEED_LINES)
def test_seed_lines_keep_their_phrase_through_the_stretch_look(text):
    from clonebot.pii import scan

    assert "seed" in [f.kind for f in scan(text)], scan(text)


def _samples(items, rnd, depth=0) -> str:
    """One random string the parsed pattern may match (looks around are left out: a sample the
    pattern does not match is dropped by the caller)."""
    from re import _constants as c

    out = []
    for op, av in items:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op is c.IN:
            chars = []
            for o, a in av:
                if o is c.LITERAL:
                    chars.append(chr(a))
                elif o is c.RANGE:
                    chars += map(chr, range(a[0], a[1] + 1))
                elif o is c.CATEGORY:
                    chars += {c.CATEGORY_SPACE: " \t\n", c.CATEGORY_DIGIT: "0123456789",
                              c.CATEGORY_WORD: "abzа1_"}.get(a, "")
            out.append(rnd.choice(chars) if chars and av[0][0] is not c.NEGATE else "")
        elif op is c.BRANCH:
            out.append(_samples(rnd.choice(av[1]).data, rnd, depth + 1))
        elif op is c.SUBPATTERN:
            out.append(_samples(av[-1].data, rnd, depth + 1))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            lo, hi = av[0], min(av[1], av[0] + 2)
            out.append("".join(_samples(av[2].data, rnd, depth + 1) for _ in range(rnd.randint(lo, hi))))
        elif op is c.CATEGORY:
            out.append({c.CATEGORY_SPACE: " ", c.CATEGORY_DIGIT: "7", c.CATEGORY_WORD: "a"}.get(av, ""))
        elif op is c.ANY:
            out.append("x")
    return "".join(out)


def _keywords_the_stem_look_misses(stem_after: re.Pattern) -> tuple[list, int, set]:
    """Keywords ``_KEY_LOW`` matches where ``stem_after`` finds no stem after a character that
    is no word character: drawn at random from the parsed pattern (every alternative), and
    every keyword of the corpora. Also how many were tried and their kinds."""
    import random
    from re import _parser

    rnd = random.Random(7)
    parsed = _parser.parse(_passwords._KEY.pattern[len(_passwords._KEY_EDGE):]).data
    missed, kinds, tried = [], set(), 0
    for _ in range(20000):
        word = _samples(parsed, rnd).lower()
        for before, after in ((" ", " "), ("", ": 4821"), ("(", ", Kedr_2018")):
            line = f"{before}{word}{after}"
            k = _passwords._KEY_LOW.match(line, len(before))
            if k is not None:
                tried += 1
                kinds.add(k.lastgroup)
                if not stem_after.match(" " + line, len(before)):
                    missed.append((word, k.lastgroup))
    for t in LINES + PAIR_LINES + SPELLED_LINES:
        low = t.lower()
        for i in range(len(low)):
            if _passwords._KEY_LOW.match(low, i):
                tried += 1
                if not stem_after.match(" " + low, i):
                    missed.append((t, i))
    return missed, tried, kinds


def test_every_keyword_opens_with_a_stem_of_the_stem_look():
    """``_passwords._keys_low`` tries ``_KEY_LOW`` only where ``_KEY_STEM_AFTER`` finds a stem
    after a character that is no word character: every keyword must open so, and the walk must
    give what ``finditer`` gives."""
    missed, tried, kinds = _keywords_the_stem_look_misses(_passwords._KEY_STEM_AFTER)
    assert missed == []
    assert tried > 20000 and kinds == {"cvv", "pin", "backup", "code", "door", "sms", "word", "weak", "pw"}
    for t in LINES + PAIR_LINES + SPELLED_LINES:
        low = t.lower()
        keys = [(k.span(), k.lastgroup) for k in _passwords._keys_low(low)]
        assert keys == [(k.span(), k.lastgroup) for k in _passwords._KEY_LOW.finditer(low)], t


@pytest.mark.parametrize("stem", ["клю", "in", r"3\s", "пв", "wi"])
def test_a_stem_look_without_a_stem_misses_keywords(stem):
    """The check above can fail: a look without one of its stems misses the keywords it opens."""
    stems = [s for s in _passwords._KEY_STEMS if s != stem]
    assert len(stems) == len(_passwords._KEY_STEMS) - 1
    missed, _, _ = _keywords_the_stem_look_misses(re.compile(r"[^\w](?:%s)" % "|".join(stems)))
    assert missed, stem


def _drawn_lines(pattern: str, n: int, seed: int = 3) -> list[str]:
    """Lines around strings drawn from a parsed pattern, and short random lines of the
    characters such patterns turn on (both ways: a look must answer as its pattern does)."""
    import random
    from re import _parser

    rnd = random.Random(seed)
    parsed = _parser.parse(pattern).data
    contexts = [("", ""), (" ", " "), ("x", "y"), ("ж", "1"), ("12", "ab"), ("-", ":")]
    lines = [f"{b}{_samples(parsed, rnd)}{a}" for _ in range(n) for b, a in [rnd.choice(contexts)]]
    alphabet = "ab xyzкрм-\t12345:.ef0plateгосномерtagreg"
    lines += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14))) for _ in range(n)]
    return lines + [t.lower() for t in LINES]


def test_the_plate_look_answers_as_the_plate_cue():
    """``_plates.may_hold`` looks for two digits, a hyphen between Latin letters or a word before
    ``CUE``: every line ``CUE`` matches holds one."""
    from clonebot.pii import _plates

    from clonebot.pii import _detect

    hits = 0
    for low in _drawn_lines(_plates.CUE.pattern, 20000):
        cue = _plates.CUE.search(low) is not None
        hits += cue
        assert _plates.may_hold(low, _detect._TWO_DIGITS.search(low) is not None) == cue, low
    assert hits > 15000
    assert not _plates.may_hold("а123вс 77", two_digits=False) and _plates.CUE.search("а123вс 77")


def test_every_iban_holds_two_digits_in_a_row():
    """``_detect`` looks for IBANs only in a line with two digits in a row."""
    from clonebot.pii import _detect, _iban

    hits = 0
    for t in _drawn_lines(_iban._IBAN.pattern, 20000) + LINES:
        if _iban._IBAN.search(t):
            hits += 1
            assert _detect._TWO_DIGITS.search(t), t
    assert hits > 5000


def test_the_reordered_network_cue_answers_as_the_plain_one():
    """``_network.CUE`` looks for an IPv6 group from its colon back: the same lines as the
    pattern that opens with the hex digits."""
    from clonebot.pii import _network

    plain = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9a-f]{4}:[0-9a-f]{0,4}:")
    hits = 0
    for low in _drawn_lines(plain.pattern, 20000) + ["fe80::1", "2001:db8::1", "abcd:ef01:2", "1.2.3.4"]:
        hit = plain.search(low) is not None
        hits += hit
        assert (_network.CUE.search(low) is not None) == hit, low
    assert hits > 15000


def test_the_grouped_address_cue_finds_what_its_words_do():
    from clonebot.pii import _addresses

    plain = re.compile("|".join(_addresses._CUE_WORDS))
    words = [re.sub(r"\\(.)", r"\1", w.replace(r"\b", "")) for w in _addresses._CUE_WORDS]
    for low in [t.lower() for t in LINES] + words + [f"x {w} y" for w in words] + [f"{w}x" for w in words]:
        assert (_addresses.CUE.search(low) is not None) == (plain.search(low) is not None), low


def test_every_grouped_totp_key_passes_the_group_look():
    """``_totp`` looks for a group of four between two spaces before the grouped shape."""
    from clonebot.pii import _totp

    hits = 0
    lines = _drawn_lines(_totp._GROUPED.pattern, 20000) + ["jbsw y3dp ehpk 3pxp", "JBSW Y3DP EHPK 3PXP"]
    for t in lines:
        if _totp._GROUPED.search(t):
            hits += 1
            assert _totp._GROUP_LOOK.search(t), t
    assert hits > 5000
