"""Issue 11, "PII as people really type it": values known by their context, not their keyword.

Dev-only (build.py renders them into dev.jsonl with their own seed, after the split corpus):
passwords answering a question or tried at a login, filler words and plain Russian nouns after
"пароль", misspelt and wrong-layout keywords, secret questions and their answers, Wi-Fi network
and password pairs, URL credentials, bank SMS with an amount before the code, recovery-code
lists, door codes, TOTP keys, values on the line after their keyword, dotted and spaced ids,
spelled-out e-mails. The harmless side holds what such lines are mistaken for: talk about
passwords, document and part numbers, booking references, apartment numbers, network names,
long lists of ordinary words ("!": a 12-word window of it passes the BIP-39 checksum on
purpose; the list is longer than the window, so it is no phrase).
"""

CONTEXT_PII_GROUPS = [
    ("password", "password/question-answer", """
какой пароль от ноута?\\n{spw}
> а пароль какой?\\n{spw}
а пароль от вайфая? — {spw}
пароль? «{pw}»
> what's the password for the router?\\n{spw}
pass for the nas? -> {spw}
> pw?\\n{spw}
какой пароль на вход? вот: {spw}
и пароль от госуслуг? держи — {spw}
what's the wifi pass?? it's {spw}
> код какой пришёл?\\n{code6}
а код от сейфа? — {code4}
"""),
    ("password", "password/no-keyword", """
попробуй {spw}, должно пустить
ввела {spw} и не пускает, может раскладка не та
try {spw}, that should let you in
вбей {spw} на входе и всё
typed {spw} and it says wrong password
от ноута: {spw}
from the tablet: {spw}
от телека — {spw}
для роутера: {spw}
{ssid} / {spw}
"""),
    ("password", "password/filler", """
пароль кстати вот такой: {pw}
пароль там короче {spw}
пароль если что {spw}
пароль там мой день рождения {code8}
password btw is {spw}
пароль всё ещё {spw}
пароль от почты, кстати, {spw}
пароль ну {spw}
"""),
    ("password", "password/plain-word", """
пароль — {ruword}
пароль от почты {ruword}
пароль: {ruword}
пароль от вк {ruword}, если что
пароль {ruword} или {spw}, не помню точно
"""),
    ("password", "password/misspelt", """
gfhjkm {spw}
gfhjkm: {pw}
пороль {spw}
парол: {pw}
паролт {spw} сорян опечатка
passwrd: {pw}
pwd {spw}
пасс {spw}
moi parol' {spw}
зфыыцщкв {spw}
пароьл: {pw}
прароль — {spw}
pasword: {pw}
passw= {spw}
"""),
    ("password", "password/secret-question", """
секретный вопрос кличка кота, ответ {secret_word}
контрольный вопрос любимый фильм — ответ: {secret_word}
security question: favourite food, answer: {secret_word}
кодовое слово — {secret_word}
кодовое слово в банке {secret_word}
"""),
    ("password", "password/wifi-pair", """
wifi: {ssid} / {spw}
сеть: {ssid} пароль: {spw}
SSID {ssid}, PSK {spw}
вайфай {ssid}, пароль {spw}
wi-fi {ssid} pass {spw}
net {ssid} / pass {spw}
"""),
    ("password", "password/url", """
redis://:{urlpw}@10.0.0.7:6379/1
postgres://app:{urlpw}@db.internal:5432/main
amqp://guest:{urlpw}@rabbit:5672/
ftp://backup:{urlpw}@files.example.org/
mongodb+srv://root:{urlpw}@cluster0.mongodb.net/test
"""),
    ("password", "password/bank-sms", """
Списание {price_rub}. Код {code}
Покупка на сумму {price_rub}. Код подтверждения: {code6}
Пароль для подтверждения оплаты {price_rub}: {code}. Никому не сообщайте
Your OTP for payment of {price_usd} is {code6}
one-time password for purchase {price_usd}: {code6}, valid 5 min
Перевод {price_rub} на карту *{last4}. Код {code}
Forwarded from Bank: code {code6} to confirm payment of {price_eur}
Пересланное сообщение\\nСбербанк: Никому не сообщайте код {code}. Вход в Сбербанк Онлайн
щас, код... эээ {code6}
"""),
    ("password", "password/backup-list", """
коды восстановления: {backups}
backup codes:\\n{backups}
резервные коды {backups}
recovery codes: {backups} — keep them safe
код восстановления {backup}
"""),
    ("password", "password/door", """
домофон {door}
в подъезд: {door}
калитка {door}
код на воротах {door}
ворота {code4}
lockbox combo {code4}
gate keypad {door}
"""),
    ("password", "password/totp", """
2fa setup key: {totp}
ключ для аутентификатора {totp}
totp secret: {totp}
google authenticator key {totp}
"""),
    ("password", "password/next-line", """
пароль:\\n{pw}
pin\\n{code4}
пароль от вайфая\\n{spw}
код:\\n{code6}
"""),
    ("inn", None, """
И.Н.Н. {inn}
и.н.н. {inn} для договора
"""),
    ("email", None, """
мой gmail: {gmail_login}
my yahoo is {gmail_login}, write there
"""),
]

CONTEXT_HARMLESS_GROUPS = [
    ("negative/password-talk", """
пароль не подходит уже третий раз
пароль от почты не помню вообще
забыл пароль опять, восстанавливаю
password is wrong again
password reset link didn't arrive
пароль поменяла вчера вечером
пароль придумай сам, только не простой
пароль знает только мама
пароль сохранён в браузере
пароль от госуслуг восстановила через смс
пароль: смотри выше в чате
password rules: 10+ symbols and a digit
пароли держать в телефоне - так себе затея
Пароль изменён {date} в {time}
какой пароль? не помню
what's the password? ask Mike
пароль кстати надо поменять
попробуй ещё раз, должно пустить
try again in {duration_min}, it should let you in
от дома: {duration_min} пешком
from the station: {duration_min} walk
"""),
    ("negative/ids-as-phones", """
номер заявки 2-{order10} в поддержке
договор № {contract}
spare part no. 6520-1180-07 is out of stock
свеча NGK 0 242 235 666 подходит
артикул 1457-4290-33
годы 2015-2019 и 2020-2024
с 1200 до 1500 по будням
заказ {ozon_order} приедет завтра
"""),
    ("negative/booking-rooms", """
hotel confirmation number is QK4T9M
бронь X3KQ9P на {date}
your booking reference is ZQ4R8T
рейс {flight} в {time}
на домофоне жми {apt} — это наша квартира
квартира {apt}, домофон не работает
room {room} on the third floor
"""),
    ("negative/network-names", """
вайфай {ssid} опять отваливается на кухне
the wifi network {ssid} keeps dropping
подключись к {ssid}, пароль на роутере
сеть называется {ssid}
"""),
    ("negative/long-word-lists", """
{shopping} {shopping}
to buy: bread butter cheese milk sugar salt pepper apple lemon orange honey cream cake pizza sauce
!animals we saw: lion tiger monkey zebra elephant fox wolf duck goose eagle dolphin whale turtle frog
"""),
]
