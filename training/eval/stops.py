"""Why a generation ended (EOS, a turn marker, the token limit) and whether it began
the other person's turn."""

from __future__ import annotations

from dataclasses import dataclass

from clonebot.prompt_format import CLONE, TURN_MARKERS, USER, strip_reply, writes_turn

# A new turn header the model starts writing. The user's means it is writing the other
# person's line (the failure we train against); the clone's a second Clone turn.
STOP_MARKERS = (TURN_MARKERS[USER], TURN_MARKERS[CLONE])


@dataclass
class RawGeneration:
    """What the model produced for one prompt, before any stripping."""

    text: str  # decoded new tokens without the EOS token, markers kept
    stop: str  # "eos" | "marker" | "limit"
    new_tokens: int

    @property
    def reply(self) -> str:
        return strip_reply(self.text)

    @property
    def wrote_other_turn(self) -> bool:
        return writes_turn(self.text, USER)


def classify_stop(text: str, hit_eos: bool, new_tokens: int, max_new_tokens: int) -> str:
    """Why a generation ended: EOS, a turn marker, or the token limit."""
    if hit_eos:
        return "eos"
    if any(m in text for m in STOP_MARKERS):
        return "marker"
    if new_tokens >= max_new_tokens:
        return "limit"
    return "eos"  # ended early without a marker: only EOS can do that
