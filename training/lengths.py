"""How long the samples are in the base model's own tokens, and what happens to long ones.

Said where the owner decides: ``prepare`` prints it with the configured base model's
tokenizer when that is on this machine (for a known Mistral-7B id, the same tokenizer
built from the mistral-common wheel), ``train`` prints it first thing, before it loads the
model; both keep it (``stats.json`` ``lengths``, the run's manifest ``metrics.lengths``).

``train`` counts every sample (it tokenizes them all anyway). ``prepare`` counts at most
``ESTIMATE_SAMPLES`` of them, spread evenly over the dataset, and says so ("estimated from
N of M samples"): counting all 51k samples of a 300k-message export took longer than the
rest of prepare; a few thousand give the spread and the share over ``max_seq_len`` to
about a percent. A smaller dataset (the bundled sample's 144) is counted whole, exactly.
Its tokenizer is read without transformers or torch (``clonebot.model.light_tokenizer``).

A sample longer than ``train.max_seq_len`` loses its oldest context turns, whole, until it
fits (``training.masking.fit_sample``); the reply is never cut. A reply that does not fit
even alone cannot be trained on: it is counted and named (chat and message id), never
dropped silently. Counted with the real tokenizer, never guessed from characters: Mistral
spends ~1.6x the tokens per character on Russian that it spends on English.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clonebot.model.load import literal_turns, token_counts
from clonebot.prompt_format import render_prompt, render_sample
from training.masking import fit_sample

# Replies named in full; past this many only the count grows (a stats file stays readable).
MAX_NAMED = 50
# prepare's token figures: at most this many samples, spread evenly (module docstring).
ESTIMATE_SAMPLES = 2000


def spread(values: Sequence[int]) -> dict[str, float]:
    """mean / median / 95th percentile / max of token counts."""
    if not values:
        return {"mean": 0, "p50": 0, "p95": 0, "max": 0}
    ordered = sorted(values)
    return {"mean": round(statistics.fmean(ordered), 1),
            "p50": ordered[len(ordered) // 2],
            "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "max": ordered[-1]}


@dataclass
class Lengths:
    """Token lengths of a dataset's samples against ``max_seq_len``."""

    tokenizer: str
    max_seq_len: int
    samples: int = 0
    sample_tokens: dict[str, float] = field(default_factory=dict)  # whole window, before any cut
    reply_tokens: dict[str, float] = field(default_factory=dict)  # the reply + its EOS
    over: int = 0  # windows longer than max_seq_len
    cut: int = 0  # ...that fit once their oldest turns were dropped
    turns_cut: int = 0  # context turns dropped in all
    too_long: int = 0  # replies longer than max_seq_len even alone: not trained on
    too_long_named: list[dict[str, Any]] = field(default_factory=list)  # the first MAX_NAMED
    max_new_tokens: int | None = None
    replies_over_max_new_tokens: int = 0  # replies generate.max_new_tokens would cut
    # Set when only ``samples`` of the dataset's samples were counted (prepare's estimate):
    # every count above is of those, but ``too_long`` / ``too_long_named`` when
    # ``too_long_checked`` says they were checked over all samples.
    dataset_samples: int | None = None
    too_long_checked: int | None = None

    @property
    def estimated(self) -> bool:
        return self.dataset_samples is not None and self.dataset_samples > self.samples

    @property
    def all_checked(self) -> bool:
        """Whether ``too_long`` covers every sample of the dataset."""
        return not self.estimated or self.too_long_checked == self.dataset_samples

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """What the owner reads (the CLI prints these)."""
        if not self.samples:
            return [f"tokens ({self.tokenizer}): no samples"]
        s, r = self.sample_tokens, self.reply_tokens
        est = (f", estimated from {self.samples} of {self.dataset_samples} samples spread over "
               f"the dataset (`clonebot train` counts them all)" if self.estimated else "")
        out = [f"tokens ({self.tokenizer}){est}: per sample mean {s['mean']:.0f}, median {s['p50']}, "
               f"95% {s['p95']}, max {s['max']}; per reply mean {r['mean']:.0f}, median "
               f"{r['p50']}, 95% {r['p95']}, max {r['max']}"]
        share = 100 * self.over / self.samples
        what = (f"{self.cut} cut to fit by dropping their oldest {self.turns_cut} context turns"
                f" (the reply is never cut)" if self.over else "nothing to cut")
        counted = " counted" if self.estimated else ""
        out.append(f"  over train.max_seq_len = {self.max_seq_len}: {self.over} of {self.samples}"
                   f"{counted} samples ({share:.1f}%): {what}")
        if self.too_long:
            named = ", ".join(f"chat {x['chat_id']} message {x['message_id']} ({x['reply_tokens']})"
                              for x in self.too_long_named[:5])
            more = f" and {self.too_long - 5} more" if self.too_long > 5 else ""
            among = (f" (among the {self.samples} counted)" if self.estimated and not self.all_checked
                     else "")
            out.append(f"  {self.too_long} replies{among} longer than {self.max_seq_len} tokens on their "
                       f"own are NOT trained on: {named}{more} (raise train.max_seq_len to keep them)")
        elif self.estimated and self.all_checked:
            out.append(f"  no reply is longer than {self.max_seq_len} tokens on its own "
                       f"(all {self.dataset_samples} checked)")
        if self.max_new_tokens and self.replies_over_max_new_tokens:
            among = f" (of the {self.samples} counted)" if self.estimated else ""
            out.append(f"  {self.replies_over_max_new_tokens} replies{among} are longer than "
                       f"generate.max_new_tokens = {self.max_new_tokens}: the clone would be cut off there")
        return out


def measure(rows: Iterable[Mapping[str, Any]], tokenizer, max_seq_len: int, *,
            name: str, max_new_tokens: int | None = None) -> Lengths:
    """``Lengths`` of dataset rows (``messages`` + ``chat_id`` / ``message_id``)."""
    return measure_fitted(rows, tokenizer, max_seq_len, name=name, max_new_tokens=max_new_tokens)[0]


def measure_fitted(rows: Iterable[Mapping[str, Any]], tokenizer, max_seq_len: int, *,
                   name: str, max_new_tokens: int | None = None) -> tuple[Lengths, list[int]]:
    """``Lengths``, and each sample's length as training fits it (those whose reply alone
    is too long left out).

    Whole windows and prompts are counted in batches (the reply is what the sample adds to
    its prompt: the prompt's tokens are the sample's first ones); only the windows over
    ``max_seq_len`` are fitted one by one, as training fits them."""
    rows = list(rows)
    eos = tokenizer.eos_token
    turns = [literal_turns(r["messages"], tokenizer) for r in rows]
    with ThreadPoolExecutor(1) as beside:  # the tokenizer lets the GIL go: two cores count
        prompts = beside.submit(token_counts, tokenizer, [render_prompt(t[:-1], eos) for t in turns])
        whole = token_counts(tokenizer, [render_sample(t[:-1], t[-1]["content"], eos) for t in turns])
        prompt = prompts.result()
    replies = [w - p for w, p in zip(whole, prompt)]
    out = Lengths(tokenizer=name, max_seq_len=max_seq_len, samples=len(rows),
                  sample_tokens=spread(whole), reply_tokens=spread(replies),
                  max_new_tokens=max_new_tokens)
    if max_new_tokens:
        out.replies_over_max_new_tokens = sum(r - 1 > max_new_tokens for r in replies)  # -1: EOS
    fitted = []
    for row, n in zip(rows, whole):
        if n <= max_seq_len:
            fitted.append(n)
            continue
        out.over += 1
        fit = fit_sample(row["messages"], tokenizer, max_seq_len)
        if fit.features is None:
            out.too_long += 1
            if len(out.too_long_named) < MAX_NAMED:
                out.too_long_named.append({"chat_id": row.get("chat_id"),
                                           "message_id": row.get("message_id"),
                                           "reply_tokens": fit.reply_tokens})
        else:
            out.cut += 1
            out.turns_cut += fit.cut_turns
            fitted.append(len(fit.features["input_ids"]))
    return out, fitted


def measure_dataset(dsd, tokenizer, max_seq_len: int, *, name: str,
                    max_new_tokens: int | None = None) -> Lengths:
    """``measure`` over every split of a prepared dataset (train and eval)."""
    rows = (row for split in sorted(dsd.keys()) for row in dsd[split])
    return measure(rows, tokenizer, max_seq_len, name=name, max_new_tokens=max_new_tokens)


def sample_rows(dataset_dir, limit: int) -> tuple[list[dict[str, Any]], int]:
    """At most ``limit`` rows of a prepared dataset (splits in ``measure_dataset``'s order),
    spread evenly over it, and how many it has; all of them if it has no more.

    Read with pyarrow from the Arrow files ``datasets`` would read (batch by batch, only
    the chosen rows turned into Python, sliced rather than taken: ``take`` would load
    pyarrow's compute kernels): importing ``datasets`` costs ~1 s and ~100 MB."""
    import pyarrow as pa

    from training.dataset.splits import DATA_FILE, SPLITS

    paths = [p for p in (Path(dataset_dir) / split / DATA_FILE for split in sorted(SPLITS))
             if p.is_file()]
    total = 0
    for path in paths:  # counting rows reads only the batches' headers
        with pa.OSFile(str(path), "rb") as src:  # not mapped: resident one batch deep
            total += sum(batch.num_rows for batch in pa.ipc.open_stream(src))
    wanted = iter(range(total) if total <= limit else (i * total // limit for i in range(limit)))
    rows: list[dict[str, Any]] = []
    nxt, start = next(wanted, None), 0
    for path in paths:
        with pa.OSFile(str(path), "rb") as src:  # not mapped: resident one batch deep
            for batch in pa.ipc.open_stream(src):
                end = start + batch.num_rows
                picked = []
                while nxt is not None and nxt < end:
                    picked.append(nxt - start)
                    nxt = next(wanted, None)
                if picked:  # only the chosen rows become Python objects
                    cols = batch.select(["messages", "chat_id", "message_id"])
                    rows += [r for i in picked for r in cols.slice(i, 1).to_pylist()]
                start = end
    return rows, total


def _byte_bounded(tokenizer) -> bool:
    """Whether no token of this tokenizer stands for less than one byte of its input: true
    of BPE, WordPiece and Unigram models fed the text as it is (no normalizer, which could
    expand it: NFKC turns one character into several). Beyond the text's own bytes only a
    word-start marker per piece between special tokens, and BOS, are added."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return backend is not None and backend.normalizer is None


# Rendering a reply alone adds its header, EOS and separator, and a word-start marker per
# piece between special tokens: fewer tokens than this.
_RENDER_SLACK = 32


def too_long_everywhere(dataset_dir, tokenizer, max_seq_len: int) -> tuple[int, list[dict], int] | None:
    """Replies too long for ``max_seq_len`` on their own, over every sample of a prepared
    dataset, exactly, without tokenizing them all: a reply of B bytes is at most 2B tokens
    (``_byte_bounded``; ``literal_turns`` may add 3 bytes to a special token's 4+), so only
    replies past (max_seq_len - slack) / 2 bytes are rendered, bounded by their rendered
    bytes, and the few left tokenized as ``fit_sample`` fits them. (count, the first
    ``MAX_NAMED`` named, samples checked); None if this tokenizer allows no such bound."""
    import numpy as np
    import pyarrow as pa

    from training.dataset.arrow_build import to_numpy  # np.asarray would import pandas
    from training.dataset.splits import DATA_FILE, SPLITS

    if not _byte_bounded(tokenizer):
        return None
    eos = tokenizer.eos_token
    candidates: list[tuple[dict, Any, Any]] = []  # (the reply turn, chat id, message id)
    checked = 0
    for split in sorted(SPLITS):
        path = Path(dataset_dir) / split / DATA_FILE
        if not path.is_file():
            continue
        with pa.OSFile(str(path), "rb") as src:  # not mapped: resident one batch deep
            for batch in pa.ipc.open_stream(src):
                checked += batch.num_rows
                msgs = batch.column("messages")
                roles, content = msgs.values.field("role"), msgs.values.field("content")
                if msgs.values.offset or content.offset or roles.offset:  # never written so
                    candidates += [(r["messages"][-1], r["chat_id"], r["message_id"]) for r in
                                   batch.select(["messages", "chat_id", "message_id"]).to_pylist()]
                    continue
                last = to_numpy(msgs.offsets)[1:] - 1  # each sample's reply, in ``content``
                off = np.frombuffer(content.buffers()[1], np.int32)  # string offsets
                last_bytes = off[last + 1] - off[last]
                chats, ids = batch.column("chat_id"), batch.column("message_id")
                for i in np.flatnonzero(2 * last_bytes + _RENDER_SLACK > max_seq_len).tolist():
                    j = int(last[i])
                    candidates.append(({"role": roles[j].as_py(), "content": content[j].as_py()},
                                       chats[i].as_py(), ids[i].as_py()))
    # bounded by their rendered bytes, then counted in one batch; only those over are fitted
    texts, left = [], []
    for reply, chat_id, message_id in candidates:
        text = render_sample([], literal_turns([reply], tokenizer)[0]["content"], eos)
        if len(text.encode()) + _RENDER_SLACK > max_seq_len:
            texts.append(text)
            left.append((reply, chat_id, message_id))
    counts: list[int] = []
    for i in range(0, len(texts), 1024):  # ids of a few at a time, only their counts kept
        counts += token_counts(tokenizer, texts[i:i + 1024])
    count, named = 0, []
    for (reply, chat_id, message_id), n in zip(left, counts):
        if n <= max_seq_len:  # alone, the reply is all ``fit_sample`` has left to cut to
            continue
        count += 1
        if len(named) < MAX_NAMED:
            fit = fit_sample([reply], tokenizer, max_seq_len)
            named.append({"chat_id": chat_id, "message_id": message_id,
                          "reply_tokens": fit.reply_tokens})
    return count, named, checked


def report_dataset(dataset_dir, settings, *, limit: int = ESTIMATE_SAMPLES) -> Lengths | None:
    """After ``prepare``: the dataset's ``Lengths`` with the configured base model's
    tokenizer if it is on this machine, counted over at most ``limit`` of its samples
    (``Lengths.dataset_samples`` says of how many), kept in its stats.json (``lengths``);
    None if that tokenizer is not here (``train`` reports first thing)."""
    import json

    from clonebot.fsutil import atomic_write_text
    from clonebot.model.light_tokenizer import counting_tokenizer

    found = counting_tokenizer(settings.model.base_model, settings.model.revision,
                               settings.paths.cache_dir)
    if found is None:
        return None
    tokenizer, name = found
    rows, total = sample_rows(dataset_dir, limit)
    with ThreadPoolExecutor(1) as beside:
        # A reply not trained on is named, whether counted or not: every sample is looked at
        # in a thread while the counted ones are tokenized (each mostly outside the GIL:
        # Arrow and numpy there, the tokenizer here), at the end of a prepare that has the
        # machine's cores to itself again.
        everywhere = (beside.submit(too_long_everywhere, dataset_dir, tokenizer,
                                    settings.train.max_seq_len) if total > len(rows) else None)
        lengths = measure(rows, tokenizer, settings.train.max_seq_len, name=name,
                          max_new_tokens=settings.generate.max_new_tokens)
        lengths.dataset_samples = total
        found_everywhere = everywhere.result() if everywhere is not None else None
    if found_everywhere is not None:
        lengths.too_long, lengths.too_long_named, lengths.too_long_checked = found_everywhere
    stats_path = Path(dataset_dir) / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    stats["lengths"] = lengths.as_dict()
    atomic_write_text(stats_path, json.dumps(stats, ensure_ascii=False, indent=2) + "\n")
    return lengths
