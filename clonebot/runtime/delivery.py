"""How a suggestion reaches the chat: drafts, sends, flood limits, crash recovery.

Every send goes through the store's idempotent marker (``begin_send`` / ``finish_send``):
a send interrupted by a crash is looked for in the chat history on the next start, so a
message never goes out twice. Nothing broken ever leaves (``reply_checks``: a redaction
placeholder, intact or damaged, that the model learned from scrubbed training data; a
broken character), not even on the owner's ``ok``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from enum import Enum

from clonebot.approval.decisions import Decision
from clonebot.state.store import StateStore, SendRecord, Suggestion
from clonebot.config import Settings
from clonebot.pii import Finding
from clonebot.runtime.clock import Clock
from clonebot.runtime.control import ControlChat, hhmm
from clonebot.runtime.own_messages import OwnMessages
from clonebot.runtime.reply_checks import text_problems
from clonebot.telegram.client import ClientAdapter, FloodWaitError, PeerFloodError

log = logging.getLogger(__name__)

_MAX_TYPING = 30.0  # seconds of "typing…" at most
_CHECK_BEFORE_SEND = 10  # newest messages read before a send: did the owner answer already?


class SendResult(Enum):
    SENT = "sent"  # it went out now
    CONFIRMED = "confirmed"  # an interrupted send was found in the chat history
    NOT_SENT = "not sent"  # certainly not sent; offered for approval again
    IN_DOUBT = "in doubt"  # unknown; the chat history is checked on the next start
    LIMITED = "limited"  # Telegram's flood limits refused it; the owner was told
    REFUSED = "refused"  # not ours to send: decided already, or the text is broken


class Delivery:
    def __init__(self, settings: Settings, client: ClientAdapter, store: StateStore,
                 clock: Clock, rng: random.Random, control: ControlChat, own: OwnMessages):
        self.settings = settings
        self.client = client
        self.store = store
        self.clock = clock
        self.rng = rng
        self.control = control
        self.own = own

    # --- drafts ------------------------------------------------------------------------------

    async def save_draft(self, sugg: Suggestion) -> None:
        try:
            await self.client.save_draft(sugg.chat_id, sugg.suggestion)
        except Exception as e:  # flood limits, a chat that went away...
            log.warning("draft for %s not saved: %s", sugg.chat_id, e)
            self.store.decide(sugg.id, Decision.EXPIRED, now=self.clock.now(), note="draft failed")

    async def clear_draft(self, sugg: Suggestion) -> None:
        """The suggestion is over: empty the chat's draft if it still holds our text."""
        try:
            if await self.client.clear_draft(sugg.chat_id, sugg.suggestion):
                log.info("cleared the draft of #%s in %s", sugg.id, sugg.chat_id)
        except Exception as e:
            log.warning("cannot clear the draft in %s: %s", sugg.chat_id, e)

    # --- auto mode ---------------------------------------------------------------------------

    def auto_blocker(self, chat_id: int, findings: list[Finding] | None = None) -> str | None:
        """Why auto mode must not send right now (None: it may)."""
        bot, now = self.settings.bot, self.clock.now()
        if findings:
            return "PII found: " + ", ".join(f.describe() for f in findings)
        if self.store.get_flag("auto_disabled", False):
            return "auto is off: Telegram limited the account (PeerFlood)"
        until = float(self.store.get_flag("auto_paused_until", 0) or 0)
        if now < until:
            return f"auto paused after a flood wait until {hhmm(until)}"
        hour_ago = now - 3600
        if self.store.sends_since(hour_ago, chat_id) >= bot.per_chat_per_hour:
            return f"per-chat cap of {bot.per_chat_per_hour}/hour reached"
        if self.store.sends_since(hour_ago) >= bot.global_per_hour:
            return f"global cap of {bot.global_per_hour}/hour reached"
        return None

    async def auto_send(self, sugg: Suggestion, still_current: Callable[[], bool]) -> None:
        """Wait like a person reading, type, then send, unless the chat moved on meanwhile."""
        bot = self.settings.bot
        await self.clock.sleep(self.rng.uniform(bot.auto_delay_min_seconds,
                                                bot.auto_delay_max_seconds))
        typing_for = min(_MAX_TYPING, len(sugg.suggestion) / bot.typing_chars_per_second)
        if still_current() and self._pending(sugg.id):
            try:
                async with self.client.typing(sugg.chat_id):
                    await self.clock.sleep(typing_for)
            except (FloodWaitError, PeerFloodError) as e:
                log.warning("typing action failed: %s", e)
        if not still_current():
            self.store.decide(sugg.id, Decision.EXPIRED, now=self.clock.now(), note="superseded")
            return
        if not self._pending(sugg.id):
            return  # the owner wrote in the chat meanwhile
        blocker = self.auto_blocker(sugg.chat_id)
        if blocker:  # limits may have changed during the delay
            await self._to_approval(sugg, blocker)
            return
        await self.send(sugg, sugg.suggestion, decision=None, by="auto", note="auto")

    def _pending(self, sid: str) -> bool:
        s = self.store.get(sid)
        return s is not None and s.pending

    async def _to_approval(self, sugg: Suggestion, reason: str) -> None:
        self.store.set_mode(sugg.id, "approve")
        await self.control.post_suggestion(self.store.get(sugg.id), reason)  # type: ignore[arg-type]

    # --- sending -----------------------------------------------------------------------------

    async def send(self, sugg: Suggestion, text: str, *, decision: Decision | None, by: str,
                   note: str | None = None) -> SendResult:
        """Send ``text`` for ``sugg`` at most once, whatever crashes in between."""
        problems = text_problems(text)
        if problems:
            await self.control.post(
                f"#{sugg.id} was not sent: it holds {'; '.join(problems)}; "
                "answer edit <your text>")
            return SendResult.REFUSED
        owners = await self._owner_wrote_since(sugg)
        if owners is not None:  # its update was late or lost: the chat says so anyway
            self.store.decide(sugg.id, Decision.REJECTED, now=self.clock.now(),
                              final_text=owners, note="owner replied")
            await self.control.post(f"#{sugg.id} is no longer pending: rejected (owner replied)")
            return SendResult.REFUSED
        claim = self.store.begin_send(sugg.id, text, now=self.clock.now(), by=by,
                                      decision=decision, note=note)
        if claim.status == "in_doubt":
            rec = self.store.send_of(sugg.id)
            return await self.reconcile(rec) if rec else SendResult.IN_DOUBT
        if claim.status != "new":
            return SendResult.REFUSED  # sent already, closed, or unknown
        try:
            async with self.own.sending(sugg.chat_id):
                msg_id = await self.client.send_message(sugg.chat_id, text)
                self.own.add(sugg.chat_id, msg_id)
        except FloodWaitError as e:  # longer than Telethon's flood_sleep_threshold
            self.store.abort_send(sugg.id)
            await self._long_flood(e.seconds, sugg, by)
            return SendResult.LIMITED
        except PeerFloodError:
            self.store.abort_send(sugg.id)
            await self._peer_flood(sugg, by)
            return SendResult.LIMITED
        except Exception as e:
            # unknown whether it went out: keep the intent, check the chat history
            log.error("send to %s failed: %s", sugg.chat_id, e)
            rec = self.store.send_of(sugg.id)
            return await self.reconcile(rec) if rec else SendResult.IN_DOUBT
        self.store.finish_send(sugg.id, msg_id, now=self.clock.now())
        return SendResult.SENT

    async def _owner_wrote_since(self, sugg: Suggestion) -> str | None:
        """What the owner typed in the chat after the messages ``sugg`` answers, if anything."""
        try:
            history = await self.client.history(sugg.chat_id, _CHECK_BEFORE_SEND)
        except Exception as e:  # the send itself will tell
            log.warning("cannot check chat %s before sending #%s: %s", sugg.chat_id, sugg.id, e)
            return None
        answered = self.store.answered_upto(sugg.chat_id)
        for m in history:
            if m.out and m.id > answered and not self.own.sent_by_bot(m.chat_id, m.id):
                return m.text
        return None

    async def _long_flood(self, seconds: int, sugg: Suggestion, by: str) -> None:
        until = self.clock.now() + max(seconds, self.settings.bot.flood_pause_minutes * 60)
        self.store.set_flag("auto_paused_until", until)
        why = f"Telegram flood wait of {seconds}s: auto replies paused until {hhmm(until)}"
        if by == "auto":
            await self._to_approval(sugg, why)
        else:
            await self.control.post(f"{why}. #{sugg.id} is still pending: answer ok again later.")

    async def _peer_flood(self, sugg: Suggestion, by: str) -> None:
        self.store.set_flag("auto_disabled", True)
        why = ("Telegram limited this account (PeerFlood: too many messages to non-contacts). "
               "auto mode is OFF; check @SpamBot, then /resume")
        if by == "auto":
            await self._to_approval(sugg, why)
        else:
            await self.control.post(f"{why}. #{sugg.id} was not sent.")

    async def reconcile(self, rec: SendRecord) -> SendResult:
        """A send whose outcome is unknown: look for it in the chat before anything else."""
        try:
            found = await self.client.find_sent(rec.chat_id, rec.text, rec.started_at)
        except Exception as e:
            log.error("cannot check chat %s for #%s: %s", rec.chat_id, rec.sid, e)
            return SendResult.IN_DOUBT
        if found is not None:
            self.own.add(rec.chat_id, found)
            self.store.finish_send(rec.sid, found, now=self.clock.now())
            log.info("send of #%s confirmed in the chat history", rec.sid)
            return SendResult.CONFIRMED
        self.store.abort_send(rec.sid)
        sugg = self.store.get(rec.sid)
        if sugg is not None and sugg.pending:
            await self._to_approval(
                sugg, "a send was interrupted and did not reach the chat; answer ok to send it")
        return SendResult.NOT_SENT

    async def recover(self) -> None:
        """After a (re)start: settle sends in doubt, re-offer auto replies that never went out."""
        for rec in self.store.in_doubt():
            await self.reconcile(rec)
        for s in self.store.pending():
            if s.mode == "auto":
                await self._to_approval(s, "restarted before it was sent")
            elif s.mode == "approve" and s.control_msg_id is None:
                await self.control.post_suggestion(s)
