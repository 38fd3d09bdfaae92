"""A synthetic Telegram full export whose owner has a strong, measurable style.

The fidelity benchmark (``bench/bench_fidelity.py``) and the fingerprint tests train on it
and check that the clone's replies keep the owner's habits at the owner's rates, neither
lost nor exaggerated. Deterministic for a given seed; never commit its output.

The owner (``OWNER_STYLE`` lists the intended rates):
- writes in lowercase, 1-6 words, Russian with slang ("норм", "го", "хз", "ща", "кек");
- closes about 40% of replies with a signature emoji (🤙), 14% with ")", 12% with "?",
  6% with 😂, never with a period;
- opens with "ну" / "да" / "слушай" / "короче" now and then, drops in an English word
  ("ok", "lol", "bro") in about a tenth of replies.

The other people write ordinary sentences: capitalised, longer, with periods, sometimes in
English, rarely with other emojis (😊, 👍), now and then with a phone number (PII that
``prepare`` scrubs). A few group chats, a bot chat and a channel are there to be skipped.

    python bench/styled_export.py OUT.json [--replies 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timezone
from pathlib import Path

OWNER_ID = 700000001
SIGNATURE_EMOJI = "🤙"

# Intended shares of the owner's replies (single messages; a turn that merges two messages
# ends like its last one).
OWNER_STYLE = {
    "closing": {SIGNATURE_EMOJI: 0.40, ")": 0.14, "?": 0.12, "😂": 0.06, "": 0.28},
    "openings": {"ну": 0.16, "да": 0.10, "слушай": 0.06, "короче": 0.06},
    "words": {1: 0.18, 2: 0.28, 3: 0.22, 4: 0.14, 5: 0.10, 6: 0.08},
    "english_word": 0.10,
    "two_messages_in_a_row": 0.05,
}

_SLANG = ("норм", "го", "хз", "ща", "кек", "лол", "ваще", "чё", "пон", "изи", "кринж", "жиза",
          "имба", "чел", "пж", "спс", "ладн", "мб", "кста", "оч", "прям", "топ", "база", "типа",
          "щас", "ок", "ага", "неа", "збс", "рофл")
_PLAIN = ("буду", "дома", "скоро", "завтра", "вечером", "давай", "пойдём", "работаю", "устал",
          "потом", "сегодня", "можно", "надо", "купил", "забыл", "кино", "пиво", "созвон",
          "опаздываю", "еду", "жду", "видел", "понял", "сделаю", "скину", "позвоню", "туда",
          "утром", "нормально", "вообще", "тоже", "уже", "ещё", "там", "тут", "всё")
_ENGLISH = ("ok", "lol", "bro", "go", "wtf", "nice", "sorry", "thx")

_OTHER_RU = (
    "Привет! Как у тебя дела?", "Ты сегодня вечером свободен?", "Я уже подъезжаю к центру.",
    "Слушай, а что там с билетами на субботу?", "Скинь, пожалуйста, адрес.",
    "Мы с Олей думаем пойти в кино, ты с нами?", "Как прошла встреча с заказчиком?",
    "Не забудь про завтрашний созвон в десять.", "Я купила торт, приходи к семи.",
    "Ты видел новости про релиз?", "Можешь помочь с переездом в воскресенье?",
    "Спасибо большое, очень выручил.", "Когда будешь дома?", "Что думаешь насчёт отпуска?",
    "Мама просила позвонить ей вечером.", "Я опаздываю минут на пятнадцать, извини.",
    "Давай завтра созвонимся и всё обсудим.", "Какой у тебя план на выходные?",
    "Посмотри, пожалуйста, мой код, там какой-то баг.", "Пойдём в субботу в горы?",
)
_OTHER_EN = (
    "Hey, are you coming to the meetup tomorrow?", "Can you send me the photos from Saturday?",
    "Did you finish the report?", "I'm running a bit late, sorry.", "What time works for you?",
    "Thanks a lot, that really helped.", "Are we still on for dinner tonight?",
    "Let me know when you get home.", "Have you seen the new episode?",
    "Could you review my pull request today?",
)
_OTHER_EMOJI = ("😊", "👍")


def _weighted(rng: random.Random, table: dict):
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def owner_message(rng: random.Random) -> str:
    """One message in the owner's style."""
    n = _weighted(rng, OWNER_STYLE["words"])
    opening = ""
    r = rng.random()
    acc = 0.0
    for word, share in OWNER_STYLE["openings"].items():
        acc += share
        if r < acc:
            opening = word
            break
    words = [opening] if opening else []
    while len(words) < n:
        words.append(rng.choice(_SLANG) if rng.random() < 0.55 else rng.choice(_PLAIN))
    if rng.random() < OWNER_STYLE["english_word"]:
        words[rng.randrange(1 if opening and n > 1 else 0, n)] = rng.choice(_ENGLISH)
    text = " ".join(words)
    closing = _weighted(rng, OWNER_STYLE["closing"])
    if closing in (SIGNATURE_EMOJI, "😂"):
        return f"{text} {closing}"
    return text + closing


def other_message(rng: random.Random, english: bool) -> str:
    text = rng.choice(_OTHER_EN if english else _OTHER_RU)
    if rng.random() < 0.05:
        text += " " + rng.choice(_OTHER_EMOJI)
    if rng.random() < 0.015:
        text += f" Мой новый номер +7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-" \
                f"{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    return text


def _stamp(ts: int) -> dict:
    return {"date": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(ts)}


def _text_message(mid: int, ts: int, sender: int, name: str, text: str) -> dict:
    return {"id": mid, "type": "message", **_stamp(ts), "from": name, "from_id": f"user{sender}",
            "text": text, "text_entities": [{"type": "plain", "text": text}]}


def _personal_chat(rng: random.Random, chat_id: int, owner_replies: int) -> dict:
    """Sessions of alternating messages, separated by more than the session gap."""
    peer, name = chat_id * 10, f"Friend {chat_id}"
    english = rng.random() < 0.3
    ts = 1_700_000_000 + rng.randint(0, 10**7)
    msgs: list[dict] = []
    written = 0
    while written < owner_replies:
        ts += rng.randint(6, 48) * 3600  # a new conversation
        for _ in range(rng.randint(2, 10)):
            for _ in range(1 + (rng.random() < 0.25)):  # they sometimes send two in a row
                ts += rng.randint(10, 300)
                msgs.append(_text_message(len(msgs) + 1, ts, peer, name, other_message(rng, english)))
            for _ in range(1 + (rng.random() < OWNER_STYLE["two_messages_in_a_row"])):
                ts += rng.randint(5, 240)
                msgs.append(_text_message(len(msgs) + 1, ts, OWNER_ID, "Owner", owner_message(rng)))
            written += 1
            if written >= owner_replies:
                break
    return {"name": name, "type": "personal_chat", "id": chat_id, "messages": msgs}


def _skipped_chat(rng: random.Random, chat_id: int, kind: str) -> dict:
    ts = 1_700_000_000 + rng.randint(0, 10**7)
    msgs = []
    for i in range(20):
        ts += 60
        sender = OWNER_ID if i % 3 == 0 and kind != "public_channel" else chat_id * 10 + i % 4
        msgs.append(_text_message(i + 1, ts, sender, "Someone", other_message(rng, False)))
    return {"name": f"{kind} {chat_id}", "type": kind, "id": chat_id, "messages": msgs}


def build_export(replies: int = 3000, seed: int = 0) -> dict:
    """The export as a dict: about ``replies`` owner turns over personal chats of 30-150."""
    rng = random.Random(seed)
    chats, chat_id, left = [], 9000, replies
    while left > 0:
        chat_id += 1
        n = min(left, rng.randint(30, 150))
        chats.append(_personal_chat(rng, chat_id, n))
        left -= n
    for kind in ("private_group", "private_supergroup", "bot_chat", "public_channel"):
        chat_id += 1
        chats.append(_skipped_chat(rng, chat_id, kind))
    rng.shuffle(chats)
    return {
        "about": "Synthetic export of a strongly styled owner (bench/styled_export.py).",
        "personal_information": {"user_id": OWNER_ID, "first_name": "Owner", "last_name": "",
                                 "phone_number": "+7 900 000 00 00", "username": "@owner",
                                 "bio": ""},
        "chats": {"about": "This page lists all chats from this export.", "list": chats},
    }


def write_styled_export(path: Path | str, replies: int = 3000, seed: int = 0) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_export(replies, seed), ensure_ascii=False, indent=1),
                    encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--replies", type=int, default=3000, help="owner turns (default 3000)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = write_styled_export(args.out, args.replies, args.seed)
    print(f"{out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
