"""Generate the bundled sample export ``exports/sample/result.json`` (written by us).

A small Telegram Desktop full export in tdesktop's layout and quirks: Russian and English,
personal chats, a group, a bot chat, a channel and Saved Messages; entity lists, stickers,
media, service and unsupported messages, forwards, edits, replies, a deleted account
(``from: null``) and a few PII items that ``clonebot prepare`` must scrub. Conversations are
plain small talk so that a tiny model trained on it answers in a sensible-looking way.

Deterministic: ``python exports/sample/make_sample.py`` rewrites the same file.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

OWNER_ID = 100200300
OWNER = "Alex Petrov"
TZ = timezone(timedelta(hours=3))  # tdesktop writes local time without a zone
START = int(datetime(2024, 3, 1, 10, 0, tzinfo=TZ).timestamp())

# Exchanges: lists of (who, text); who is "me" or "them". A session strings 1-3 together.
RU = [
    [("them", "Привет! Как дела?"), ("me", "Привет, норм) только проснулся"), ("me", "а у тебя?"),
     ("them", "Тоже хорошо, собираюсь на работу")],
    [("them", "Пойдём в кино вечером?"), ("me", "Давай! Во сколько?"), ("them", "Сеанс в 19:30"),
     ("me", "Ок, успею после работы")],
    [("them", "Ты дома?"), ("me", "Ещё нет, буду минут через 20")],
    [("them", "Что делаешь?"), ("me", "Код пишу, релиз завтра"), ("them", "Удачи 💪"),
     ("me", "Спасибо, пригодится")],
    [("them", "Купишь хлеба по дороге?"), ("me", "Да, без проблем"), ("me", "Ещё что-нибудь нужно?"),
     ("them", "Молоко, если не сложно")],
    [("them", "Как прошла встреча?"), ("me", "Нормально, договорились о сроках"),
     ("them", "Отлично!")],
    [("them", "Видел новый сериал?"), ("me", "Нет ещё, стоит смотреть?"),
     ("them", "Да, первые две серии огонь"), ("me", "Тогда посмотрю на выходных")],
    [("them", "Ты где?"), ("me", "В кафе у метро, подходи")],
    [("them", "Спишь?"), ("me", "Почти) что-то срочное?"), ("them", "Нет, завтра расскажу"),
     ("me", "Ок, спокойной ночи")],
    [("them", "С днём рождения! 🎉"), ("me", "Спасибо большое!! 😊")],
    [("them", "Поедем на дачу в субботу?"), ("me", "Я за, если погода будет"),
     ("them", "Обещают солнце"), ("me", "Тогда точно едем")],
    [("them", "Скинь, пожалуйста, фотки с вечеринки"), ("me", "Сейчас найду и скину")],
    [("them", "Как настроение?"), ("me", "Устал немного, но в целом хорошо")],
    [("them", "Ты забыл у меня зарядку"), ("me", "Блин, точно. Заберу завтра, ок?"),
     ("them", "Ок")],
    [("them", "Погода сегодня ужас"), ("me", "Да, дождь весь день"), ("me", "зонт не взял конечно")],
    [("them", "Что посоветуешь почитать?"), ("me", "Попробуй «Пикник на обочине», коротко и классно")],
    [("them", "Созвонимся?"), ("me", "Давай через 10 минут")],
    [("them", "Спасибо за помощь!"), ("me", "Да не за что, обращайся")],
]
RU_WORK = [
    [("them", "Ты посмотрел мой PR?"), ("me", "Да, оставил пару комментариев"),
     ("them", "Поправлю сегодня"), ("me", "Супер, потом смержу")],
    [("them", "Прод упал"), ("me", "Смотрю логи"), ("me", "Похоже, база не отвечает"),
     ("them", "Перезапустить?"), ("me", "Да, давай")],
    [("them", "Во сколько созвон?"), ("me", "В 11, ссылку кину в чат")],
    [("them", "Можешь сделать ревью до обеда?"), ("me", "Постараюсь, сейчас закончу задачу")],
    [("them", "Тесты опять красные"), ("me", "Это флаки тест, перезапусти"),
     ("them", "Прошли, спасибо")],
    [("them", "Когда релиз?"), ("me", "Планируем в четверг"), ("them", "Ок, предупрежу клиентов")],
]
EN = [
    [("them", "Hey, how's it going?"), ("me", "Pretty good! Busy week though"),
     ("them", "Same here"), ("me", "Let's grab a coffee on Friday?"), ("them", "Sure!")],
    [("them", "Did you watch the game last night?"), ("me", "Yeah, what a finish"),
     ("them", "Unbelievable")],
    [("them", "Are you coming to the meetup?"), ("me", "I think so, what time does it start?"),
     ("them", "7 pm"), ("me", "Cool, see you there")],
    [("them", "Can you send me that article?"), ("me", "Sure, one sec")],
    [("them", "Happy new year!"), ("me", "Happy new year! All the best 🎄")],
    [("them", "How was your trip?"), ("me", "Amazing, the mountains were beautiful"),
     ("me", "I'll show you the photos"), ("them", "Can't wait")],
    [("them", "Any plans for the weekend?"), ("me", "Not really, probably just rest"),
     ("them", "Sounds good")],
    [("them", "Thanks for yesterday!"), ("me", "Anytime, it was fun")],
    [("them", "Are you free for a quick call?"), ("me", "In 15 minutes?"), ("them", "Perfect")],
    [("them", "What are you up to?"), ("me", "Cooking dinner, you?"), ("them", "Just got home")],
]
MOM = [
    [("them", "Сынок, ты покушал?"), ("me", "Да, мам, всё хорошо"), ("them", "Молодец")],
    [("them", "Позвони, когда будет время"), ("me", "Хорошо, вечером позвоню")],
    [("them", "Как работа?"), ("me", "Всё нормально, много задач"), ("them", "Не перетруждайся")],
    [("them", "Приедешь в воскресенье?"), ("me", "Да, к обеду буду"), ("them", "Испеку пирог")],
]
GROUP = [
    [("a", "Кто сегодня в бар?"), ("me", "Я пас, завтра рано вставать"), ("b", "Я иду!"),
     ("a", "Отлично")],
    [("b", "Скиньтесь на подарок Лене, по 500"), ("me", "Перевёл"), ("a", "Я тоже")],
    [("a", "Смотрите, что нашёл"), ("me", "Ахаха, топ")],
    [("b", "Во сколько встречаемся?"), ("me", "Давайте в 18 у входа"), ("a", "Ок")],
]

STICKERS = ["😂", "👍", "❤️", "🤔", "😭"]
FILE_NA = "(File not included. Change data exporting settings to download.)"


class Chat:
    def __init__(self, name, type_, id_, people, *, start_offset=0):
        self.name, self.type, self.id = name, type_, id_
        self.people = people  # who -> (name, from_id)
        self.messages: list[dict] = []
        self.t = START + start_offset
        self.next_id = 1

    def _base(self, mtype="message"):
        self.t += 1
        d = datetime.fromtimestamp(self.t, TZ).strftime("%Y-%m-%dT%H:%M:%S")
        m = {"id": self.next_id, "type": mtype, "date": d, "date_unixtime": str(self.t)}
        self.next_id += 1
        self.messages.append(m)
        return m

    def wait(self, seconds):
        self.t += seconds

    def msg(self, who, text, **extra):
        m = self._base()
        name, fid = self.people[who]
        m["from"] = name
        m["from_id"] = fid
        m.update({k: v for k, v in extra.items() if k not in ("text",)})
        if isinstance(text, list):
            m["text"] = text
            m["text_entities"] = [
                {"type": "plain", "text": p} if isinstance(p, str) else p for p in text
            ]
        else:
            m["text"] = text
            m["text_entities"] = [{"type": "plain", "text": text}] if text else []
        return m

    def sticker(self, who, emoji):
        return self.msg(who, "", file=FILE_NA, thumbnail=FILE_NA, media_type="sticker",
                        sticker_emoji=emoji, width=512, height=512)

    def photo(self, who, caption=""):
        return self.msg(who, caption, photo=FILE_NA, width=1280, height=960)

    def voice(self, who):
        return self.msg(who, "", file=FILE_NA, media_type="voice_message",
                        mime_type="audio/ogg", duration_seconds=7)

    def service(self, who, action, **extra):
        m = self._base("service")
        name, fid = self.people[who]
        m.update({"actor": name, "actor_id": fid, "action": action, **extra,
                  "text": "", "text_entities": []})
        return m

    def edit_last(self, new_text, after=40):
        m = self.messages[-1]
        t = int(m["date_unixtime"]) + after
        m["edited"] = datetime.fromtimestamp(t, TZ).strftime("%Y-%m-%dT%H:%M:%S")
        m["edited_unixtime"] = str(t)
        m["text"] = new_text
        m["text_entities"] = [{"type": "plain", "text": new_text}]

    def to_json(self):
        out = {}
        if self.name is not None or self.type != "saved_messages":
            out["name"] = self.name
        out.update({"type": self.type, "id": self.id, "messages": self.messages})
        return out


def talk(chat: Chat, rng: random.Random, pool, sessions: int, *, extras=True):
    """Several sessions separated by hours/days of silence; 1-3 exchanges each."""
    for _ in range(sessions):
        chat.wait(rng.choice([6 * 3600, 20 * 3600, 2 * 86400, 3 * 86400]))
        for ex in rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 2, 3]))):
            for who, text in ex:
                chat.wait(rng.choice([8, 15, 30, 60, 120]))
                chat.msg(who, text)
            if extras and rng.random() < 0.25:
                chat.wait(20)
                chat.sticker(rng.choice(["me", "them"]), rng.choice(STICKERS))
            chat.wait(rng.choice([300, 900, 1800]))


def build() -> dict:
    rng = random.Random(20240301)
    me = (OWNER, f"user{OWNER_ID}")

    masha = Chat("Маша", "personal_chat", 200000001,
                 {"me": me, "them": ("Маша", "user200000001")})
    talk(masha, rng, RU, 14)
    masha.wait(86400)
    masha.msg("them", "Как тебе фильм?")
    masha.wait(30)
    masha.msg("me", "Очень понравился, особенно концовка")
    masha.edit_last("Очень понравился, особенно концовка!")
    masha.wait(20)
    masha.photo("them")
    masha.wait(15)
    masha.msg("me", "Ахах, откуда это?", reply_to_message_id=masha.next_id - 2)
    masha.wait(40)
    masha.msg("them", "Из нашего чата с работы 😂")
    masha.wait(30)
    masha.msg("them", "Кстати, у тебя какой номер сейчас?")
    masha.wait(60)
    masha.msg("me", "Новый: +7 916 123-45-67, старый уже не работает")
    masha.wait(30)
    masha.msg("them", "Записала")
    masha.wait(3 * 86400)
    masha.msg("them", "Скинь почту, отправлю билеты")
    masha.wait(45)
    masha.msg("me", ["Пиши на ", {"type": "email", "text": "alex.petrov@example.com"},
                     ", спасибо!"])
    masha.wait(20)
    masha.service("them", "phone_call", duration_seconds=95, discard_reason="hangup")
    talk(masha, rng, RU, 6)

    dima = Chat("Дима Работа", "personal_chat", 200000002,
                {"me": me, "them": ("Дмитрий Смирнов", "user200000002")}, start_offset=3600)
    talk(dima, rng, RU_WORK, 12, extras=False)
    dima.wait(86400)
    dima.msg("them", "Глянь доку по деплою")
    dima.wait(40)
    dima.msg("them", ["Вот тут: ", {"type": "link", "text": "https://wiki.example.com/deploy"}])
    dima.wait(90)
    dima.msg("me", ["Посмотрел. Шаг ", {"type": "bold", "text": "миграции"},
                    " надо делать до выката"])
    dima.wait(30)
    dima.msg("them", "А пароль от стенда какой?")
    dima.wait(60)
    dima.msg("me", "пароль: Stend#2024secret, только никому")
    dima.wait(20)
    dima.msg("them", "Понял, спасибо")
    dima.wait(20)
    dima.msg("them", "Смотри, что пишут",
             forwarded_from="Tech News")
    dima.wait(60)
    dima.msg("me", "Да, видел уже")
    dima.wait(30)
    dima.msg("me", ["Вот что я по этому поводу думаю: ",
                    {"type": "text_link", "text": "статья", "href": "https://example.org/a"}],
             forwarded_from="Some Blog")
    talk(dima, rng, RU_WORK, 4, extras=False)

    sam = Chat("Sam", "personal_chat", 200000003,
               {"me": me, "them": ("Sam Miller", "user200000003")}, start_offset=7200)
    talk(sam, rng, EN, 14)
    sam.wait(86400)
    sam.msg("them", "What's your card number? I'll send you the money for the tickets")
    sam.wait(60)
    sam.msg("me", "It's 4111 1111 1111 1111, thanks!")
    sam.wait(30)
    sam.voice("them")
    sam.wait(30)
    sam.msg("me", "Can't listen now, text me?")
    sam.wait(40)
    sam.msg("them", "Sure, nothing urgent")
    talk(sam, rng, EN, 4)

    mom = Chat("Мама", "personal_chat", 200000004,
               {"me": me, "them": ("Мама", "user200000004")}, start_offset=1800)
    talk(mom, rng, MOM, 8)
    mom.wait(3600)
    mom._base("unsupported")
    mom.messages[-1] = {"id": mom.messages[-1]["id"], "type": "unsupported"}
    mom.wait(60)
    mom.photo("them", "Смотри, какие цветы на даче расцвели")
    mom.wait(60)
    mom.msg("me", "Красота! 😍")

    ghost = Chat(None, "personal_chat", 200000005,
                 {"me": me, "them": (None, "user200000005")}, start_offset=900)
    ghost.msg("them", "Привет, это Олег, помнишь меня?")
    ghost.wait(120)
    ghost.msg("me", "Привет! Конечно помню")
    ghost.wait(60)
    ghost.msg("them", "Рад слышать")
    ghost.wait(5)
    ghost.msg("them", "Давай как-нибудь встретимся")
    ghost.wait(300)
    ghost.msg("me", "Давай, напиши на неделе")

    group = Chat("Друзья", "private_group", 300000001,
                 {"me": me, "a": ("Пётр", "user200000006"), "b": ("Лена", "user200000007")},
                 start_offset=600)
    group.service("a", "create_group", title="Друзья",
                  members=[OWNER, "Пётр", "Лена"])
    for _ in range(6):
        group.wait(rng.choice([86400, 2 * 86400]))
        for who, text in rng.choice(GROUP):
            group.wait(rng.choice([10, 40, 90]))
            group.msg(who, text)
    group.service("b", "pin_message", message_id=3)

    bot = Chat("BotFather", "bot_chat", 400000001,
               {"me": me, "them": ("BotFather", "user93372553")})
    bot.msg("me", "/newbot")
    bot.wait(2)
    bot.msg("them", "Alright, a new bot. How are we going to call it?")
    bot.wait(30)
    bot.msg("me", "clonebot test")
    bot.wait(2)
    bot.msg("them", "Done! Use this token: 1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")

    channel = Chat("Tech News", "public_channel", 500000001,
                   {"them": ("Tech News", "channel500000001")})
    for i, t in enumerate(["Вышла новая версия Python", "New release of our favourite editor",
                           "Обзор ноутбуков 2024"]):
        channel.wait(86400)
        channel.msg("them", t)

    saved = Chat(None, "saved_messages", 100200300, {"me": me})
    saved.msg("me", "идеи: сделать бота-клона")
    saved.wait(3600)
    saved.msg("me", "купить: молоко, хлеб, кофе")
    saved.wait(3600)
    saved.msg("me", "Note to self: call the bank", saved_from="Alex Petrov")

    chats = [masha, dima, sam, mom, ghost, group, bot, channel, saved]
    return {
        "about": "Here is the data you requested. (clonebot bundled sample, written by us)",
        "personal_information": {
            "user_id": OWNER_ID,
            "first_name": "Alex",
            "last_name": "Petrov",
            "phone_number": "+7 900 000 00 00",
            "username": "@alex_sample",
            "bio": "",
        },
        "profile_pictures": [],
        "contacts": {"about": "This page lists all your contacts.", "list": [
            {"user_id": 200000001, "first_name": "Маша", "last_name": "",
             "phone_number": "+7 900 111 22 33", "date": "2023-01-01T10:00:00",
             "date_unixtime": "1672556400"},
        ]},
        "frequent_contacts": {"about": "", "list": []},
        "chats": {"about": "This page lists all chats from this export.",
                  "list": [c.to_json() for c in chats]},
    }


def main() -> None:
    out = Path(__file__).with_name("result.json")
    data = build()
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n = sum(len(c["messages"]) for c in data["chats"]["list"])
    print(f"wrote {out} ({n} messages, {out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
