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
from clonebot.fsutil import atomic_write_text, disk_full_message, is_disk_full, tree_size
from clonebot.prompt_format import format_info
from training.dataset.bot_messages import bot_message_ids, find_store
from training.dataset.canaries import CANARIES_FILE, canary_values
from training.dataset import output_dir
from training.dataset.output_dir import OutputDir, damaged
from training.dataset.pipeline import Pipeline
from training.dataset.workers import SMALL_EXPORT, ProcessWorkers, workers_for
from training.progress import Progress
from training.dataset.records import MESSAGES_FILE, RecordStoreError, merge_records
from training.dataset.splits import STATS_FILE, plan_split, write_split_dirs
from training.dataset.sources import TELEGRAM, WHATSAPP
from training.export import ExportReader
from training.export.inputs import Inputs, collect, pipe_problem, piped_kind
from training.export.spool import SpooledPipe
from training.export.whatsapp import ChatFile, WhatsAppReader

# What a build writes at its peak, per byte of export (records, pending samples, and the
# train/eval files written from them): ~0.6 measured on a synthetic 146 MB export.
_PEAK_PER_EXPORT_BYTE = 0.7
_NAMED = 20  # chats named in stats.json per kind of trouble (the counts are complete)


def prepare(
    export: Path | str | Sequence[Path | str] | Inputs,
    out: Path | str,
    settings: Settings,
    *,
    owner_id: int | None = None,
    owner_name: str | None = None,
    progress: Progress | None = None,
    canaries: int = 0,
    allow_other_owner: bool = False,
    early_workers: ProcessWorkers | None = None,
) -> dict:
    """Turn exports into a dataset dir at ``out`` (merging with one already there).

    ``export``: one path or several, each a Telegram export, a WhatsApp chat (.txt/.zip) or
    a folder of them, or those already sorted (``training.export.inputs.collect``). ``owner_name``: the owner as WhatsApp
    shows them (default ``prepare.owner_name``, then the names the dataset at ``out``
    already holds). Returns the stats (also written to ``out/stats.json``). Raises
    ExportError for bad input and DatasetError when nothing trainable comes out, when
    ``out`` holds a damaged dataset, or one of another account (unless
    ``allow_other_owner``); ``out`` is then untouched. ``early_workers``: worker processes
    started ahead (``workers.start_early``), used if they are the ones this build wants.
    """
    t0 = time.time()
    if isinstance(export, Inputs):
        inputs = export
    else:
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
        build = None
        try:
            build = _Build(inputs, tmp, settings, progress, existing, old_stats,
                           allow_other_owner, store, bot_ids, early_workers)
            stats = build.run(owner_id, owner_name, canaries)
            stats["recovered"] = target.recovered
            stats["seconds"] = round(time.time() - t0, 2)
            # Written last, atomically: a tmp dir with stats.json is a complete dataset.
            atomic_write_text(tmp / STATS_FILE, json.dumps(stats, indent=2, ensure_ascii=False),
                              fsync=False)
            target.install(tmp)
        except Exception as e:  # noqa: BLE001 - Arrow wraps a full disk in its own errors
            if is_disk_full(e):
                needed = build.space_needed() if build is not None else None
                raise DatasetError(disk_full_message(
                    "the new dataset" + ("; the old one is untouched" if existing else ""),
                    target.out, needed)) from None
            if isinstance(e, OSError):
                raise DatasetError(f"cannot write the dataset next to {target.out}: "
                                   f"{e.strerror or e}") from None
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return stats


class _Build:
    """One prepare's inputs, and the steps that turn them into a complete tmp dir."""

    def __init__(self, inputs: Inputs, tmp: Path, settings: Settings,
                 progress: Progress | None, existing: Path | None, old_stats: dict,
                 allow_other_owner: bool, store: Path | None = None,
                 bot_ids: frozenset = frozenset(), early_workers: ProcessWorkers | None = None):
        self.inputs = inputs
        self.tmp = tmp
        self.settings = settings
        self.progress = progress
        self.existing = existing
        self.old_owners = _owners(old_stats, existing)
        self.old_names = _names(old_stats)
        self.allow_other_owner = allow_other_owner
        self.seen_owners: list[int] = []
        self.store = store  # the bot's approval store, if any (bot_messages.py)
        self.bot_ids = bot_ids  # (chat, message) ids the clone sent, read from it
        self.spools: list[SpooledPipe] = []  # the pipes among the inputs, copied as read
        self.wa: WhatsAppReader | None = None
        self.early_workers = early_workers

    def space_needed(self) -> int:
        """What this build needs on the disk of its tmp dir, about: its peak for exports
        of this size (the copies of piped ones too), at least what it had written."""
        piped = sum(sp.copied for sp in self.spools)
        try:
            size = (sum(p.stat().st_size for p in self.inputs.telegram)
                    + sum(f.size for f in self.inputs.whatsapp))
        except OSError:
            size = 0
        peak = piped + int((size + piped) * _PEAK_PER_EXPORT_BYTE)
        if self.existing is not None:
            peak += tree_size(self.existing / MESSAGES_FILE) * 2
        return max(peak, tree_size(self.tmp))

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

    def _readers(self, owner_id: int | None,
                 owner_name: str | None) -> tuple[list, WhatsAppReader | None]:
        """(source, reader) pairs: each Telegram export, then every WhatsApp chat in one.

        A pipe or device (``<(unzip -p export.zip result.json)``, /dev/stdin) is read once:
        copied beside the dataset (``training.export.spool``). A Telegram export is parsed
        while it is copied; a WhatsApp chat, scanned whole before it is read, is copied
        first. Both stop at ``prepare.pipe_limit_gb``."""
        p = self.settings.prepare
        tick = (lambda n: self.progress("read", n, None)) if self.progress else None
        readers: list = [(TELEGRAM, ExportReader(path, owner_id, progress=tick,
                                                 default_owner_id=p.owner_id))
                         for path in self.inputs.telegram]
        whatsapp = list(self.inputs.whatsapp)
        limit = int(p.pipe_limit_gb * 1e9)
        for i, pipe in enumerate(self.inputs.pipes):
            sp = SpooledPipe(pipe, self.tmp / f"export-{i}", limit, "prepare.pipe_limit_gb",
                             check=pipe_problem)
            self.spools.append(sp)
            # As many workers as for a file of its size: the first 8 MB tell (what arrives
            # within a second; a slow or stalled writer counts as a big export).
            sp.pull(SMALL_EXPORT, seconds=1.0)
            if piped_kind(str(pipe), sp.head()) == "telegram":
                readers.append((TELEGRAM, ExportReader(pipe, owner_id, progress=tick,
                                                       default_owner_id=p.owner_id, spool=sp)))
            else:
                sp.pull(limit + 1)
                whatsapp.append(ChatFile(f"{pipe} (from a pipe)", "chat",
                                         lambda path=sp.path: open(path, "rb"), sp.copied))
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
        try:
            readers, self.wa = self._readers(owner_id, owner_name)
            piped = sum(sp.copied if sp.eof else SMALL_EXPORT for sp in self.spools)
            new_records = tmp / ("new-" + MESSAGES_FILE)
            pending = tmp / "samples.arrow"
            with Pipeline(self.settings, workers_for(self.settings, self.inputs, piped),
                          self.progress, early=self.early_workers) as pipeline:
                # Fresh prepare: build samples while reading. A merge rebuilds them afterwards.
                info = pipeline.read_export(readers, new_records,
                                            None if existing else pending, self.check_owner,
                                            self.bot_ids)
                self._drop_spools()
                output_dir.reached("records_written")
                if info["owner_messages"] == 0:
                    raise self._no_owner_messages(info, pipeline)
                if existing is not None or not info["ordered"]:
                    # A merge, or message ids out of order / a chat listed twice / ids given
                    # twice in a chat: sort + dedupe.
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
        finally:
            for sp in self.spools:
                sp.close()
        return self._write_splits(pipeline, info, merged, segments, canaries, pending)

    def _drop_spools(self) -> None:
        """The pipes' copies, once read: the dataset is built from the records now."""
        for sp in self.spools:
            sp.close()
            sp.path.unlink(missing_ok=True)
        self.spools = []

    def _no_owner_messages(self, info: dict, pipeline: Pipeline) -> ExportError:
        p, wa = self.settings.prepare, self.wa
        used = info["chats_read"] - sum(pipeline.chats_skipped.values())
        who = " / ".join(
            ([f"user id {', '.join(map(str, info['owner_ids']))}"] if info["owner_ids"] else [])
            + ([", ".join(map(repr, sorted(wa.owner_spellings or wa.owner_names)))]
               if wa else []))
        check = " / ".join((["--owner-id"] if info["owner_ids"] else [])
                           + (["--owner-name"] if wa else []))
        return ExportError(
            f"no text messages from the owner ({who}) in the "
            f"{used} chat(s) used of {info['chats_read']} "
            f"({_describe_skips(pipeline.chats_skipped)}); check {check}"
            + ("" if p.include_groups else ", or add --groups"))

    def _write_splits(self, pipeline: Pipeline, info: dict, merged: dict,
                      segments: list[list[int]], canaries: int, pending: Path) -> dict:
        p = self.settings.prepare
        tmp, existing = self.tmp, self.existing
        n_samples = sum(n for _, n in segments)
        if n_samples == 0:
            raise DatasetError(
                "no training samples: none of the owner's messages answers someone within "
                f"a session (dialogue.session_gap_hours = {self.settings.dialogue.session_gap_hours})")
        n_train = n_samples - sum(plan_split(segments, p.eval_fraction))
        if canaries > n_train:  # said before any of them is made
            raise DatasetError(f"--canaries {canaries} is more than the {n_train} training samples")
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
        skipped = pipeline.skipped
        same, conflicting = merged.get("duplicates_same", 0), merged.get("duplicates_conflicting", 0)
        if same:
            skipped["duplicate_message"] += same
        if conflicting:
            skipped["duplicate_id"] += conflicting
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
            # Of this export, one per (chat, message id): what the record store got from it.
            "messages_kept": info["messages_kept"] - same - conflicting,
            "messages_new": merged["messages_new"],
            "messages_duplicate": merged["messages_duplicate"],
            "messages_updated": merged["messages_updated"],
            "messages_total": merged["messages_total"],
            "samples": n_samples,
            "samples_train": split["samples_train"],
            "samples_eval": split["samples_eval"],
            "skipped": dict(sorted(skipped.items())),
            "cut": dict(sorted(pipeline.cut.items())),
            "repaired": {"lone_surrogate": repaired} if repaired else {},
            "pii_redactions": dict(sorted(pipeline.pii.items())),
            # The clone's own messages in the history: context only, never a reply to learn.
            "sent_by_bot": {
                "approval_store": str(self.store) if self.store else None,
                "ids_in_store": len(self.bot_ids),
                "messages": merged["messages_bot"],
                "turns_not_learned": pipeline.skipped["sent_by_bot"],
            },
            "pii_scrubbed": self.settings.pii.scrub,
            "canaries": len(secrets_),
            "fingerprint": split["fingerprint"],
            "merged": existing is not None,
            "sources": pipeline.by_source.stats(segments),
            "settings": {
                "session_gap_hours": self.settings.dialogue.session_gap_hours,
                "context_turns": p.context_turns,
                "eval_fraction": p.eval_fraction,
                "include_groups": p.include_groups,
            },
            "created": int(time.time()),
            "seconds": None,  # filled in by prepare()
        }
        wa = self.wa
        names = sorted({*self.old_names, *(wa.owner_spellings if wa else ())})
        if names:
            stats["owner_names"] = names
        if self.inputs.passed_over:
            stats["files_passed_over"] = self.inputs.passed_over
        trouble = _duplicates(pipeline, merged)
        if trouble:
            stats["duplicates"] = trouble
        return stats


def _duplicates(pipeline: Pipeline, merged: dict) -> dict:
    """Chats of this export that share an id, and chats that give message ids twice: named
    (the first ``_NAMED`` of each), so the owner can find them."""
    out: dict = {}
    if pipeline.shared_ids:
        out["chats_sharing_an_id"] = [
            {"id": cid, "kept": names[0], "left_out": names[1:]}
            for cid, names in list(pipeline.shared_ids.items())[:_NAMED]]
    dup = merged.get("duplicate_ids") or {}
    if dup:
        out["chats_with_duplicate_message_ids"] = [
            {"id": cid, "name": pipeline.chat_names.get(cid), "messages_dropped": n}
            for cid, n in sorted(dup.items(), key=lambda kv: -kv[1])[:_NAMED]]
    return out


def _owners(stats: dict, existing: Path | None) -> list[int]:
    """Whose dataset ``existing`` is (its stats.json). A dataset always names its owner: a
    stats.json that does not (``"owner_id": "me"``, hand-edited) cannot say whether this
    export is another account's, and is refused rather than merged blindly."""
    if existing is None:
        return []
    ids = stats.get("owner_ids")
    if not isinstance(ids, list):
        ids = [stats["owner_id"]] if stats.get("owner_id") is not None else []
    good = sorted({i for i in ids if type(i) is int})
    if len(good) != len(ids) or not (good or _names(stats)):
        raise damaged(existing, f"{STATS_FILE} does not name its owner by user id "
                                f"(owner_ids {str(ids)[:60]})")
    return good


def _names(stats: dict) -> list[str]:
    names = stats.get("owner_names")
    return sorted({n for n in names if isinstance(n, str) and n.strip()}) \
        if isinstance(names, list) else []


def _describe_skips(c: Counter) -> str:
    if not c:
        return "none left out"
    return "left out: " + ", ".join(f"{k} {n}" for k, n in sorted(c.items()))
