"""The one owner of the prompt format.

Training renders ``render_prompt(context) + reply + eos`` and inference renders
``render_prompt(context)`` with the same function, so the model sees at inference
exactly the token prefix it was trained on. Every Clone turn in a rendered text is
followed by the EOS marker: that is what teaches the model to stop after its own
turn instead of writing the other person's lines.

A turn is a mapping ``{"role": "user" | "clone" | "bot", "content": str}``. A ``bot`` turn
is a message the clone itself sent (auto mode, an approved suggestion): it renders exactly
as a Clone turn, since that is what the model saw there at inference, but it is never
trained on (the model must not learn the clone from itself).

Layout (EOS shown as ``</s>``)::

    ### User:
    hi, are you coming?
    ### Clone:
    yes, in 10 min</s>
    ### User:
    ok
    ### Clone:
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FORMAT_VERSION = 1

USER = "user"
CLONE = "clone"
BOT = "bot"  # the clone's own words in a chat: context only, never a training target
ROLES = (USER, CLONE, BOT)

# The start of each role's turn header; the header adds ":" and a newline.
TURN_MARKERS = {USER: "### User", CLONE: "### Clone"}
USER_HEADER = TURN_MARKERS[USER] + ":\n"
CLONE_HEADER = TURN_MARKERS[CLONE] + ":\n"
TURN_SEPARATOR = "\n"

# What generation must stop on besides EOS: the start of any new turn header.
# A model that begins "### User" is about to write the other person's line.
STOP_STRINGS = (TURN_MARKERS[USER], TURN_MARKERS[CLONE], "\n###")

_HEADERS = {USER: USER_HEADER, CLONE: CLONE_HEADER, BOT: CLONE_HEADER}
# A header as a model may misspell it: any level of "#", any case, optional colon.
_LOOSE_HEADERS = {
    role: re.compile(r"(?mi)^\s*#{1,6}\s*" + re.escape(marker.lstrip("# ")) + r"\s*:?")
    for role, marker in TURN_MARKERS.items()
}

# A message that itself starts a line with "###" could forge a turn header; demote it.
_FORGED_HEADER = re.compile(r"(?m)^#{3,}")


def _fingerprint() -> str:
    spec = "\x00".join(
        [str(FORMAT_VERSION), USER_HEADER, CLONE_HEADER, TURN_SEPARATOR, *STOP_STRINGS]
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


FORMAT_HASH = _fingerprint()


class PromptFormatError(ValueError):
    """A turn list that cannot be rendered (unknown role, empty content)."""


@dataclass(frozen=True)
class Segment:
    """A piece of rendered text; ``trainable`` marks Clone content and its EOS."""

    text: str
    trainable: bool


def format_info() -> dict:
    """What an adapter manifest pins: inference refuses a different one."""
    return {"version": FORMAT_VERSION, "hash": FORMAT_HASH}


def clean_content(content: str) -> str:
    """Normalise one turn's text so it cannot forge a header or carry stray edges."""
    # Each step only where it can change something: prepare cleans every turn it builds,
    # and most hold neither "\r" nor "###" (skipped, each step returns the text as it is).
    if "\r" in content:
        content = content.replace("\r\n", "\n").replace("\r", "\n")
    text = content.strip()
    return _FORGED_HEADER.sub("##", text) if "###" in text else text


def _check(turns: Sequence[Mapping[str, str]]) -> None:
    for turn in turns:
        role = turn.get("role")
        if role not in ROLES:
            raise PromptFormatError(f"unknown role {role!r}; expected one of {ROLES}")
        if not clean_content(turn.get("content") or ""):
            raise PromptFormatError(f"empty {role} turn")


def render_segments(turns: Sequence[Mapping[str, str]], eos: str) -> list[Segment]:
    """Render complete turns. Clone content and its EOS are the trainable segments (a bot
    turn renders the same, untrainable)."""
    _check(turns)
    out: list[Segment] = []
    for turn in turns:
        role = turn["role"]
        out.append(Segment(_HEADERS[role], False))
        if role != USER:
            out.append(Segment(clean_content(turn["content"]) + eos, role == CLONE))
        else:
            out.append(Segment(clean_content(turn["content"]), False))
        out.append(Segment(TURN_SEPARATOR, False))
    return out


def render_prompt(context: Sequence[Mapping[str, str]], eos: str) -> str:
    """The inference prompt: all context turns, then an open Clone header."""
    return "".join(s.text for s in render_segments(context, eos)) + CLONE_HEADER


def render_sample(context: Sequence[Mapping[str, str]], reply: str, eos: str) -> str:
    """Training text for one sample: ``render_prompt(context) + reply + eos``."""
    reply = clean_content(reply)
    if not reply:
        raise PromptFormatError("empty clone reply")
    return render_prompt(context, eos) + reply + eos


def sample_segments(turns: Sequence[Mapping[str, str]], eos: str) -> list[Segment]:
    """Segments of a training sample whose last turn is the Clone reply.

    Joined, they equal ``render_sample(turns[:-1], turns[-1]["content"], eos)``; the
    trainable ones are every Clone turn's content + EOS (labels elsewhere are -100).
    """
    if not turns or turns[-1].get("role") != CLONE:
        raise PromptFormatError("a training sample must end with a clone turn")
    segs = render_segments(turns, eos)
    return segs[:-1]  # a sample ends at the final EOS, not at a separator


def writes_turn(text: str, role: str) -> bool:
    """True if generated ``text`` begins a ``role`` turn: its marker, or a header that
    looks like it ("## user:" at the start of a line)."""
    return TURN_MARKERS[role] in text or bool(_LOOSE_HEADERS[role].search(text))


def strip_reply(text: str) -> str:
    """Cut generated text at the first stop string and trim it."""
    cut = len(text)
    for stop in STOP_STRINGS:
        i = text.find(stop)
        if i != -1:
            cut = min(cut, i)
    return text[:cut].strip()
