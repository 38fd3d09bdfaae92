"""Synthetic Telegram Desktop full export for tests that need a big one (tdesktop layout, 1-space indent).

``write_export(path, n_messages, seed)`` streams the file chat by chat, so building a
multi-GB export does not need the whole thing in memory. The mix follows real exports:
mostly short plain texts, some entity lists, stickers, media, service messages, forwards,
edits, a few PII items, many personal chats, a few groups, a bot chat and a channel.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from pathlib import Path

OWNER = 100000001
_WORDS_RU = (
    "привет как дела что делаешь сегодня завтра вечером давай пойдём в кино работа "
    "устал немного норм ок спасибо хорошо понял сейчас скоро буду дома кофе чай "
    "погода дождь снег солнце выходные встреча созвон проект код баг релиз "
    "мама папа друг подруга магазин хлеб молоко купить забыл помню думаю кажется "
    "наверное конечно точно может быть потом опять уже ещё тоже очень классно круто "
    "смешно грустно жаль ладно хочу могу надо нужно поехали приезжай звони пиши "
    "фильм сериал книга музыка концерт билеты поезд самолёт отпуск море горы дача "
    "утром днём ночью неделя месяц год праздник подарок торт ужин обед завтрак "
    "машина метро такси пробка опоздаю жду иду бегу лови смотри слушай"
).split()
_WORDS_EN = (
    "hey how are you doing today tomorrow tonight lets go to the movies work tired "
    "a bit fine ok thanks good got it now soon home coffee tea weather rain snow sun "
    "weekend meeting call project code bug release sure maybe later mom dad friend "
    "shop bread milk buy forgot remember think guess probably of course exactly again "
    "already also very cool nice funny sad sorry want can need lets come ring write "
    "film show book music concert tickets train plane holiday sea mountains morning "
    "evening night week month year party gift cake dinner lunch breakfast car subway "
    "taxi traffic late waiting going running look listen"
).split()


def _sentence(rng: random.Random) -> str:
    words = _WORDS_RU if rng.random() < 0.6 else _WORDS_EN
    n = rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 20))
    s = " ".join(rng.choice(words) for _ in range(n))
    if rng.random() < 0.03:
        s += f" пиши на user{rng.randint(1, 999)}@example.com"
    if rng.random() < 0.02:
        s += f" мой номер +7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    return s


def _message(rng: random.Random, mid: int, ts: int, sender: int, name: str) -> dict:
    m: dict = {"id": mid, "type": "message",
               "date": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
               "date_unixtime": str(ts)}
    r = rng.random()
    if r < 0.02:
        return {"id": mid, "type": "service", "date": m["date"], "date_unixtime": str(ts),
                "actor": name, "actor_id": f"user{sender}", "action": "phone_call",
                "duration_seconds": rng.randint(1, 600), "text": "", "text_entities": []}
    m["from"] = name
    m["from_id"] = f"user{sender}"
    if rng.random() < 0.05:
        m["edited"] = datetime.fromtimestamp(ts + 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        m["edited_unixtime"] = str(ts + 60)
    if rng.random() < 0.05:
        m["reply_to_message_id"] = max(1, mid - rng.randint(1, 5))
    if r < 0.07:
        m.update({"file": "(File not included. Change data exporting settings to download.)",
                  "thumbnail": "(File not included. Change data exporting settings to download.)",
                  "media_type": "sticker", "sticker_emoji": rng.choice("😂👍❤️🤔😭🔥"),
                  "width": 512, "height": 512, "text": "", "text_entities": []})
    elif r < 0.11:
        m.update({"photo": "(File not included. Change data exporting settings to download.)",
                  "width": 1280, "height": 960, "text": "", "text_entities": []})
    elif r < 0.13:
        m["forwarded_from"] = "Some Channel"
        t = _sentence(rng)
        m.update({"text": t, "text_entities": [{"type": "plain", "text": t}]})
    elif r < 0.20:
        a, b = _sentence(rng), _sentence(rng)
        url = f"https://example.org/p/{rng.randint(1, 10**6)}"
        m["text"] = [a + " ", {"type": "bold", "text": b}, " ", {"type": "link", "text": url}]
        m["text_entities"] = [{"type": "plain", "text": a + " "}, {"type": "bold", "text": b},
                              {"type": "plain", "text": " "}, {"type": "link", "text": url}]
    else:
        t = _sentence(rng)
        m.update({"text": t, "text_entities": [{"type": "plain", "text": t}]})
    return m


def _chats(rng: random.Random, n_messages: int):
    """Yield (chat header, message count, participants) until n_messages are planned."""
    left, cid = n_messages, 5000
    kinds = ["personal_chat"] * 20 + ["private_group", "private_supergroup", "bot_chat",
                                      "public_channel", "saved_messages"]
    while left > 0:
        cid += 1
        kind = rng.choice(kinds)
        size = min(left, rng.randint(200, 4000))
        left -= size
        others = [(cid * 10 + k, f"Person {cid}-{k}") for k in range(1 if kind == "personal_chat" else 4)]
        yield {"name": f"Chat {cid}", "type": kind, "id": cid}, size, others


def write_export(path: Path, n_messages: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    path = Path(path)
    with path.open("w", encoding="utf-8") as f:
        head = {"about": "Synthetic export for benchmarks.",
                "personal_information": {"user_id": OWNER, "first_name": "Owner",
                                         "last_name": "", "phone_number": "+7 900 000 00 00",
                                         "username": "@owner", "bio": ""}}
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2])
        f.write(',\n "chats": {\n  "about": "This page lists all chats from this export.",\n  "list": [')
        first_chat = True
        for header, size, others in _chats(rng, n_messages):
            f.write("" if first_chat else ",")
            first_chat = False
            f.write("\n   {\n" + ",\n".join(
                f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in header.items()
            ) + ',\n    "messages": [')
            ts = 1600000000 + rng.randint(0, 10**7)
            owner_turn = rng.random() < 0.5
            for i in range(size):
                # Bursts of 1-3 messages per speaker, occasional long silences.
                if rng.random() < 0.45:
                    owner_turn = not owner_turn
                ts += rng.choice((5, 20, 60, 120, 600)) if rng.random() > 0.03 else 86400
                if header["type"] == "public_channel":
                    sender, name = header["id"], header["name"]
                elif owner_turn or header["type"] == "saved_messages":
                    sender, name = OWNER, "Owner"
                else:
                    sender, name = rng.choice(others)
                m = _message(rng, i + 1, ts, sender, name)
                body = json.dumps(m, ensure_ascii=False, indent=1).replace("\n", "\n     ")
                f.write(("\n     " if i == 0 else ",\n     ") + body)
            f.write("\n    ]\n   }")
        f.write("\n  ]\n }\n}\n")
    return path


if __name__ == "__main__":
    import sys

    out = write_export(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 300_000)
    print(out, out.stat().st_size // 2**20, "MiB")
