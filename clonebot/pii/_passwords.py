"""Passwords, PINs, CVVs, one-time codes and secret words written in words.

A keyword of any family, both languages and slang ("пароль", "парольку", "пасворд", "pw",
"пин", "otp", "код из смс", "домофон", "секретное слово", "security answer", "wi-fi",
...), then the value, with or without a connector: "пароль: X", "the password is X",
"пароль от вайфая X", "пароль такой же как от почты: X", "поменял пароль на X",
"X — мой пароль", "login ivan pass X", "ivan@mail.ru / X", "пин 3 9 1 7", "код
подтверждения — 512 774", "backup codes: A, B, C".

What keeps "забыл пароль", "код ошибки 404", "code review", times and prices untouched:
digit kinds take digits only (not times, not amounts: ``_codes``), a bare "код" needs 4+
digits or a code-ish word around it, ambiguous keys ("pass", "wi-fi", "key") need a value that looks
like one, and without a connector a password must look like one too (digits, mixed case,
symbols, Latin after a Russian keyword, a random run of letters).
"""

from __future__ import annotations

import bisect
import re

from clonebot.pii._alternatives import by_first_letter
from clonebot.pii._candidate import Cand
from clonebot.pii._codes import (
    DIGIT_KINDS,
    DIGITS,
    DOOR_TAIL,
    MAX_GAP,
    NOT_A_CODE_AFTER,
    backup_codes,
    code_context_ok,
    digit_value,
    sms_code,
)
from clonebot.pii._connect import ARROW, STRONG_CONNECT
from clonebot.pii._secrets import filler
from clonebot.pii._wifi import is_wifi_key, looks_like_ssid, names_network

_KEY_EDGE = r"(?<![\w/])(?<!\w-)"  # not glued to a word before it by a hyphen: "your-key-here", "x-api-key"
_KEY = re.compile(
    _KEY_EDGE + r"(?:"
    r"(?P<cvv>(?:cvv2?|cvc2?|cvv/cvc|cvc/cvv|cav2|cid)(?:[\s-]?(?:код\w{0,3}|code))?)"
    # "пак" is how a PUK is said: only with its eight digits
    r"|(?P<pin>(?:пин|pin|puk|пук)(?:[\s-]?(?:код\w{0,3}|code))?|пинкод\w{0,3}|пинчик\w{0,2}|pincode|pinkod\w{0,2}"
    r"|пак(?:[\s-]?код\w{0,3})?(?=[\s:-]+\d{8}(?!\d)))"
    r"|(?P<backup>(?:backup|recovery|резервн\w*|запасн\w*)\s+(?:codes?|код\w{0,3}|keys?|ключ\w{0,3})"
    r"|(?:код\w{0,3}|ключ\w{0,3})\s+(?:для\s+)?восстановлени\w{0,2}"
    r"|(?:коды|codes)(?=[ \t]*:?[ \t]*\n[ \t]*(?:\d{1,2}[.)][ \t]*)?\S*\d))"  # "мои коды:\n1. 8341 2093\n..."
    r"|(?P<code>(?:смс|sms)[\s-]?(?:код\w{0,3}|code)|код\w{0,3}|kod\w{0,3}|code(?!\s*word)|otp|2fa|totp|тотп|"
    r"(?:три|3)\s+цифр\w*\s+(?:на\s+обороте|сзади))"
    # a door, gate, intercom or safe: its code, not its number ("домофон 45к7689", "калитка 5931#")
    r"|(?P<door>домофон\w{0,3}|intercom|buzzer|подъезд\w{0,2}|калитк\w{0,2}|шлагбаум\w{0,2}|сейф\w{0,2}|"
    r"ворот(?:а|ах|ам)?|lockbox|combo|combination|keypad)"
    # the message a code came in, on its own ("смска пришла 735 204", "kod iz sms 3309")
    r"|(?P<sms>смск\w{0,2}|смс\w{0,2}|sms|эсэмэс\w{0,4}|двухфактор\w{0,4}|verification|подтверждени\w{0,2}|"
    r"(?:из|iz|from|in)\s+(?:смс\w{0,2}|sms|смск\w{0,2}|пуш\w{0,2}|письм\w{0,2}))"
    # a secret word or answer: the value may be plain words ("зелёный чай")
    r"|(?P<word>(?:кодов|секретн|контрольн|тайн)\w+\s+слов\w*|code\s*word|secret\s+word|safe\s*word|"
    r"security\s+(?:answer|word|question\s+answer)|secret\s+answer|ответ\w*\s+на\s+(?:секретн|контрольн)\w+\s+вопрос\w*|"
    r"(?:mother'?s\s+)?maiden\s+name|девичь\w+\s+фамили\w*(?:\s+(?:матери|мамы|мамина|бабушки))?|pass\s?phrase|(?:кодов|секретн)\w+\s+фраз\w*|"
    r"(?:секретн|контрольн)\w+\s+вопрос\w*|security\s+question)"
    # short or ambiguous words (a mountain pass, Wi-Fi 6): only with a value that looks like one
    r"|(?P<weak>(?<!-)(?:pass|пасс|пас)(?!-\w)|wi[- ]?fi|вай[- ]?фа[йяюе]\w{0,2}|вайфик\w{0,2}|вафл\w{0,2}|wlan|ключ\w{0,3}|key|creds|credentials|"
    r"креды|кредсы|учётк[аиу]|учетк[аиу])"
    # the password word as people misspell it: парль, праоль, паролль, пароь, translit parol/paroly,
    # passowrd, passwort (de), passord (no), гасло (uk)
    # "парол", "паролт" (a slip of the finger), not "параллельно" (the word typed in the other keyboard
    # layout, "gfhjkm", reaches here rewritten by _layout)
    r"|(?P<pw>(?!паралл)п(?:[ао]р[оа]?|ра[оа]|аор)лл?(?:[ьъяюеиё]\w{0,4}|т)?|пароь|п[аеэ]сс?в[оа]р[дт]\w{0,3}|pas+w(?:or|r|o|ro)?d\w{0,2}"
    r"|pas+owrd|pas+wort|pas+ord|pas+v[oa]r[dt]\w{0,2}|pss?wo?r?d|pass(?:code|word)|pword|p[ao]rol(?!e(?!\w))\w{0,5}['ʹ’]?|гасл[оаиуе]\w{0,2}"
    r"|pwd|psw|pswd|p/w|pw|пв|пасскод\w{0,2}|network\s+key|wpa2?(?:[\s-]+(?:key|psk))?|psk|pass?w(?=[ \t]*[:=])|сетев\w+\s+ключ\w*)"
    r")(?!\w)",
    re.I,
)
_ARROW_ONLY = re.compile(rf"[ \t]*{ARROW}[ \t]*")
_CONNECT = re.compile(  # one or more: "пароль вот такой — X"
    rf"(?:[ \t]*(?:{ARROW}|[:=]|:-|-(?=\s)|\.{{2,}}|…|\bis\b:?|\bэто\b|\bwas\b|\bбудет\b|\bбыл[аои]?\b:?|"
    r"\b(?:такой|тот)\s+же\b:?|\bтакой\b:?|\bвот\b:?))+"
    r"[ \t]*", re.I)
_QUOTED = re.compile(r"[\"'«“`]([^\"'»”`\n]{3,64})[\"'»”`]")
_QUOTED_TAIL = re.compile(r"[ \t]*/[ \t]*[\"'«“`]?([^\s\"'»”`,;/]{3,64})")
_TOKEN = re.compile(r"[^\s,;]{1,64}")
_AFTER_LOGIN = re.compile(r"[ \t]*[/|:;][ \t]*|[ \t]+(?:pass|пасс|пароль|pw)?[ \t]*[:=-]?[ \t]*(?=\S*\d)")
_NOT_A_PASSWORD_PASS = re.compile(
    r"(?:boarding|bus|season|ski|day|gym|transit|backstage|press|vip|mountain|festival|hall|free|"
    r"metro|train|parking|guest|visitor|all-access|access)[ \t]*$", re.I)
_LOGIN = re.compile(r"(?<!\w)(?:login|логин|user(?:name)?|юзер\w*|username|пользовател\w*)(?!\w)", re.I)
_BEFORE_KEY = re.compile(  # "X — мой пароль", "482193 is your Instagram code"
    r"(?<![^\s:(«\"'])([^\s,;:]{3,64}|\d{2,4}(?: \d{2,4}){1,3})[ \t]*(?:[-—=:]|\bэто\b|\bis\b|\bas\b|"
    r"\bкак\b|\bв\s+качестве\b)[ \t]*"
    r"(?:[^\W\d][\w'-]{0,20}[ \t]+){0,3}$", re.I)
_LOGIN_PAIR = re.compile(  # "логин ivan / qwerty1", "login: ivan:qwerty1"
    r"(?<!\w)(?:login|логин|username|юзернейм)[ \t]*[:=-]?[ \t]*[^\s/:]{2,64}[ \t]*[/:|][ \t]*([^\s,;]{3,64})", re.I)
# "логин/пароль: admin/X", "л/п ivan:X", "логин и пароль: ivan, X", "user:password = root:X"
_PAIR_HEADER = re.compile(
    r"(?<!\w)(?:login|логин|user(?:name)?|юзер\w*|e-?mail|почта|л|l|u)[ \t]*(?:[/\\:|&,+]|\s(?:и|and)\s)[ \t]*"
    r"(?:pass(?:word)?|парол\w{0,3}|пасс|pw|pwd|п|p)[ \t]*(?:[:=-]|\s)[ \t]*"
    r"[\"'«]?[^\s/:|,;\"'»]{2,64}[\"'»]?[ \t]*[/\\:|,;\s][ \t]*[\"'«]?([^\s,;\"'»]{3,64})", re.I)
# "postgres://user:X@host", "redis://:X@host" (a password and no user)
_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{0,64}:([^\s@/]{1,128})@[\w.-]+", re.I)

_TAIL = re.compile(r"(?: ?/ ?| )(?=\S*\d)[^\s,;]{1,32}|(?: ?/ ?)[^\s,;]{3,32}")
_MAX_WORDS = 9  # "пароль от учётной записи на госуслугах у мамы X"
_STOP = frozenset(
    """не нет и или а но от для к на в у с по из за то это же ли бы тот такой такая такое какой
    неверный неправильный верный правильный сложный простой слабый надёжный надежный новый старый
    забыл забыла потерял сбросил сбросить ввести
    введи помню знаю скажи дай пришли напиши есть был была будет тоже уже еще ещё опять снова нужен
    нужно нужна подходит сохранил сохранила поставь поставил сделай придумай придумал длинный
    короткий какой-то надо мне тебе ему ей нам вам им меня тебя его её их мой моя моё твой твоя свой
    is was the a an my your his her our their it its not wrong incorrect correct right same different
    too so very expired changed reset weak strong required manager please and or for to of in on at
    from field protected again still has have had will be been being that this there here you me i
    we they policy hint recovery change changes updated update set sent send later now isnt doesnt
    didnt wont cant should must needs need length requirements saved stored hash hashed check checked
    invalid ok okay also just really what which who how why when where one another new old
    code pin password пароль код пин required missing empty blank expiring expires secure
    strength complexity rules reset-link link attempts attempt скажу скину пришлю отправлю напишу
    позже потом завтра вчера сегодня сейчас later tomorrow soon below above attached прикрепил ниже выше
    изменён изменен обновлён обновлен сменён сменен сброшен истёк истек устарел
    см смотри see лс личку dm private hidden скрыт скрыто redacted removed censored удален удалён same long
    short simple easy hard safe unique good bad fine lost forgotten stolen leaked encrypted
    needed mandatory optional important ready done sms смс
    тот такой-же также тоже сам сама само там тут здесь всё все вся весь другой другая другое""".split()
)
# Russian adjectives, adverbs and verbs end so; passwords written in Cyrillic are mostly
# nouns ("ромашка"), so after a weak connector ("пароль — это важно") such a word is talk
_WORD_FOLLOWS = re.compile(r"[ \t]+[а-яё]", re.I)
_WORD_FOLLOWS_ANY = re.compile(r"[ \t]+[a-zа-яё]", re.I)
_EN_NOT_NOUN = re.compile(r"(?:ed|ing|ly|ful|ous|able|ible|less|ive)$")
_RU_NOT_NOUN = re.compile(r"(?:ый|ий|ой|ая|яя|ое|ее|ые|ие|но|ен|ён|на|ся|сь|ть|ла|ло|ли|ет|ит|ют|ят|ем|им|шь|те)$")
# a plain Cyrillic word as the password itself ("пароль от почты черепаха") is a noun in the
# nominative: verbs ("подошёл", "поменяй", "сменю"), participles ("написан") and other cases are talk
_RU_TALK = re.compile(r"(?:ал|ял|ел|ёл|ил|ыл|ул|ан|ян|ай|яй|ей|уй|ю|у|и|ом|ем|ам|ям|ах|ях|ого|его|ому|ему)$")


def _one_slip(word: str, letter: str) -> str:
    """A pattern for `word` with one letter dropped, added, changed or two swapped."""
    variants = {word[:i] + word[i + 1 :] for i in range(len(word))}
    variants |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    pattern = {re.escape(v) for v in variants if len(v) >= 4}
    pattern |= {re.escape(word[:i]) + letter + re.escape(word[i + 1 :]) for i in range(1, len(word))}
    pattern |= {re.escape(word[:i]) + letter + re.escape(word[i:]) for i in range(1, len(word) + 1)}
    return "|".join(sorted(pattern, key=len, reverse=True))


# the password word with one slip of the finger ("пароьл", "прароль", "passw", "pasword"), only
# right before a colon, "=" or a dash: the slip alone would take "король" or "parole" along
_SLIPPED_KEY = re.compile(
    rf"(?<![\w/])(?:{_one_slip('пароль', '[а-яё]')}|{_one_slip('password', '[a-z]')})(?=[ \t]*(?:[:=]|[—–-][ \t]))",
    re.I)


# Patterns without re.I, for the lower-cased line (re.I over Cyrillic is ~3x slower); a pair's
# pattern runs on the text itself (its value keeps its case) once the plain scan finds one.
# Every keyword opens with a word character, one of _KEY_FIRST: _KEY_LOW tests a word edge (one
# cheap test at each position, not a look behind) and that character, then _KEY's looks behind.
_KEY_FIRST = "23bcfiklmnoprstvwвгдзикопрстушэ"
_KEY_LOW = re.compile(rf"\b(?=[{_KEY_FIRST}])(?<!/)(?<!\w-)" + _KEY.pattern[len(_KEY_EDGE):])
# What the costly scans cannot match without (one cheap look first): a slipped keyword is
# followed by one of these marks; a login pair starts with one of these words.
_SLIP_MARK = re.compile(r"[:=—–-]")
# and in the lowered line, before the mark, the slipped word itself: five to nine letters from the
# first or second letter of "пароль" or "password" ("https:" holds a mark, not a slip)
_SLIP_WORD = re.compile(r"[паpa][a-zа-яё]{4,8}[ \t]*(?:[:=]|[—–-][ \t])")
_LOGIN_WORD = re.compile(r"login|логин|username|юзернейм")
# A keyword of the lowered line opens with one of these stems (its first three characters, or
# all of a shorter one), at a word edge: the stems are looked for first, a character that is no
# word character before them (re skips to those), and _KEY_LOW is tried only where one stands
# (most words that open with a keyword's first letter are no keyword: "привет", "сегодня").
_KEY_STEMS = (
    "cvv", "cvc", "cav", "cid", "cod", "com", "cre", "pin", "puk", "pas", "pss", "psw", "psk", "pw", "par",
    "por", "p/w", "bac", "buz", "rec", "kod", "key", "otp", "tot", "2fa", r"3\s", "in", "iz", "loc", "ver",
    "fro", "sms", "sec", "saf", "mot", "mai", "wi", "wla", "wpa", "net", "пин", "пук", "пак", "пар", "пор",
    "пра", "пао", "пас", "пес", "пэс", "пв", "под", "рез", "зап", "код", "клю", "кал", "кре", "кон", "смс",
    "сек", "сей", "сет", "тот", "три", "тай", "дом", "дву", "дев", "шла", "вор", "вай", "ваф", "эсэ", "из",
    "отв", "гас", "учё", "уче",
)
# gathered under their first letters: re tries ~35 letters after each space, not ~80 stems
_KEY_STEM_AFTER = re.compile(r"[^\w]" + by_first_letter(_KEY_STEMS))
_SLIPPED_KEY_LOW = re.compile(_SLIPPED_KEY.pattern)
_LOGIN_PAIR_LOW = re.compile(_LOGIN_PAIR.pattern)
_PAIR_HEADER_LOW = re.compile(_PAIR_HEADER.pattern)
# and a pair's header holds a mark (or "и", "and") and then the password word, which opens with p or п;
# each alternative opens with its mark or word (re skips to them: a class first is tried everywhere)
_PAIR_MARK = re.compile("|".join([rf"{re.escape(m)}[ \t]*[pп]" for m in "/\\:|&,+"]
                                 + [rf"{w}(?<=\s{w})\s[ \t]*[pп]" for w in ("и", "and")]))


def passwords(text: str, *, keywords: bool, digit: bool, low: str | None = None) -> list[Cand]:
    """Passwords, PINs and codes after their keywords, and credential pairs ("user:pass@" in a
    URL, "login X / pass Y"). ``keywords=False``: the caller knows no keyword is in the text
    (a URL opened the scan): the pairs only. ``digit``: whether the text holds a digit;
    ``low``: ``text.lower()``, when the caller has it."""
    out: list[Cand] = []
    keys: list[re.Match] = []
    if low is None:
        low = text.lower()
    if keywords:
        # Keywords are found in the lowered line when it keeps every offset: a keyword's
        # k.group() is then lower case, and every use of it below is case-blind.
        src, key_rx, slipped_rx = ((low, _KEY_LOW, _SLIPPED_KEY_LOW) if len(low) == len(text)
                                   else (text, _KEY, _SLIPPED_KEY))
        keys = _keys_low(low) if src is low else list(key_rx.finditer(src))
        # a slipped keyword stands before one of these marks
        if _SLIP_MARK.search(src) is not None and (src is not low or _SLIP_WORD.search(low) is not None):
            starts = [k.start() for k in keys]  # disjoint and in order: one bisect a slipped keyword
            keys += [m for m in slipped_rx.finditer(src) if not _overlaps(keys, starts, m.start(), m.end())]
    for k in keys:
        kind = k.lastgroup or "pw"  # a slipped keyword has no group: it is the password word
        if kind in DIGIT_KINDS and not digit:
            continue  # a PIN, CVV or code is digits: "код" in "пиши код" alone names none
        if kind in ("code", "door") and not code_context_ok(text, k):
            continue
        if kind == "sms":
            out += sms_code(text, k)
            continue
        if kind == "backup":
            out += backup_codes(text, k)
            continue
        if kind == "weak" and _NOT_A_PASSWORD_PASS.search(text, max(0, k.start() - 20), k.start()):
            continue  # "boarding pass 123...", "проездной"
        if _LOGIN.search(text, max(0, k.start() - 40), k.start()) and kind in ("weak", "pw"):
            found = _after_login_key(text, k)  # "login ivan pass qwerty"
            if found is not None:
                out.append(Cand("password", found[0], found[1], "pw", text[found[0] : found[1]]))
                continue
            kind = "pw"
        if kind in DIGIT_KINDS:
            found = digit_value(text, k, kind)
        elif kind == "word" and _QUESTION_WORD.search(k.group()):
            # "секретный вопрос кличка собаки, ответ Рекс": the question is no secret, its answer is
            answer = _ANSWER_MARK.search(text, k.end(), min(len(text), k.end() + 80))
            if answer is not None:
                found = _answer(text, answer.end())
                if found is not None:
                    out.append(Cand("password", found[0], found[1], kind, text[found[0] : found[1]]))
                continue
            # "контрольный вопрос: кличка собаки" names the question: only a value that looks like one
            found = _word_value(text, k, kind if _ANSWER_FIRST.search(k.group()) else "weak")
        else:
            found = _word_value(text, k, kind)
        if found is None and kind not in DIGIT_KINDS:
            found = _value_after_colon(text, k, kind)
        if found is None:
            found = _value_before(text, k, kind)
        if found is None:
            found = _answered(text, k, kind)
        if found is not None and kind == "weak" and is_wifi_key(k.group()):
            found = _wifi_password(text, k.end(), found)
        while found is not None:
            s, e = found
            out.append(Cand("password", s, e, kind, text[s:e]))
            alternative = _alternative(text, e) if kind in ("pw", "weak", "word") else None
            if alternative is not None:
                out.append(Cand("password", alternative[0], alternative[1], kind, text[alternative[0] : alternative[1]]))
                e = alternative[1]
            # "пароли: от почты X, от вк Y": more values, each named by what it opens
            more = _MORE.match(text, e) if kind in ("pw", "weak") else None
            found = _walk(text, more.end(), more.end(), kind, True) if more else None
    pairs = [rx for rx, cue in ((_URL_CREDENTIALS, "://" in text and "@" in text),
                                (_LOGIN_PAIR, _LOGIN_WORD.search(low) is not None
                                 and _LOGIN_PAIR_LOW.search(low) is not None),
                                (_PAIR_HEADER, _PAIR_MARK.search(low) is not None
                                 and _PAIR_HEADER_LOW.search(low) is not None)) if cue]
    for rx in pairs:
        for m in rx.finditer(text):
            if (m.group(1).lower() not in _STOP and not _masked(m.group(1))
                    and not _KEY.fullmatch(m.group(1).rstrip(":=-"))):  # "login: X / pass: Y": "pass:" is a keyword
                out.append(Cand("password", m.start(1), m.end(1), "pw", m.group(1)))
    out = [c for c in out if not filler(c.value)]  # "ключ вида sk-proj-xxxxxxxx…": a key's shape, shown
    if out and _TALK_ABOUT_PASSWORDS.search(text):
        out = [c for c in out if c.value.strip("\"'«»“”`").lower() not in _FAMOUS]
    return out


def _keys_low(low: str) -> list[re.Match]:
    """``_KEY_LOW.finditer(low)``, tried only where a stem follows a character that is no word
    character (``_KEY_STEM_AFTER``, in the line with a space put in front): the same matches."""
    keys: list[re.Match] = []
    padded = " " + low
    pos = 0
    while (m := _KEY_STEM_AFTER.search(padded, pos)) is not None:
        k = _KEY_LOW.match(low, m.start())  # the stem starts at m.start() + 1 in padded
        if k is None:
            pos = m.start() + 1
        else:
            keys.append(k)
            pos = k.end()
    return keys


def _overlaps(spans: list[re.Match], starts: list[int], s: int, e: int) -> bool:
    """Whether [s, e) overlaps one of `spans` (disjoint, sorted; `starts` their starts)."""
    i = bisect.bisect_right(starts, s) - 1
    return any(0 <= j < len(starts) and spans[j].start() < e and s < spans[j].end() for j in (i, i + 1))


# '"password123" is the most common password', "никогда не ставь qwerty": the best-known
# passwords named as examples in talk about passwords are nobody's secret
_FAMOUS = frozenset("""123456 1234567 12345678 123456789 1234567890 12345 111111 11111111 000000 123123
    654321 666666 121212 password password1 password123 passw0rd p@ssw0rd qwerty qwerty1 qwerty123
    qwerty12345 qwertyuiop abc123 iloveyou admin admin123 letmein welcome monkey dragon 1q2w3e
    1q2w3e4r 1qaz2wsx zaq12wsx йцукен""".split())
_TALK_ABOUT_PASSWORDS = re.compile(
    r"most\s+(?:common|popular|used)|самы[йеx]\s+(?:популярн|част|распростран|прост|тупо|глуп|слаб)|"
    r"популярн|common|worst|худш|never\s+use|don'?t\s+use|не\s+(?:ставь|ставьте|используй|делай)|никогда|"
    r"типа|вроде|например|e\.\s?g\.|such\s+as|like\s+using|top\s?\d+|топ|взлом|взлам|hack|crack|брут|brute|"
    r"словар|dictionary|leak|утечк|угада|guess", re.I)


def _wifi_password(text: str, key_end: int, found: tuple[int, int]) -> tuple[int, int] | None:
    """After a Wi-Fi keyword: "HomeNet_5G / X" names the network, then its password; a
    network name alone ("вайфай MGTS_GPON_8C1E не ловит") is no password."""
    s, e = found
    val = text[s:e]
    slash = _SLASH.search(val)
    if slash is not None:
        rest = s + slash.end()
        return (rest, e) if _strong(text[rest:e], cyr_key=False) else None
    if not (looks_like_ssid(val) or names_network(text[key_end:s])):
        return found
    after = _SLASH_VALUE.match(text, e)  # "wifi: HomeNet_5G / X" typed with spaces
    if after and _strong(after.group(1), cyr_key=False):
        return after.start(1), after.end(1)
    return None


_SLASH = re.compile(r"[ \t]*/[ \t]*")
_SLASH_VALUE = re.compile(r"[ \t]*/[ \t]*([^\s,;]{4,64})")
_QUESTION_WORD = re.compile(r"вопрос|question", re.I)
_ANSWER_FIRST = re.compile(r"ответ|answer", re.I)  # "ответ на секретный вопрос: X", "security question answer X"
_ANSWER_MARK = re.compile(
    r"(?<!\w)(?:(?:ответ\w{0,2}|answer)(?!\w)[ \t]*(?:[:=—–-]|\bis\b|\bэто\b)?|[aо]:)[ \t]*", re.I)


_KEY_CONNECT = re.compile(r"[ \t]*[:=-]?[ \t]*")
_PAIR_AHEAD = re.compile(r"[^\s,;]{1,64} ?/ ?\S")


def _after_login_key(text: str, k: re.Match) -> tuple[int, int] | None:
    """After "login X", the word after "pass"/"пароль" is the password, whatever it looks like."""
    pos = _KEY_CONNECT.match(text, k.end()).end()
    v = _extract(text, pos, tail=_PAIR_AHEAD.match(text, pos) is not None)  # "ivan / qwerty"
    if v is None:
        return None
    low = text[v[0] : v[1]].lower()
    if low in _STOP or len(low) < 3 or _masked(low) or (re.fullmatch(r"[а-яё]+", low) and _RU_NOT_NOUN.search(low)):
        return None
    return v


def _value_before(text: str, k: re.Match, kind: str) -> tuple[int, int] | None:
    """"Barsik1990 — мой пароль", "4821 это код из смс": the value, a dash or "это"/"is",
    then the keyword."""
    m = _BEFORE_KEY.search(text, max(0, k.start() - 60), k.start())
    if m is None:
        return None
    s, e = m.start(1), m.end(1)
    val = text[s:e]
    if kind in DIGIT_KINDS:
        digits = sum(c.isdigit() for c in val)
        ok = re.fullmatch(r"(?:[A-Z]-)?[\d ]+", val) is not None and 4 <= digits <= 8  # "G-482193"
    else:
        ok = _strong(val, re.search(r"[а-яё]", k.group(), re.I) is not None, kind)
    if not ok or re.fullmatch(r"\d{1,2}[:.]\d{2}", val):
        return None
    return s, e


def after_login(text: str, end: int) -> Cand | None:
    """"ivan@mail.ru / Qwerty123", "login:pass" dumps: a strong token right after an e-mail."""
    m = _AFTER_LOGIN.match(text, end)
    if m is None:
        return None
    v = _extract(text, m.end(), tail=False)
    if v is None or not _strong(text[v[0] : v[1]], cyr_key=False):
        return None
    return Cand("password", v[0], v[1], "pw", text[v[0] : v[1]])


# ------------------------------------------------------------------ passwords
def _word_value(text: str, k: re.Match, kind: str) -> tuple[int, int] | None:
    cyr_key = _CYRILLIC.search(k.group()) is not None
    return _walk(text, k.start(), k.end(), kind, cyr_key)


_SLASH_NEXT = re.compile(r" ?/ ?\S")
# a change of the password just before its keyword: "поменял пароль на X", "changed the password to X"
_CHANGED_BEFORE = re.compile(r"(?:поменял|сменил|изменил|changed?|set|reset|updated?)\w*\W+(?:\w+\W+)?$", re.I)
_CYRILLIC = re.compile(r"[а-яё]", re.I)


def _walk(text: str, key_start: int, key_end: int, kind: str, cyr_key: bool) -> tuple[int, int] | None:
    """Walk the words after a keyword: a connector takes the next value ("пароль от
    почты: X"); a strong-looking token is the value even without one ("пароль от вайфая
    X"); a word that ends the thought ("забыл", "не") stops the walk."""
    pos = key_end
    after_prep = False
    # "changed the password to X", "поменял пароль на X": after "to"/"на" comes the value
    changed = _CHANGED_BEFORE.search(text, max(0, key_start - 25), key_start) is not None
    nl = _NEWLINE_AFTER.match(text, pos)
    if nl:  # "пароль:\nXyz123": the keyword ends its line, the value opens the next
        v = _extract(text, nl.end(), tail=False)
        if v is None:
            return None
        if _strong(text[v[0] : v[1]], cyr_key, kind) or _QUOTED.match(text, nl.end()):
            return v
        # a plain word on the next line after "пароль:" is one only if it reads as a noun
        return v if nl.group(1) and _cyrillic_word(text, v) else None
    named = True  # right after the keyword, or after what it is for ("от почты")
    for n in range(_MAX_WORDS + 1):
        cm = _CONNECT.match(text, pos)
        if cm and cm.end() > pos:
            v = _value(text, cm.end(), cm.group(), cyr_key, kind)
            if v:
                return v
            pos = cm.end()  # "пароли: от почты X", "такой же как от почты: X": more words
        tm = _NEXT_TOKEN.match(text, pos)
        if tm is None or tm.end() - key_end > MAX_GAP:
            return None
        word = tm.group(1).strip(".,!?:;)(»«\"'").lower()
        v = _extract(text, tm.start(1), tail=False)
        if v and _SLASH_NEXT.match(text, v[1]):
            v = _extract(text, tm.start(1))  # "creds ivan / qwerty1": a login/password pair
        # what follows a preposition names the thing ("от вайфая", "от 1с", "в 1password"),
        # unless it follows a change ("поменял на Qwerty1")
        qualifier = after_prep and not changed
        if v and (_AMOUNT.fullmatch(text, v[0], v[1]) or (
                text[v[0]].isdigit() and _CURRENCY_BEFORE.search(text, max(0, v[0] - 6), v[0]))):
            pos = tm.end()  # "for purchase $20.39: X": an amount is no password
            continue
        dictated = _DICTATED.match(text, v[1]) if v and not qualifier else None
        if dictated and _plain_noun(word):
            return v[0], dictated.end()  # "пароль от вайфая ромашка 77": a word and a number, said aloud
        if kind == "word" and n and named and not qualifier and word not in _STOP:
            words = _ANSWER.match(text, tm.start(1))  # "кодовое слово в банке ёжик в тумане"
            if words and all(_plain_answer(w) for w in words.group().split() if len(w) > 2):
                return words.span()
        if v and kind == "weak" and _TOKEN_NEXT.match(text, v[1]):
            pos = tm.end()  # "ключ claude sk-ant-...": a service's name, then its key
            continue
        if v and not qualifier and _strong(text[v[0] : v[1]], cyr_key, kind):
            return v
        if v and not qualifier and _QUOTED.match(text, tm.start(1)) and kind != "weak" and word not in _STOP:
            return v  # 'password "sunshine"': quoting marks the value
        if kind == "word" and v and _ends_clause(text, v[1]) and _plain_answer(text[v[0] : v[1]]):
            return v  # "кодовое слово в сбере бегемот"
        if kind == "pw" and cyr_key and v and named and not qualifier and _cyrillic_word(text, v):
            return v  # "пароль от почты черепаха", "пароль бегемот или begemot77"
        aside = _ASIDE.match(text, pos)
        if aside:
            pos = aside.end()  # "пароль, если что, X": an aside between commas
            continue
        unchanged = _UNCHANGED.match(text, tm.start(1)) if word in ("не", "not", "hasn't", "haven't") else None
        if unchanged:
            pos = unchanged.end()  # "пароль не менял, всё ещё X": it still is X
            continue
        if (word in _STOP and word not in _QUALIFIERS and word not in _PASS_THROUGH and not _CHANGE.fullmatch(word)
                or not (qualifier or re.fullmatch(r"[^\W\d][\w-]*", word))):
            return None
        if kind == "weak" and n and not (qualifier or word in _PREPS or word in _QUALIFIERS or word in _PASS_THROUGH):
            return None  # "api key лежит в ...": a weak key takes its value at once or after "от X"
        if re.search(r"[.!?]$", tm.group(1)) and not _CONNECT.match(text, tm.end(1) - 1):
            return None  # the sentence ends here
        named = qualifier or (word in _PREPS and n == 0) or word in _DETERMINERS
        changed = after_prep is False and _CHANGE.fullmatch(word) is not None or (changed and word in _PREPS)
        if word not in _DETERMINERS:  # "for the router", "от моего роутера": the noun still names the thing
            after_prep = word in _PREPS
        pos = tm.end()
    return None


def _value_after_colon(text: str, k: re.Match, kind: str) -> tuple[int, int] | None:
    """"пароль у меня везде один и тот же: X", "пароль тот же что и раньше — X": any words,
    then a colon or a dash, in one clause."""
    m = _FAR_COLON.match(text, k.end())
    if m is None or _NEGATION.search(m.group()) or _ABOUT_PASSWORDS.search(m.group()):
        return None
    return _value(text, m.end(), m.group().strip(), re.search(r"[а-яё]", k.group(), re.I) is not None, kind)


# "password requirements: 12+ characters", "пароли хранить в заметках - плохая идея": the words
# before the colon say what the rest is about, and it is not the password
_ABOUT_PASSWORDS = re.compile(
    r"requirement|polic|rule|length|strength|complexity|hint|reset|manager|tip|advice|хран|требовани|правил|"
    r"длин|сложност|подсказк|сброс|менеджер|совет|политик|восстановлени", re.I)


def _alternative(text: str, end: int) -> tuple[int, int] | None:
    """"пароль бегемот или begemot77": the other one offered is a password too."""
    m = _OR_NEXT.match(text, end)
    if m is None:
        return None
    v = _extract(text, m.end(), tail=False)
    if v is None:
        return None
    if _strong(text[v[0] : v[1]], cyr_key=True) or _cyrillic_word(text, v):
        return v
    return None


# what answers a question about a password: "а пароль? — X", "what's the wifi password?\nX"
_QUESTION_END = re.compile(r"[^.!?\n]{0,50}?\?+[\s>»\"')\]—–:=-]*")
_FILLER = re.compile(r"[^\W\d][\w']{0,7}[,:]?$")
_ANSWER_WORDS = 3


def _answered(text: str, k: re.Match, kind: str) -> tuple[int, int] | None:
    """The keyword asks ("какой пароль от роутера?", "pw?") and the next words answer, on the
    same line or the next one: a value that looks like one (a code: its digits)."""
    q = _QUESTION_END.match(text, k.end())
    if q is None:
        return None
    pos = q.end()
    for _ in range(_ANSWER_WORDS):
        if kind in DIGIT_KINDS or kind == "sms":
            m = DIGITS.match(text, pos)
            if m and 4 <= sum(c.isdigit() for c in m.group()) <= 8 and not NOT_A_CODE_AFTER.match(text, m.end()):
                door = DOOR_TAIL.match(text, m.end())  # "4471#"
                return m.start(), door.end() if door else m.end()
        else:
            v = _extract(text, pos, tail=False)
            val = text[v[0] : v[1]] if v else ""
            if v and (_QUOTED.match(text, pos) or (
                    _strong(val, cyr_key=False, kind=kind) and not val.rstrip(".!?").isalpha())):
                return v  # letters alone ("thanks!") answer nothing
        tm = _NEXT_TOKEN.match(text, pos)
        if tm is None or not _FILLER.match(tm.group(1)) or _NEGATION.fullmatch(tm.group(1).rstrip(",:")):
            return None
        pos = tm.end()
        pos = _ANSWER_GAP.match(text, pos).end()
    return None


_NEXT_TOKEN = re.compile(r"[ \t]*(\S+)")
_TOKEN_NEXT = re.compile(r"[ \t]+[A-Za-z0-9_.+/=-]{16}")
_ANSWER_GAP = re.compile(r"[\s—–:=-]*")
_UNCHANGED = re.compile(r"(?:не|not|hasn't|haven't)[ \t]+(?:по)?(?:менял\w{0,2}|сменил\w{0,2}|изменил\w{0,2}|changed)"
                        r"(?:[ \t]+it)?[ \t]*[,;—–-]?", re.I)
_CURRENCY_BEFORE = re.compile(r"(?:usd|eur|rub|inr|gbp|uah|kzt|byn|руб)\.?[ \t]*$", re.I)
_AMOUNT = re.compile(r"[$€£₽]\d[\d,. ]*|\d[\d,. ]*[$€£₽]|\d+(?:[.,]\d\d)?(?:р|руб|usd|eur|rub)\.?", re.I)
# "пароль:\n\nX", "pass\n-> X": one blank line and a quote or arrow mark may stand between
_NEWLINE_AFTER = re.compile(r"[ \t]*([:=—–-])?[ \t]*(?:\r?\n[ \t]*){1,2}(?:>|->|—|–)?[ \t]*(?=\S)")
_OR_NEXT = re.compile(r"[ \t]+(?:или|либо|or)[ \t]+")


def _cyrillic_word(text: str, v: tuple[int, int]) -> bool:
    """A plain Russian noun that ends the clause (or offers another: "X или Y")."""
    low = text[v[0] : v[1]].lower()
    return (re.fullmatch(r"[а-яё]{4,20}", low) is not None and low not in _STOP and low not in _PASS_THROUGH
            and not _RU_NOT_NOUN.search(low) and not _RU_TALK.search(low)
            and (_ends_clause(text, v[1]) or _OR_NEXT.match(text, v[1]) is not None))
_ASIDE = re.compile(r"[ \t]*[,—–-][ \t]*(?:[^\W\d][\w-]*[ \t]+){0,2}[^\W\d][\w-]*[ \t]*[,—–-](?=[ \t])", re.I)
_MORE = re.compile(r"(?:[ \t]*[,;][ \t]*(?:а|и|and)?|[ \t]+(?:а|и|and))(?=[ \t]*(?:от|для|на|from|for)[ \t])", re.I)
# "for purchase $20.39: X" (a decimal point ends nothing); "в 3:20" is a time, not a colon
_FAR_COLON = re.compile(r"(?:[^.!?:\n]|(?<=\d)\.(?=\d)){1,45}?(?:(?<!\d):|[ \t]-(?=[ \t]))[ \t]*")
_NEGATION = re.compile(r"(?<!\w)(?:не|нет|not|no|never|забыл\w*|forgot)(?!\w)", re.I)
_CHANGE = re.compile(r"поменял\w*|сменил\w*|изменил\w*|поставил\w*|changed|change|set|reset|updated")
_QUALIFIERS = frozenset("""от для к на из в у of for to from on at in the my your our his her мой моя твой наш нас
    меня тебя него неё нее них вас me him them us""".split())
_PREPS = frozenset("от для к на из в у of for to from on at in".split())
# "password to my old laptop is X", "pass is still X", "пароль сейчас X": words that say which
# one or when, neither a value nor the end of the thought
_PASS_THROUGH = frozenset("""old new старый новый старого нового старой новой now still currently сейчас щас
    теперь кстати там тут короче вообще значит собственно ну всё все ещё еще btw actually anyway basically
    probably наверное блин слушай ладно кажется походу похоже типа вроде бы же""".split())
_DETERMINERS = frozenset("""the a an my your our his her their this that мой моя моего моей моём моем моему
    твой твоего твоей наш нашего нашей ваш вашего вашей свой своего своей этого этой того той""".split())
_CLAUSE_END = re.compile(r"[ \t]*(?:$|[.,;!?)\]»\"'(]|[\U0001F300-\U0001FAFF\u2600-\u27BF])")


def _ends_clause(text: str, pos: int) -> bool:
    return _CLAUSE_END.match(text, pos) is not None


_DICTATED = re.compile(r"[ \t]+\d{2,8}(?=[ \t]*(?:$|[,;!?)]|\.(?!\d)))")  # "12.03.2024" is a date


def _plain_noun(word: str) -> bool:
    return (word not in _STOP and re.fullmatch(r"[^\W\d_]{3,20}", word) is not None
            and not _RU_NOT_NOUN.search(word) and not _EN_NOT_NOUN.search(word))


def _plain_answer(val: str) -> bool:
    if val.endswith("?"):
        return False  # "кодовое слово знаешь?": a question, not an answer
    low = val.lower().rstrip(".!")
    return len(val) >= 3 and low not in _STOP and not _RU_NOT_NOUN.search(low) and not _EN_NOT_NOUN.search(low)


def _value(text: str, pos: int, connector: str, cyr_key: bool, kind: str) -> tuple[int, int] | None:
    if kind == "word":
        return _answer(text, pos)
    v = _extract(text, pos)
    if v is None:
        return None
    val = text[v[0] : v[1]]
    low = val.lower().rstrip(".!?")
    if low in _STOP or _masked(val) or _PLACEHOLDER.fullmatch(text, v[0] - 1, v[1] + 1):
        return None  # "password: ******" / "pass: [hidden]" is already hidden
    if _strong(val, cyr_key, kind):
        return v
    if kind == "weak":
        return None  # "the pass is valid till june", "wifi: есть"
    if STRONG_CONNECT.search(connector):
        if _ARROW_ONLY.fullmatch(connector) and re.fullmatch(r"[a-zа-яё]+", low) and _WORD_FOLLOWS_ANY.match(text, v[1]):
            return None  # "password => use a manager": an arrow before advice, not a value
        return v if len(val) >= 3 or val.isdigit() else None
    # weak connector ("is", "это", "—"): a plain word must not read as talk
    if len(val) < 4:
        return None
    if re.fullmatch(r"[а-яё]+", low) and (_RU_NOT_NOUN.search(low) or _WORD_FOLLOWS.match(text, v[1])):
        return None  # "пароль это дата рождения": a description, not the password
    if re.fullmatch(r"[a-z]+", low) and _EN_NOT_NOUN.search(low):
        return None  # "the password is expired / really long / case-sensitive"
    return v


def _masked(val: str) -> bool:
    """"******", "xxxx", "•••": already hidden."""
    return not val.strip("*•·xX.?")


def _answer(text: str, pos: int) -> tuple[int, int] | None:
    """A secret word or answer: one to three plain words up to the end of the clause."""
    q = _QUOTED.match(text, pos)
    if q:
        return q.start(1), q.end(1)
    m = _ANSWER.match(text, pos)
    if m is None or m.group().lower() in _STOP:
        return None
    return m.start(), m.end()


_ANSWER = re.compile(r"[^\W_][\w-]*(?:[ \t]+[^\W\d_][\w-]*){0,3}(?=[ \t]*(?:$|[.,;!?)(]|[\U0001F300-\U0001FAFF]))")
_PLACEHOLDER = re.compile(r"[\[<{(][^\]>})]*[\]>})]")


def _extract(text: str, pos: int, tail: bool = True) -> tuple[int, int] | None:
    """The value at pos: quoted, or a token (plus a "/ second" part or a digit tail)."""
    q = _QUOTED.match(text, pos)
    if q:
        more = _QUOTED_TAIL.match(text, q.end()) if tail else None  # '"Home_5G" / "vera_2019"'
        return q.start(1), more.end(1) if more else q.end(1)
    m = _TOKEN.match(text, pos)
    if not m:
        return None
    s, e = m.start(), m.end()
    while s < e and text[s] in "([{«\"'`":
        s += 1
    # a final "." or "!" may be the password's own: keeping it costs a full stop at worst;
    # so may a closing bracket that has its opening one ("qwerty(1)")
    while e > s and text[e - 1] in ",)]}»\"'`…:;":
        if text[e - 1] in ")]}" and "([{"[")]}".index(text[e - 1])] in text[s : e - 1]:
            break
        e -= 1
    if e <= s:
        return None
    # "qwerty 123", "ivan / qwerty": the value goes on (not after "is in", "от", ...)
    more = _TAIL.match(text, e) if tail and text[s:e].lower() not in _STOP else None
    if more and not re.match(r" ?\d{1,2}[:.]\d\d", more.group()):
        e += len(more.group().rstrip(".,?)]}»\"'…:"))
    return s, e


def _strong(v: str, cyr_key: bool, kind: str = "pw") -> bool:
    """Looks like a password on its own: digits, symbols, mixed case, Latin after a Russian
    keyword, or a random run of letters ("czfhrmbs")."""
    v = v.rstrip(".!?") if len(v) > 1 and v[-2].isalnum() else v  # a sentence's full stop
    if len(v) < 4 or v.lower() in _STOP or _masked(v) or _CONTRACTION.fullmatch(v):
        return False  # "hasn't", "it's", "we'll": words, however they are spelt
    if kind == "weak" and (len(v) < 6 or _SPEC.search(v)):
        return False  # "wifi 6E", "wi-fi 5GHz", "pass 2 tickets"
    if re.search(r"\d", v) or re.search(r"[^\w]", v[:-1]):
        return True
    if cyr_key and re.search(r"[A-Za-z]", v):
        return True
    if any(c.isupper() for c in v[1:]) and any(c.islower() for c in v):
        return True
    letters = v.lower()
    return len(v) >= 6 and letters.isascii() and sum(c in "aeiouy" for c in letters) / len(v) < 0.2


_CONTRACTION = re.compile(r"[A-Za-z]+['’](?:t|s|m|re|ll|ve|d)", re.I)
_SPEC = re.compile(r"^\d{1,7}$|^\d+[.,]\d+$|^\d+(?:[.,]\d+)?(?:ghz|ггц|mbps|мбит|mhz|мгц|dbm|g|г|ax|ac|n)$|802\.11",
                   re.I)
