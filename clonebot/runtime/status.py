"""``/status``: what the bot is doing, in a few lines for the control chat."""

from __future__ import annotations

from clonebot.state.store import StateStore
from clonebot.config import Settings
from clonebot.runtime.control import hhmm
from clonebot.runtime.worker import GenerationWorker


def approvals_where(settings: Settings, store: StateStore | None) -> str:
    """Where suggestions are offered: cards from the companion bot, or Saved Messages."""
    if settings.bot.approval_bot_token is None:
        where = "Saved Messages" if settings.bot.control_chat == "me" else "the control chat"
        return f"typed answers in {where} (no bot.approval_bot_token)"
    known = store.get_flag("companion") if store is not None else None
    name = f"@{known['username']}" if isinstance(known, dict) and known.get("username") \
        else "the companion bot"
    return f"cards with buttons from {name} (bot.approval_bot_token is set)"


def status_text(settings: Settings, store: StateStore, worker: GenerationWorker,
                now: float) -> str:
    bot = settings.bot
    lines = ["status: " + ("PAUSED" if store.get_flag("paused", False) else "running")]
    until = float(store.get_flag("auto_paused_until", 0) or 0)
    if store.get_flag("auto_disabled", False):
        auto = "off (PeerFlood; /resume to re-enable)"
    elif until > now:
        auto = f"paused until {hhmm(until)}"
    else:
        auto = "allowed"
    lines.append(f"auto: {auto}")
    lines.append(f"approvals: {approvals_where(settings, store)}")
    adapter = worker.adapter_dir
    lines.append(f"adapter: {adapter.name if adapter else 'none'} (loads: {worker.loads})")
    lines.append(f"sent last hour: {store.sends_since(now - 3600)}/{bot.global_per_hour}")
    if not bot.chats:
        lines.append("allow-list: empty (config bot.chats) — nothing is answered")
    for rule in bot.chats:
        lines.append(f"  {rule.chat}: {rule.mode or bot.default_mode}")
    for chat_id, (mode, paused) in store.chat_states().items():
        if mode or paused:
            lines.append(f"  override {chat_id}: {mode or '-'}{' (paused)' if paused else ''}")
    pending = store.pending(mode="approve")
    ids = " ".join(f"#{p.id}" for p in pending[-10:])
    lines.append(f"pending: {len(pending)}" + (f" — {ids}" if pending else ""))
    return "\n".join(lines)
