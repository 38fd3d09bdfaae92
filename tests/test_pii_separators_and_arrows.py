"""Values split by odd separators (`/`, `\\`, `|`, an emoji, keycap digits) or pointed at by an
arrow, numbers said in parts, keywords as they are said, tokens to their own edges; and the
look-alikes of each that stay untouched (the categories a blind set written by an outsider
found missed or over-redacted)."""

from __future__ import annotations

import pytest
from fixtures_pii import kinds, redacted, shown, untouched

from clonebot.pii import PIIFilter


@pytest.mark.parametrize("text,value,kind", [
    # digits split by "/", "\", "|" or an emoji
    ("мой новый 8/937/759/45/80", "8/937/759/45/80", "phone"),
    ("тел: 8 979 | 869 | 41 | 11", "8 979 | 869 | 41 | 11", "phone"),
    ("8\\951\\095\\49\\41 — это Дима", "8\\951\\095\\49\\41", "phone"),
    ("☎️ +7 934 ☎️ 826 ☎️ 90 ☎️ 59", "+7 934 ☎️ 826 ☎️ 90 ☎️ 59", "phone"),
    ("карта 4276 ▪️ 7944 ▪️ 0217 ▪️ 6173", "4276 ▪️ 7944 ▪️ 0217 ▪️ 6173", "card"),
    ("скинь на 5536|6667|5985|8988", "5536|6667|5985|8988", "card"),
    ("2200/0905/4986/2477 тинькофф", "2200/0905/4986/2477", "card"),
    # keycap digits: U+FE0F and U+20E3 are dropped, the span still takes the last keycap whole
    ("звони 8️⃣9️⃣2️⃣9️⃣8️⃣1️⃣8️⃣8️⃣4️⃣7️⃣1️⃣", "8️⃣9️⃣2️⃣9️⃣8️⃣1️⃣8️⃣8️⃣4️⃣7️⃣1️⃣", "phone"),
    ("карта 4️⃣8️⃣1️⃣7️⃣ 6047 5872 2510", "4️⃣8️⃣1️⃣7️⃣ 6047 5872 2510", "card"),
    # an area or country code after "код", the rest of the number later
    ("код +7 987, а дальше 207-43-96", "+7 987", "phone"),
    ("код +7 987, а дальше 207-43-96", "207-43-96", "phone"),
    ("код города 495, номер 123-45-67", "123-45-67", "phone"),
    # the INN's word as it is said
    ("иннка моя 4446289796", "4446289796", "inn"),
    ("дай иннку: 2171516938", "2171516938", "inn"),
    ("с инном 9219479687 всё ок", "9219479687", "inn"),
    # an arrow or a pointing emoji between the keyword and its value
    ("пароль 👉 Lisa_1999", "Lisa_1999", "password"),
    ("pass ➡️ Kirov1962", "Kirov1962", "password"),
    ("пароль -> voron888", "voron888", "password"),
    ("pin => 5531", "5531", "password"),
    ("код домофона → 1739", "1739", "password"),
    ("pw ⟶ Gh7#kL9p", "Gh7#kL9p", "password"),  # any of Unicode's arrows
    ("server: 212.193.30.5:443", "212.193.30.5", "ip"),
    ("яндекс почта m.ivanova91", "m.ivanova91", "email"),
    ("номер +7 (987) ➖ 072 ➖ 29 ➖ 71", "+7 (987) ➖ 072 ➖ 29 ➖ 71", "phone"),
    # more words before "is"
    ("the pin for the back door of the shop is 2604", "2604", "password"),
    # a provider named around the login; the Russian layout
    ("почта на гугле: nikita.orlov1993 (гмейл)", "nikita.orlov1993", "email"),
    ("сергей.п не то, правильно: s.petrov85 (yandex)", "s.petrov85", "email"),
    ("пиши ымуефюл88\"ьфшдюкг", "ымуефюл88\"ьфшдюкг", "email"),
    # a provider's token keeps its own edges
    ("ключ claude sk-ant-api03-zA3hq9fv2F0zdCsqB9XUFddLpfa7OO23zhGzX2thmjqfg0BVlPn0", "sk-ant-api03-zA3hq9fv2F0zdCsqB9XUFddLpfa7OO23zhGzX2thmjqfg0BVlPn0", "secret"),
])
def test_blind_round_misses_found(text, value, kind):
    assert redacted(text, value) and kind in kinds(text), shown(text)


@pytest.mark.parametrize("text", [
    # placeholders of provider keys
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — так выглядит токен гитхаба",
    "sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…",
    "OPENAI_API_KEY=your-key-here",
    "ANTHROPIC_API_KEY=<your-key>",
    "hf_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX замени на свой",
    "GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    # a count of words announces a list, not a wallet: only a checksum makes it a seed
    "12 words list for the spelling test: apple orange yellow bread yellow window mountain summer summer "
    "lemon mountain mountain",
    "24 слова для диктанта: ocean garden window river mountain yellow",
    # a series of something, four digits
    "тесты серии 2024 прошли",
    "новая серия 2023 вышла, смотрел?",
    # odd separators between numbers that are no phone or card
    "счёт 2|1|3 по сетам",
    "рейтинг 4.8 ⭐ 1200 отзывов ⭐ 350 фото",
    "путь /api/v1/users/1024/orders/77",
    "12/05/2024 | 15/06/2025 — даты поставок",
    "договор № 77-01/2024-318",
    # an arrow before advice, not a value
    "password => use a password manager",
    "пароль 👉 в заметках, не пиши его сюда",
    "the pin for the garage door is in the drawer",
    # a provider and a nickname, not a mailbox
    "мой ник на гитхабе alexey1987, заходи",
    "гугл: python3.12 release notes",
    'она сказала "привет" и ушла',
])
def test_blind_round_look_alikes_untouched(text):
    assert untouched(text), shown(text)


def test_tool_name_and_repository_path_are_not_part_of_the_secret():
    f = PIIFilter()
    line = "ключ claude sk-ant-api03-zA3hq9fv2F0zdCsqB9XUFddLpfa7OO23zhGzX2thmjqfg0BVlPn0"
    assert f.redact(line) == "ключ claude <SECRET_1>"
    line = "git clone https://ghp_Yf9iR9rw46ZWMX96RSBwHEMyTc9cjKaHh9N8@github.com/owner/repo.git"
    assert f.redact(line) == "git clone https://<SECRET_1>@github.com/owner/repo.git"


def test_a_count_of_words_with_a_valid_checksum_is_a_seed():
    line = "12 слов: live reveal romance wreck pink broom wink average season physical screen target"
    assert kinds(line) == {"seed"}, shown(line)
