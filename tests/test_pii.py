"""PII filter: every kind in several formats, harmless look-alikes untouched, API contract."""

from __future__ import annotations

import pytest

from clonebot.pii import (
    Finding,
    PIIFilter,
    RedactionSession,
    has_placeholder,
    redact,
    scan,
)


def kinds(text: str, filt: PIIFilter | None = None) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in (filt or PIIFilter()).scan(text)]


@pytest.mark.parametrize(
    "text,value",
    [
        ("мой номер 8 (912) 345-67-89", "8 (912) 345-67-89"),
        ("звони +7 912 3456789", "+7 912 3456789"),
        ("тел:89123456789.", "89123456789"),
        ("+7(912)345-67-89 после шести", "+7(912)345-67-89"),
        ("набери 8-912-345-67-89", "8-912-345-67-89"),
        ("офис 8 (495) 123-45-67", "8 (495) 123-45-67"),
        ("Казахстан +7 701 123 4567", "+7 701 123 4567"),
        ("Киев 050 123 45 67", "050 123 45 67"),
        ("Минск 8 029 491-19-11", "8 029 491-19-11"),
        ("call +1 415-555-2671", "+1 415-555-2671"),
        ("UK +44 7911 123456", "+44 7911 123456"),
        ("номер (912) 345-67-89", "(912) 345-67-89"),
        ("12.03.2024 89123456789", "89123456789"),
    ],
)
def test_phone_formats(text, value):
    assert ("phone", value) in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "встречаемся в 10:30", "стоит 1 500 000 руб", "родился 12.03.1990", "v1.2.3",
        "счёт 2:1", "заказ №4500123", "номер заказа 123-456-789", "+7 123 456 78 90",
        "8 (000) 123-45-67", "8 912 345 67", "артикул 9058948881", "ISBN 978-5-17-118366-9",
        "сервер 192.168.1.10", "координаты 55.7558, 37.6173", "чат -1001234567890",
        "uuid 550e8400-e29b-41d4-a716-446655440000", "1920x1080, 60 fps",
    ],
)
def test_harmless_numbers_untouched(text):
    assert scan(text) == []
    assert redact(text) == text


def test_card_luhn_and_formats():
    assert kinds("карта 4111 1111 1111 1111") == [("card", "4111 1111 1111 1111")]
    assert kinds("card 4111-1111-1111-1111 thanks") == [("card", "4111-1111-1111-1111")]
    assert kinds("4111111111111111") == [("card", "4111111111111111")]
    assert kinds("amex 3782 822463 10005") == [("card", "3782 822463 10005")]
    assert kinds("карта 4111 1111 1111 1112") == []  # Luhn-invalid
    assert kinds("id 1234567812345670") == []  # Luhn-valid but no card issuer digit


def test_iban_checksum_and_trailing_words():
    assert kinds("IBAN DE89 3704 0044 0532 0130 00 EUR") == [("iban", "DE89 3704 0044 0532 0130 00")]
    assert kinds("GB82WEST12345698765432") == [("iban", "GB82WEST12345698765432")]
    assert kinds("IBAN DE88 3704 0044 0532 0130 00") == []


def test_snils_inn_passport_need_checksum_or_context():
    assert kinds("СНИЛС 112-233-445 95") == [("snils", "112-233-445 95")]
    assert kinds("снилс 11223344595") == [("snils", "11223344595")]
    assert kinds("112-233-445 96") == []  # bad checksum
    assert kinds("ИНН 7707083893") == [("inn", "7707083893")]
    assert kinds("инн: 500100732259") == [("inn", "500100732259")]
    assert kinds("артикул 7707083893") == []  # valid INN digits, no INN context
    assert kinds("ИНН 7707083894") == []
    assert kinds("паспорт 4510 123456") == [("passport", "4510 123456")]
    assert kinds("серия 45 10 номер 123456")[0][0] == "passport"
    assert kinds("в 4510 году было 123456 человек") == []


def test_email():
    assert kinds("пиши на Ivan.Petrov+work@mail.ru.") == [("email", "Ivan.Petrov+work@mail.ru")]
    assert kinds("почта иван@почта.рф") == [("email", "иван@почта.рф")]
    assert kinds("напиши @durov в личку") == []


@pytest.mark.parametrize(
    "addr,label",
    [
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "BTC"),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "BTC"),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BTC"),
        ("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", "BTC"),
        ("0x52908400098527886E0F7030069857D2E4169EE7", "ETH"),
        ("TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", "TRON"),
        ("EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2", "TON"),
    ],
)
def test_crypto(addr, label):
    fs = scan(f"кидай на {addr} плиз")
    assert [(f.kind, f.detail, f.text) for f in fs] == [("crypto", label, addr)]


def test_crypto_checksums_reject_lookalikes():
    # a broken checksum is no address (it may still be redacted as a random-looking string);
    # TON is told by its layout instead (tests/test_pii_crypto.py)
    for broken in ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeM"):
        assert [f.kind for f in scan(broken)] in ([], ["secret"])
    assert scan("wallet 1BvBMSEYstWetqTFn5Au4m4GFg7x") == []  # too short for either


@pytest.mark.parametrize(
    "text,secret",
    [
        ("токен бота 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"),
        ("GH ghp_" + "a1B2" * 9, "ghp_" + "a1B2" * 9),
        ("pat github_pat_" + "A" * 22 + "_" + "b" * 59, "github_pat_" + "A" * 22 + "_" + "b" * 59),
        ("key sk-proj-" + "x9" * 30, "sk-proj-" + "x9" * 30),
        ("AWS AKIAIOSFODNN7EXAMPLE ok", "AKIAIOSFODNN7EXAMPLE"),
        ("slack xoxb-123456789012-1234567890123-abcdefghij", "xoxb-123456789012-1234567890123-abcdefghij"),
        ("glpat-" + "Q" * 20, "glpat-" + "Q" * 20),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop"),
        ("https://x.io/cb?user=5&token=Zm9vYmFyYmF6cXV4&lang=ru", "Zm9vYmFyYmF6cXV4"),
        ("SECRET_KEY=d8f7a9c2e4b1f0a3c5d7", "d8f7a9c2e4b1f0a3c5d7"),
    ],
)
def test_secrets(text, secret):
    assert ("secret", secret) in kinds(text)


def test_private_key_block_whole_or_truncated():
    blk = "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEA -----END RSA PRIVATE KEY-----"
    assert kinds(f"ключ: {blk} спасибо") == [("secret", blk)]
    cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"
    assert kinds(cut) == [("secret", cut)]


@pytest.mark.parametrize(
    "text,value",
    [
        ("пароль: hunter2", "hunter2"),
        ("пароль от вайфая qwerty123", "qwerty123"),
        ("пароль от вайфая: Qwerty123!", "Qwerty123!"),
        ("мой пароль qwerty", "qwerty"),
        ("the wifi password is Sup3rS3cret", "Sup3rS3cret"),
        ("password for wifi is letmein", "letmein"),
        ("пин 1234", "1234"),
        ("пин-код от карты 0000", "0000"),
        ("pin code is 4321", "4321"),
        ("код от домофона 1234#", "1234#"),
        ("код домофона 45К6789", "45К6789"),
        ("verification code: 123456", "123456"),
        ("CVV код 123", "123"),
        ("кодовое слово: ромашка", "ромашка"),
    ],
)
def test_passwords_in_words(text, value):
    assert ("password", value) in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "забыл пароль от почты", "пароль не подходит - попробуй ещё", "надо сменить пароль",
        "my password is too short", "the password is correct now", "pin this message",
        "error code 404", "код ошибки 500", "zip code 10001", "пингвин", "код региона 77",
        "промокод SALE2024", "the code is broken", "password: ******",
        "пароль: скажу при встрече", "the key is under the mat", "звони в 8 вечера",
    ],
)
def test_password_keywords_without_a_password(text):
    assert scan(text) == []


def test_seed_phrases():
    words = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    assert kinds(f"сид: {words}") == [("seed", words)]
    numbered = " ".join(f"{i}. {w}" for i, w in enumerate(words.split(), 1))
    assert kinds(numbered) == [("seed", numbered)]
    assert kinds(words.upper().replace(" ", ", "))[0][0] == "seed"
    assert scan(" ".join(words.split()[:11])) == []  # 11 words is not a phrase
    prose = "I think we can all go to the beach this weekend if the weather is good and warm"
    assert scan(prose) == []


def test_denylist_case_and_space_insensitive():
    f = PIIFilter(denylist=["ул. Ленина, д. 5", "Бобруйская 17", ""])
    # the entry wins; the address around it (its flat) goes with it
    assert kinds("живу: УЛ. ЛЕНИНА,  Д. 5 кв 2", f) == [("denylist", "УЛ. ЛЕНИНА,  Д. 5 кв 2")]
    assert kinds("это бобруйская 17?", f) == [("denylist", "бобруйская 17")]
    assert kinds("Бобруйская улица", f) == []
    assert PIIFilter(denylist=["Ёлкина 3"]).scan("на елкина 3")[0].kind == "denylist"


def test_redaction_session_is_consistent_and_counts():
    f = PIIFilter()
    s = RedactionSession()
    a = f.redact("мой 8 (912) 345-67-89, почта a@b.ru", s)
    b = f.redact("повторяю +79123456789, а это +79123456780", s)
    assert a == "мой <PHONE_1>, почта <EMAIL_1>"
    assert b == "повторяю <PHONE_1>, а это <PHONE_2>"
    assert s.counts == {"phone": 3, "email": 1}
    # a new dialogue starts numbering again
    assert f.redact("+79123456780", RedactionSession()) == "<PHONE_1>"
    assert has_placeholder(b) and not has_placeholder("<b>hi</b>")
    assert "#" not in b


def test_overlaps_never_leave_pii_half_visible():
    f = PIIFilter(denylist=["Ленина 5"])
    text = "карта 4111 1111 1111 1111 пин 1234, адрес Ленина 5, ivan.89123456789@mail.ru"
    out = f.redact(text)
    assert out == "карта <CARD_1> пин <PASSWORD_1>, адрес <PRIVATE_1>, <EMAIL_1>"
    spans = [(x.start, x.end) for x in f.scan(text)]
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))


def test_finding_api_and_masked_describe():
    f = scan("тел 8 (912) 345-67-89")[0]
    assert isinstance(f, Finding) and (f.kind, f.start, f.end) == ("phone", 4, 21)
    assert f.describe() == "phone +7 912 ***-**-89"
    descs = {x.kind: x.describe() for x in PIIFilter(denylist=["дача"]).scan(
        "4111 1111 1111 1111 ivan@mail.ru пароль: Secret123 дача ghp_" + "a" * 36)}
    assert descs["card"] == "card **** 1111"
    assert descs["email"] == "email i***@mail.ru"
    assert descs["password"] == "password (9 chars)"
    assert descs["secret"].startswith("secret (GitHub token)")
    for d in descs.values():  # never the raw value
        assert "Secret123" not in d and "4111 1111" not in d and "ivan@" not in d


def test_plain_chat_is_returned_unchanged():
    """Speed lives in bench/bench_pii.py; here: plain lines come back as the same object."""
    lines = ["привет, как дела?", "ok see you tomorrow", "ахаха да", "ну такое себе — да…"]
    f = PIIFilter()
    assert all(f.redact(x) is x for x in lines)


def test_huge_digit_dense_line():
    f = PIIFilter()
    line = ("89123456789 " * 2000 + "1 2 3 4 5 6 7 8 9 0 " * 2000) * 4  # ~180 KB, digit-dense
    fs = f.scan(line)
    assert len(fs) == 8000 and {x.kind for x in fs} == {"phone"}


def test_names_optional():
    pytest.importorskip("natasha")
    f = PIIFilter(names=True)
    out = f.redact("Вчера Иван Петров звонил насчёт дачи")
    assert "Иван" not in out and "<NAME_1>" in out
    assert PIIFilter().redact("Вчера Иван Петров звонил") == "Вчера Иван Петров звонил"
