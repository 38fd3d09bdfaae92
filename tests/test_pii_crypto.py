"""Wallet addresses (SOL, LTC, DOGE and the older kinds), checked by their checksums."""

from __future__ import annotations

import pytest

from clonebot.pii import scan


@pytest.mark.parametrize("addr,label", [
    ("LXWexcXAyaPfEuQWgsvyGR7KnYFXusQizG", "LTC"),
    ("MTtVTZA2sNDscF2c2ABbuoMmLXZh91u31T", "LTC"),
    ("ltc1qluknr32khc83lcgzgelujwfm9mpzewkkwxrmg3", "LTC"),
    ("DUJZZoEzyED6hVfqH9iLudiA5Ko1XxFaED", "DOGE"),
    ("9yiNUuHpAdk4j6y6bFahCXMsDB5bgz37y6", "DOGE"),
    ("FoSthdWxPYQ56CpcBE2heBpQWKAeagYQ5XrjqSriy2Dw", "SOL"),
    ("cosmos1q0cu6n7htsz2870xkzrfehwqs6qjtgnvl59et4g", "bech32"),
    ("bc1p0dgtde77f4h89m3sa50zllymurtvqpul2k36vay5elum29dtsfrs74n2pv", "BTC"),
    ("48vmGWPeDqYL9Yb3938kkkL6eeoos5uvzRDHE48dMv4UnCZbcUC2gJbpRqrMNpsJf5ymAjig994x2pThdxv2jamSZ9PnJ38", "XMR"),
    ("rhRfpFYbTDWwtmsfsaQyZzi8EMgUfpiiZN", "XRP"),
    ("rKHQzxJzqzVc1V6SMfMBJDTJ2bnob3A6M2", "XRP"),
    ("UQDbKdELV4SFnGyMopS99NFwVmcIuoo129nwOD7_I8XexBl7", "TON"),
    ("Uf89skx2i9JXVPjw72x9CDAx5m_QTsc7JQI-pHtFwz0qcPFU", "TON"),
    # a TON address with a broken CRC is still a TON address by its layout, not an unknown secret
    ("UQDbKdELV4SFnGyMopS99NFwVmcIuoo129nwOD7_I8XexBl8", "TON"),
])
def test_new_coins(addr, label):
    fs = scan(f"кидай на {addr}, спасибо")
    assert [(f.kind, f.detail, f.text) for f in fs] == [("crypto", label, addr)]


def test_solana_needs_a_random_look_or_a_word_for_it():
    short = "AWr9JjNAkX84o2qK4fdzWHCh37nPH8n1"  # too short to be a random-looking key
    assert [f.kind for f in scan("sol: AWr9JjNAkX84o2qK4fdzWHCh37nPH8n1wgKQwqhfTaJP")] == ["crypto"]
    assert all(f.kind != "crypto" for f in scan(f"id {short}"))


@pytest.mark.parametrize("broken", [
    "LXWexcXAyaPfEuQWgsvyGR7KnYFXusQizH",  # base58check fails
    "DUJZZoEzyED6hVfqH9iLudiA5Ko1XxFaEE",
    "ltc1qluknr32khc83lcgzgelujwfm9mpzewkkwxrmg4",  # bech32 fails
    "rhRfpFYbTDWwtmsfsaQyZzi8EMgUfpiiZM",  # XRP base58check fails
])
def test_broken_checksums_are_no_addresses(broken):
    assert all(f.kind != "crypto" for f in scan(broken))
