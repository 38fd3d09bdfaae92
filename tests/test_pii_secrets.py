"""Keys and tokens without labels or with Russian ones; hashes, UUIDs and placeholders stay."""

from __future__ import annotations

import pytest
from fixtures_pii import kinds, redacted, shown, untouched


# made-up values in the providers' shapes
B62 = "Q7fLm2Xc9RtV4pWz8KbN1sHd6JgY3aUe"  # 32 mixed characters
HEX40 = "4f1c9a7be2d05836ac1f93e7b4d2068a5c71e9f3"
HEX32 = HEX40[:32]


@pytest.mark.parametrize("text,value", [
    (f"держи hf_{B62}Ab", f"hf_{B62}Ab"),
    (f"npm_{B62}Abcd в .npmrc", f"npm_{B62}Abcd"),
    (f"яндекс y0_AgAAAAB{B62}x9Kq2LmN4", f"y0_AgAAAAB{B62}x9Kq2LmN4"),
    (f"SG.{B62[:22]}.{B62}Zx81bNq4Tk2", f"SG.{B62[:22]}.{B62}Zx81bNq4Tk2"),
    (f"discord MTA5{B62[:20]}.GhT3xQ.{B62}ab", f"MTA5{B62[:20]}.GhT3xQ.{B62}ab"),
    (f"stripe sk_live_{B62[:24]}", f"sk_live_{B62[:24]}"),
    (f"maps AIza{B62}xyz", f"AIza{B62}xyz"),
    (f"github_pat_11{B62[:20]}_{B62}{B62[:27]}", f"github_pat_11{B62[:20]}_{B62}{B62[:27]}"),
    (f"sk-proj-{B62}{B62[:16]}", f"sk-proj-{B62}{B62[:16]}"),
    # labels in Russian, with or without a colon
    (f"токен: {HEX40}", HEX40),
    (f"апи ключ {HEX32}", HEX32),
    (f"ключ апи для бота {HEX32}", HEX32),
    (f"приватник от кошелька {HEX40}{HEX32[:24]}", f"{HEX40}{HEX32[:24]}"),
    ("aws secret key wJa1rXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "wJa1rXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
    # a PEM body line on its own
    (f"MIIEowIBAAKCAQEA{B62}{B62[:16]}", f"MIIEowIBAAKCAQEA{B62}{B62[:16]}"),
])
def test_secrets_found(text, value):
    assert redacted(text, value) and "secret" in kinds(text), shown(text)


@pytest.mark.parametrize("text", [
    f"fixed in commit {HEX40}",
    f"sha256 {HEX40}{HEX32[:24]}",
    "uuid 550e8400-e29b-41d4-a716-446655440000",
    "цвет #ffaa00, шрифт 14px",
    "export OPENAI_API_KEY=sk-...",
    "token: YOUR_TOKEN_HERE",
    "ghp_************ в конфиге",
    "pip install hf_transfer",
    "npm_config_cache=/tmp/npm",
    "токен протух, перевыпусти",
    "ключ от квартиры у мамы",
    "docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
])
def test_secret_lookalikes_untouched(text):
    assert untouched(text), shown(text)
