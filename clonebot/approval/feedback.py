"""Preference pairs from the owner's decisions, for DPO-style training.

A *thread* is one prompt and every suggestion generated for it (``regen`` adds to the
thread). What the owner finally let through is *chosen*: an approved suggestion, their
edit, a draft they sent (as is or changed), or what they wrote themselves instead of a
pending suggestion. Every suggestion of that thread they discarded is *rejected*.
Threads with no chosen text (only rejections, expiries) give no pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from clonebot.approval.decisions import Decision
from clonebot.state.store import DecisionRecord
from clonebot.prompt_format import render_prompt

# A decision whose final_text is the owner's own words for this prompt.
_CHOSEN = {Decision.SENT, Decision.EDITED, Decision.REJECTED}
_REPLACED = {Decision.REGENERATED, Decision.REJECTED, Decision.EDITED}


def preference_pairs(decisions: Iterable[DecisionRecord], eos: str | None = None) -> Iterator[dict]:
    threads: dict[str, list[DecisionRecord]] = defaultdict(list)
    for d in decisions:
        threads[d.thread].append(d)
    for thread_id, ds in threads.items():
        ds.sort(key=lambda d: (d.decided_at, d.created_at))
        chosen_d = next(
            (d for d in reversed(ds) if d.decision in _CHOSEN and (d.final_text or "").strip()),
            None,
        )
        if chosen_d is None:
            continue
        chosen = chosen_d.final_text.strip()  # type: ignore[union-attr]
        rejected: list[str] = []
        for d in ds:
            if d.decision in _REPLACED or d is chosen_d:
                text = d.suggestion.strip()
                if text and text != chosen and text not in rejected:
                    rejected.append(text)
        for r in rejected:
            pair = {
                "prompt": chosen_d.prompt_turns,
                "chosen": chosen,
                "rejected": r,
                "decision": chosen_d.decision,
                "thread": thread_id,
                "chat_id": chosen_d.chat_id,
                "decided_at": chosen_d.decided_at,
            }
            if eos is not None:
                pair["prompt_text"] = render_prompt(chosen_d.prompt_turns, eos)
            yield pair
