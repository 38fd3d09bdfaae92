"""Hand-written chat phrasings that carry PII, one template per line.

`{slot}` marks where a value goes (build.py maps slot names to generators and kinds). Each group
is (kind it counts under, category tag or None to take the value's format tag, templates).
Templates are split between dev and holdout by position, so a phrasing lives in one file only.
Written by hand to sound like people typing on a phone: no house style on purpose.
"""

PII_GROUPS = [
    ("phone", None, """
набери {phone}
мой новый номер {phone} старый не работает
{phone} это мама, звони после 6
скинь ему мой номер: {phone}
курьер просил перезвонить на {phone}
вот телефон мастера {phone} скажи что от меня
звони на {phone} я там в вотсапе тоже есть
тел {phone} (Саша)
номер хозяйки квартиры {phone}, договаривайся сама
пиши в телегу, номер {phone}
мой тел поменялся -> {phone}
если не дозвонишься вот рабочий {phone}
{phone} — доставка пиццы, закажи плз
я теперь на {phone}, сохрани
номер для связи {phone} 🙏
нотариус: {phone}, записывает только по телефону
сохрани номер {phone} это дядя Вова
в вайбере по номеру {phone}
вот её номер {phone} только не говори что от меня 😅
ппц потеряла телефон, пишите на {phone} это муж
репетитор по англу {phone} берёт 2к за час
звякни на {phone} плиз
новая симка: {phone}
Вот мой номер {phone} если что
перезвони мне на {phone}, этот скоро сдохнет 🔋
сосед снизу оставил номер {phone} говорит заливаем его
у меня теперь {phone} старый можешь удалить
{phone} доб. 214 — это бухгалтерия
{phone} доб 35 спросить Олега
дозвонись до {phone} пж у меня минуты кончились
мой номер в WhatsApp {phone}
добавь меня в Telegram по номеру {phone}
номер {phone_a}, дальше {phone_b} — разбил чтоб бот не съел
тел.{phone}
так, записывай: {phone}. записал?
"{phone}" — это такси, они норм
call me at {phone_any}
my new number is {phone_any} pls save it
text me {phone_any} when ur here
here's the plumber's number {phone_any}, tell him i sent u
{phone_any} thats my cell
new phone who dis lol. it's me, {phone_any}
the landlord's number: {phone_any}
hit me up on whatsapp {phone_any}
can u call {phone_any} and ask if they're open
reach me at {phone_any} ext. 204
my mom's number in case of emergency {phone_any}
babysitter is on {phone_any}, she's expecting ur call
pls save {phone_any} under "Mike work"
office line {phone_intl}, ask for accounts
if i dont pick up try {phone_any}
cell: {phone_any}
ring the front desk at {phone_intl}
u can reach her at {phone_any} after 5
signal: {phone_any}
he said to text {phone_any} for the keys
my number is {phone_a} and then {phone_b} (split it so the bots dont scrape)
Phone - {phone_any}
ok so its {phone_any}, call after lunch
"""),
    ("email", None, """
пиши на почту {email}
моя почта {email}
скинь резюме на {email}, я передам
вот мыло: {email}
{email} — это рабочий ящик, личный не дам
почта для счетов {email}
отправь на {email} плз а то в телеге сжимается
мой емейл {email} если что
е-мейл поменял, теперь {email}
напиши ей на {email} она быстро отвечает
адрес почты {email} (только не спамь 😂)
ящик {email}
кидай фотки на {email}
регистрировала на {email} кажется
мой логин в госуслугах {email}
логин {email}
бухгалтер просила акт на {email}
электронка {email}
пиши сюда -> {email}
мыло у меня {email}, проверяю раз в день
на {email} придёт ссылка, перешли мне
мой email {email}, пиши туда
можешь отправить на gmail, {email}
почта: {email}.
email me at {email}
my email is {email}
send it to {email} thx
{email} is my work one
contact: {email}
drop me a line {email}
pls cc {email} on that
u can reach me on {email} too
my personal email — {email}
ping {email} for the invoice
forward it to {email} when u get a sec
login is {email}
i think i signed up with {email}
Email: {email}
reply to {email} not to me
her email's {email} i think
send на {email} pls
(my email is {email})
"""),
    ("card", None, """
кидай на карту {card}
номер карты {card} сбер
карта {card} тинькофф
переведи пж на {card}
{card} это моя карта, на неё
скинь 500р на {card}
вот карта мамы {card}
перевод по номеру карты {card}
карточка: {card}, срок 09/27
моя карта {card} (альфа)
реквизиты карты {card}
оплати с моей {card}, cvv щас скину
новая карта {card} старую заблочил
кэшбек приходит на {card}
закинь на мир {card}
на вот эту {card}
Карта Сбер: {card}
на карту {card} до вечера плиз
карта {card_a} и дальше {card_b}
номер {card} — карта озона, на неё можно
send it to my card {card}
card number {card}
my visa is {card}
here's the card: {card}
pay with {card} exp 11/26
use my card {card}, i'll pay u back
{card} thats the company card
card no. {card}
the full number is {card}
charge it to {card}
debit card {card}
wire it to card {card}
cc: {card}
card is {card_a} then {card_b}
карта для доставки: {card}
"""),
    ("iban", None, """
iban {iban}
вот мой IBAN {iban}
реквизиты для перевода: IBAN {iban}, получатель я
счёт в евро {iban}
кидай на {iban}
мой айбан {iban}
отправь на {iban}, банк сам подтянется
айбан: {iban}
вот счёт для оплаты аренды {iban}
iban мамы {iban}
переводи на этот iban {iban} только в евро
для SEPA: {iban}
номер счета (IBAN): {iban}
{iban} это мой счёт в европе
my iban is {iban}
IBAN: {iban}
wire to {iban}
pls send rent to {iban}
bank details — {iban}
account {iban}, name on it is mine
use this iban {iban} for the refund
{iban} thats the joint account
iban {iban} bic whatever it auto fills
transfer to {iban} by friday pls
the iban for the deposit: {iban}
sepa transfer to {iban}
acct {iban}
"""),
    ("inn", None, """
мой инн {inn}
инн ип {inn}
ИНН {inn}
инн для договора {inn}
вот инн: {inn}, остальное в паспорте
{inn} это мой инн
напиши в договоре инн {inn}
инн мамы {inn}, нужно для вычета
мой ИНН: {inn}
инн самозанятого {inn}
по инн {inn} можно найти
инн организации {inn}
инн {inn} кпп 770101001
ИНН физлица {inn}
для вычета нужен инн, вот {inn}
Инн {inn}
инн.{inn}
ип иванов, инн {inn} (для чека)
{inn} — инн, проверь в налоговой
my INN is {inn}
tax id (INN) {inn}
INN {inn} for the contract
russian tax number {inn}
here's my inn {inn}
inn: {inn}
taxpayer no {inn}
the company INN is {inn}
tax number {inn}, put it on the invoice
"""),
    ("snils", None, """
снилс {snils}
мой снилс {snils}
СНИЛС: {snils}
номер снилс {snils}, для школы
{snils} снилс ребёнка
страховой номер {snils}
вот снилс {snils} и инн потом
снилс мамы {snils}
снилс для работы: {snils}
пенсионное {snils}
my SNILS is {snils}
snils {snils}
SNILS (pension number): {snils}
insurance number snils {snils}
снилс у меня {snils} вроде
"""),
    ("passport", None, """
паспорт {passport}
пасп {passport}
серия {pass_series} номер {pass_number}
серия {pass_series}, номер {pass_number}
номер {pass_number} серия {pass_series}
{passport} это мой паспорт
{passport} — паспорт, выдан в 2015
данные паспорта: {passport}
загран {zagran}
загранпаспорт {zagran} до 2030
мой загран {zagran}
паспорт мамы {passport} для билетов
пасп. данные {passport}, кем выдан скину фоткой
паспорт рф {passport}
паспортные данные {passport}
вот паспорт: {passport}
серия и номер {passport}
{zagran} это загран мужа
билеты на мой паспорт {passport}
с/н паспорта {passport}
паспорт серии {pass_series} № {pass_number}
номер паспорта {pass_number}, серия {pass_series} (новый)
passport number {passport_foreign}
my passport no is {passport_foreign}
passport: {passport_foreign}
{passport_foreign} thats my passport number for the booking
russian passport {passport}
passport {zagran} exp 2031
booking under passport {passport_foreign}
pp number {passport_foreign}
her passport # is {passport_foreign}
id doc: passport {passport_foreign}
passport series {pass_series} number {pass_number}
паспорт внутренний {passport}, загран {zagran}
"""),
    ("password", "password/wifi", """
пасворд от вайфая {wifi}
пароль от вайфая {wifi}
вайфай Keenetic-7788 пароль {wifi}
wifi: {wifi}
пароль от вифи {wifi}
вай фай пасс {wifi}
сеть TP-Link_5G пароль {wifi}
пароль от роутера {wifi}
пароль от wifi на даче {wifi}
вайфай у нас {wifi}
the wifi password is {wifi}
wifi pw {wifi}
wifi pass: {wifi}
guest wifi is "Home_Guest" and the password's {wifi}
network password {wifi}
wi-fi {wifi}
"""),
    ("password", "password/slang", """
вот паролька: {pw}
паролька {pw}
пароль такой же как от почты: {pw}
пасс {pw}
пароль {pw}
пароль от нетфликса {pw}
логин мой номер, пароль {pw}
пароль от госуслуг {pw} никому не говори
пароль поменял на {pw}
новый пароль {pw}
пароль от компа {pw}
пароль от аккаунта: {pw}
пароль от почты {pw}
пасворд {pw}
пароль "{pw}" без кавычек
пароль «{pw}»
от ноута пароль {pw}
пароль {pw} (с большой буквы)
вход: petya_k / {pw}
пароль от стима {pw}
пароль от роблокса у сына {pw}
пароль — {pw}
пароль от 1с {pw}
пароли: {pw}
pw: {pw}
pw {pw}
pass is {pw}
password {pw}
my password is {pw}
the netflix password is {pw} dont change it
login is my email, password {pw}
pwd {pw}
password's {pw}
pass: {pw}
psw {pw}
password for the laptop: {pw}
use "{pw}" to log in
spotify pass {pw}
the admin password is {pw}
here u go: user admin pass {pw}
new pw is {pw}, old one stopped working
логин admin пароль {pw}
"""),
    ("password", "password/code", """
код {code}
код подтверждения — {code_split}
код из смс {code}
пришёл код {code}, вводи быстрей
код из смс: {code}
код домофона {code4}
код от подъезда {code4}
код от сейфа {code}
пин {code_spaced}
пин-код {code4}
пинкод от карты {code4}
otp {code6}
otp: {code_split}
код подтверждения {code_split}
одноразовый код {code}
код на госуслуги {code}
вот код {code} он 5 минут действует
код от калитки {code4}
пин от телефона {code_spaced}
код для входа {code_split}
the code is {code}
code {code}
verification code {code_split}
your code: {code}
2fa code {code6}
pin is {code_spaced}
my pin is {code4}
door code is {code4}
gate code {code4}
the otp is {code_split}
sms code {code}
backup code {backup}
recovery code: {backup}
код восстановления {backup}
the code from the text is {code_split}
"""),
    ("password", "password/secret-word", """
секретное слово: {secret_word}
кодовое слово {secret_word}
кодовое слово для банка — {secret_word}
ответ на секретный вопрос {secret_word}
security answer is {secret_word}
secret word: {secret_word}
the safe word for the bank is {secret_word}
кодовое слово в сбере {secret_word}
"""),
    ("secret", None, """
токен: {hex40}
апи ключ {hex32}
api ключ от openai {openai}
вот токен бота {tgbot}
токен бота {tgbot} не свети
ключ от хаггинфейса {hf}
{hf}
npm токен {npm}
{npm} — для публикации
токен яндекса {yandex}
oauth токен {yandex}
ключ сендгрида {sendgrid}
{sendgrid}
дискорд токен {discord}
бот в дискорде, токен {discord}
страйп ключ {stripe}
секретный ключ страйпа {stripe}
гугл апи ключ {google}
ключ карт {google}
гитхаб токен {github}
токен {github_pat}
ключ опенаи {openai}
{openai}
aws secret key {aws_secret}
aws ключ {aws_key_id} секрет {aws_secret}
кусок приватного ключа: {pem}
{pem}
jwt {jwt}
авторизация: Bearer {jwt}
слак токен {slack}
гитлаб токен {gitlab}
do токен {do}
шопифай {shopify}
пайпи токен {pypi}
приватник от кошелька {hex64}
приватный ключ {hex64}
twilio ключ {twilio}
мейлган {mailgun}
вот ключ {anthropic} только не пались
токен {tgbot}
my aws secret key {aws_secret} dont commit it
AWS_SECRET_ACCESS_KEY={aws_secret}
export OPENAI_API_KEY={openai}
HF_TOKEN={hf}
here's the token {hex40}
api key {hex32}
the bot token is {tgbot}
discord bot token {discord}
stripe live key {stripe}
google maps key {google}
use my gh token {github}
{github_pat}
anthropic key {anthropic}
npm publish token {npm}
sendgrid api key: {sendgrid}
yandex oauth {yandex}
{jwt} thats the session token
private key {hex64}
one line of the pem: {pem}
slack bot token {slack}
glpat: {gitlab}
digitalocean token {do}
shopify admin token {shopify}
pypi token {pypi}
twilio api key {twilio}
mailgun {mailgun}
{aws_key_id} / {aws_secret}
token: {hex40}
secret {hex32}
Authorization: Bearer {jwt}
"""),
    ("seed", None, """
сид фраза: {seed}
сид-фраза {seed}
мнемоника {seed}
вот фраза от кошелька {seed}
{seed} — это от метамаска, сохрани
seed: {seed}
первые слова {seed_a}, остальные щас найду... {seed_b}
сид первая половина {seed_a} | вторая {seed_b}
{seed_hyphen}
фраза восстановления {seed_hyphen}
{seed_slash}
слова: {seed_slash}
{seed_numbered}
вот 24 слова {seed24}
мнемоническая фраза {seed_numbered}
фраза от трастваллета {seed_typo}
сид: {seed_typo}
сидка {seed}
сид от леджера {seed24}
12 слов от кошелька: {seed_comma}
это сид не потеряй {seed}
кошелёк тон, фраза {seed24}
секретная фраза {seed_invalid}
сид-фраза (старая, может неверная) {seed_invalid}
вот {seed}
seed phrase: {seed}
my recovery phrase is {seed}
backup words {seed_numbered}
here's the mnemonic {seed}
seed {seed_hyphen}
{seed_slash} - backup
first half: {seed_a} ... second half: {seed_b}
words 1-6 {seed_a} and the rest {seed_b}
24 words: {seed24}
metamask secret recovery phrase {seed}
{seed} — dont share
wallet words {seed_comma}
here's the seed {seed_typo}
recovery: {seed_typo}
secret phrase {seed_invalid}
{seed_numbered} <- backup, dont lose it
{seed} ok?
"""),
    ("crypto", None, """
мой кошелёк {crypto}
кидай на {crypto}
адрес {crypto}
usdt trc20 {tron}
btc {btc}
эфир на {eth}
сол {sol}
адрес тон кошелька {ton}
лайткоин сюда {ltc}
доги {doge}
монеро {xmr}
переведи usdt на {tron} сеть трон!!
биток на {btc} только не ошибись
вот адрес {crypto} проверь первые и последние символы
{crypto} это мой
метамаск {eth}
фантом {sol}
тонкипер {ton}
кошель {crypto}
отправь 0.01 на {btc}
my wallet {crypto}
send to {crypto}
btc addy {btc}
eth: {eth}
sol address {sol}
usdt trc20: {tron}
ton wallet {ton}
ltc {ltc}
doge me at {doge} lol
xmr {xmr}
{crypto} thats my address
deposit address {crypto}
pay to {btc}
send the usdc to {eth} on arbitrum
phantom: {sol}
tip jar {crypto}
"""),
    ("multi", "multi", """
тел {phone}, почта {email}
карта {card}, пин {code_spaced}
логин {email} пароль {pw}
звони {phone} или пиши {email}
инн {inn} снилс {snils}
паспорт {passport} инн {inn}
call {phone_any} or email {email}
card {card} pin {code4}
login: {email} / pass: {pw}
my iban {iban}, or just send to card {card}
вот всё: {email} / {pw} / код {code}
usdt {tron} или на карту {card}
"""),
]
