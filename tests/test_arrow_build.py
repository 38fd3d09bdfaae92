"""Arrow arrays from buffers (training/dataset/arrow_build.py) hold what ``pa.array`` would,
columns sent by workers as Arrow lays them out (column_buffers.py) build the same ones, and a fresh
prepare never makes pyarrow import pandas."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pickle

import numpy as np
import pyarrow as pa
import pytest

from training.dataset import arrow_build as ab
from training.dataset.column_buffers import (BoolColumn, Int64Column, TextColumn, bool_column,
                                             int64_column, text_column)

SAMPLE = Path(__file__).resolve().parents[1] / "exports" / "sample" / "result.json"
_ALPHABET = "ab z09\n\t\x00\x1e" + "éßпривет" + "日本語" + "😀🙂\U0001f9d1\u200d\U0001f4bb" + "\u2060\ufeff"


def _texts(rng: random.Random, n: int, alphabet: str) -> list[str]:
    return ["".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 40])))
            for _ in range(n)]


def _same(built: pa.Array, values: list, type_: pa.DataType) -> None:
    expected = pa.array(values, type_)
    built.validate(full=True)
    assert built.type == expected.type and built.null_count == expected.null_count
    assert built.equals(expected)
    assert built.to_pylist() == values


@pytest.mark.parametrize("seed", range(6))
def test_strings_hold_what_pa_array_holds(seed):
    rng = random.Random(seed)
    ascii_only = _texts(rng, 300, "abc xyz\n\x00")
    mixed = _texts(rng, 300, _ALPHABET)
    for values in (ascii_only, mixed, [], [""], ["", ""], ["\x00"], ["😀"]):
        _same(ab.strings(values), values, pa.string())


@pytest.mark.parametrize("seed", range(4))
def test_a_workers_text_column_builds_the_same_column(seed):
    rng = random.Random(seed)
    for values in (_texts(rng, 500, "abc xyz\n\x00"), _texts(rng, 500, _ALPHABET), [], [""], ["😀", ""]):
        col = pickle.loads(pickle.dumps(text_column(values)))  # as it crosses from a worker
        assert isinstance(col, TextColumn) and len(col) == len(values)
        assert col.texts() == values
        _same(ab.strings(col), values, pa.string())


def test_a_workers_number_and_flag_columns_build_the_same_columns():
    rng = random.Random(2)
    ints = [rng.randint(-2**63, 2**63 - 1) for _ in range(300)]
    flags = [rng.random() < 0.5 for _ in range(301)]
    for values in (ints, [], [0]):
        col = pickle.loads(pickle.dumps(int64_column(values)))
        assert isinstance(col, Int64Column) and len(col) == len(values)
        _same(ab.int64s(col), values, pa.int64())
    for values in (flags, [], [True]):
        col = pickle.loads(pickle.dumps(bool_column(values)))
        assert isinstance(col, BoolColumn) and len(col) == len(values)
        _same(ab.bools(col), values, pa.bool_())


def test_columns_that_cannot_be_buffers_stay_lists():
    for odd in ([1, None], [1, 2**63], [1, 1.5], ["1"], [1, True]):
        assert int64_column(odd) == odd
    for odd in ([True, None], [True, 2], [True, 1], [True, -1]):
        assert bool_column(odd) == odd


def test_numbers_and_flags_pa_array_would_not_take_as_they_are_go_to_it():
    for values, type_ in (([1, 2.0], pa.int64()), ([np.int64(3)], pa.int64()),
                          ([True, 1], pa.int64()), (["1"], pa.int64()), ([True, 1], pa.bool_()),
                          ([True, None], pa.bool_())):
        build = ab.int64s if type_ == pa.int64() else ab.bools
        try:
            expected = pa.array(values, type_)
        except Exception as e:  # noqa: BLE001 - whatever pa.array raises, ours raises
            with pytest.raises(type(e)):
                build(values)
        else:
            assert build(values).equals(expected)


def test_texts_that_cannot_be_one_buffer_stay_a_list():
    # refused where the column is built, as before (see test_odd_input_goes_as_pa_array_takes_it)
    for odd in (["a", "\ud800"], ["a", None], ["a", 1]):
        assert text_column(odd) == odd


def test_ints_and_bools_hold_what_pa_array_holds():
    rng = random.Random(1)
    ints = [rng.randint(-2**63, 2**63 - 1) for _ in range(200)]
    _same(ab.int64s(ints), ints, pa.int64())
    with_nulls = [None if rng.random() < 0.3 else v for v in ints]
    _same(ab.int64s(with_nulls), with_nulls, pa.int64())
    _same(ab.int64s([None]), [None], pa.int64())
    _same(ab.int64s([]), [], pa.int64())
    _same(ab.repeated(-7, 13), [-7] * 13, pa.int64())
    flags = [rng.random() < 0.5 for _ in range(77)]  # not a multiple of 8: the last byte
    _same(ab.bools(flags), flags, pa.bool_())
    _same(ab.bools([True, None]), [True, None], pa.bool_())
    _same(ab.from_numpy(np.array([0, 3, 3, 9], np.int32)), [0, 3, 3, 9], pa.int32())
    assert ab.to_numpy(pa.array([5, 6, 7, 8], pa.int64()).slice(1, 2)).tolist() == [6, 7]
    assert ab.string_scalar("\x1e\x00").as_py() == "\x1e\x00"


def test_odd_input_goes_as_pa_array_takes_it():
    _same(ab.strings(["a", None]), ["a", None], pa.string())  # a null
    for bad in (["a", 1], ["\ud800"]):  # refused, with pa.array's own error
        with pytest.raises(Exception) as theirs:
            pa.array(bad, pa.string())
        with pytest.raises(type(theirs.value)):
            ab.strings(bad)
    with pytest.raises(OverflowError):
        ab.int64s([2**63])


def test_a_fresh_prepare_never_imports_pandas(tmp_path):
    # pyarrow imports pandas on its first pa.array / pa.scalar / to_numpy: 0.25 s and
    # ~34 MiB of the reading process (arrow_build's docstring).
    code = (
        "import sys\n"
        "from clonebot.config import load_settings\n"
        "from training.dataset import prepare\n"
        "s = load_settings(None)\n"
        "s = s.model_copy(update={'prepare': s.prepare.model_copy(update={'workers': 0}),\n"
        "                         'pii': s.pii.model_copy(update={'scrub': True})})\n"
        f"stats = prepare({str(SAMPLE)!r}, {str(tmp_path / 'ds')!r}, s)\n"
        "assert stats['samples'] > 0\n"
        "print('pandas' in sys.modules)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "False"


def test_a_piece_hands_its_texts_over_as_buffers():
    from training.dataset.chat_work import EXPORT_ROWS, ChatWork, WorkSettings

    work = ChatWork(WorkSettings(gap_seconds=3600.0, context_turns=4, scrub_pii=True))
    rows = [(1, 100, 0, 7, False, "привет, как дела?", False),
            (2, 160, 0, 1, True, "норм, мой номер 8 912 345 67 89", False)]
    res = work.piece(1, 5, EXPORT_ROWS, rows, True)
    texts = res.records[5]
    assert isinstance(texts, TextColumn) and isinstance(res.records[0], Int64Column)
    assert isinstance(res.records[4], BoolColumn) and len(res.records[0]) == 2
    assert texts.texts()[0] == "привет, как дела?" and "8 912" not in texts.texts()[1]
    counts, roles, contents, _, _ = res.samples
    assert isinstance(roles, TextColumn) and isinstance(contents, TextColumn)
    assert len(contents) == sum(counts) == 2
