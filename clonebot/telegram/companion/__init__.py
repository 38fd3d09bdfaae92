"""The companion bot: a Telegram bot of the owner's own that brings approval cards with
buttons (the account itself cannot send buttons). Transport only: logging in
(``login.py``), the calls the runtime makes as the bot (``client.py``) and one handler per
event (``handlers/``); what a card says and what a press does is the runtime's
(``clonebot/runtime/cards``)."""
