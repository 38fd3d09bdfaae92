"""Masked one-line descriptions of findings, for approval messages and logs."""

from __future__ import annotations

import re

import phonenumbers


def _mask_keep(s: str, head: int, tail: int) -> str:
    """Mask alphanumerics except the first `head` and last `tail` of them."""
    idx = [i for i, c in enumerate(s) if c.isalnum()]
    keep = set(idx[:head]) | set(idx[len(idx) - tail :] if tail else [])
    return "".join(c if (i in keep or not c.isalnum()) else "*" for i, c in enumerate(s))


def describe(kind: str, text: str, detail: str, value: str) -> str:
    """"phone +7 912 ***-**-89", "card **** 1111", "password (9 chars)": never the value."""
    if kind == "phone":
        try:
            intl = phonenumbers.format_number(
                phonenumbers.parse(value or text, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        except phonenumbers.NumberParseException:
            intl = text
        head = intl.split(" ")
        keep = sum(c.isdigit() for c in " ".join(head[:2])) if len(head) > 2 else 2
        return f"phone {_mask_keep(intl, keep, 2)}"
    if kind == "email":
        domain = (value or text).rpartition("@")[2]
        return f"email {text[:1]}***@{domain}"
    if kind == "card":
        d = value or re.sub(r"\D", "", text)
        return f"card **** {d[-4:]}"
    if kind == "iban":
        compact = value or text.replace(" ", "")
        return f"iban {compact[:4]}…{compact[-2:]}"
    if kind in ("snils", "inn", "passport"):
        return f"{kind} {_mask_keep(text, 0, 2)}"
    if kind == "crypto":
        return f"crypto {detail} {text[:4]}…{text[-3:]}"
    if kind == "secret":
        return f"secret ({detail}) {text[:4]}…"
    if kind == "password":
        what = {"pin": "PIN", "cvv": "CVV", "code": "code", "door": "code", "totp": "2FA key"}.get(detail, "password")
        return f"{what} ({len(text)} chars)"
    if kind == "seed":
        return f"seed phrase ({len(value.split()) or len(text.split())} words)"
    if kind == "denylist":
        return f"denylist entry ({len(text)} chars)"
    if kind == "name":
        return "name " + " ".join(w[:1] + "." for w in text.split())
    if kind == "address":
        return f"address ({len(text)} chars)"
    if kind == "birthdate":
        return "date of birth"
    if kind == "geo":
        return "coordinates"
    if kind == "invite":
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", value or text, flags=re.I).split("/")[0]
        return f"invite link ({host.lower()})"
    if kind == "ip":
        return f"IP address {_mask_keep(text, 1 if ':' not in text else 2, 0)}"
    if kind == "plate":
        return "car plate"
    return kind
