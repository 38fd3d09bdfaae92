"""The clone at work: which chats get a reply, when, and how it reaches the chat.

Flow for an incoming message: policy (allow-list, chat kind, owner has written before) ->
debounce the burst -> context from Telegram history -> one generation in the worker thread
-> deliver by mode: ``draft`` (the chat's Telegram draft), ``approve`` (a suggestion in the
control chat, answered by the owner) or ``auto`` (typing delay, then send; PII or limits
fall back to approve). The owner writing in the chat cancels whatever is pending there.

Every send goes through the store's idempotent marker (``begin_send`` / ``finish_send``);
a send interrupted by a crash is checked against the chat history on the next start.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clonebot.versions import current_adapter
from clonebot.approval.store import ApprovalStore, Suggestion
from clonebot.config import ChatRule, Settings
from clonebot.pii import Finding, PIIFilter
from clonebot.runtime import commands
from clonebot.runtime.clock import Clock
from clonebot.runtime.context import history_to_turns
from clonebot.runtime.worker import GenerationWorker
from clonebot.telegram.client import ClientAdapter, FloodWaitError, PeerFloodError
from clonebot.telegram.messages import ChatInfo, Msg

log = logging.getLogger(__name__)

# Every post of the bot in the control chat starts with this: a visual cue for the owner,
# and one of three ways the bot knows a control-chat message is its own (ids, texts, prefix).
BOT_PREFIX = "🤖 "
MODES = ("draft", "approve", "auto")
_EXPECT_TTL = 120.0  # seconds an own-send echo is waited for
_MAX_TYPING = 30.0


def _hhmm(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


def _short(text: str, n: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class _ChatState:
    epoch: int = 0  # bumped by every new message in the chat: older work is stale
    last_at: float = 0.0
    burst: list[Msg] = field(default_factory=list)
    timer: asyncio.Task | None = None


class CloneBot:
    def __init__(
        self,
        settings: Settings,
        client: ClientAdapter,
        store: ApprovalStore,
        worker: GenerationWorker,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        adapter_dir: Path | None = None,
    ):
        self.settings = settings
        self.s = settings.bot
        self.client = client
        self.store = store
        self.worker = worker
        self.clock = clock or Clock()
        self.rng = rng or random.Random()
        self.pii = PIIFilter(settings.pii.denylist)
        self.adapter_arg = adapter_dir  # explicit --adapter; None -> the promoted one
        self.control_id: int | None = None
        self._chats: dict[int, _ChatState] = {}
        self._tasks: set[asyncio.Task] = set()
        self._owner_wrote: set[int] = set()
        # own sends whose NewMessage echo may arrive before send_message returns
        self._expect: dict[int, list[tuple[str, float]]] = {}
        self._sent_ids: set[tuple[int, int]] = set()
        self._reload_lock = asyncio.Lock()
        self._sweeper: asyncio.Task | None = None
        self.stopping = False

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self, *, sweeper: bool = True) -> None:
        ctl = self.s.control_chat
        if ctl == "me" or ctl == self.client.self_id:
            self.control_id = self.client.self_id
        else:
            self.control_id = (await self.client.get_chat(ctl)).id
        await self.recover()
        self.sweep()
        if sweeper:
            self._sweeper = asyncio.create_task(self._sweep_loop())

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work, let sends in flight finish, cancel the rest."""
        self.stopping = True
        for st in self._chats.values():
            if st.timer is not None:
                st.timer.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
        live = [t for t in self._tasks if not t.done()]
        if live:
            _, still = await asyncio.wait(live, timeout=timeout)
            for t in still:
                t.cancel()

    async def wait_idle(self) -> None:
        """Wait until no debounce timer or answer task is left (tests, bench)."""
        while True:
            live = [t for t in self._tasks if not t.done()]
            live += [st.timer for st in self._chats.values() if st.timer and not st.timer.done()]
            if not live:
                return
            await asyncio.wait(live)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bot task failed", exc_info=task.exception())

    async def _sweep_loop(self) -> None:
        while True:
            await self.clock.sleep(60)
            self.sweep()

    def sweep(self) -> None:
        now = self.clock.now()
        for s in self.store.expire_due(now):
            log.info("suggestion %s expired", s.id)
        for chat_id, items in list(self._expect.items()):
            self._expect[chat_id] = [(t, ts) for t, ts in items if now - ts < _EXPECT_TTL]

    @property
    def paused(self) -> bool:
        return bool(self.store.get_flag("paused", False))

    # --- policy --------------------------------------------------------------------------

    def _rule_for(self, info: ChatInfo) -> ChatRule | None:
        for rule in self.s.chats:
            if isinstance(rule.chat, int) and rule.chat == info.id:
                return rule
            if isinstance(rule.chat, str) and info.username and rule.chat == info.username:
                return rule
        return None

    async def policy(self, chat_id: int) -> tuple[ChatInfo | None, str | None, str]:
        """(chat, mode, why): mode None means the bot stays silent in that chat."""
        if chat_id == self.control_id or chat_id == self.client.self_id:
            return None, None, "control chat / Saved Messages"
        info = await self.client.get_chat(chat_id)
        if info.kind in ("bot", "channel", "self"):
            return info, None, f"never answers a {info.kind}"
        rule = self._rule_for(info)
        if rule is None:  # groups too: only when listed explicitly
            return info, None, "not on the allow-list"
        override, paused = self.store.chat_state(info.id)
        if paused:
            return info, None, "chat paused"
        return info, override or rule.mode or self.s.default_mode, ""

    # --- incoming ------------------------------------------------------------------------

    async def on_incoming(self, msg: Msg) -> None:
        if self.stopping or self.paused:
            return
        try:
            info, mode, why = await self.policy(msg.chat_id)
        except Exception as e:  # e.g. an entity Telegram will not resolve
            log.warning("cannot look up chat %s: %s", msg.chat_id, e)
            return
        if mode is None:
            log.debug("silent in %s: %s", msg.chat_id, why)
            return
        if msg.chat_id not in self._owner_wrote:
            # never the first message, never a stranger: the owner must have written here
            if not await self.client.owner_has_written(msg.chat_id):
                log.info("silent in %s: the owner has never written there", msg.chat_id)
                return
            self._owner_wrote.add(msg.chat_id)
        st = self._chats.setdefault(msg.chat_id, _ChatState())
        st.epoch += 1
        st.burst.append(msg)
        st.last_at = self.clock.now()
        if st.timer is None or st.timer.done():
            st.timer = asyncio.create_task(self._debounce(msg.chat_id))

    async def _debounce(self, chat_id: int) -> None:
        st = self._chats[chat_id]
        while True:
            wait = st.last_at + self.s.debounce_seconds - self.clock.now()
            if wait <= 0:
                break
            await self.clock.sleep(wait)
        burst, st.burst = st.burst, []
        if burst and not self.stopping:
            self._spawn(self._answer(chat_id, st.epoch))
        st.timer = None

    async def _context(self, chat_id: int) -> list[dict]:
        limit = min(100, self.s.history_turns * 8)
        history = await self.client.history(chat_id, limit)
        scrub = self.pii.redact if self.settings.prepare.scrub_pii else None
        return history_to_turns(
            history,
            max_turns=self.s.history_turns,
            session_gap_seconds=self.settings.prepare.session_gap_hours * 3600,
            scrub=scrub,
        )

    async def _answer(self, chat_id: int, epoch: int) -> None:
        st = self._chats[chat_id]
        info, mode, why = await self.policy(chat_id)
        if mode is None or info is None or self.paused:
            return
        turns = await self._context(chat_id)
        if not turns or turns[-1]["role"] != "user":
            return  # the owner has answered already
        if st.epoch != epoch:
            return
        try:
            replies = await self.worker.generate(turns, n=self.settings.generate.candidates)
        except Exception as e:  # keep serving other chats
            log.error("generation failed for chat %s: %s", chat_id, e)
            await self.post(f"generation failed for {info.name or chat_id}: {e}")
            return
        if st.epoch != epoch or self.stopping:
            log.info("chat %s moved on during generation; reply dropped", chat_id)
            return
        reply, findings = self.pick(replies)
        if not reply:
            log.info("no reply generated for chat %s", chat_id)
            return
        now = self.clock.now()
        for old in self.store.pending(chat_id):
            self.store.decide(old.id, "expired", now=now, note="superseded")
        fields = dict(
            chat_id=chat_id, chat_name=self._label(info), prompt_turns=turns, suggestion=reply,
            incoming=turns[-1]["content"], now=now, ttl_seconds=self.s.approval_ttl_minutes * 60,
            pii=[f.describe() for f in findings],
        )
        if mode == "draft":
            sugg = self.store.create(mode="draft", **fields)
            try:
                await self.client.save_draft(chat_id, reply)
            except (FloodWaitError, PeerFloodError) as e:
                log.warning("draft for %s not saved: %s", chat_id, e)
                self.store.decide(sugg.id, "expired", now=self.clock.now(), note="draft failed")
        elif mode == "approve":
            await self.post_suggestion(self.store.create(mode="approve", **fields))
        else:
            blocker = self.auto_blocker(chat_id, findings)
            if blocker:
                await self.post_suggestion(self.store.create(mode="approve", **fields), blocker)
            else:
                await self._auto_send(self.store.create(mode="auto", **fields), epoch)

    def pick(self, replies: list[str]) -> tuple[str, list[Finding]]:
        """Of ``generate.candidates`` replies, the first without PII findings, else the first
        (with its findings; each candidate is scanned once)."""
        first: tuple[str, list[Finding]] = ("", [])
        for r in replies:
            r = (r or "").strip()
            if not r:
                continue
            findings = self.pii.scan(r)
            if not findings:
                return r, []
            if not first[0]:
                first = (r, findings)
        return first

    # --- auto mode -----------------------------------------------------------------------

    def auto_blocker(self, chat_id: int, findings: list[Finding] | None = None) -> str | None:
        """Why auto mode must not send right now (None: it may)."""
        now = self.clock.now()
        if findings:
            return "PII found: " + ", ".join(f.describe() for f in findings)
        if self.store.get_flag("auto_disabled", False):
            return "auto is off: Telegram limited the account (PeerFlood)"
        until = float(self.store.get_flag("auto_paused_until", 0) or 0)
        if now < until:
            return f"auto paused after a flood wait until {_hhmm(until)}"
        hour_ago = now - 3600
        if self.store.sends_since(hour_ago, chat_id) >= self.s.per_chat_per_hour:
            return f"per-chat cap of {self.s.per_chat_per_hour}/hour reached"
        if self.store.sends_since(hour_ago) >= self.s.global_per_hour:
            return f"global cap of {self.s.global_per_hour}/hour reached"
        return None

    async def _auto_send(self, sugg: Suggestion, epoch: int) -> None:
        st = self._chats[sugg.chat_id]
        lo, hi = self.s.auto_delay_min_seconds, self.s.auto_delay_max_seconds
        await self.clock.sleep(self.rng.uniform(lo, hi))  # "read" the message
        typing_for = min(_MAX_TYPING, len(sugg.suggestion) / self.s.typing_chars_per_second)
        if st.epoch == epoch and self._still_pending(sugg.id):
            try:
                async with self.client.typing(sugg.chat_id):
                    await self.clock.sleep(typing_for)
            except (FloodWaitError, PeerFloodError) as e:
                log.warning("typing action failed: %s", e)
        if st.epoch != epoch:
            self.store.decide(sugg.id, "expired", now=self.clock.now(), note="superseded")
            return
        if not self._still_pending(sugg.id):
            return  # the owner wrote in the chat meanwhile
        blocker = self.auto_blocker(sugg.chat_id)
        if blocker:  # limits may have changed during the delay
            self.store.set_mode(sugg.id, "approve")
            await self.post_suggestion(self.store.get(sugg.id), blocker)  # type: ignore[arg-type]
            return
        await self.send(sugg, sugg.suggestion, decision=None, by="auto", note="auto")

    def _still_pending(self, sid: str) -> bool:
        s = self.store.get(sid)
        return s is not None and s.pending

    # --- sending -------------------------------------------------------------------------

    @contextmanager
    def _expecting(self, chat_id: int, text: str) -> Iterator[None]:
        """Our send's NewMessage echo may arrive before send_message returns: mark it as ours.
        A cancelled send keeps its entry (it may still show up) until sweep() drops it."""
        items = self._expect.setdefault(chat_id, [])
        entry = (text, self.clock.now())
        items.append(entry)
        try:
            yield
        except Exception:
            _discard(items, entry)
            raise
        _discard(items, entry)

    async def send(
        self, sugg: Suggestion, text: str, *, decision: str | None, by: str, note: str | None = None
    ) -> str:
        """Send once. Returns "sent", "done" (already sent), "closed", "flood" or "doubt"."""
        for attempt in range(2):
            claim = self.store.begin_send(
                sugg.id, text, now=self.clock.now(), by=by, decision=decision, note=note
            )
            if claim.status == "done":
                return "done"
            if claim.status == "in_doubt":
                rec = self.store.send_of(sugg.id)
                return await self.reconcile(rec) if rec else "doubt"
            if claim.status != "new":
                return "closed"
            try:
                with self._expecting(sugg.chat_id, text):
                    msg_id = await self.client.send_message(sugg.chat_id, text)
            except FloodWaitError as e:
                self.store.abort_send(sugg.id)  # Telegram refused: certainly not sent
                if attempt == 0 and e.seconds <= self.settings.telegram.flood_sleep_threshold:
                    log.warning("flood wait %ss, sleeping", e.seconds)
                    await self.clock.sleep(e.seconds)
                    continue
                await self._long_flood(e.seconds, sugg, by)
                return "flood"
            except PeerFloodError:
                self.store.abort_send(sugg.id)
                await self._peer_flood(sugg, by)
                return "flood"
            except Exception as e:
                # unknown whether it went out: leave the intent, check the chat history
                log.error("send to %s failed: %s", sugg.chat_id, e)
                rec = self.store.send_of(sugg.id)
                return await self.reconcile(rec) if rec else "doubt"
            self._sent_ids.add((sugg.chat_id, msg_id))
            self.store.finish_send(sugg.id, msg_id, now=self.clock.now())
            return "sent"
        return "flood"

    async def _long_flood(self, seconds: int, sugg: Suggestion, by: str) -> None:
        until = self.clock.now() + max(seconds, self.s.flood_pause_minutes * 60)
        self.store.set_flag("auto_paused_until", until)
        why = f"Telegram flood wait of {seconds}s: auto replies paused until {_hhmm(until)}"
        if by == "auto":
            self.store.set_mode(sugg.id, "approve")
            await self.post_suggestion(self.store.get(sugg.id), why)  # type: ignore[arg-type]
        else:
            await self.post(f"{why}. #{sugg.id} is still pending: answer ok again later.")

    async def _peer_flood(self, sugg: Suggestion, by: str) -> None:
        self.store.set_flag("auto_disabled", True)
        why = (
            "Telegram limited this account (PeerFlood: too many messages to non-contacts). "
            "auto mode is OFF; check @SpamBot, then /resume"
        )
        if by == "auto":
            self.store.set_mode(sugg.id, "approve")
            await self.post_suggestion(self.store.get(sugg.id), why)  # type: ignore[arg-type]
        else:
            await self.post(f"{why}. #{sugg.id} was not sent.")

    async def reconcile(self, rec: Any) -> str:
        """A send whose outcome is unknown: look for it in the chat before anything else."""
        try:
            found = await self.client.find_sent(rec.chat_id, rec.text, rec.started_at)
        except Exception as e:
            log.error("cannot check chat %s for #%s: %s", rec.chat_id, rec.sid, e)
            return "doubt"
        if found is not None:
            self._sent_ids.add((rec.chat_id, found))
            self.store.finish_send(rec.sid, found, now=self.clock.now())
            log.info("send of #%s confirmed in the chat history", rec.sid)
            return "done"
        self.store.abort_send(rec.sid)
        sugg = self.store.get(rec.sid)
        if sugg is not None and sugg.pending:
            self.store.set_mode(sugg.id, "approve")
            await self.post_suggestion(
                self.store.get(sugg.id),  # type: ignore[arg-type]
                "a send was interrupted and did not reach the chat; answer ok to send it",
            )
        return "closed"

    async def recover(self) -> None:
        """After a (re)start: settle sends in doubt, re-offer auto replies that never went out."""
        for rec in self.store.in_doubt():
            await self.reconcile(rec)
        for s in self.store.pending():
            if s.mode == "auto":
                self.store.set_mode(s.id, "approve")
                await self.post_suggestion(self.store.get(s.id), "restarted before it was sent")  # type: ignore[arg-type]
            elif s.mode == "approve" and s.control_msg_id is None:
                await self.post_suggestion(s)

    # --- the control chat ----------------------------------------------------------------

    def _label(self, info: ChatInfo) -> str:
        if info.username and info.name:
            return f"{info.name} ({info.username})"
        return info.name or info.username or str(info.id)

    async def post(self, text: str, *, reply_to: int | None = None) -> int | None:
        """Post in the control chat; failures are logged, never raised."""
        if self.control_id is None:
            return None
        text = BOT_PREFIX + text
        try:
            with self._expecting(self.control_id, text):
                msg_id = await self.client.send_message(self.control_id, text, reply_to=reply_to)
        except Exception as e:
            log.error("cannot post in the control chat: %s", e)
            return None
        self.store.add_own_post(msg_id)
        return msg_id

    async def post_suggestion(self, s: Suggestion, reason: str | None = None) -> None:
        lines = [f"#{s.id} · {s.chat_name} · {s.mode}"]
        if reason:
            lines.append(f"⚠ {reason}")
        elif s.pii:
            lines.append("⚠ PII found: " + ", ".join(s.pii))
        lines += [f"› {_short(s.incoming)}", "", s.suggestion, ""]
        lines.append(f"ok · edit <text> · no · regen — expires {_hhmm(s.expires_at)}")
        msg_id = await self.post("\n".join(lines))
        if msg_id is not None:
            self.store.set_control_msg(s.id, msg_id)

    def _is_own(self, msg: Msg) -> bool:
        if msg.text.startswith(BOT_PREFIX.strip()):
            return True
        if (msg.chat_id, msg.id) in self._sent_ids:
            return True
        items = self._expect.get(msg.chat_id) or []
        for item in items:
            if item[0] == msg.text:
                items.remove(item)
                return True
        return self.store.is_own_post(msg.id) or self.store.is_sent_msg(msg.chat_id, msg.id)

    async def on_owner_message(self, msg: Msg) -> None:
        """The owner wrote in a chat (not the control chat): cancel what is pending there."""
        if self._is_own(msg):
            return
        self._owner_wrote.add(msg.chat_id)
        st = self._chats.get(msg.chat_id)
        if st is not None:
            st.epoch += 1
            st.burst.clear()
            if st.timer is not None:
                st.timer.cancel()
                st.timer = None
        now = self.clock.now()
        for s in self.store.pending(msg.chat_id):
            if s.mode == "draft":
                same = msg.text.strip() == s.suggestion.strip()
                self.store.decide(
                    s.id, "sent" if same else "edited", now=now, final_text=msg.text, note="draft"
                )
            else:
                self.store.decide(
                    s.id, "rejected", now=now, final_text=msg.text, note="owner replied"
                )

    async def on_control(self, msg: Msg) -> None:
        if msg.chat_id != self.control_id or self._is_own(msg):
            return
        cmd = commands.parse(msg.text, is_reply=msg.reply_to is not None)
        if cmd is None:
            return
        if cmd.kind in ("ok", "no", "regen", "edit", "reply_text"):
            await self._approval(cmd, msg)
        elif cmd.kind == "status":
            await self.post(self.status_text(), reply_to=msg.id)
        elif cmd.kind == "help":
            await self.post(commands.HELP, reply_to=msg.id)
        elif cmd.kind == "reload":
            self._spawn(self.reload())
        elif cmd.kind in ("pause", "resume"):
            await self._pause(cmd.kind == "pause", cmd.chat, msg.id)
        elif cmd.kind == "mode":
            await self._set_mode(cmd.chat or "", cmd.mode or "", msg.id)
        else:
            await self.post(f"{cmd.text}\n{commands.HELP}", reply_to=msg.id)

    async def _target(self, cmd: commands.Command, msg: Msg) -> Suggestion | str:
        if msg.reply_to is not None:
            s = self.store.by_control_msg(msg.reply_to)
            if s is not None:
                return s
        if cmd.sid:
            return self.store.get(cmd.sid) or f"no suggestion #{cmd.sid}"
        pending = self.store.pending(mode="approve")
        if not pending:
            return "nothing is waiting for approval"
        if len(pending) > 1:
            ids = " ".join(f"#{p.id}" for p in pending[-5:])
            return f"{len(pending)} suggestions pending ({ids}): reply to one or add its id"
        return pending[0]

    async def _approval(self, cmd: commands.Command, msg: Msg) -> None:
        if cmd.kind == "reply_text" and (
            msg.reply_to is None or self.store.by_control_msg(msg.reply_to) is None
        ):
            return  # a reply to something else in Saved Messages: not ours
        target = await self._target(cmd, msg)
        if isinstance(target, str):
            await self.post(target, reply_to=msg.id)
            return
        s = target
        now = self.clock.now()
        if s.pending and now >= s.expires_at:
            self.store.decide(s.id, "expired", now=now, note="ttl")
            s = self.store.get(s.id)  # type: ignore[assignment]
        if not s.pending:
            what = s.decision or ("sending" if s.state == "sending" else "sent automatically")
            why = f" ({s.note})" if s.note and s.decision else ""
            await self.post(f"#{s.id} is no longer pending: {what}{why}", reply_to=msg.id)
            return
        if cmd.kind == "no":
            self.store.decide(s.id, "rejected", now=now)
            await self.post(f"✗ #{s.id} discarded", reply_to=msg.id)
        elif cmd.kind == "regen":
            await self._regen(s, msg.id)
        else:
            text = s.suggestion if cmd.kind == "ok" else (cmd.text or "").strip()
            decision = "sent" if cmd.kind == "ok" or text == s.suggestion else "edited"
            result = await self.send(s, text, decision=decision, by="owner")
            if result in ("sent", "done"):
                await self.post(f"✓ #{s.id} sent to {s.chat_name}", reply_to=msg.id)

    async def _regen(self, s: Suggestion, reply_to: int) -> None:
        try:
            replies = await self.worker.generate(s.prompt_turns, n=self.settings.generate.candidates)
        except Exception as e:
            await self.post(f"regen failed: {e}", reply_to=reply_to)
            return
        reply, findings = self.pick(replies)
        if not reply:
            await self.post(f"#{s.id}: the model gave nothing new", reply_to=reply_to)
            return
        now = self.clock.now()
        if not self.store.decide(s.id, "regenerated", now=now):
            return  # decided meanwhile
        new = self.store.create(
            chat_id=s.chat_id, chat_name=s.chat_name, mode="approve", incoming=s.incoming,
            prompt_turns=s.prompt_turns, suggestion=reply, now=now,
            ttl_seconds=self.s.approval_ttl_minutes * 60, thread=s.thread,
            pii=[f.describe() for f in findings],
        )
        await self.post_suggestion(new)

    async def _resolve_listed(self, ref: str) -> ChatInfo | str:
        key: int | str = int(ref) if ref.lstrip("-").isdigit() else ref.lower()
        if isinstance(key, str) and not key.startswith("@"):
            key = "@" + key
        try:
            info = await self.client.get_chat(key)
        except Exception:
            return f"unknown chat {ref}"
        if self._rule_for(info) is None:
            return f"{self._label(info)} is not on the allow-list (config bot.chats)"
        return info

    async def _pause(self, pause: bool, chat: str | None, reply_to: int) -> None:
        if chat is None:
            self.store.set_flag("paused", pause)
            if not pause:
                self.store.set_flag("auto_disabled", False)
                self.store.set_flag("auto_paused_until", 0)
            await self.post("paused: no replies until /resume" if pause else "resumed", reply_to=reply_to)
            return
        info = await self._resolve_listed(chat)
        if isinstance(info, str):
            await self.post(info, reply_to=reply_to)
            return
        self.store.set_chat_paused(info.id, pause)
        await self.post(f"{self._label(info)}: {'paused' if pause else 'resumed'}", reply_to=reply_to)

    async def _set_mode(self, chat: str, mode: str, reply_to: int) -> None:
        if mode not in MODES:
            await self.post(f"unknown mode {mode!r}: use draft, approve or auto", reply_to=reply_to)
            return
        info = await self._resolve_listed(chat)
        if isinstance(info, str):
            await self.post(info, reply_to=reply_to)
            return
        self.store.set_chat_mode(info.id, mode)
        await self.post(f"{self._label(info)}: mode {mode}", reply_to=reply_to)

    def status_text(self) -> str:
        now = self.clock.now()
        lines = ["status: " + ("PAUSED" if self.paused else "running")]
        blocker = None
        until = float(self.store.get_flag("auto_paused_until", 0) or 0)
        if self.store.get_flag("auto_disabled", False):
            blocker = "off (PeerFlood; /resume to re-enable)"
        elif until > now:
            blocker = f"paused until {_hhmm(until)}"
        lines.append(f"auto: {blocker or 'allowed'}")
        adapter = self.worker.adapter_dir
        lines.append(f"adapter: {adapter.name if adapter else 'none'} (loads: {self.worker.loads})")
        lines.append(
            f"sent last hour: {self.store.sends_since(now - 3600)}/{self.s.global_per_hour}"
        )
        if not self.s.chats:
            lines.append("allow-list: empty (config bot.chats) — nothing is answered")
        for rule in self.s.chats:
            lines.append(f"  {rule.chat}: {rule.mode or self.s.default_mode}")
        for chat_id, (mode, paused) in self.store.chat_states().items():
            if mode or paused:
                lines.append(f"  override {chat_id}: {mode or '-'}{' (paused)' if paused else ''}")
        pending = self.store.pending(mode="approve")
        lines.append(f"pending: {len(pending)}" + (" — " + " ".join(f"#{p.id}" for p in pending[-10:]) if pending else ""))
        return "\n".join(lines)

    # --- hot reload ----------------------------------------------------------------------

    def adapter_to_load(self) -> Path | None:
        return self.adapter_arg or current_adapter(self.settings.paths.runs_dir)

    async def reload(self) -> bool:
        """Load the promoted (or --adapter) adapter; the generation in flight finishes first."""
        async with self._reload_lock:
            path = self.adapter_to_load()
            if path is None:
                await self.post("reload: no promoted adapter (clonebot adapters list)")
                return False
            try:
                await self.worker.load(path)
            except Exception as e:
                old = self.worker.adapter_dir
                await self.post(f"reload of {path} failed: {e}; still using {old}")
                return False
            await self.post(f"reloaded adapter {Path(path).name}")
            return True


def _discard(items: list, entry: Any) -> None:
    try:
        items.remove(entry)
    except ValueError:
        pass
