"""Crypto wallet addresses, each shape confirmed by its checksum where it has one.

BTC (base58check, bech32/bech32m), ETH (0x + 40 hex), TRON, TON (by its layout: a CRC typo
still leaves an address), XRP (Ripple-alphabet base58check), XMR (shape only: its checksum
needs Keccak), LTC (L/M base58check, ltc1 bech32), DOGE (D/A/9 base58check), any other
bech32 address with a valid checksum (cosmos1..., bnb1..., addr1...), and SOL: a bare
base58 32-byte key with no checksum, so it needs a Solana word nearby or the mixed look of
a random key.
"""

from __future__ import annotations

import re

from clonebot.pii import _checks
from clonebot.pii._candidate import Cand

_B58C = "1-9A-HJ-NP-Za-km-z"
_EDGE_L, _EDGE_R = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
_BECH = r"[02-9ac-hj-np-zAC-HJ-NP-Z]"
_CRYPTO = [
    ("ETH", re.compile(rf"{_EDGE_L}0x[0-9a-fA-F]{{40}}{_EDGE_R}"), None),
    ("BTC", re.compile(rf"{_EDGE_L}[13][{_B58C}]{{25,34}}{_EDGE_R}"), _checks.btc_ok),
    ("BTC", re.compile(rf"{_EDGE_L}(?:bc1|BC1){_BECH}{{8,87}}{_EDGE_R}"), _checks.btc_ok),
    ("LTC", re.compile(rf"{_EDGE_L}[LM3][{_B58C}]{{26,33}}{_EDGE_R}"), _checks.ltc_ok),
    ("LTC", re.compile(rf"{_EDGE_L}(?:ltc1|LTC1){_BECH}{{8,87}}{_EDGE_R}"), _checks.ltc_ok),
    ("DOGE", re.compile(rf"{_EDGE_L}[DA9][{_B58C}]{{25,34}}{_EDGE_R}"), _checks.doge_ok),
    ("TRON", re.compile(rf"{_EDGE_L}T[{_B58C}]{{33}}{_EDGE_R}"), _checks.tron_ok),
    ("TON", re.compile(r"(?<![\w+/-])[EUk0][Qf][A-Za-z0-9_+/-]{46}(?![\w+/-])"), _checks.ton_layout_ok),
    ("XRP", re.compile(rf"{_EDGE_L}r[{_B58C}]{{24,34}}{_EDGE_R}"), _checks.xrp_ok),
    ("TON", re.compile(r"(?<![\w:])-?[01]:[0-9a-fA-F]{64}(?![0-9A-Za-z])"), None),
    ("XMR", re.compile(rf"{_EDGE_L}[48][0-9AB][{_B58C}]{{93}}(?:[{_B58C}]{{11}})?{_EDGE_R}"), None),
    ("bech32", re.compile(rf"{_EDGE_L}[a-z]{{2,12}}1{_BECH}{{38,100}}{_EDGE_R}"), _checks.bech32_hrp),
]
_SOL = re.compile(rf"{_EDGE_L}[{_B58C}]{{32,44}}{_EDGE_R}")
_CTX_SOL = re.compile(r"\bsol\b|solana|солан|phantom|фантом|кошел|wallet|адрес|address|usdc|spl", re.I)


def crypto(text: str) -> list[Cand]:
    out: list[Cand] = []
    for label, rx, ok in _CRYPTO:
        for m in rx.finditer(text):
            addr = m.group()
            if ok is None or ok(addr):
                out.append(Cand("crypto", m.start(), m.end(), label, addr.lower() if label == "ETH" else addr))
    for m in _SOL.finditer(text):
        addr = m.group()
        if _looks_random(addr) or _CTX_SOL.search(text, max(0, m.start() - 60), m.start()):
            if _checks.sol_ok(addr):
                out.append(Cand("crypto", m.start(), m.end(), "SOL", addr))
    return out


def _looks_random(s: str) -> bool:
    return (len(s) >= 40 and any(c.isdigit() for c in s) and any(c.isupper() for c in s)
            and any(c.islower() for c in s))
