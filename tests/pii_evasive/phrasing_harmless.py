"""Hand-written harmless chat lines that look like PII to a careless scrubber, one template per line.

`{slot}` marks a harmless value (build.py maps slot names to harmless_values). Each group is
(category tag, templates); the tag names the look-alike (negative/price, negative/commit, ...).
README.md in this folder says why each of these is harmless and where the line was drawn.
A template starting with "!" is a deliberate look-alike: its digits pass a checksum or a phone
check, yet no reader would take it for PII (the builder otherwise refuses such harmless lines).
"""

HARMLESS_GROUPS = [
    ("negative/price", """
ну {price_rub} за однушку это жесть
взял за {price_rub}, норм?
итого {price_rub} с доставкой
скидка {percent}, было {price_rub}
it was {price_usd}, worth it tbh
total {price_usd} incl tax
{price_eur} for a coffee in paris 😭
зп {salary} на руки, жить можно
перевёл тебе {price_rub}, проверь
баланс на карте {money} 🥲
за квартиру {price_rub} + коммуналка
айфон 15 про стоит {price_rub} ппц
the rent went up to {price_usd}/mo
ipad was {price_usd} on sale
долг {price_rub} верни до пятницы пж
bought it for {price_usd} on amazon
кредит {price_rub} на 5 лет под {percent}
ставка {percent} годовых, норм же?
чек на {price_rub} в пятёрочке, как так
курс {rate} за доллар опять
btc по {price_usd} кто бы мог подумать
ETH at {price_usd} again lol
стоит 8 900 р, брать?
9 031 руб за кроссы, дорого
продаю велик за {price_rub}, торг
sold the car for {price_usd}
бюджет {price_rub} на всё
the quote came in at {price_usd} + vat
{price_rub} за маникюр это норм?
скинулись по {price_rub} на подарок
"""),
    ("negative/date-time", """
встреча {date}
{date_iso} релиз, не забудь
дедлайн {date} в {time}
отпуск с {date} по {date}
flight on {date_iso} at {time}
the meeting moved to {date}
exam on {date}, wish me luck
срок сдачи отчёта {date}
концерт {date}, билеты уже купил
созвон в четверг в {time}
let's do {time_en} tomorrow
приём у врача в {time}
поезд в {time}, не опаздывай
shift is {time_range}
работаем {time_range} без выходных
с {time} до {time} меня не будет
it's {time_en} already wtf
{date_iso} {log_time} ERROR timeout while connecting
следующее ТО на {km} км
the store is open {time_range}
заезд {date} после 14:00, выезд до 12
born in the 90s, graduated {date_iso}
с {date} по {date} на даче без связи
next standup {date} {time_en}
пары с {time} до {time}, потом свободна
{date} в {time} у подъезда
"""),
    ("negative/version", """
обнови до {version}
бага пофикшена в {version}
telethon {version} вышел
we're on {version}, need to bump to {version}
python {pyver} норм?
iOS {ios} сломал блютуз
android 14, build {build}
pip install torch=={version}
chrome {chrome_ver} опять тормозит
node 20.11.1 vs 18.19.0 какая разница
docker image postgres:16.2-alpine
changelog for {version}: fixed login bug
откатился на {version}, всё ок
release {version} is out 🎉
minSdk 24 targetSdk 34 compileSdk 34
версия прошивки {version}
firmware {version} bricked my router
обнови приложение до {version}, там новый дизайн
"""),
    ("negative/order-tracking", """
заказ озон {ozon_order} приедет завтра
номер заказа {ozon_order}
wb заказ {wb_order} отменили
артикул на вб {wb_sku}, глянь размеры
трек {track_ru}
трек-номер почты {track_14}
сдэк {cdek}, пункт на Ленина
ups tracking {ups}
order #{amazon_order} shipped
ticket {jira} в работе
заявка №{ticket_num} в техподдержке
счёт {invoice} на оплату
invoice {invoice} is overdue
номер обращения {ticket_num}
your order {amazon_order} has been dispatched
dhl waybill {dhl}
посылка {track_ru} застряла в китае
ozon артикул {wb_sku}
номер отправления {track_14}, отслеживай
tracking: {ups}
заказ {wb_order} пришёл не того размера
договор {contract} подписали
contract {contract} renewal
возврат по заказу {ozon_order} одобрили
where is my package {track_ru} 😤
штрихкод {ean13}
номер накладной {track_14}
талон {count} к окну 5
номер брони в письме, глянь сама
номер заказа {order10}, доставка в среду
заказ {order12} — проверь статус
order {order10} was refunded
номер заказа {number6}, самовывоз
накладная {order12}
tracking id {order10}
"""),
    ("negative/number", """
счёт {score}, мы выиграли
final score {score}
рост {height} см, вес {weight}
i'm {height_ft}
пробежал {km} км за {duration}
{steps} шагов сегодня
температура {temp} уже второй день
давление {pressure} это норм?
егэ {points} баллов по профилю
рейтинг {elo} на личессе
у него {big} подписчиков
{big} просмотров за сутки
в группе {count} человек
квартира {apt}, этаж 9, домофон не работает
комната {room}
mileage {km} km
256gb 8gb ram
bmi 23.4
монитор 27" {resolution} 144гц
screen {resolution} at 120hz
встречаемся тут {coords}
coordinates: {coords}
isbn {isbn}
ISBN {isbn} — это та книга
цвет {hexcolor}
bg color {hexcolor}
ip {ip_private}
порт {port}
pi = 3.14159265358979
!e = 2.718281828459045
1 000 000 000 — это миллиард
индекс {zip_code}
timestamp {unix_ts}
рейс {flight}
flight {flight} delayed again
кабинет {room}, 7 этаж
размер 42-44, рост 170-176
!считаем: 1 2 3 4 5 6 7 8 9 10
звонил в 8 утра 3 раза, никто не взял
в 2023 году было 15 000 человек
phone battery 87% lol
+5 к карме
1920 x 1080, 60 fps
+15 °C и солнце
тренировка: 3 подхода по 12 повторений, 4x10 присед
bitrate 320 kbps
iPhone 15 Pro Max 256
samsung SM-S918B
redmi note 13 pro+
вагон 7 место 23
в 2 раза дороже чем в прошлом году
"""),
    ("negative/dev", """
закоммитил в {commit}
ревертни {short_commit}
cherry-pick {commit}
fixed in commit {commit}
see {short_commit} on main
git checkout {short_commit}
request id {uuid}
trace_id={uuid}
uuid {uuid} в логах
sha256 of the tarball: {sha256}
контрольная сумма {sha256}
ошибка в строке 1452
PR #{pr} смерджен
issue #{pr}
build #{pr} упал опять
ssh на {ip_private} порт {port}
container {container_id} exited with code 137
поставь hf_transfer чтобы быстрее качало
переменная npm_config_cache не та
OPENAI_API_KEY возьми из .env, не вставляй в код
ключ лежит в vault, в чат не кидаю
токен протух, перевыпусти
the api key is in 1password, don't paste it here
GITHUB_TOKEN is set by actions automatically
commit {commit} broke the build
HEAD is now at {short_commit} fix typo
merge {short_commit} into release
the hash is {commit} btw
rgb(30, 144, 255)
docker pull redis:7.2.4
session id {uuid} expired
{short_commit}..{short_commit} — вот диапазон
уже запушил, коммит {short_commit}
ключ вида sk-... положи в .env
hf_xxx замени на свой токен
ghp_**** — это плейсхолдер, свой не вставляй
export API_KEY=your_key_here
token=<YOUR_TOKEN> в конфиге
use gpt-4o-mini, it's cheaper
model id meta-llama/Llama-3.1-8B-Instruct
pip install python-telegram-bot=={version}
curl -H "Authorization: Bearer $TOKEN" localhost:{port}
AKIA keys rotate every 90 days here
the jwt expired, log in again
ssh-keygen -t ed25519 and send me the .pub
base64 of hello is aGVsbG8=
docker image sha256:{sha256}
ветка feature/{jira}
id задачи в celery {uuid}
npm run build && npm test
etag "{short_commit}" не совпал
rebased onto {short_commit}, conflicts in 3 files
blame says {short_commit} from last week
data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
md5 {hex32} у обоих файлов одинаковый
file hash {hex32}, same as prod
commit {commit}: bump deps
"""),
    ("negative/card-like", """
номер заказа {num16_bad}
оплата картой *{last4}
списали {price_rub} с карты ••{last4}
card ending in {last4}
last 4 digits {last4}
карта на {last4} заблокирована
номер договора {num16_bad}
visa ****{last4} declined
mastercard •• {last4}, срок до 08/28
платёж с карты *{last4} прошёл
ref no. {num16_bad}
оплатил {price_rub} картой мир
!код ТН ВЭД 8471 30 000 0 (ноутбуки)
номер счёта в 1С 0000-000123
карта лояльности в приложении, номер не помню
card declined twice, trying another one
"""),
    ("negative/iban-like", """
16GB RAM, DE layout keyboard
swift {swift}
SWIFT: {swift}, это банк
бик банка {bic_ru}
модель GB12-345 не подходит
de la soul лучшие
FR 2024 final results
uk plug, gb version
NL 2:1 BE, what a game
ES6 vs ES2022 разница?
GB2312 encoding issue again
модуль PL2303 для ардуино
IT отдел на 3 этаже
CH4 — это метан
DE-CIX упал, интернет тормозит
PL/SQL или T-SQL?
ES2024 features are nice
"""),
    ("negative/id-talk", """
ИНН не помню, посмотри на госуслугах
где взять снилс ребёнку?
паспорт продлил, теперь норм
загран делать 3 месяца, ппц
смотрю 4 сезон 12 серию
серия игр 4-1 в нашу пользу
номер в очереди {count}
passport photo costs {price_usd}
my passport expires next year
серия {count} была лучшей
снилс теперь можно не носить, он в приложении
паспорт забрал в мфц
my tax id is on the last page of the contract
инн и снилс привезу в понедельник
нужен скан паспорта, кинь в личку (только не сюда)
passport control took {duration_min} minutes
сериал 2 сезон 8 серия, не спойлери
паспорт объекта готов, подписывайте
паспорт качества на товар приложили
ИНН — это 12 цифр у физлиц
snils format is 3-3-3-2 digits
passport renewal takes {count} days
серия 3, номер 12 в турнирной таблице
номер паспорта поменяется после замены?
"""),
    ("negative/password-talk", """
забыл пароль, сбросил через смс
пароль от вайфая на роутере снизу написан
какой пароль от вайфая?
поменяй пароль, старый утёк
password must be at least 8 characters
i forgot my password again lol
reset ur password pls
the code is on github
the code is a mess honestly
code review at 3?
код ошибки {errcode}
код на питоне не работает
pin the message pls
закрепи сообщение
the pass is valid till june
boarding pass is in the app
otp не приходит уже 10 минут
код из смс не пришёл
пин от карты забыл, иду в банк
двухфакторку включи
секретное слово не помню
промокод {promo} даёт скидку
пароль такой же как от почты
the password is the same as before
pass me the salt
code red lol
код города {citycode}
код региона {region}
код товара {wb_sku}
error code {errcode}
пароль не подходит, капс лок?
the wifi password is on the fridge
your one-time code expires in {duration_min} minutes
пароль должен содержать цифры и буквы
использовал промокод {promo}
pin 3 on the map is our hotel
my password manager is bitwarden
код доступа попросить у охраны
passcode changed, ask mom
the pin code is printed on the box, check it
пароль от вайфая? спроси у админа
the code is 200 lines long
ответ с кодом 200, всё ок
на плате пин 2 отвалился
пароль: ********
pass: [hidden]
пароль я тебе устно скажу
use a passphrase, not a password
otp через приложение, не смс
PIN must be 4 digits
код подтверждения придёт на почту
the verification code didn't come
the pass is closed due to snow
кредит в ОТП банке закрыл
OTP Bank app is down
ключ от квартиры у соседки
нужен ключ на 13 и на 17
пароль от вайфая висит на холодильнике
"""),
    ("negative/seed-like", """
купи: {shopping}
shopping list: {shopping}
list for tomorrow {shopping}
{shopping}
нужно купить {shopping}
don't forget {shopping}
ingredients: {shopping}
good morning, enjoy your day at the beach
happy weekend, enjoy the ocean and the sunset
never give up on your dream, work hard and stay humble
my brother and sister love the zoo, the lion and the tiger especially
coffee, music, sunset, friends — perfect evening
the kids play soccer and tennis every weekend
what a great game, our team win again
sorry about the noise, my dog chase the cat around the kitchen
tags: ocean, sunset, beach, summer, travel, island, happy
never share your seed phrase with anyone, even support
сид-фразу записал на бумажке, лежит в сейфе
where do i store my seed phrase safely?
the seed is 24 words, write them down offline
мнемоника — это 12 или 24 слова, никому не показывай
колода: dragon, phoenix, wizard, knight, castle, tower
animal quiz: elephant, dolphin, whale, spider, monkey, rabbit, horse, eagle, wolf, fox, lion, tiger
Happy birthday! wish you love, joy, health and a great year
morning routine: wake, coffee, gym, shower, work
best album ever, every song is so good
the garden is full of tomato and potato this summer
can you pick up some milk and bread on your way home
weekend plan: beach, sunset, dinner, movie
рюкзак: water, snack, jacket, camera, ticket, phone, wallet
seed the database before running tests
random seed 42 for reproducibility
"""),
    ("negative/crypto-like", """
segfault at 0x7fff5fbff8c8
magic number 0xDEADBEEF
eth gas 12 gwei сейчас
btc dominance 54%
BTC ETH SOL TON — что брать?
скинь адрес кошелька
send me your wallet address pls
youtu.be/dQw4w9WgXcQ
the tx is confirmed, 6 blocks
купил 0.05 btc на откате
usdt trc20 или erc20 лучше?
bitcoin halving in 2028
0x0 address means burn
gas limit 21000, price 3 gwei
tx fee 0.0001 btc, норм
block 840000 был халвинг
закрыли seed раунд на $2M
we raised a seed round last month
seed funding {price_usd} from angels
кошелёк на леджере, адрес потом скину
"""),
    ("negative/email-like", """
brew install python@3.12
npm i @types/node
подпишись на @durov
@Override не забудь
use node@18 for this project
cc @maria can you check
поставь собаку перед доменом и всё
meet me at the cafe at 5
пиши в почту, там удобнее
email me later
pricing @ $5 each
2 @ 3.99, сколько всего?
встретимся @ 7 у входа
вопрос @ админам: где правила?
email is down again
@channel deploy in 5
mailto links broke after the update
сайт mail.ru лежит
gmail.com не грузится у кого ещё?
домен example.com просрочен
собака соседа опять лает. всё, точка.
look at this dot com bubble chart
we met at yandex back in 2015, good times
точка сбора у метро, собака с нами
at home, dot matrix printer died lol
"""),
    ("negative/phone-like", """
с 9 до 18, обед 13-14
номер 7 в списке
звони после 21:00
pin 3 on the map
{count} 000 рублей это много
8 800 шагов за день
9 999 999 — столько было на счётчике
в 2025-м переезжаем
1-2-3-4, разминка
1 2 3 раз два три
он родился в 1995-м, а она в 1997-м
оценки за четверть: {grades}
grades this term {grades}
12–15 мая на море
2019–2024 работал там
счёт 3‒2‒1 в серии пенальти
ставки 1.85 / 2.10 / 3.40
"""),
    ("negative/everyday", """
рецепт: {count} г муки, 2 яйца, 180 градусов {duration_min} минут
маршрутка {count} ходит раз в {duration_min} минут
подъезд 3, этаж 5, там табличка
ей {points} лет, а выглядит на 30
x = {count}, y = 7, ответ {count}
дз: упражнение {count}, страницы {count}-{count}
лекция в ауд. {room} в {time}
матч {date} в {time}, {score} прошлый раз
{km} км за {duration}, темп 5:12
сдал на {points} из 100
курс евро {rate}, доллар {rate}
{count} лайков за час 🔥
погода: {temp}, ветер 5 м/с
собрание жильцов {date} в {time}
в корзине на {price_rub}, промокод не сработал
the recipe says 350F for {duration_min} mins
bus {count} is late again
we need {count} chairs and 12 tables
page {count} of the pdf
gate B{count}, boarding at {time_en}
seat 14C, row 14
room {room}, 3rd floor
my score was {points}/100
it's {temp} outside ugh
5k in {duration} — new PR
the game ended {score}
{big} downloads on the app store
{count} people rsvp'd so far
"""),
]
