"""Export -> scrubbed records -> dialogues -> rendered samples -> dataset dir.

``prepare(export, out, settings)`` is the library entry point behind ``clonebot prepare``.

Output directory (written into a temp dir beside ``out`` and renamed into place)::

    out/dataset_dict.json, out/train/, out/eval/   datasets.load_from_disk(out)
    out/messages.parquet   scrubbed per-message records: what a later prepare merges with
    out/stats.json         counts, EOS, owner, skipped-by-reason, PII redactions
    out/canaries.json      only with --canaries N

Memory stays flat in the export size: messages stream from ijson, records and samples go
to disk in small batches (parquet / Arrow IPC streams read back batch by batch, never
memory-mapped, so resident memory does not grow with the output either).

Rows are ordered by chat (first appearance), then message id. Preparing into a dir that
already holds a dataset merges the stored records with the new export (dedupe by
(chat id, message id), newer edit wins) and rebuilds every sample from the merged set, so
preparing the same export twice gives identical rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import string
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clonebot.config import Settings
from clonebot.dialogue import reply_windows
from clonebot.errors import CloneBotError, DatasetError, ExportError
from clonebot.pii import PIIFilter, RedactionSession
from clonebot.prompt_format import format_info, render_sample
from training.export import TEXT, Chat, ExportReader, check_readable

log = logging.getLogger(__name__)

FALLBACK_EOS = "</s>"  # Mistral's, when the configured tokenizer is not available offline
SPLITS = ("train", "eval")
MESSAGES_FILE = "messages.parquet"
STATS_FILE = "stats.json"
CANARIES_FILE = "canaries.json"
_DATA_FILE = "data-00000-of-00001.arrow"
_BATCH = 2000

PERSONAL = frozenset({"personal_chat"})
GROUPS = frozenset({"private_group", "private_supergroup", "public_supergroup"})
# Never training material: bots, Saved Messages, the replies feed, channels.
NEVER = frozenset({"bot_chat", "saved_messages", "replies", "private_channel", "public_channel"})

RECORD_SCHEMA = pa.schema([
    ("chat_id", pa.int64()),
    ("message_id", pa.int64()),
    ("date", pa.int64()),
    ("edited", pa.int64()),
    ("sender", pa.int64()),
    ("clone", pa.bool_()),
    ("text", pa.string()),
])
_TURNS = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
SAMPLE_SCHEMA = pa.schema([
    ("text", pa.string()),
    ("messages", _TURNS),
    ("chat_id", pa.int64()),
    ("message_id", pa.int64()),
    ("date", pa.int64()),
])

Progress = Callable[[str, int, int | None], None]


# -- EOS ------------------------------------------------------------------------------
def resolve_eos(settings: Settings) -> tuple[str, str]:
    """(eos, source): the configured base model's EOS if its tokenizer is here offline."""
    name = settings.model.base_model
    try:
        from clonebot.model.registry import resolve_base_model

        where = resolve_base_model(name, settings.paths.cache_dir)
    except CloneBotError as e:
        return FALLBACK_EOS, f"fallback ({name}: {e})"
    if not _tokenizer_cached(where, settings.model.revision):
        return FALLBACK_EOS, f"fallback ({name}: tokenizer not available offline)"
    try:  # transformers is heavy: only import it when a tokenizer is really there
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(
            where, local_files_only=True, revision=settings.model.revision
        )
        eos = tok.eos_token
    except Exception as e:  # noqa: BLE001 - any tokenizer trouble means "not available"
        return FALLBACK_EOS, f"fallback ({name}: {type(e).__name__})"
    if not eos:
        return FALLBACK_EOS, f"fallback ({name}: tokenizer has no eos_token)"
    return eos, f"tokenizer ({name})"


def _tokenizer_cached(where: str, revision: str | None) -> bool:
    p = Path(where).expanduser()
    if p.is_dir():
        return any((p / f).is_file() for f in ("tokenizer_config.json", "tokenizer.json"))
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(where, "tokenizer_config.json", revision=revision)
        return isinstance(hit, str)
    except Exception:  # noqa: BLE001 - malformed ids etc.
        return False


# -- chat selection ---------------------------------------------------------------------
def _norm_chat_id(v: int) -> int:
    # Bot API style supergroup ids (-100XXXXXXXXXX) name the same chat as the export's id.
    s = str(v)
    if s.startswith("-100"):
        return int(s[4:])
    return abs(v)


class ChatFilter:
    def __init__(self, include: list, exclude: list, groups: bool):
        self.inc_ids, self.inc_names = self._split(include)
        self.exc_ids, self.exc_names = self._split(exclude)
        self.groups = groups

    @staticmethod
    def _split(items: list) -> tuple[set[int], set[str]]:
        ids, names = set(), set()
        for it in items:
            if isinstance(it, int) or (isinstance(it, str) and it.strip().lstrip("-").isdigit()):
                ids.add(_norm_chat_id(int(it)))
            elif isinstance(it, str) and it.strip():
                names.add(it.strip().casefold())
        return ids, names

    def _named(self, chat: Chat, ids: set[int], names: set[str]) -> bool:
        return (chat.id is not None and abs(chat.id) in ids) or (
            chat.name is not None and chat.name.strip().casefold() in names
        )

    def reason(self, chat: Chat) -> str | None:
        """None if the chat is used, else why not."""
        if chat.id is None:
            return "bad_id"
        t = chat.type or "unknown"
        if t in NEVER:
            return f"type:{t}"
        if self._named(chat, self.exc_ids, self.exc_names):
            return "excluded"
        explicit = self.inc_ids or self.inc_names
        if explicit and not self._named(chat, self.inc_ids, self.inc_names):
            return "not_included"
        if t in PERSONAL:
            return None
        if t in GROUPS:
            # Naming a group in include_chats opts it in as well.
            return None if self.groups or explicit else f"type:{t}"
        return f"type:{t}"


# -- writers ---------------------------------------------------------------------------
class _RecordWriter:
    def __init__(self, path: Path):
        self.path = path
        self.writer = pq.ParquetWriter(path, RECORD_SCHEMA, compression="zstd")
        self.buf: list[tuple] = []
        self.rows = 0

    def add(self, row: tuple) -> None:
        """``row`` = (chat_id, message_id, date, edited, sender, clone, text)."""
        self.buf.append(row)
        if len(self.buf) >= 50_000:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            cols = list(zip(*self.buf))
            self.writer.write_table(pa.table(
                [pa.array(c, type=f.type) for c, f in zip(cols, RECORD_SCHEMA)],
                schema=RECORD_SCHEMA))
            self.rows += len(self.buf)
            self.buf = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


class _SampleWriter:
    """Rendered samples in chat order into an Arrow IPC stream; per-chat counts kept."""

    def __init__(self, path: Path, eos: str):
        self.path = path
        self.eos = eos
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_stream(self.sink, SAMPLE_SCHEMA)
        self.cols: dict[str, list] = {k: [] for k in SAMPLE_SCHEMA.names}
        self.segments: list[list[int]] = []  # [chat_id, n_samples] in write order
        self.rows = 0

    def chat(self, chat_id: int) -> None:
        self.segments.append([chat_id, 0])

    def add(self, chat_id: int, s) -> None:
        msgs = s.turns
        c = self.cols
        c["text"].append(render_sample(msgs[:-1], msgs[-1]["content"], self.eos))
        c["messages"].append(msgs)
        c["chat_id"].append(chat_id)
        c["message_id"].append(s.message_id)
        c["date"].append(s.date)
        self.segments[-1][1] += 1
        self.rows += 1
        if len(c["text"]) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.cols["text"]:
            self.writer.write_batch(pa.record_batch(self.cols, schema=SAMPLE_SCHEMA))
            self.cols = {k: [] for k in SAMPLE_SCHEMA.names}

    def close(self) -> None:
        self.flush()
        self.writer.close()
        self.sink.close()


def _read_stream(path: Path) -> Iterator[pa.RecordBatch]:
    # Plain reads, not a memory map: resident memory stays one batch deep.
    with pa.OSFile(str(path), "rb") as src:
        reader = pa.ipc.open_stream(src)
        yield from reader


# -- the pipeline ----------------------------------------------------------------------
class _Run:
    def __init__(self, settings: Settings, eos: str, progress: Progress | None):
        p = settings.prepare
        self.settings = settings
        self.eos = eos
        self.progress = progress
        self.gap = p.session_gap_hours * 3600.0
        self.context_turns = p.max_turns - 1  # a window holds max_turns turns incl. the reply
        self.skipped: Counter = Counter()
        self.chats_skipped: Counter = Counter()
        self.pii: Counter = Counter()
        self.pii_filter = (
            PIIFilter(settings.pii.denylist, names=settings.pii.names) if p.scrub_pii else None
        )

    def read_export(self, export: Path, owner_id: int | None, records_path: Path,
                    samples_path: Path | None) -> dict:
        """Phase 1: stream the export into scrubbed records (and samples, if given)."""
        p = self.settings.prepare
        flt = ChatFilter(list(p.include_chats), list(p.exclude_chats), p.include_groups)
        tick = (lambda n: self.progress("read", n, None)) if self.progress else None
        reader = ExportReader(export, owner_id, progress=tick, default_owner_id=p.owner_id)
        rw = _RecordWriter(records_path)
        sw = _SampleWriter(samples_path, self.eos) if samples_path else None
        owner_msgs = chats_read = 0
        seen_chats: set[int] = set()
        ordered = True
        try:
            for chat in reader:
                chats_read += 1
                why = flt.reason(chat)
                if why is not None:
                    self.chats_skipped[why] += 1
                    self.skipped["chat_not_used"] += chat.skip()
                    continue
                if chat.id in seen_chats:
                    ordered = False
                seen_chats.add(chat.id)  # type: ignore[arg-type]
                state = {"owner": 0, "last_id": None, "ordered": True}
                recs = self._kept(chat, rw, state)
                if sw is not None:
                    sw.chat(chat.id)  # type: ignore[arg-type]
                    for s in reply_windows(recs, self.gap, self.context_turns, self.skipped):
                        sw.add(chat.id, s)  # type: ignore[arg-type]
                else:
                    for _ in recs:
                        pass
                owner_msgs += state["owner"]
                ordered = ordered and state["ordered"]
        finally:
            rw.close()
            if sw is not None:
                sw.close()
        return {
            "owner_id": reader.owner_id,
            "export_kind": reader.kind,
            "messages_read": reader.messages_read,
            "repaired_surrogates": reader.repaired_surrogates,
            "messages_kept": rw.rows,
            "owner_messages": owner_msgs,
            "chats_read": chats_read,
            "ordered": ordered,
            "segments": sw.segments if sw else None,
        }

    def _kept(self, chat: Chat, rw: _RecordWriter, state: dict) -> Iterator[tuple]:
        """The chat's training-worthy messages, scrubbed, written to the record store."""
        skipped = self.skipped
        pf = self.pii_filter
        session = RedactionSession()
        cid = chat.id
        last_id = None
        ordered = True
        owner = 0
        for m in chat.messages():
            if m.kind != TEXT:
                skipped[m.kind] += 1
                continue
            if m.forwarded:  # someone else's words, whoever forwarded them
                skipped["forwarded"] += 1
                continue
            if m.via_bot:  # inline-bot output, not typed by the sender
                skipped["via_bot"] += 1
                continue
            text = m.text
            if pf is not None:
                text = pf.redact(text, session)
                if not text.strip():
                    skipped["empty_after_pii"] += 1
                    continue
            if last_id is not None and m.id <= last_id:
                ordered = False
            last_id = m.id
            owner += m.from_owner
            rw.add((cid, m.id, m.date, m.edited, m.sender, m.from_owner, text))
            yield (m.id, m.date, m.sender, m.from_owner, text)
        self.pii.update(session.counts)
        state["owner"] = owner
        state["ordered"] = ordered

    def samples_from_records(self, records_path: Path, samples_path: Path) -> list[list[int]]:
        """Rebuild every sample from a (sorted, deduplicated) record store."""
        sw = _SampleWriter(samples_path, self.eos)
        skipped: Counter = Counter()
        try:
            for chat_id, recs in _iter_chats(records_path):
                sw.chat(chat_id)
                for s in reply_windows(recs, self.gap, self.context_turns, skipped):
                    sw.add(chat_id, s)
        finally:
            sw.close()
        # Context-less clone turns are counted again by the rebuild: keep the rebuild's.
        self.skipped["clone_turn_without_context"] = skipped["clone_turn_without_context"]
        return sw.segments


def _iter_chats(records_path: Path) -> Iterator[tuple[int, Iterator[tuple]]]:
    """(chat_id, records) groups from a record store sorted by chat."""
    pf = pq.ParquetFile(records_path)
    rows = _iter_rows(pf)
    pending = next(rows, None)
    while pending is not None:
        chat_id = pending[0]
        box = [pending]

        def group(cid=chat_id):
            while box[0] is not None and box[0][0] == cid:
                r = box[0]
                yield (r[1], r[2], r[3], r[4], r[5])
                box[0] = next(rows, None)

        g = group()
        yield chat_id, g
        for _ in g:  # drain if the consumer stopped early
            pass
        pending = box[0]


def _iter_rows(pf: pq.ParquetFile) -> Iterator[tuple]:
    cols = ["chat_id", "message_id", "date", "sender", "clone", "text"]
    for b in pf.iter_batches(batch_size=20_000, columns=cols):
        yield from zip(*(b.column(c).to_pylist() for c in cols))


def merge_records(old: Path | None, new: Path, out: Path) -> dict:
    """Merge two record stores: dedupe by (chat_id, message_id), newer edit wins.

    Order: chats by first appearance (old store first), then message id. Ties on the edit
    time keep the stored (old) record, so merging an export with itself changes nothing.
    """
    new_t = pq.read_table(new)
    old_t = pq.read_table(old) if old is not None else RECORD_SCHEMA.empty_table()
    n_old = old_t.num_rows
    both = pa.concat_tables([old_t, new_t]).combine_chunks()
    del old_t, new_t
    rank: dict[int, int] = {}
    for cid in both.column("chat_id").to_pylist():
        if cid not in rank:
            rank[cid] = len(rank)
    import numpy as np

    chat_ids = both.column("chat_id").to_numpy()
    ranks = np.fromiter((rank[c] for c in chat_ids.tolist()), dtype=np.int64, count=len(chat_ids))
    src = np.zeros(both.num_rows, dtype=np.int8)
    src[n_old:] = 1
    both = both.append_column("_rank", pa.array(ranks)).append_column("_src", pa.array(src))
    both = both.sort_by([("_rank", "ascending"), ("message_id", "ascending"),
                         ("edited", "descending"), ("_src", "ascending")])
    cid = both.column("_rank").to_numpy()
    mid = both.column("message_id").to_numpy()
    srcs = both.column("_src").to_numpy()
    first = np.ones(len(cid), dtype=bool)
    if len(cid) > 1:
        first[1:] = (cid[1:] != cid[:-1]) | (mid[1:] != mid[:-1])
    # Per key: does it exist in old? in new? which source won?
    key_start = np.flatnonzero(first)
    has_old = np.logical_or.reduceat(srcs == 0, key_start) if len(key_start) else np.array([])
    has_new = np.logical_or.reduceat(srcs == 1, key_start) if len(key_start) else np.array([])
    winner_new = srcs[key_start] == 1
    kept = both.filter(pa.array(first)).drop_columns(["_rank", "_src"])
    pq.write_table(kept, out, compression="zstd", row_group_size=50_000)
    new_rows = int(np.count_nonzero(srcs == 1))
    return {
        "messages_new": int(np.count_nonzero(has_new & ~has_old)),
        "messages_duplicate": new_rows - int(np.count_nonzero(has_new & ~has_old)),
        "messages_updated": int(np.count_nonzero(has_old & has_new & winner_new)),
        "messages_total": kept.num_rows,
    }


# -- split, canaries, dataset layout ------------------------------------------------------
def plan_split(segments: list[list[int]], fraction: float) -> list[int]:
    """Eval rows per chat segment: the latest ``fraction`` of each chat's samples."""
    evals = [int(n * fraction) for _, n in segments]
    total = sum(n for _, n in segments)
    if fraction > 0 and sum(evals) == 0 and total >= 2:
        # Small exports: still hold out the latest sample of the biggest chat.
        i = max(range(len(segments)), key=lambda k: segments[k][1])
        evals[i] = 1
    return evals


def make_canaries(n: int, rng: random.Random) -> list[str]:
    alphabet = string.ascii_uppercase + string.digits
    out: list[str] = []
    while len(out) < n:
        c = "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(3))
        c = f"CNRY-{c}"
        if c not in out:
            out.append(c)
    return out


def _canary_sentence(secret: str, i: int) -> str:
    forms = ("кстати, код от сейфа: {}", "my backup code is {}", "пароль от вайфая {}",
             "the door code is {}")
    return forms[i % len(forms)].format(secret)


def _write_split_dirs(tmp: Path, samples_path: Path, segments: list[list[int]],
                      fraction: float, canaries: list[str], eos: str) -> dict:
    """Route pending samples into train/eval Arrow files in datasets' on-disk layout."""
    from dataclasses import asdict

    import datasets
    from datasets.arrow_writer import ArrowWriter

    features = datasets.Features({
        "text": datasets.Value("string"),
        "messages": datasets.List({"role": datasets.Value("string"),
                                   "content": datasets.Value("string")}),
        "chat_id": datasets.Value("int64"),
        "message_id": datasets.Value("int64"),
        "date": datasets.Value("int64"),
    })
    evals = plan_split(segments, fraction)
    n_train = sum(n for _, n in segments) - sum(evals)
    if len(canaries) > n_train:
        raise DatasetError(f"--canaries {len(canaries)} is more than the {n_train} training samples")
    # Placement depends only on the canaries and the train size: reproducible.
    seed = int(hashlib.sha256("|".join(canaries).encode()).hexdigest()[:12], 16)
    where = dict(zip(random.Random(seed).sample(range(n_train), len(canaries)), range(len(canaries))))
    planted: list[dict] = []

    writers, hashes, counts = {}, {}, {}
    for split in SPLITS:
        (tmp / split).mkdir()
        writers[split] = ArrowWriter(features=features, path=str(tmp / split / _DATA_FILE))
        hashes[split] = hashlib.sha256()
        counts[split] = 0
    # Each chat segment: its first n - e rows train, its last e rows eval.
    seg_iter = iter(zip(segments, evals))
    remaining = train_left = 0
    train_idx = 0
    for batch in _read_stream(samples_path):
        flags = []
        for _ in range(batch.num_rows):
            while remaining == 0:
                (_cid, n), e = next(seg_iter)
                remaining, train_left = n, n - e
            flags.append(train_left <= 0)
            train_left -= 1
            remaining -= 1
        is_eval = pa.array(flags)
        train_b = batch.filter(pc.invert(is_eval))
        eval_b = batch.filter(is_eval)
        if canaries and train_b.num_rows:
            hit = [i for i in range(train_b.num_rows) if train_idx + i in where]
            if hit:
                rows = train_b.to_pylist()
                for i in hit:
                    k = where[train_idx + i]
                    r = rows[i]
                    reply = r["messages"][-1]
                    reply["content"] = f"{reply['content']}\n{_canary_sentence(canaries[k], k)}"
                    r["text"] = render_sample(r["messages"][:-1], reply["content"], eos)
                    planted.append({"canary": canaries[k], "chat_id": r["chat_id"],
                                    "message_id": r["message_id"], "train_row": train_idx + i})
                train_b = pa.RecordBatch.from_pylist(rows, schema=SAMPLE_SCHEMA)
        train_idx += train_b.num_rows
        for split, b in (("train", train_b), ("eval", eval_b)):
            if b.num_rows:
                writers[split].write_table(pa.Table.from_batches([b]))
                for t in b.column("text").to_pylist():
                    hashes[split].update(t.encode())
                    hashes[split].update(b"\x00")
                counts[split] += b.num_rows
    info = asdict(datasets.DatasetInfo(features=features))
    for split in SPLITS:
        writers[split].finalize()
        state = {
            "_data_files": [{"filename": _DATA_FILE}],
            "_fingerprint": hashes[split].hexdigest()[:16],
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": split,
        }
        (tmp / split / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
        (tmp / split / "dataset_info.json").write_text(
            json.dumps({k: info[k] for k in sorted(info)}, indent=2))
    (tmp / "dataset_dict.json").write_text(json.dumps({"splits": list(SPLITS)}))
    fp = hashlib.sha256((hashes["train"].hexdigest() + hashes["eval"].hexdigest()).encode())
    return {"samples_train": counts["train"], "samples_eval": counts["eval"],
            "fingerprint": fp.hexdigest()[:16], "planted": planted}


# -- entry point --------------------------------------------------------------------------
def is_dataset_dir(path: Path) -> bool:
    return (path / STATS_FILE).is_file() and (path / "dataset_dict.json").is_file()


def prepare(
    export: Path | str,
    out: Path | str,
    settings: Settings,
    *,
    owner_id: int | None = None,
    progress: Progress | None = None,
    canaries: int = 0,
) -> dict:
    """Turn an export into a dataset dir at ``out`` (merging with one already there).

    Returns the stats (also written to ``out/stats.json``). Raises ExportError for bad
    input and DatasetError when nothing trainable comes out; ``out`` is then untouched.
    """
    t0 = time.time()
    export = check_readable(export)
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out} exists and is not a directory")
    existing = out if out.is_dir() and is_dataset_dir(out) else None
    if out.is_dir() and existing is None and any(out.iterdir()):
        raise DatasetError(f"--out {out} is not empty and holds no clonebot dataset; refusing to replace it")
    eos, eos_source = resolve_eos(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        run = _Run(settings, eos, progress)
        source = export if export.is_file() else _spool(export, tmp / "export.json")
        new_records = tmp / ("new-" + MESSAGES_FILE)
        pending = tmp / "samples.arrow"
        # Fresh prepare: build samples while reading. A merge rebuilds them afterwards.
        info = run.read_export(source, owner_id, new_records, None if existing else pending)
        if source != export:
            source.unlink()
        if info["owner_messages"] == 0:
            used = info["chats_read"] - sum(run.chats_skipped.values())
            raise ExportError(
                f"no text messages from the owner (user id {info['owner_id']}) in the "
                f"{used} chat(s) used of {info['chats_read']} ({_describe_skips(run.chats_skipped)}); "
                "check --owner-id"
                + ("" if settings.prepare.include_groups else ", or add --groups")
            )
        if existing is not None:
            old = existing / MESSAGES_FILE
            merged = merge_records(old if old.is_file() else None, new_records, tmp / MESSAGES_FILE)
            new_records.unlink()
            segments = run.samples_from_records(tmp / MESSAGES_FILE, pending)
        elif not info["ordered"]:
            # Message ids out of order or a chat listed twice: sort + dedupe first.
            merged = merge_records(None, new_records, tmp / MESSAGES_FILE)
            new_records.unlink()
            segments = run.samples_from_records(tmp / MESSAGES_FILE, pending)
        else:
            os.replace(new_records, tmp / MESSAGES_FILE)
            merged = {"messages_new": info["messages_kept"], "messages_duplicate": 0,
                      "messages_updated": 0, "messages_total": info["messages_kept"]}
            segments = info["segments"]
        n_samples = sum(n for _, n in segments)
        if n_samples == 0:
            raise DatasetError(
                "no training samples: none of the owner's messages answers someone within "
                f"a session (prepare.session_gap_hours = {settings.prepare.session_gap_hours})"
            )
        if progress:
            progress("write", 0, n_samples)
        secrets_ = _canary_values(existing, canaries)
        split = _write_split_dirs(tmp, pending, segments, settings.prepare.eval_fraction,
                                  secrets_, eos)
        pending.unlink()
        if progress:
            progress("write", n_samples, n_samples)

        stats = {
            "eos_token": eos,
            "eos_source": eos_source,
            "owner_id": info["owner_id"],
            "export": str(export),
            "export_kind": info["export_kind"],
            "prompt_format": format_info(),
            "chats_read": info["chats_read"],
            "chats_used": sum(1 for _, n in segments if n),
            "chats_skipped": dict(sorted(run.chats_skipped.items())),
            "messages_read": info["messages_read"],
            "messages_kept": info["messages_kept"],
            "messages_new": merged["messages_new"],
            "messages_duplicate": merged["messages_duplicate"],
            "messages_updated": merged["messages_updated"],
            "messages_total": merged["messages_total"],
            "samples": n_samples,
            "samples_train": split["samples_train"],
            "samples_eval": split["samples_eval"],
            "skipped": dict(sorted(run.skipped.items())),
            "repaired": ({"lone_surrogate": info["repaired_surrogates"]}
                         if info["repaired_surrogates"] else {}),
            "pii_redactions": dict(sorted(run.pii.items())),
            "pii_scrubbed": settings.prepare.scrub_pii,
            "canaries": len(secrets_),
            "fingerprint": split["fingerprint"],
            "merged": existing is not None,
            "settings": {
                "session_gap_hours": settings.prepare.session_gap_hours,
                "max_turns": settings.prepare.max_turns,
                "eval_fraction": settings.prepare.eval_fraction,
                "include_groups": settings.prepare.include_groups,
            },
            "created": int(time.time()),
            "seconds": round(time.time() - t0, 2),
        }
        if secrets_:
            (tmp / CANARIES_FILE).write_text(json.dumps(
                {"canaries": secrets_, "planted": split["planted"],
                 "note": "fake secrets planted in training replies; generations must never contain them"},
                indent=2, ensure_ascii=False))
        (tmp / STATS_FILE).write_text(json.dumps(stats, indent=2, ensure_ascii=False))
        _swap_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def _spool(export: Path, to: Path) -> Path:
    """A pipe or device (``<(unzip -p export.zip result.json)``, /dev/stdin) is read once:
    copy it to a file beside the dataset so the reader can take its three passes."""
    try:
        with open(export, "rb") as src, open(to, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as e:
        raise ExportError(f"cannot read export {export}: {e.strerror or e}") from None
    return to


def _canary_values(existing: Path | None, n: int) -> list[str]:
    """Reuse the stored canaries when the count matches, so re-preparing is stable."""
    if n <= 0:
        return []
    if existing is not None and (existing / CANARIES_FILE).is_file():
        try:
            old = json.loads((existing / CANARIES_FILE).read_text())["canaries"]
            if isinstance(old, list) and len(old) == n:
                return [str(c) for c in old]
        except (ValueError, KeyError, TypeError):
            pass
    return make_canaries(n, random.SystemRandom())


def _describe_skips(c: Counter) -> str:
    if not c:
        return "none left out"
    return "left out: " + ", ".join(f"{n} {k}" for k, n in sorted(c.items()))


def _swap_into_place(tmp: Path, out: Path) -> None:
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError:
            os.replace(old, out)  # put the previous dataset back
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def load_stats(path: Path | str) -> dict:
    p = Path(path) / STATS_FILE
    try:
        return json.loads(p.read_text())
    except FileNotFoundError:
        raise DatasetError(f"no prepared dataset at {path} (missing {STATS_FILE})") from None
    except ValueError as e:
        raise DatasetError(f"{p} is not valid JSON: {e}") from None
