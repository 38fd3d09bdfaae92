"""Recognizers: each turns a text into raw candidates ``(kind, start, end, detail, norm)``.

Every pattern is bounded (or possessive) so that a 1 MB line costs linear time; a pattern
proposes, a checksum or a context word decides.
"""

from __future__ import annotations

import re

import phonenumbers
from mnemonic import Mnemonic

from clonebot.pii import _checks as ck

Cand = tuple[str, int, int, str, str]  # kind, start, end, detail, normalised value

# ---------------------------------------------------------------- digit runs
# A run: digit groups joined by at most 3 of space . - – ( ); phone, card, SNILS, INN and
# passport all live inside runs, validated on group-aligned sub-spans.
_RUN = re.compile(r"(?<![A-Za-z0-9_+])\+?(?:\(\d{1,5}\)|\d)(?:[ \t.\-–()]{0,3}\d)*+")
_GROUP = re.compile(r"\d+")
_MAX_DIGITS = 19
_MAX_GROUPS = 6  # "+7 (912) 345-67-89" is 5; cards and SNILS have <= 5

_PHONE_FMT_E164 = phonenumbers.PhoneNumberFormat.E164


def _phone_e164(digits: str, plus: bool, paren: bool) -> str | None:
    n = len(digits)
    tries: list[tuple[str, str | None]]
    if plus:
        if not 8 <= n <= 15:
            return None
        tries = [("+" + digits, None)]
    elif n == 11 and digits[0] == "8":
        tries = [(digits, "RU")]  # RU also validates KZ (+7 7xx)
        if digits[1] == "0":
            tries.append((digits, "BY"))  # 8 029 ... (Belarus trunk 8 0)
    elif n == 11 and digits[0] == "7":
        tries = [("+" + digits, None)]
    elif n == 12 and digits[:3] in ("375", "380"):
        tries = [("+" + digits, None)]
    elif n == 10 and digits[0] == "0":
        tries = [(digits, "UA")]
    elif n == 10 and (digits[0] == "9" or paren):
        tries = [(digits, "RU")]
    else:
        return None
    for s, region in tries:
        try:
            num = phonenumbers.parse(s, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, _PHONE_FMT_E164)
    return None


_SNILS_FMT = re.compile(r"\d{3}[- ]\d{3}[- ]\d{3}[- ]\d{2}")
_CTX_SNILS = re.compile(r"снилс|snils|страхов|пенсион", re.I)
_CTX_INN = re.compile(r"\bинн\b|\binn\b|\btin\b|tax\s*id|ИНН|налогоплат", re.I)
_CTX_PHONE_NEG = re.compile(r"инн|inn|снилс|snils|сч[её]т|account|заказ|order|№|#|артикул|арт\.|id|трек|track|sku|код", re.I)
_CTX_PHONE = re.compile(r"тел|phone|номер|number|звон|call|whats|ватс|viber|вайбер|моб|mobile|cell|sms|смс|\btg\b", re.I)


def _ctx(rx: re.Pattern, text: str, start: int, width: int = 40) -> bool:
    return rx.search(text, max(0, start - width), start) is not None


def digit_runs(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _RUN.finditer(text):
        run = m.group()
        groups = [(g.start() + m.start(), g.end() + m.start(), g.group()) for g in _GROUP.finditer(run)]
        total = sum(len(g[2]) for g in groups)
        if total < 7:
            continue
        ng = len(groups)
        plus = run.startswith("+")
        i = 0
        while i < ng:
            # collect sub-spans starting at group i, longest first
            subs = []
            digits = ""
            for j in range(i, min(ng, i + _MAX_GROUPS)):
                digits += groups[j][2]
                if len(digits) > _MAX_DIGITS:
                    break
                subs.append((j, digits))
            found = None
            for j, d in reversed(subs):
                if len(d) < 7:
                    break
                c = _classify(text, groups, i, j, d, plus and i == 0, ng)
                if c is not None:
                    found = (j, c)
                    break
            if found is None:
                i += 1
                continue
            j, c = found
            out.append(c)
            i = j + 1
    return out


def _classify(text, groups, i, j, d, plus, ng) -> Cand | None:
    start, end = groups[i][0], groups[j][1]
    n = len(d)
    whole = i == 0 and j == ng - 1
    seps = text[start:end]
    if plus:
        start -= 1  # keep the "+"
    # card: 15-19 digits, issuer 2-6, Luhn, groups of >= 3 digits joined by space/dash
    if 15 <= n <= 19 and d[0] in "23456" and not plus:
        if all(len(groups[k][2]) >= 3 for k in range(i, j)) and not re.search(r"[.()]", seps):
            if ck.luhn_ok(d):
                return ("card", start, end, "", d)
    if n == 11 and not plus:
        if _SNILS_FMT.fullmatch(seps) or (i == j and _ctx(_CTX_SNILS, text, start)):
            if ck.snils_ok(d):
                return ("snils", start, end, "", d)
    if n in (10, 12) and i == j and not plus and _ctx(_CTX_INN, text, start):
        if ck.inn_ok(d):
            return ("inn", start, end, "", d)
    if 7 <= n <= 15:
        paren = "(" in seps or (start > 0 and text[start - 1] == "(")
        bare = not plus and d[0] not in "78" and not d.startswith(("375", "380"))
        # bare national numbers (912..., 050...) only as a whole run: ISBNs, ids and dates
        # often contain a phone-valid slice.
        if bare and not whole:
            return None
        if bare and n == 10:
            if _ctx(_CTX_PHONE_NEG, text, start, 25):
                return None
            if not (re.search(r"[ .()\-]", seps) or paren or _ctx(_CTX_PHONE, text, start, 30)):
                return None
        e164 = _phone_e164(d, plus, paren)
        if e164 is not None:
            if paren and start > 0 and text[start - 1] == "(":
                start -= 1
            if end < len(text) and text[end] == ")" and "(" in text[start:end]:
                end += 1
            return ("phone", start, end, "", e164)
    return None


# ---------------------------------------------------------------- passport
_PASSPORT_KW = re.compile(r"паспорт|пасп\.|passport|серия|серии", re.I)
_PASSPORT_NUM = re.compile(
    r"(?<!\d)\d{2}\s?\d{2}\s*(?:№|N|No\.?|номер|н\.)?\s*\d{6}(?!\d)"  # internal: 4 + 6
    r"|(?<!\d)\d{2}\s?(?:№\s*)?\d{7}(?!\d)"  # international (загран): 2 + 7
    r"|(?<![A-Za-z0-9])[A-Z]{1,2}\d{6,8}(?![A-Za-z0-9])",  # foreign passports
    re.I,
)


def passports(text: str) -> list[Cand]:
    out: list[Cand] = []
    for kw in _PASSPORT_KW.finditer(text):
        m = _PASSPORT_NUM.search(text, kw.end(), min(len(text), kw.end() + 60))
        if m:
            out.append(("passport", m.start(), m.end(), "", re.sub(r"\D", "", m.group())))
    return out


# ---------------------------------------------------------------- email
_EMAIL_LOCAL = re.compile(r"[\w.+%-]{1,64}$")
_EMAIL_DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}[^\W\d_]{2,24}(?![\w-])")


def emails(text: str) -> list[Cand]:
    out: list[Cand] = []
    at = text.find("@")
    while at != -1:
        lm = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        dm = _EMAIL_DOMAIN.match(text, at + 1) if lm else None
        if lm and dm:
            start = lm.start()
            while start < at and text[start] in ".+-%":  # local part never starts with these
                start += 1
            if start < at:
                val = text[start : dm.end()]
                out.append(("email", start, dm.end(), "", val.lower()))
        at = text.find("@", at + 1)
    return out


# ---------------------------------------------------------------- crypto
_B58C = "1-9A-HJ-NP-Za-km-z"
_CRYPTO = [
    ("ETH", re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])"), None),
    ("BTC", re.compile(rf"(?<![0-9A-Za-z])[13][{_B58C}]{{25,34}}(?![0-9A-Za-z])"), ck.btc_ok),
    ("BTC", re.compile(r"(?<![0-9A-Za-z])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}(?![0-9A-Za-z])"), ck.btc_ok),
    ("TRON", re.compile(rf"(?<![0-9A-Za-z])T[{_B58C}]{{33}}(?![0-9A-Za-z])"), ck.tron_ok),
    ("TON", re.compile(r"(?<![\w+/-])[EUk0][Qf][A-Za-z0-9_+/-]{46}(?![\w+/-])"), ck.ton_ok),
    ("TON", re.compile(r"(?<![\w:])-?[01]:[0-9a-fA-F]{64}(?![0-9A-Za-z])"), None),
]


def crypto(text: str) -> list[Cand]:
    out: list[Cand] = []
    for label, rx, ok in _CRYPTO:
        for m in rx.finditer(text):
            if ok is None or ok(m.group()):
                out.append(("crypto", m.start(), m.end(), label, m.group().lower() if label in ("ETH",) else m.group()))
    return out


# ---------------------------------------------------------------- IBAN
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}(?![A-Za-z0-9])")


def ibans(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _IBAN.finditer(text):
        s = m.group()
        # trailing words may stick to the match ("... 00 EUR"): shrink at spaces
        cut = len(s)
        while cut >= 14:
            comp = s[:cut].replace(" ", "")
            if ck.iban_ok(comp):
                out.append(("iban", m.start(), m.start() + cut, comp[:2], comp))
                break
            cut = s.rfind(" ", 0, cut)
    return out


# ---------------------------------------------------------------- secrets
_SECRETS = [
    ("private key", re.compile(
        r"-----BEGIN[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----|.*)", re.S), 0),
    ("Telegram bot token", re.compile(r"(?<![\w:])\d{8,10}:[A-Za-z0-9_-]{35}(?![\w-])"), 0),
    ("GitHub token", re.compile(r"(?<!\w)gh[pousr]_[A-Za-z0-9]{36,255}(?!\w)"), 0),
    ("GitHub token", re.compile(r"(?<!\w)github_pat_[A-Za-z0-9_]{22,255}"), 0),
    ("GitLab token", re.compile(r"(?<![\w-])glpat-[A-Za-z0-9_-]{20,255}"), 0),
    ("OpenAI key", re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,255}"), 0),
    ("Stripe key", re.compile(r"(?<!\w)[sr]k_(?:live|test)_[A-Za-z0-9]{16,99}"), 0),
    ("AWS key", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Z0-9])"), 0),
    ("Slack token", re.compile(r"(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,250}"), 0),
    ("Slack webhook", re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,200}"), 0),
    ("Google API key", re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"), 0),
    ("JWT", re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,4096}"), 0),
    ("URL secret", re.compile(
        r"[?&#;](?:access_token|refresh_token|id_token|auth_token|token|api_?key|apikey|key|secret|"
        r"client_secret|password|passwd|pwd|pass|auth|sig|signature|session_?id|sessionid|sid)"
        r"=([^&#\s]{4,512})", re.I), 1),
    ("assigned secret", re.compile(
        r"(?<![\w-])(?:api[_-]?key|api[_-]?token|access[_-]?token|auth[_-]?token|secret[_-]?key|"
        r"client[_-]?secret|aws_secret_access_key|bot[_-]?token|token|secret)['\"]?\s*[:=]\s*['\"]?"
        r"([A-Za-z0-9_\-./+=]{12,512})", re.I), 1),
]


def secrets(text: str) -> list[Cand]:
    out: list[Cand] = []
    for label, rx, grp in _SECRETS:
        for m in rx.finditer(text):
            val = m.group(grp)
            if grp and not re.search(r"\d", val) and len(val) < 20:
                continue  # "token=abcdefgh": words, not a secret
            out.append(("secret", m.start(grp), m.end(grp), label, val))
    return out


# ---------------------------------------------------------------- passwords in words
_PW_KEY = re.compile(
    r"(?<!\w)(?:"
    r"(?P<pw>парол[ьяюеи]м?|пасс|пассворд|passw(?:or)?d|passcode|passphrase|pwd|pass|кодовое\s+слово|code\s*word|codeword)"
    r"|(?P<pin>(?:пин|pin)(?:[\s-]?(?:код|code))?)"
    r"|(?P<cvv>(?:cvv2?|cvc2?)(?:[\s-]?(?:код|code))?)"
    r"|(?P<code>код|code|otp)"
    r")(?!\w)",
    re.I,
)
# what makes a "код/code" a secret one (before or after the keyword)
_CODE_GOOD = re.compile(
    r"домофон|подъезд|двер|калитк|ворот|сейф|замк|замок|сигнализ|подтвержд|смс|sms|доступ|безопасн|"
    r"верифик|провер|входа|карты|охран|квартир|"
    r"door|gate|entry|alarm|safe|lock|verif|confirm|security|access|one[- ]time|2fa|two[- ]factor|login|"
    r"your|my|мой|твой|ваш",
    re.I,
)
_CODE_BAD = re.compile(r"ошибк|error|status|статус|регион|region|zip|area|город|товар|product|http|promo|промо|source|исход|qr|bar|штрих|country|стран|postal|почтов", re.I)
_CONNECT = re.compile(r"\s*(?:[:=]|:-|—|–|-(?=\s)|\bis\b:?|\bэто\b|\bwas\b|\bбудет\b|\bтакой\b:?|\bтакой же\b)\s*", re.I)
_QUAL_WORD = re.compile(r"\s+(?!is\b|это\b|was\b|будет\b)[^\W\d][\w-]{0,20}", re.I)
_PREP = re.compile(r"\s+(?:от|для|к|на|из|of|for|to|from|on)\s+[^\W\d][\w-]{0,20}(?:\s+[^\W\d][\w-]{0,20})?", re.I)
_VALUE = re.compile(r"[\"'«“]([^\"'»”\n]{3,64})[\"'»”]|([^\s,;]{1,64})")
_STOP = frozenset(
    """не нет и или а но от для к на в у с по из за то это же ли бы тот такой такая такое какой
    неверный неправильный верный правильный сложный простой слабый надёжный надежный новый старый
    сменил сменила поменял поменяла забыл забыла потерял сбросил сбросить поменять сменить ввести
    введи помню знаю скажи дай пришли напиши есть был была будет тоже уже еще ещё опять снова нужен
    нужно нужна подходит сохранил сохранила сменить поставь поставил сделай придумай придумал длинный
    короткий какой-то надо мне тебе ему ей нам вам им меня тебя его её их мой моя моё твой твоя свой
    is was the a an my your his her our their it its not wrong incorrect correct right same different
    too so very expired changed reset weak strong required manager please and or for to of in on at
    from field protected again still has have had will be been being that this there here you me i
    we they policy hint recovery change changes updated update set sent send later now isnt doesnt
    didnt wont cant should must needs need length requirements saved stored hash hashed check checked
    invalid ok okay also just really what which who how why when where same one another new old
    code pin password пароль код пин required missing empty blank expiring expires protected secure
    strength complexity rules reset-link link attempts attempt скажу скину пришлю отправлю напишу
    позже потом завтра сейчас later tomorrow soon below above attached прикрепил ниже выше
    лс личку dm private""".split()
)


def _strong(v: str, cyr_key: bool) -> bool:
    if re.search(r"\d", v) or re.search(r"[^\w]", v[:-1]):
        return True
    if cyr_key and re.search(r"[A-Za-z]", v):
        return True
    low = v[1:]
    return any(c.isupper() for c in low) and any(c.islower() for c in v)


def _value_at(text: str, pos: int) -> tuple[int, int, str] | None:
    m = _VALUE.match(text, pos)
    if not m:
        return None
    g = 1 if m.group(1) is not None else 2
    s, e = m.start(g), m.end(g)
    while e > s and text[e - 1] in ".,?)]}»\"'…:":  # "!" is often part of a password
        e -= 1
    while s < e and text[s] in "([{«\"'":
        s += 1
    if e - s < 3 and g == 2 and not text[s:e].isdigit():
        return None
    return s, e, text[s:e]


_WS = re.compile(r"[ \t]+")
_QUAL_PASS = frozenset("от для к на из в у of for to from on the my your our his her мой моя твой".split())
_PREPS = frozenset("от для к на из of for to from on".split())


def _qual_words(text: str, pos: int, n: int) -> list[tuple[str, int]]:
    """Up to n plain words after pos: (word, end)."""
    out = []
    for _ in range(n):
        qm = _QUAL_WORD.match(text, pos)
        if not qm:
            break
        pos = qm.end()
        out.append((qm.group().strip().lower(), pos))
    return out


def passwords(text: str) -> list[Cand]:
    out: list[Cand] = []
    for k in _PW_KEY.finditer(text):
        kind = k.lastgroup or ""
        cyr = bool(re.search(r"[а-яё]", k.group(), re.I))
        pos = k.end()
        if kind == "code":
            before = text[max(0, k.start() - 25) : k.start()]
            after = text[pos : pos + 30]
            if _CODE_BAD.search(before[-15:] + " " + after[:15]):
                continue
            if not (_CODE_GOOD.search(before) or _CODE_GOOD.search(after[:20])):
                continue
        val = None
        connected = False
        cm = _CONNECT.match(text, pos)
        if cm:
            val, connected = _value_at(text, cm.end()), True
        else:
            words = _qual_words(text, pos, 3)
            # "пароль от вайфая: ..." -- qualifier words, then a connector
            for idx, (w, wend) in enumerate(words):
                if w in _STOP and w not in _QUAL_PASS:
                    break
                cm = _CONNECT.match(text, wend)
                if cm:
                    v = _value_at(text, cm.end())
                    if v and _accept(kind, v[2], True, cyr):
                        val, connected = v, True
                    break
            if val is None:
                # no connector: the value follows the key, a preposition phrase
                # ("от вайфая") or, for codes, a genitive ("код домофона 1234")
                starts = [pos]
                if words and (words[0][0] in _PREPS or kind == "code"):
                    starts += [e for _, e in words[1 if words[0][0] in _PREPS else 0 : 3]]
                for p in starts:
                    ws = _WS.match(text, p)
                    if not ws:
                        continue
                    v = _value_at(text, ws.end())
                    if v and _accept(kind, v[2], False, cyr):
                        val = v
                        break
        if not val or not _accept(kind, val[2], connected, cyr):
            continue
        s, e, v = val
        out.append(("password", s, e, kind, v))
    return out


def _accept(kind: str, v: str, connected: bool, cyr: bool) -> bool:
    if v.lower() in _STOP or not v.strip("*•·xX.?"):  # "password: ******" is already hidden
        return False
    if kind in ("pin", "code", "cvv"):
        digits = sum(c.isdigit() for c in v)
        if kind == "cvv":
            return v.isdigit() and 3 <= len(v) <= 4
        if kind == "pin":
            return re.fullmatch(r"\d{4,8}[#*]?", v) is not None
        return digits >= 3 and len(v) <= 16
    if connected:
        return len(v) >= 3
    return len(v) >= 4 and _strong(v, cyr)


# ---------------------------------------------------------------- seed phrases
_WORDS = frozenset(Mnemonic("english").wordlist)
_WORD = re.compile(r"[A-Za-z]+")
_LEAD_NUM = re.compile(r"(?<!\d)\d{1,2}[.):]?\s*$")
_GAP = re.compile(r"[\s,;.:)(\-–]*(?:\d{1,2}[.):]?[\s,;.)\-–]*)?")


def seeds(text: str) -> list[Cand]:
    out: list[Cand] = []
    run: list[re.Match] = []

    def flush():
        if len(run) >= 12:
            start = run[0].start()
            lead = _LEAD_NUM.search(text, max(0, start - 4), start)
            if lead:  # "1. word 2. word ...": take the first marker too
                start = lead.start()
            out.append(("seed", start, run[-1].end(), f"{len(run)} words", " ".join(w.group().lower() for w in run)))

    prev_end = -1
    for m in _WORD.finditer(text):
        w = m.group()
        ok = w.lower() in _WORDS and (w.islower() or w.isupper() or w.istitle())
        if ok and run:
            gap = text[prev_end : m.start()]
            if len(gap) > 8 or not _GAP.fullmatch(gap):
                flush()
                run = []
        if ok:
            run.append(m)
            prev_end = m.end()
        else:
            flush()
            run = []
    flush()
    return out
