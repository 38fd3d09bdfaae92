"""API keys, tokens and private keys, as pasted into chats (unquoted, often unlabelled).

Three ways in:
- provider shapes that need no label (``ghp_``, ``hf_``, ``sk-proj-``, ``AIza``, Telegram
  and Discord bot tokens, ...);
- a label in either language ("token", "токен", "апи ключ", "ключ апи", "aws secret key",
  "bearer", ``API_KEY=``) followed by a token-looking value, colon or not;
- a long random-looking base64 string on its own (a PEM body line, an unknown provider's
  key): mixed case and digits, high entropy, not part of a URL path. Pure hex (commit
  hashes, checksums) and UUIDs are left alone unless labelled.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter

from clonebot.pii._alternatives import by_first_letter
from clonebot.pii._candidate import Cand
from clonebot.pii._connect import ARROW

_W = r"(?<![\w-])"  # a token starts at a word edge
# (label, literals every match holds one of, pattern): the literals are looked for first (one
# scan, below), ~0.3 us against ~2 us a pattern on a line with a long token (a URL)
_SHAPE_TABLE = [
    ("private key", ("-----BEGIN",), re.compile(
        r"-----BEGIN[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END[A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----|.*)", re.S)),
    ("Telegram bot token", (":",), re.compile(r"(?<![\w:])\d{8,10}:[A-Za-z0-9_-]{35}(?![\w-])")),
    ("GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"(?<!\w)gh[pousr]_[A-Za-z0-9]{30,255}(?!\w)")),
    ("GitHub token", ("github_pat_",), re.compile(r"(?<!\w)github_pat_[A-Za-z0-9_]{22,255}")),
    ("GitLab token", ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glsoat-"),
     re.compile(rf"{_W}gl(?:pat|dt|rt|ptt|cbt|soat)-[A-Za-z0-9_-]{{20,255}}")),
    ("OpenAI key", ("sk-",),
     re.compile(rf"{_W}sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?|or-v1-)?[A-Za-z0-9_-]{{20,255}}")),
    ("Stripe key", ("_live_", "_test_"), re.compile(r"(?<!\w)(?:[srp]k|whsec)_(?:live|test)_[A-Za-z0-9]{16,99}")),
    ("Stripe key", ("whsec_",), re.compile(r"(?<!\w)whsec_[A-Za-z0-9]{24,99}")),
    ("AWS key", ("AKIA", "ASIA", "ABIA", "ACCA"),
     re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Z0-9])")),
    ("Slack token", ("xox",), re.compile(rf"{_W}xox[abposre]-[A-Za-z0-9-]{{10,250}}")),
    ("Slack webhook", ("hooks.slack.com/services/",),
     re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,200}")),
    ("Google API key", ("AIza",), re.compile(rf"{_W}AIza[0-9A-Za-z_-]{{30,40}}(?![\w-])")),
    ("Google OAuth token", ("ya29.", "GOCSPX-"),
     re.compile(rf"{_W}(?:ya29\.[0-9A-Za-z_-]{{20,2048}}|GOCSPX-[0-9A-Za-z_-]{{20,64}})")),
    ("Hugging Face token", ("hf_",), re.compile(r"(?<!\w)hf_[A-Za-z0-9]{30,64}(?!\w)")),
    ("npm token", ("npm_",), re.compile(r"(?<!\w)npm_[A-Za-z0-9]{30,64}(?!\w)")),
    ("PyPI token", ("pypi-",), re.compile(rf"{_W}pypi-[A-Za-z0-9_-]{{50,512}}")),
    ("Yandex OAuth token", ("y0_", "y1_", "y2_", "y3_", "AQAAAA"),
     re.compile(rf"{_W}(?:y[0-3]_[A-Za-z0-9_-]{{30,128}}|AQAAAA[A-Za-z0-9_-]{{30,64}})")),
    ("Yandex Cloud key", ("AQVN", "t1."), re.compile(rf"{_W}(?:AQVN[A-Za-z0-9_-]{{30,64}}|t1\.[A-Za-z0-9_.-]{{50,512}})")),
    ("SendGrid key", ("SG.",), re.compile(rf"{_W}SG\.[A-Za-z0-9_-]{{16,32}}\.[A-Za-z0-9_-]{{16,64}}")),
    ("Discord bot token", ("M", "N", "O"), re.compile(
        rf"{_W}[MNO][A-Za-z0-9_-]{{23,27}}\.[A-Za-z0-9_-]{{6,7}}\.[A-Za-z0-9_-]{{27,40}}(?![\w-])")),
    ("Discord webhook", ("/api/webhooks/",), re.compile(r"discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,100}")),
    ("Telegram webhook", ("api.telegram.org/bot",), re.compile(r"api\.telegram\.org/bot\d{8,10}:[A-Za-z0-9_-]{35}")),
    ("service token", ("shp", "dop_v1_", "lin_api_", "gsk_", "r8_", "xai-", "pplx-", "ntn_", "secret_", "sbp_", "figd_",
                       "PMAK-", "ATATT", "dp.pt.", "key-", "SK", "sntrys_", "vk1.a.", "HRKU-", "sk.eyJ"), re.compile(
        rf"{_W}(?:shp(?:at|ss|ca|pa)_[a-fA-F0-9]{{32}}|dop_v1_[a-f0-9]{{64}}|lin_api_[A-Za-z0-9]{{30,64}}"
        rf"|gsk_[A-Za-z0-9]{{40,64}}|r8_[A-Za-z0-9]{{30,48}}|xai-[A-Za-z0-9]{{40,100}}|pplx-[A-Za-z0-9]{{40,64}}"
        rf"|ntn_[A-Za-z0-9]{{30,64}}|secret_[A-Za-z0-9]{{40,50}}|sbp_[a-f0-9]{{40}}|figd_[A-Za-z0-9_-]{{30,64}}"
        rf"|PMAK-[a-f0-9]{{24}}-[a-f0-9]{{34}}|ATATT[A-Za-z0-9_=-]{{40,300}}|dp\.pt\.[A-Za-z0-9]{{40,64}}"
        rf"|key-[a-f0-9]{{32}}|SK[a-f0-9]{{32}}|sntrys_[A-Za-z0-9_=+/-]{{40,300}}|vk1\.a\.[A-Za-z0-9_-]{{40,300}}"
        rf"|HRKU-[A-Za-z0-9_-]{{30,80}}|sk\.eyJ[A-Za-z0-9_.-]{{40,300}})(?![\w-])")),
    ("JWT", ("eyJ",), re.compile(rf"{_W}eyJ[A-Za-z0-9_-]{{8,4096}}\.eyJ[A-Za-z0-9_-]{{8,8192}}\.[A-Za-z0-9_-]{{0,4096}}")),
]
_SHAPES = [(label, re.compile("|".join(map(re.escape, needs))), rx) for label, needs, rx in _SHAPE_TABLE]
# Three looks for all of them first (most lines with a long token are links, which hold none):
# the literals, and for the two shapes whose literals are common ("https:" has a colon, names
# have capitals) what their patterns cannot match without: a digit before the colon, a capital
# before 23 token characters. (One pattern for all would cost more: re tries a class at every
# position.)
_TIGHTER = {"Telegram bot token": re.compile(r"\d:"), "Discord bot token": re.compile(r"[MNO][A-Za-z0-9_-]{23}")}
_BOT_LOOK, _DISCORD_LOOK = _TIGHTER["Telegram bot token"], _TIGHTER["Discord bot token"]
# (gathered under their first letters: only whether one is there is asked)
_ANY_LITERAL = re.compile(by_first_letter(tuple(
    re.escape(n) for label, needs, _ in _SHAPE_TABLE if label not in _TIGHTER for n in needs)))
SHAPES = frozenset(label for label, _, _ in _SHAPE_TABLE)  # the labels of provider shapes

# ------------------------------------------------------------------ labelled values
_URL_SECRET = re.compile(
    r"[?&#;](?:access_token|refresh_token|id_token|auth_token|token|api_?key|apikey|key|secret|"
    r"client_secret|password|passwd|pwd|pass|auth|sig|signature|session_?id|sessionid|sid)"
    r"=([^&#\s]{4,512})", re.I)
# API_KEY=..., "client_secret": "...", DB_PASSWORD=..., TELEGRAM_API_HASH=..., MY_APP_KEY=...: any
# name that ends in a secret word ("pass" only in a compound name: "wifi pass: X" is a password);
# a quoted value runs to its closing quote ("django-insecure-8k)u#...")
_ASSIGNED = re.compile(
    r"(?<![\w-])(?:[A-Za-z0-9_.-]{0,40}?(?:token|secret|key|salt|(?:api|app)[_-]?hash|session[_-]?string|"
    r"string[_-]?session|session(?:[_-]?id)?|credentials?|auth|dsn)|[A-Za-z0-9.-]{0,40}[_.-](?:password|passwd|pass|pwd))"
    r"(?![A-Za-z0-9])['\"]?\s*[:=]\s*"
    r"(?:(?P<q>['\"])(?P<quoted>[^'\"\n]{8,512})(?P=q)|(?P<bare>[A-Za-z0-9_\-./+=!@#$%^*~]{8,512}))", re.I)
# HTTP authorization: "Authorization: Basic|Bearer|Token X", "x-api-key: X"; "basic auth X" when X
# decodes to "user:password"
_AUTH_HEADER = re.compile(
    r"(?<![\w-])(?:authorization|proxy-authorization)\s*[:=]\s*(?:(?:basic|bearer|token|digest|apikey|api-key|"
    r"sso-key|key)\s+)?([^\s'\",;]{8,2048})", re.I)
_BASIC = re.compile(r"(?<!\w)basic(?:\s+auth\w*)?\s*[:=]?\s+([A-Za-z0-9+/]{8,1024}={0,2})(?![\w+/=])", re.I)
_LABEL = re.compile(
    r"(?<!\w)(?:"
    r"(?:api|апи|эйпиай)[\s_-]?(?:key|кей|ключ\w*|token|токен\w*)|apikey|апикей|"
    r"ключ\w*\s+(?:от\s+|для\s+|к\s+)?(?:api|апи)|токен\w*\s+(?:от\s+|для\s+)?(?:api|апи)|"
    r"(?:aws\s+)?secret(?:\s+access)?\s+key|access\s+key(?:\s+id)?|private\s+key|priv\s?key|"
    r"приватник\w*|привкей|сек?ретник\w*|"
    r"(?:секретн\w+|приватн\w+|закрыт\w+)\s+ключ\w*|ключ\w*\s+доступа|"
    r"(?:access|auth|bot|bearer|refresh|api|oauth|personal\s+access)\s+token|"
    # slang: "апишка", "апиха", "хэш апи", "api hash", "токенчик", "секретка"
    r"апиш\w*|апих\w*|(?:api|app|апи)[\s_-]?(?:hash|хэш|хеш)|(?:хэш|хеш)\w*\s+(?:api|апи)|токенчик\w*|секретк\w*|"
    r"token|токен\w*|bearer|secret|секрет\w*|ключ\w*|key|api|апи"
    r")(?!\w)", re.I)
# up to three words between label and value ("токен бота", "key for prod is")
_BRIDGE_WORD = re.compile(r"\s+(?!(?:is|это)\b)[^\W\d][\w-]{0,15}", re.I)
_CONNECTOR = re.compile(rf"\s*(?:{ARROW}|[:=]|:-|-|—|\bis\b|\bэто\b)?\s*['\"«`]?", re.I)
_BRIDGE_WORDS = 3
_VERSION = re.compile(r"v?\d+(?:\.\d+)+")  # "api v1.2.3-beta.4567890"
_VALUE = re.compile(r"[A-Za-z0-9_\-./+=]{16,512}")

# ------------------------------------------------------------------ unlabelled random strings
_LONG = re.compile(r"(?<![\w/+=.@:#?&%-])[A-Za-z0-9+/_-]{32,2048}={0,2}(?![\w/+=-])")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# base64 of PNG, JPEG, GIF, WebP/RIFF, PDF, MP4 files
_MEDIA_BASE64 = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "JVBERi0", "AAAAIGZ0eXA", "AAAAGGZ0eXA")
_MIN_ENTROPY = 3.8  # bits per char; random base62 of 32 chars scores ~4.6, English ~3.5


# Cheap scans that rule the costly patterns out: every _LABEL alternative holds one of these
# words, every _ASSIGNED one a name word and a ":" or "=" (the lazy name prefix of _ASSIGNED
# is tried at every position, ~15 us on a line of prose).
# (matched against the lowercased text: re.I would cost more than the lowering)
_LABEL_CUE = re.compile(r"api|апи|эйпиай|ключ|токен|key|token|secret|hash|хэш|хеш|приват|привкей|секр|серетн|bearer")
_ASSIGNED_CUE = re.compile(r"token|secret|key|salt|hash|session|credential|auth|dsn|pass|pwd")
_LABEL_OR_ASSIGNED_CUE = re.compile(by_first_letter(tuple(dict.fromkeys(
    _LABEL_CUE.pattern.split("|") + _ASSIGNED_CUE.pattern.split("|")))))
# Shapes that fit in less than 16 token characters in a row: every other shape (and an
# unlabelled random string) needs a run that long, so a line without one skips them.
_SHORT_SHAPES = ("private key", "Slack token")
_SHORT = [shape for shape in _SHAPES if shape[0] in _SHORT_SHAPES]


def secrets(text: str, low: str, long_at: int | None, *, run_at: int | None, digit: bool) -> list[Cand]:
    """``low``: ``text.lower()``; ``long_at``: where the text's first run of 16 token characters
    starts, None when it has none (``_detect._LONG_TOKEN``); ``run_at``: where its first run of
    25 characters of ``_detect._CRYPTO_TOKEN`` starts (None: none); ``digit``: whether it
    holds a digit. The caller has them all already.

    Every shape but the short ones, and every unlabelled random string, is a run of 16 token
    characters or more: it starts at ``long_at`` or later, and so do the literals it holds.
    Their scans start there (a line's text before its link is not read again). An unlabelled
    random string is a run of 32 characters of a narrower class: it starts at ``run_at`` or later."""
    out: list[Cand] = []
    shapes = _SHORT
    if long_at is not None and (_ANY_LITERAL.search(text, long_at) is not None
                                or (digit and _BOT_LOOK.search(text, long_at) is not None)  # "\d:"
                                or _DISCORD_LOOK.search(text, long_at) is not None):
        shapes = _SHAPES
    for label, needs, rx in shapes:
        start = 0 if label in _SHORT_SHAPES else long_at
        if needs.search(text, start) is None:
            continue
        for m in rx.finditer(text, start):
            if not filler(m.group()):
                out.append(Cand("secret", m.start(), m.end(), label, m.group()))
    # each pattern below runs only when what it cannot match without is there ("=", a name)
    for m in _URL_SECRET.finditer(text) if "=" in text else ():
        _add_value(out, m, 1, "URL secret")
    # one look for the words both label patterns need; each looks on from where it found one
    cue = _LABEL_OR_ASSIGNED_CUE.search(low)
    cue_at = -1 if cue is None else cue.start()
    assigned = cue_at >= 0 and ("=" in text or ":" in text) and _ASSIGNED_CUE.search(low, cue_at) is not None
    for m in _ASSIGNED.finditer(text) if assigned else ():
        if m.group("quoted"):
            _add_value(out, m, "quoted", "assigned secret", strip=False)
        else:
            _add_value(out, m, "bare", "assigned secret")
    for m in _AUTH_HEADER.finditer(text) if "authorization" in low else ():
        _add_value(out, m, 1, "authorization")
    for m in _BASIC.finditer(text) if "basic" in low else ():
        if _user_and_password(m.group(1)):
            out.append(Cand("secret", m.start(1), m.end(1), "basic auth", m.group(1)))
    for m in _LABEL.finditer(text) if cue_at >= 0 and _LABEL_CUE.search(low, cue_at) else ():
        # "api"/"апи" alone is a weak label: the value must follow at once ("the api returns X")
        bare_api = m.group().lower() in ("api", "апи")
        value = _labelled_value(text, m.end(), 0 if bare_api else _BRIDGE_WORDS)
        if value is not None:
            out.append(value)
    for m in _LONG.finditer(text, run_at) if run_at is not None else ():
        val = m.group()
        if _random_looking(val):
            out.append(Cand("secret", m.start(), m.end(), "random string", val))
    return out


def filler(token: str) -> bool:
    """A provider's prefix and filler where the key would be: "ghp_xxxxxxxx...",
    "sk-proj-XXXXXXXX...", "hf_your_token_here" (a random key has no six x in a row)."""
    return _FILLER.search(token) is not None or _PLACEHOLDER_VALUE.search(token) is not None


_FILLER = re.compile(r"x{6}|X{6}|\*{4}|•{3}|0{10}|<[^>]*>")


def _add_value(out: list[Cand], m: re.Match, group: int | str, label: str, strip: bool = True) -> None:
    val = m.group(group).rstrip(".,;!?'\")") if strip else m.group(group)
    if _tokenish(val, 8):
        out.append(Cand("secret", m.start(group), m.start(group) + len(val), label, val))


def _user_and_password(b64: str) -> bool:
    """"dXNlcjpzM2NyZXQ=" decodes to "user:s3cret": HTTP basic credentials."""
    try:
        raw = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in raw and raw.isprintable()


def _labelled_value(text: str, pos: int, bridge_words: int) -> Cand | None:
    for _ in range(bridge_words + 1):
        start = _CONNECTOR.match(text, pos).end()
        vm = _VALUE.match(text, start) if start > pos else None  # "api.example.com" is a host
        if vm:
            val = vm.group().rstrip(".,")
            if _tokenish(val, 16, labelled=True) and not _VERSION.match(val):
                return Cand("secret", vm.start(), vm.start() + len(val), "labelled secret", val)
        wm = _BRIDGE_WORD.match(text, pos)
        if wm is None:
            return None
        pos = wm.end()
    return None


_PLACEHOLDER_VALUE = re.compile(
    r"^[xX*_.\-•]+$|^(?:0123456789abcdef|abcdef0123456789|1234567890|0123456789)+[0-9a-f]{0,15}$|"
    r"(?:^|[_.-])(?:your|example|change_?me|placeholder|dummy|redacted|insert)(?:$|[_.-])", re.I)


def _tokenish(val: str, min_len: int, labelled: bool = False) -> bool:
    """A value after a label: long enough and not a word ("token=abcdefgh" is not) nor a
    placeholder ("XXXX_xxxx", "0123456789abcdef...", "your-api-key-here")."""
    if len(val) < min_len or _PLACEHOLDER_VALUE.search(val) or _FILLER.search(val):
        return False
    has_digit = any(c.isdigit() for c in val)
    if labelled:
        # after a label even a commit-hash-looking hex string is the secret
        return has_digit and any(c.isalpha() for c in val) and not _UUID.fullmatch(val) or (
            _HEX.fullmatch(val) is not None and len(val) >= 32)
    return has_digit or len(val) >= 20


def _random_looking(val: str) -> bool:
    if _HEX.fullmatch(val) or _UUID.search(val):
        return False  # commit hashes and checksums are shared in normal talk
    if val.startswith(_MEDIA_BASE64):
        return False  # a pasted image or document, not a key
    if not (any(c.isdigit() for c in val) and any(c.isupper() for c in val)
            and any(c.islower() for c in val)):
        return False
    if "-" in val or "_" in val:  # identifiers_like_this or kebab-case-names
        words = re.split(r"[-_]", val)
        if all(w.isalpha() or w.isdigit() for w in words if w):
            return False
    counts = Counter(val)
    entropy = -sum(c / len(val) * math.log2(c / len(val)) for c in counts.values())
    return entropy >= _MIN_ENTROPY
