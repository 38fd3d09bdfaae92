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
    # slang labels
    (f"апишка {HEX40}", HEX40),
    (f"апиха: {HEX32}", HEX32),
    (f"вот хэш апи {HEX32}", HEX32),
    (f"api hash {HEX32}", HEX32),
    (f"токенчик от бота {B62}", B62),
    (f"апи: {B62}", B62),
    (f"API {HEX32}", HEX32),
    (f"Cookie: sessionid={B62}; csrftoken={B62[::-1]}", B62[::-1]),
    # environment-variable and config names that end in a secret word
    (f"TELEGRAM_API_HASH={HEX32}", HEX32),
    (f"api_hash = '{HEX32}'", HEX32),
    ("MY_APP_KEY=Zq8xW2vB7nM4kL9p", "Zq8xW2vB7nM4kL9p"),
    ("JWT_SECRET: s3cr3t-v4lue-2024", "s3cr3t-v4lue-2024"),
    ("DB_PASS=Hunter2hunter", "Hunter2hunter"),
    ("REDIS_PASSWORD=r3d1s!pass", "r3d1s!pass"),
    (f"SESSION_STRING={B62}{B62}", f"{B62}{B62}"),
    ("PASSWORD_SALT=Xk29fj3LqP0z", "Xk29fj3LqP0z"),
    # a quoted value runs to its closing quote, whatever it holds
    ("SECRET_KEY = 'django-insecure-8k)u#x!w2@e9$z^r&(7q+v=m_n4b3c*a1s0d'",
     "django-insecure-8k)u#x!w2@e9$z^r&(7q+v=m_n4b3c*a1s0d"),
    ('"client_secret": "Zq8x(W2vB7)nM4kL9p;12"', "Zq8x(W2vB7)nM4kL9p;12"),
    # HTTP authorization headers
    ("Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM=", "YWRtaW46cGFzc3dvcmQxMjM="),
    ("curl -H 'Authorization: Token 9f8e7d6c5b4a39281706f5e4d3c2b1a0'", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("x-api-key: Zq8xW2vB7nM4kL9p", "Zq8xW2vB7nM4kL9p"),
    ("basic auth dXNlcjpzM2NyZXQ=", "dXNlcjpzM2NyZXQ="),
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
    "MAX_TOKENS=4096",
    "SORT_KEY=name",
    "CACHE_KEY=users_list",
    "TOKEN_LIMIT=100000",
    "api_hash = 0123456789abcdef0123456789abcdef",
    "export S3_SECRET=XXxxx_XXXXXXxxxxxxXXXXxxXXx-XxxXXxxxX",
    "JWT_SECRET=your-jwt-secret-here",
    f"COMMIT_HASH={HEX40}",
    "апишка лежит, чиню",
    "api v1.2.3-beta.4567890 released",
    f"the api returns {HEX32} as etag",
    "session=1",
    "badge: https://api.codeclimate.com/v1/badges/a99a88d28ad37a79dbf6/maintainability",
    "апишка v2.3.1-beta2 обновилась",
    "Authorization header is missing",
    "Basic Income 2024 report",
    "basic setup: 3 steps",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
])
def test_secret_lookalikes_untouched(text):
    assert untouched(text), shown(text)
