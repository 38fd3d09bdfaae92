"""``prepare()``: the order of the steps from an export to an installed dataset, and its
stats. See the package docstring for the layout."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from clonebot.config import Settings
from clonebot.errors import DatasetError, ExportError
from clonebot.fsutil import atomic_write_text
from clonebot.prompt_format import format_info
from training.dataset.bot_messages import bot_message_ids, find_store
from training.dataset.canaries import CANARIES_FILE, canary_values
from training.dataset import output_dir
from training.dataset.output_dir import OutputDir, damaged
from training.dataset.pipeline import Pipeline, Progress
from training.dataset.records import MESSAGES_FILE, RecordStoreError, merge_records
from training.dataset.splits import STATS_FILE, write_split_dirs
from training.dataset.sources import TELEGRAM, WHATSAPP
from training.export import ExportReader
from training.export.inputs import Inputs, collect, sniff
from training.export.whatsapp import ChatFile, WhatsAppReader

# Below this size an export is read in this process: starting workers would cost more.
_SMALL_EXPORT = 8 << 20
# Past ~3 workers the reading process is the bottleneck (it parses at one core's speed), and
# each worker adds ~25 MB.
_MAX_AUTO_WORKERS = 3


def prepare(
    export: Path | str | Sequence[Path | str],
    out: Path | str,
    settings: Settings,
    *,
    owner_id: int | None = None,
    owner_name: str | None = None,
    progress: Progress | None = None,
    canaries: int = 0,
    allow_other_owner: bool = False,
) -> dict:
    """Turn exports into a dataset dir at ``out`` (merging with one already there).

    ``export``: one path or several, each a Telegram export, a WhatsApp chat (.txt/.zip) or
    a folder of them (``training.export.inputs``). ``owner_name``: the owner as WhatsApp
    shows them (default ``prepare.owner_name``, then the names the dataset at ``out``
    already holds). Returns the stats (also written to ``out/stats.json``). Raises
    ExportError for bad input and DatasetError when nothing trainable comes out, when
    ``out`` holds a damaged dataset, or one of another account (unless
    ``allow_other_owner``); ``out`` is then untouched.
    """
    t0 = time.time()
    exports = [export] if isinstance(export, (str, os.PathLike)) else list(export)
    if not exports:
        raise ExportError("no export given")
    inputs = collect(exports)
    # Arrow takes its memory from malloc here, not from jemalloc: while worker processes feed
    # this one, jemalloc's per-thread arenas kept ~50 MB more resident (bench_prepare: PSS
    # 270 -> 222 MiB in all), at no cost in speed.
    pa.set_memory_pool(pa.system_memory_pool())
    target = OutputDir(out)
    with target:
        found = target.existing()
        existing, old_stats = found if found else (None, {})
        store = find_store(settings)
        bot_ids = bot_message_ids(store)
        tmp = target.make_tmp()
        try:
            build = _Build(inputs, tmp, settings, progress, existing, old_stats,
                           allow_other_owner, store, bot_ids)
            stats = build.run(owner_id, owner_name, canaries)
            stats["recovered"] = target.recovered
            stats["seconds"] = round(time.time() - t0, 2)
            # Written last, atomically: a tmp dir with stats.json is a complete dataset.
            atomic_write_text(tmp / STATS_FILE, json.dumps(stats, indent=2, ensure_ascii=False),
                              fsync=False)
            target.install(tmp)
        except OSError as e:
            raise DatasetError(f"cannot write the dataset next to {target.out}: "
                               f"{e.strerror or e}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return stats


def workers_for(settings: Settings, inputs: Inputs | Path, spooled: list[Path] = ()) -> int:
    """``prepare.workers``: "auto" = one worker process per usable core, at most 3 (this
    one reads the exports meanwhile; an extra process also keeps the pipeline moving when
    the cores are shared), none for small exports or a single core; 0 = everything in this
    process; N = N worker processes."""
    n = settings.prepare.workers
    if n != "auto":
        return n
    try:
        if isinstance(inputs, Path):
            size = inputs.stat().st_size
        else:
            size = (sum(p.stat().st_size for p in [*inputs.telegram, *spooled])
                    + sum(f.size for f in inputs.whatsapp))
        if size < _SMALL_EXPORT:
            return 0
    except OSError:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 0 if (cores or 1) < 2 else min(cores, _MAX_AUTO_WORKERS)


class _Build:
    """One prepare's inputs, and the steps that turn them into a complete tmp dir."""

    def __init__(self, inputs: Inputs, tmp: Path, settings: Settings,
                 progress: Progress | None, existing: Path | None, old_stats: dict,
                 allow_other_owner: bool, store: Path | None = None,
                 bot_ids: frozenset = frozenset()):
        self.inputs = inputs
        self.tmp = tmp
        self.settings = settings
        self.progress = progress
        self.existing = existing
        self.old_owners = _owners(old_stats)
        self.old_names = _names(old_stats)
        self.allow_other_owner = allow_other_owner
        self.seen_owners: list[int] = []
        self.store = store  # the bot's approval store, if any (bot_messages.py)
        self.bot_ids = bot_ids  # (chat, message) ids the clone sent, read from it

    def check_owner(self, new_owner: int) -> None:
        known = sorted({*self.old_owners, *self.seen_owners})
        self.seen_owners.append(new_owner)
        if known and new_owner not in known and not self.allow_other_owner:
            where = (f"{self.existing} holds the dataset of" if self.existing and self.old_owners
                     else "another export given here is")
            raise DatasetError(
                f"{where} user {', '.join(map(str, known))}; "
                f"this export is user {new_owner}'s, and merging would train one clone on two "
                "people. Use another --out, or pass --allow-other-owner to merge them anyway")

    def _readers(self, owner_id: int | None, owner_name: str | None,
                 spooled: list[Path]) -> tuple[list, WhatsAppReader | None]:
        """(source, reader) pairs: each Telegram export, then every WhatsApp chat in one."""
        p = self.settings.prepare
        tick = (lambda n: self.progress("read", n, None)) if self.progress else None
        telegram, whatsapp = list(self.inputs.telegram), list(self.inputs.whatsapp)
        for path in spooled:  # a pipe's copy: a Telegram export or a WhatsApp chat
            if sniff(path) == "telegram":
                telegram.append(path)
            else:
                whatsapp.append(ChatFile(f"{path.name} (from a pipe)", "chat",
                                         lambda path=path: open(path, "rb"), path.stat().st_size))
        readers: list = [(TELEGRAM, ExportReader(path, owner_id, progress=tick,
                                                 default_owner_id=p.owner_id))
                         for path in telegram]
        wa = None
        if whatsapp:
            names = [owner_name] if owner_name else (
                [p.owner_name] if p.owner_name else self.old_names)
            wa = WhatsAppReader(whatsapp, names, progress=tick)
            wa.open()  # scans every chat: its errors come before anything is read
            readers.append((WHATSAPP, wa))
        return readers, wa

    def run(self, owner_id: int | None, owner_name: str | None, canaries: int) -> dict:
        p = self.settings.prepare
        tmp, existing = self.tmp, self.existing
        spooled = [_spool(pipe, tmp / f"export-{i}") for i, pipe in enumerate(self.inputs.pipes)]
        readers, wa = self._readers(owner_id, owner_name, spooled)
        new_records = tmp / ("new-" + MESSAGES_FILE)
        pending = tmp / "samples.arrow"
        with Pipeline(self.settings, workers_for(self.settings, self.inputs, spooled),
                      self.progress) as pipeline:
            # Fresh prepare: build samples while reading. A merge rebuilds them afterwards.
            info = pipeline.read_export(readers, new_records,
                                        None if existing else pending, self.check_owner,
                                        self.bot_ids)
            for path in spooled:
                path.unlink()
            output_dir.reached("records_written")
            if info["owner_messages"] == 0:
                used = info["chats_read"] - sum(pipeline.chats_skipped.values())
                who = " / ".join(
                    ([f"user id {', '.join(map(str, info['owner_ids']))}"]
                     if info["owner_ids"] else [])
                    + ([", ".join(map(repr, sorted(wa.owner_spellings or wa.owner_names)))]
                       if wa else []))
                check = " / ".join((["--owner-id"] if info["owner_ids"] else [])
                                   + (["--owner-name"] if wa else []))
                raise ExportError(
                    f"no text messages from the owner ({who}) in the "
                    f"{used} chat(s) used of {info['chats_read']} "
                    f"({_describe_skips(pipeline.chats_skipped)}); check {check}"
                    + ("" if p.include_groups else ", or add --groups"))
            if existing is not None or not info["ordered"]:
                # A merge, or message ids out of order / a chat listed twice: sort + dedupe.
                try:
                    merged = merge_records(existing / MESSAGES_FILE if existing else None,
                                           new_records, tmp / MESSAGES_FILE, self.bot_ids)
                except RecordStoreError as e:
                    raise damaged(existing or tmp, str(e)) from None
                new_records.unlink()
                segments = pipeline.samples_from_records(tmp / MESSAGES_FILE, pending)
            else:
                os.replace(new_records, tmp / MESSAGES_FILE)
                merged = {"messages_new": info["messages_kept"], "messages_duplicate": 0,
                          "messages_updated": 0, "messages_total": info["messages_kept"],
                          "messages_bot": info["bot_messages"]}
                segments = info["segments"]
        n_samples = sum(n for _, n in segments)
        if n_samples == 0:
            raise DatasetError(
                "no training samples: none of the owner's messages answers someone within "
                f"a session (prepare.session_gap_hours = {p.session_gap_hours})")
        if self.progress:
            self.progress("write", 0, n_samples)
        secrets_ = canary_values(existing, canaries)
        split = write_split_dirs(tmp, pending, segments, p.eval_fraction, secrets_)
        pending.unlink()
        output_dir.reached("samples_written")
        if self.progress:
            self.progress("write", n_samples, n_samples)
        if split["canaries"]:
            (tmp / CANARIES_FILE).write_text(split["canaries"])
        repaired = info["repaired_surrogates"]
        paths = self.inputs.paths
        stats = {
            "owner_id": info["owner_id"],
            "owner_ids": sorted({*self.old_owners, *info["owner_ids"]}),
            "export": paths[0] if len(paths) == 1 else paths,
            "export_kind": info["export_kind"],
            "prompt_format": format_info(),
            "chats_read": info["chats_read"],
            "chats_used": sum(1 for _, n in segments if n),
            "chats_skipped": dict(sorted(pipeline.chats_skipped.items())),
            "messages_read": info["messages_read"],
            "messages_kept": info["messages_kept"],
            "messages_new": merged["messages_new"],
            "messages_duplicate": merged["messages_duplicate"],
            "messages_updated": merged["messages_updated"],
            "messages_total": merged["messages_total"],
            "samples": n_samples,
            "samples_train": split["samples_train"],
            "samples_eval": split["samples_eval"],
            "skipped": dict(sorted(pipeline.skipped.items())),
            "repaired": {"lone_surrogate": repaired} if repaired else {},
            "pii_redactions": dict(sorted(pipeline.pii.items())),
            # The clone's own messages in the history: context only, never a reply to learn.
            "sent_by_bot": {
                "approval_store": str(self.store) if self.store else None,
                "ids_in_store": len(self.bot_ids),
                "messages": merged["messages_bot"],
                "turns_not_learned": pipeline.skipped["sent_by_bot"],
            },
            "pii_scrubbed": p.scrub_pii,
            "canaries": len(secrets_),
            "fingerprint": split["fingerprint"],
            "merged": existing is not None,
            "sources": pipeline.by_source.stats(segments),
            "settings": {
                "session_gap_hours": p.session_gap_hours,
                "context_turns": p.context_turns,
                "eval_fraction": p.eval_fraction,
                "include_groups": p.include_groups,
            },
            "created": int(time.time()),
            "seconds": None,  # filled in by prepare()
        }
        names = sorted({*self.old_names, *(wa.owner_spellings if wa else ())})
        if names:
            stats["owner_names"] = names
        if self.inputs.passed_over:
            stats["files_passed_over"] = self.inputs.passed_over
        return stats


def _owners(stats: dict) -> list[int]:
    ids = stats.get("owner_ids")
    if not isinstance(ids, list):
        ids = [stats.get("owner_id")]
    return sorted({i for i in ids if type(i) is int})


def _names(stats: dict) -> list[str]:
    names = stats.get("owner_names")
    return sorted({n for n in names if isinstance(n, str) and n.strip()}) \
        if isinstance(names, list) else []


def _spool(export: Path, to: Path) -> Path:
    """A pipe or device (``<(unzip -p export.zip result.json)``, /dev/stdin) is read once:
    copy it to a file beside the dataset so the reader can take its three passes."""
    try:
        with open(export, "rb") as src, open(to, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as e:
        raise ExportError(f"cannot read export {export}: {e.strerror or e}") from None
    return to


def _describe_skips(c: Counter) -> str:
    if not c:
        return "none left out"
    return "left out: " + ", ".join(f"{k} {n}" for k, n in sorted(c.items()))
