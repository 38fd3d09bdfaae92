"""Build the evasive PII corpus: dev.jsonl and holdout.jsonl next to this file.

    python tests/pii_evasive/build.py            # rewrite both files
    python tests/pii_evasive/build.py --check    # exit 1 if the committed files differ

Deterministic (one seeded RNG). Templates come from phrasing_pii.py / phrasing_harmless.py;
within each group, templates at positions 1 and 3 of every 5 go to holdout, the rest to dev,
so no phrasing appears in both files. phrasing_context.py (issue 11: values known by their
context) goes to dev only, rendered with its own RNG after the rest, so the split corpus
stays as it was. Values come from evasive_values.py (valid checksums) and
harmless_values.py (look-alikes, redrawn until harmless_values.collisions() finds nothing).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import evasive_values as ev  # noqa: E402
import harmless_values as hv  # noqa: E402
from phrasing_harmless import HARMLESS_GROUPS  # noqa: E402
from phrasing_context import CONTEXT_HARMLESS_GROUPS, CONTEXT_PII_GROUPS  # noqa: E402
from phrasing_pii import PII_GROUPS  # noqa: E402

SEED = 11
CONTEXT_SEED = 1111
CONTEXT_REPS = 3  # renders of a context template that has slots
FILES = {"dev": HERE / "dev.jsonl", "holdout": HERE / "holdout.jsonl"}
HOLDOUT_POSITIONS = (1, 3)  # of every 5 templates in a group
PII_TARGET = {"phone": 110, "email": 90, "card": 80, "iban": 85, "inn": 85, "snils": 45,
              "passport": 80, "secret": 140, "seed": 90, "crypto": 90, "multi": 24}
PASSWORD_TARGET = {"password/wifi": 32, "password/slang": 45, "password/code": 45,
                   "password/secret-word": 16}
HARMLESS_REPS = 4  # renders of a harmless template that has slots (literal ones render once)
SLOT = re.compile(r"\{([a-z0-9_]+)\}")


# ------------------------------------------------------------------ seeds

def _seed_length(rng: random.Random) -> int:
    return rng.choice([12, 12, 12, 24, 24, 15, 18, 21])


def _seed_plain(rng, ctx, count=None):
    words = ev.seed_words(rng, count or _seed_length(rng))
    if rng.random() < 0.15:
        words[0] = words[0].capitalize()
    return " ".join(words), f"seed/{len(words)}-words"


def _seed_numbered(rng, ctx):
    words = ev.seed_words(rng, rng.choice([12, 12, 24]))
    style = rng.choice(["dot", "paren", "lines", "colon"])
    if style == "dot":
        return " ".join(f"{i}. {w}" for i, w in enumerate(words, 1)), "seed/numbered"
    if style == "paren":
        return ", ".join(f"{i}) {w}" for i, w in enumerate(words, 1)), "seed/numbered"
    if style == "colon":
        return " ".join(f"{i}:{w}" for i, w in enumerate(words, 1)), "seed/numbered"
    return "\n".join(f"{i}. {w}" for i, w in enumerate(words, 1)), "seed/numbered"


def _seed_joined(sep, tag):
    def make(rng, ctx):
        return sep.join(ev.seed_words(rng, _seed_length(rng))), tag
    return make


def _seed_typo(rng, ctx):
    words = ev.seed_words(rng, rng.choice([12, 12, 24]))
    i = rng.randrange(len(words))
    words[i] = ev.typo(rng, words[i])
    return " ".join(words), "seed/typo"


def _seed_invalid(rng, ctx):
    return " ".join(ev.seed_words(rng, rng.choice([12, 24]), valid=False)), "seed/announced-invalid"


def _seed_a(rng, ctx):
    words = ev.seed_words(rng, rng.choice([12, 12, 24]))
    half = len(words) // 2
    ctx["seed_b"] = " ".join(words[half:])
    return " ".join(words[:half]), "seed/split"


def _card_a(rng, ctx):
    value, _ = ev.card(rng)
    d = ev.digits(value)
    ctx["card_b"] = f"{d[8:12]} {d[12:]}"
    return f"{d[:4]} {d[4:8]}", "card/split"


def _phone_a(rng, ctx):
    nat = ev._ru_national(rng)
    ctx["phone_b"] = rng.choice([f"{nat[3:6]}-{nat[6:8]}-{nat[8:]}", f"{nat[3:6]} {nat[6:]}"])
    return rng.choice(["+7 ", "8 ", "8"]) + nat[:3], "phone/split"


def _from_ctx(key, tag):
    return lambda rng, ctx: (ctx.pop(key), tag)


def _fixed_tag(fn, tag):
    return lambda rng, ctx: (fn(rng), tag)


def _secret(flavour):
    return lambda rng, ctx: (ev.secret(rng, flavour), f"secret/{flavour}")


def _coin(coin):
    return lambda rng, ctx: ev.crypto(rng, coin)


def _phone_any(rng, ctx):
    return ev.ru_phone(rng) if rng.random() < 0.4 else ev.intl_phone(rng)


PII_SLOTS = {
    "phone": ("phone", lambda rng, ctx: ev.ru_phone(rng)),
    "phone_intl": ("phone", lambda rng, ctx: ev.intl_phone(rng)),
    "phone_any": ("phone", _phone_any),
    "phone_a": ("phone", _phone_a),
    "phone_b": ("phone", _from_ctx("phone_b", "phone/split")),
    "email": ("email", lambda rng, ctx: ev.email(rng)),
    "card": ("card", lambda rng, ctx: ev.card(rng)),
    "card_a": ("card", _card_a),
    "card_b": ("card", _from_ctx("card_b", "card/split")),
    "iban": ("iban", lambda rng, ctx: ev.iban(rng)),
    "inn": ("inn", lambda rng, ctx: ev.inn(rng)),
    "snils": ("snils", lambda rng, ctx: ev.snils(rng)),
    "passport": ("passport", lambda rng, ctx: ev.passport_ru(rng)),
    "zagran": ("passport", lambda rng, ctx: ev.passport_foreign_ru(rng)),
    "passport_foreign": ("passport", lambda rng, ctx: ev.passport_other(rng)),
    "pass_series": ("passport", lambda rng, ctx: (ev.passport_series(rng), "passport/series-number-words")),
    "pass_number": ("passport", lambda rng, ctx: (ev.passport_number(rng), "passport/series-number-words")),
    "pw": ("password", lambda rng, ctx: ev.password(rng)),
    "wifi": ("password", lambda rng, ctx: ev.wifi_password(rng)),
    "code": ("password", _fixed_tag(ev.code, "password/code")),
    "code4": ("password", _fixed_tag(lambda rng: ev.code(rng, 4), "password/code")),
    "code6": ("password", _fixed_tag(lambda rng: ev.code(rng, 6), "password/code")),
    "code_split": ("password", _fixed_tag(ev.split_code, "password/code-split")),
    "code_spaced": ("password", _fixed_tag(ev.spaced_code, "password/pin-spaced")),
    "backup": ("password", _fixed_tag(ev.backup_code, "password/backup-code")),
    "secret_word": ("password", _fixed_tag(ev.secret_word, "password/secret-word")),
    "seed": ("seed", _seed_plain),
    "seed24": ("seed", lambda rng, ctx: _seed_plain(rng, ctx, 24)),
    "seed_hyphen": ("seed", _seed_joined("-", "seed/hyphen")),
    "seed_slash": ("seed", _seed_joined(" / ", "seed/slash")),
    "seed_comma": ("seed", _seed_joined(", ", "seed/comma")),
    "seed_numbered": ("seed", _seed_numbered),
    "seed_typo": ("seed", _seed_typo),
    "seed_invalid": ("seed", _seed_invalid),
    "seed_a": ("seed", _seed_a),
    "seed_b": ("seed", _from_ctx("seed_b", "seed/split")),
    "crypto": ("crypto", lambda rng, ctx: ev.crypto(rng)),
    **{coin: ("crypto", _coin(coin)) for coin in ev.COINS},
    **{name: ("secret", _secret(flavour)) for name, flavour in {
        "hex40": "hex40", "hex32": "hex32", "hex64": "private-hex64", "openai": "openai",
        "anthropic": "anthropic", "tgbot": "telegram-bot", "hf": "huggingface", "npm": "npm",
        "yandex": "yandex-oauth", "sendgrid": "sendgrid", "discord": "discord", "stripe": "stripe",
        "google": "google", "github": "github", "github_pat": "github-pat", "aws_secret": "aws-secret",
        "aws_key_id": "aws-key-id", "pem": "pem", "jwt": "jwt", "slack": "slack", "gitlab": "gitlab",
        "do": "digitalocean", "shopify": "shopify", "pypi": "pypi", "twilio": "twilio",
        "mailgun": "mailgun"}.items()},
    # issue 11: values known by their context (phrasing_context.py)
    "spw": ("password", lambda rng, ctx: (ev.shaped_password(rng), "password/context")),
    "ruword": ("password", lambda rng, ctx: (ev.cyrillic_word_password(rng), "password/context")),
    "urlpw": ("password", lambda rng, ctx: (ev.url_password(rng), "password/context")),
    "door": ("password", lambda rng, ctx: (ev.door_code(rng), "password/context")),
    "totp": ("password", lambda rng, ctx: (ev.totp_key(rng), "password/context")),
    "backups": ("password", lambda rng, ctx: (ev.backup_list(rng), "password/context")),
    "code8": ("password", _fixed_tag(lambda rng: ev.code(rng, 8), "password/code")),
    "gmail_login": ("email", lambda rng, ctx: (rng.choice(["ivan.petrov1985", "k.smirnova88", "alex_kuz92",
                                                           "olga.v.2001", "sergey-m77"]), "email/provider-named")),
}

HARMLESS_SLOTS = {
    "zip_code": hv.zip_code, "uuid": hv.uuid4,
    **{name: getattr(hv, name) for name in (
        "price_rub", "price_usd", "price_eur", "salary", "percent", "rate", "money", "date", "date_iso",
        "time", "time_en", "time_range", "log_time", "version", "pyver", "ios", "chrome_ver", "build", "ozon_order",
        "wb_order", "wb_sku", "order10", "order12", "number6", "grades", "track_ru", "track_14", "cdek", "ups", "dhl", "amazon_order", "jira",
        "ticket_num", "invoice", "contract", "score", "height", "height_ft", "weight", "km", "duration",
        "steps", "temp", "pressure", "points", "elo", "big", "count", "apt", "resolution", "coords",
        "isbn", "ean13", "hexcolor", "commit", "short_commit", "sha256", "hex32", "container_id", "pr",
        "ip_private", "port", "num16_bad", "last4", "promo", "errcode", "citycode", "region", "unix_ts",
        "flight", "swift", "bic_ru", "room", "duration_min", "shopping")},
    "ssid": ev.ssid,
}

CHECKERS = {
    "card": ev.is_valid_card, "iban": ev.is_valid_iban, "inn": ev.is_valid_inn,
    "snils": ev.is_valid_snils, "crypto": ev.is_valid_crypto,
}


# ------------------------------------------------------------------ rendering

def templates(block: str) -> list[str]:
    return [line for line in block.strip("\n").split("\n") if line.strip()]


def deliberate_lookalikes() -> set[str]:
    """Harmless literal lines that pass a checksum on purpose ("!" templates)."""
    return {line[1:] for _, block in HARMLESS_GROUPS + CONTEXT_HARMLESS_GROUPS
            for line in templates(block) if line.startswith("!")}


def language(template: str, text: str) -> str:
    """ru, en or mixed by the words of the phrasing (of the whole line when it is a bare value)."""
    bare = SLOT.sub(" ", template)
    if not re.search(r"[^\W\d_]{2,}", bare):
        bare = text
    cyr = len(re.findall(r"[а-яёА-ЯЁ]{2,}", bare))
    lat = len(re.findall(r"[A-Za-z]{2,}", bare))
    if cyr and lat and min(cyr, lat) / max(cyr, lat) >= 0.2:
        return "mixed"
    return "ru" if cyr >= lat else "en"


def render(template: str, slots: dict, rng: random.Random) -> tuple[str, list, list]:
    """Fill the slots left to right; returns text, spans [kind, start, end] and format tags."""
    out, spans, tags, ctx, pos = [], [], [], {}, 0
    length = 0
    for m in SLOT.finditer(template):
        literal = template[pos:m.start()]
        out.append(literal)
        length += len(literal)
        kind, make = slots[m.group(1)]
        if kind is None:
            value, tag = make(rng), None
        else:
            value, tag = make(rng, ctx)
            spans.append([kind, length, length + len(value)])
            tags.append(tag)
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans, tags


def _check_pii(text: str, spans: list, tags: list) -> None:
    for (kind, s, e), tag in zip(spans, tags):
        value = text[s:e]
        assert value.strip() == value and value, (text, kind)
        if kind in CHECKERS and tag != "card/split":
            assert CHECKERS[kind](value), (kind, value)
        if kind == "phone" and tag != "phone/split":
            assert ev.is_valid_phone(value, tag), value


def _pii_reps(kind: str, tag: str | None, n: int) -> int:
    target = PASSWORD_TARGET[tag] if kind == "password" else PII_TARGET[kind]
    return max(1, round(target / n))


def build() -> list[tuple[str, str, dict]]:
    """All lines as (split, template id, record), in file order."""
    rng = random.Random(SEED)
    harmless_slots = {name: (None, fn) for name, fn in HARMLESS_SLOTS.items()}
    rows: list[tuple[str, str, dict]] = []
    seen: set[str] = set()
    groups = [(kind, tag, block, PII_SLOTS) for kind, tag, block in PII_GROUPS] + \
             [(None, tag, block, harmless_slots) for tag, block in HARMLESS_GROUPS]
    for kind, tag, block, slots in groups:
        lines = templates(block)
        for i, template in enumerate(lines):
            split = "holdout" if i % 5 in HOLDOUT_POSITIONS else "dev"
            tid = f"{kind or tag}:{tag or ''}:{i}"
            has_slots = bool(SLOT.search(template))
            reps = (_pii_reps(kind, tag, len(lines)) if kind else HARMLESS_REPS) if has_slots else 1
            rows += [(split, tid, record) for record in _render_records(template, kind, tag, slots, reps, rng, seen)]
    order = list(range(len(rows)))
    rng.shuffle(order)
    return [rows[i] for i in order] + _render_context(seen)


def _render_context(seen: set[str]) -> list[tuple[str, str, dict]]:
    """The issue-11 groups, dev only: PII slots may hold harmless parts (an amount, a network name)."""
    rng = random.Random(CONTEXT_SEED)
    harmless_slots = {name: (None, fn) for name, fn in HARMLESS_SLOTS.items()}
    pii_slots = {**harmless_slots, **PII_SLOTS}
    rows: list[tuple[str, str, dict]] = []
    groups = [(kind, tag, block, pii_slots) for kind, tag, block in CONTEXT_PII_GROUPS] + \
             [(None, tag, block, harmless_slots) for tag, block in CONTEXT_HARMLESS_GROUPS]
    for kind, tag, block, slots in groups:
        for i, template in enumerate(templates(block)):
            template = template.replace("\\n", "\n")  # a line break inside one template
            reps = CONTEXT_REPS if SLOT.search(template) else 1
            rows += [("dev", f"context:{tag}:{i}", record)
                     for record in _render_records(template, kind, tag, slots, reps, rng, seen)]
    return rows


def _render_records(template: str, kind: str | None, tag: str | None, slots: dict, reps: int,
                    rng: random.Random, seen: set[str]) -> list[dict]:
    """Up to `reps` new lines of one template ("!": a deliberate look-alike, no collision check)."""
    deliberate = template.startswith("!")
    template = template.removeprefix("!")
    has_slots = bool(SLOT.search(template))
    records = []
    for _ in range(reps):
        for _attempt in range(60):
            text, spans, tags = render(template, slots, rng)
            if text in seen:
                continue
            if kind is None and not deliberate and hv.collisions(text):
                if not has_slots:
                    raise ValueError(f"harmless template reads as PII: {template!r}: {hv.collisions(text)}")
                continue
            break
        else:
            continue
        seen.add(text)
        if kind is None:
            records.append({"text": text, "spans": [], "lang": language(template, text), "harmless": True,
                            "category": tag})
        else:
            _check_pii(text, spans, tags)
            records.append({"text": text, "spans": spans, "lang": language(template, text), "harmless": False,
                            "category": tag or tags[0]})
    return records


def split_records(rows) -> dict[str, list[dict]]:
    return {name: [rec for split, _, rec in rows if split == name] for name in FILES}


def dumps(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    sets = split_records(build())
    if "--check" in argv:
        stale = [name for name, recs in sets.items()
                 if not FILES[name].exists() or FILES[name].read_text(encoding="utf-8") != dumps(recs)]
        if stale:
            print(f"stale: {', '.join(stale)}; run: python tests/pii_evasive/build.py", file=sys.stderr)
            return 1
        return 0
    for name, recs in sets.items():
        _write(FILES[name], dumps(recs))
        pii = sum(not r["harmless"] for r in recs)
        print(f"{FILES[name].name}: {len(recs)} lines ({pii} with PII, {len(recs) - pii} harmless)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
