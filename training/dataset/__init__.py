"""Export -> scrubbed records -> dialogue windows -> samples (turns) -> dataset dir.

``prepare(export, out, settings)`` is the library entry point behind ``clonebot prepare``.

Output directory (built beside ``out``, then swapped into place)::

    out/dataset_dict.json, out/train/, out/eval/   datasets.load_from_disk(out)
    out/messages.parquet   scrubbed per-message records: what a later prepare merges with
    out/stats.json         counts, owner, settings (context_turns), skipped-by-reason, PII
                           redactions
    out/canaries.json      only with --canaries N

One job per module:

- ``build``: ``prepare()``, the entry point: order of the steps, stats (which chats are
  used is ``clonebot.chat_selection``, shared with ``clonebot fetch``);
- ``pipeline``: the export streamed through scrubbing into records and samples, chats
  spread over worker processes (``prepare.workers``), results written in chat order;
- ``chat_work``: what a worker does with one chat: scrub, record, window;
- ``records``: the record store (``messages.parquet``) and merging two of them;
- ``samples``: samples (turns) and their Arrow stream;
- ``splits``: train/eval split and the ``datasets`` on-disk layout;
- ``canaries``: fake secrets planted in training replies (``--canaries N``);
- ``output_dir``: replacing a dataset without losing it (lock, swap, recovery after a kill).

The dataset depends on no tokenizer: samples are turns, and ``train`` renders them with the
EOS of the tokenizer it loads (recorded in the adapter's manifest, where everything after
takes it from). A dataset written before (a rendered ``text`` column, ``eos_token`` in
stats.json) is read and merged like any other: its extra columns and keys are ignored.

Memory stays flat in the export size: messages stream from ijson, records and samples go
to disk in small batches (parquet / Arrow IPC streams read back batch by batch). Rows are
ordered by chat (first appearance), then message id, whatever the number of workers.
Preparing into a dir that already holds a dataset merges the stored records with the new
export (dedupe by (chat id, message id), newer edit wins) and rebuilds every sample from the
merged set, so preparing the same export twice gives identical rows.
"""

import importlib

# Names resolved on first use (PEP 562): a worker process imports ``chat_work`` through this
# package and should not pay for the rest of it.
_WHERE = {
    "prepare": "build",
    "is_dataset_dir": "output_dir", "load_stats": "output_dir",
    "MESSAGES_FILE": "records", "RECORD_SCHEMA": "records", "merge_records": "records",
    "SAMPLE_SCHEMA": "samples", "STATS_FILE": "splits", "plan_split": "splits",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
