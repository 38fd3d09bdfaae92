"""Checksums no well-kept library covers (SNILS, Kazakh IIN, base58check versions,
bech32/bech32m, TON, XRP).

Luhn, IBAN, Russian INN, Ukrainian RNOKPP, Belarusian UNP and classic Bitcoin addresses
come from python-stdnum.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from stdnum import bitcoin
from stdnum import iban
from stdnum import luhn
from stdnum.by import unp
from stdnum.ru import inn
from stdnum.ua import rntrc

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


def luhn_ok(digits: str) -> bool:
    return luhn.is_valid(digits)


def iban_ok(compact: str) -> bool:
    return iban.is_valid(compact)


def taxpayer_ok(digits: str) -> bool:
    """A personal taxpayer number of Russia (INN, 10/12), Ukraine (RNOKPP/ІПН, 10),
    Kazakhstan (IIN, 12) or Belarus (UNP, 9)."""
    n = len(digits)
    return ((n in (10, 12) and inn.is_valid(digits)) or (n == 10 and rntrc.is_valid(digits))
            or (n == 12 and iin_ok(digits)) or (n == 9 and unp.is_valid(digits)))


def iin_ok(digits: str) -> bool:
    """Kazakh IIN: 12 digits, the last a mod-11 check over two weight rows."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        check = sum(int(c) * w for c, w in zip(digits, weights)) % 11
        if check != 10:
            return check == int(digits[11])
    return False


def snils_ok(digits: str) -> bool:
    """SNILS: 9 digits + 2 check digits (weights 9..1, mod 101, 100/101 -> 00)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    body = digits[:9]
    if int(body) <= 1001998:  # checksums are defined only above 001-001-998
        return False
    s = sum(int(c) * (9 - i) for i, c in enumerate(body))
    if s > 101:
        s %= 101
    check = 0 if s in (100, 101) else s
    return check == int(digits[9:])


def b58decode(s: str) -> bytes | None:
    n = 0
    for c in s:
        i = _B58_INDEX.get(c)
        if i is None:
            return None
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(s) - len(s.lstrip("1"))) + raw


def b58check_decode(s: str) -> bytes | None:
    raw = b58decode(s)
    if raw is None or len(raw) < 5:
        return None
    body, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != check:
        return None
    return body


def b58check_version(s: str, versions: tuple[int, ...], size: int = 21) -> bool:
    """A base58check payload of `size` bytes whose first byte is one of `versions`."""
    body = b58check_decode(s)
    return body is not None and len(body) == size and body[0] in versions


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def bech32_hrp(addr: str) -> str | None:
    """The human-readable part ("bc", "ltc", "cosmos", ...) of a valid bech32/bech32m
    string, else None. Mixed case is invalid by the spec."""
    if addr != addr.lower() and addr != addr.upper():
        return None
    a = addr.lower()
    hrp, sep, data = a.rpartition("1")
    if not sep or not hrp or len(data) < 6:
        return None
    try:
        values = [_BECH32_INDEX[c] for c in data]
    except KeyError:
        return None
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + values) in (_BECH32_CONST, _BECH32M_CONST):
        return hrp
    return None


def btc_ok(addr: str) -> bool:
    # stdnum knows base58 and bech32 (segwit v0) but not bech32m (taproot, bc1p...).
    return bitcoin.is_valid(addr) or (len(addr) == 62 and bech32_hrp(addr) == "bc")


def ltc_ok(addr: str) -> bool:
    if addr[:4].lower() == "ltc1":
        return bech32_hrp(addr) == "ltc"
    return b58check_version(addr, (0x30, 0x32, 0x05))  # L..., M..., legacy 3...


def doge_ok(addr: str) -> bool:
    return b58check_version(addr, (0x1E, 0x16))  # D... (P2PKH), A.../9... (P2SH)


def sol_ok(addr: str) -> bool:
    """A Solana address is a bare 32-byte public key in base58 (no checksum)."""
    raw = b58decode(addr)
    return raw is not None and len(raw) == 32


def tron_ok(addr: str) -> bool:
    return b58check_version(addr, (0x41,))


def ton_layout_ok(addr: str) -> bool:
    """The TON layout (tag 0x11/0x51 with test/bounce flags, workchain 0 or -1) without its
    CRC: such a 48-character string is an address, at worst with a typo, not an unknown key."""
    raw = _ton_bytes(addr)
    return raw is not None and raw[1] in (0x00, 0xFF)


def _ton_bytes(addr: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(addr.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 36 and (raw[0] & 0x3F) == 0x11 else None


_XRP_B58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"  # Ripple's own base58 order


def xrp_ok(addr: str) -> bool:
    """XRP classic address: Ripple-alphabet base58check of version 0 and a 20-byte account."""
    translated = addr.translate(str.maketrans(_XRP_B58, _B58))
    return b58check_version(translated, (0x00,))
