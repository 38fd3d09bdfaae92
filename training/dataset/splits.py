"""Train/eval split and the on-disk layout ``datasets.load_from_disk`` reads.

Eval is the latest part of each chat (no future leaks into training). The Arrow files are
written with pyarrow directly, in the layout and with the metadata ``datasets``' own
``save_to_disk`` uses: importing ``datasets`` here would cost a second and ~100 MB.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clonebot.errors import DatasetError
from training.dataset.arrow_build import from_numpy, string_scalar, to_numpy
from training.dataset.canaries import Planter
from training.dataset.samples import SAMPLE_SCHEMA, read_stream

SPLITS = ("train", "eval")
STATS_FILE = "stats.json"
DATA_FILE = "data-00000-of-00001.arrow"

_VALUE = {"string": {"dtype": "string", "_type": "Value"},
          "int64": {"dtype": "int64", "_type": "Value"}}
_FEATURES = {
    "messages": {"feature": {"role": _VALUE["string"], "content": _VALUE["string"]},
                 "_type": "List"},
    "chat_id": _VALUE["int64"],
    "message_id": _VALUE["int64"],
    "date": _VALUE["int64"],
}
_ARROW_SCHEMA = SAMPLE_SCHEMA.with_metadata(
    {"huggingface": json.dumps({"info": {"features": _FEATURES}})})


def _info_json() -> str:
    """dataset_info.json as ``datasets`` writes it (the fields of its DatasetInfo)."""
    def full(f: dict) -> dict:
        if f["_type"] == "Value":
            return {"dtype": f["dtype"], "id": None, "_type": "Value"}
        return {"feature": {k: full(v) for k, v in f["feature"].items()}, "length": -1,
                "id": None, "_type": "List"}
    info = {"builder_name": None, "citation": "", "config_name": None, "dataset_name": None,
            "dataset_size": None, "description": "", "download_checksums": None,
            "download_size": None, "features": {k: full(v) for k, v in _FEATURES.items()},
            "homepage": "", "license": "", "post_processed": None,
            "post_processing_size": None, "size_in_bytes": None, "splits": None,
            "supervised_keys": None, "version": None}
    return json.dumps(info, indent=2)


def plan_split(segments: list[list[int]], fraction: float) -> list[int]:
    """Eval rows per chat segment: the latest ``fraction`` of each chat's samples."""
    evals = [int(n * fraction) for _, n in segments]
    total = sum(n for _, n in segments)
    if fraction > 0 and sum(evals) == 0 and total >= 2:
        # Small exports: still hold out the latest sample of the biggest chat.
        i = max(range(len(segments)), key=lambda k: segments[k][1])
        evals[i] = 1
    return evals


def _eval_rows(segments: list[list[int]], evals: list[int]) -> np.ndarray:
    """Sorted global row numbers (in the samples stream) that go to eval."""
    ends = np.cumsum([n for _, n in segments], dtype=np.int64)
    parts = [np.arange(end - e, end, dtype=np.int64) for end, e in zip(ends.tolist(), evals) if e]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


# Scalars made once, not from Python strs in each call (``arrow_build``: no pandas import).
_ROW_END, _TURN_END = string_scalar("\x1e\x00"), string_scalar("\x1e")
_FIELD_SEP, _NOTHING = string_scalar("\x1f"), string_scalar("")


def _hash_turns(h, batch: pa.RecordBatch) -> None:
    """Feed every row's turns to ``h``: role, content, row ends apart by separators
    (role \x1f content \x1e per turn, \x00 after a row), built by Arrow kernels and hashed
    from their buffer: no Python string per turn."""
    messages = batch.column("messages")
    turns = messages.flatten()
    lengths = np.diff(to_numpy(messages.offsets))  # turns per row (rows are never null)
    if (lengths == 0).any():  # a row with no turns is "\x00" alone: never written so, kept exact
        return _hash_turns_slowly(h, batch)
    last = np.zeros(len(turns), dtype=bool)
    last[np.cumsum(lengths) - 1] = True
    ends = pc.if_else(from_numpy(last), _ROW_END, _TURN_END)
    each = pc.binary_join_element_wise(
        pc.binary_join_element_wise(turns.field("role"), turns.field("content"), _FIELD_SEP),
        ends, _NOTHING)
    if not pa.types.is_string(each.type):  # 32-bit offsets read below
        return _hash_turns_slowly(h, batch)
    if len(each):
        _, offsets, data = each.buffers()
        start, end = np.frombuffer(offsets, dtype=np.int32)[[each.offset, each.offset + len(each)]]
        h.update(memoryview(data)[start:end])


def _hash_turns_slowly(h, batch: pa.RecordBatch) -> None:
    messages = batch.column("messages")
    turns = messages.flatten()
    roles = turns.field("role").to_pylist()
    contents = turns.field("content").to_pylist()
    parts: list[str] = []
    i = 0
    for n in messages.value_lengths().to_pylist():
        for role, content in zip(roles[i:i + n], contents[i:i + n]):
            parts += (role, "\x1f", content, "\x1e")
        parts.append("\x00")
        i += n
    h.update("".join(parts).encode())


def write_split_dirs(tmp: Path, samples_path: Path, segments: list[list[int]],
                     fraction: float, canaries: list[str]) -> dict:
    """Route pending samples into train/eval Arrow files in datasets' on-disk layout."""
    evals = plan_split(segments, fraction)
    n_train = sum(n for _, n in segments) - sum(evals)
    if len(canaries) > n_train:
        raise DatasetError(f"--canaries {len(canaries)} is more than the {n_train} training samples")
    planter = Planter(canaries, n_train) if canaries else None
    eval_rows = _eval_rows(segments, evals)
    sinks, writers, hashes, counts = {}, {}, {}, {}
    for split in SPLITS:
        (tmp / split).mkdir()
        sinks[split] = pa.OSFile(str(tmp / split / DATA_FILE), "wb")
        writers[split] = pa.ipc.new_stream(sinks[split], _ARROW_SCHEMA)
        hashes[split] = hashlib.sha256()
        counts[split] = 0
    row = 0
    for batch in read_stream(samples_path):
        lo, hi = np.searchsorted(eval_rows, [row, row + batch.num_rows])
        mask = np.zeros(batch.num_rows, dtype=bool)
        mask[eval_rows[lo:hi] - row] = True
        row += batch.num_rows
        train_b, eval_b = batch.filter(from_numpy(~mask)), batch.filter(from_numpy(mask))
        if planter is not None and train_b.num_rows:
            train_b = planter.plant(train_b, counts["train"])
        for split, b in (("train", train_b), ("eval", eval_b)):
            if b.num_rows:
                writers[split].write_batch(b.replace_schema_metadata(_ARROW_SCHEMA.metadata))
                _hash_turns(hashes[split], b)
                counts[split] += b.num_rows
    info = _info_json()
    for split in SPLITS:
        writers[split].close()
        sinks[split].close()
        state = {
            "_data_files": [{"filename": DATA_FILE}],
            "_fingerprint": hashes[split].hexdigest()[:16],
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": split,
        }
        (tmp / split / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
        (tmp / split / "dataset_info.json").write_text(info)
    (tmp / "dataset_dict.json").write_text(json.dumps({"splits": list(SPLITS)}))
    fp = hashlib.sha256((hashes["train"].hexdigest() + hashes["eval"].hexdigest()).encode())
    return {"samples_train": counts["train"], "samples_eval": counts["eval"],
            "fingerprint": fp.hexdigest()[:16],
            "canaries": planter.manifest() if planter else None}
