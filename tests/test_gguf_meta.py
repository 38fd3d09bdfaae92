"""``gguf_meta.read_metadata`` reads what gguf's own GGUFReader reads, from the header alone."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from clonebot.errors import ModelError
from clonebot.model import gguf_adapter
from clonebot.model.gguf_meta import Array, read_metadata
from clonebot.model.registry import _gguf_path


def _write(path: Path, endian=gguf.GGUFEndian.LITTLE) -> Path:
    w = gguf.GGUFWriter(str(path), "llama", endianess=endian)
    w.add_block_count(3)
    w.add_head_count(4)
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -5)
    w.add_uint16("t.u16", 65000)
    w.add_int16("t.i16", -300)
    w.add_uint32("t.u32", 4_000_000_000)
    w.add_int32("t.i32", -7)
    w.add_float32("t.f32", 0.5)
    w.add_uint64("t.u64", 2**40)
    w.add_int64("t.i64", -(2**40))
    w.add_float64("t.f64", 1e-300)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "ünïcode ✓")
    w.add_array("t.strings", ["a", "", "ccc" * 50])
    w.add_array("t.ints", [1, 2, 3, 4, 5])
    w.add_array("t.floats", [0.25, 0.5])
    w.add_tensor("blk.0.w", np.ones((4, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def _as_reader_sees_it(path: Path) -> dict:
    out = {}
    for key, field in gguf.GGUFReader(str(path)).fields.items():
        if key.startswith("GGUF."):  # the reader's own header pseudo-fields
            continue
        if field.types[0] == gguf.GGUFValueType.ARRAY:
            out[key] = Array(int(field.types[1]), len(field.data))
        else:
            out[key] = field.contents()
    return out


@pytest.mark.parametrize("endian", [gguf.GGUFEndian.LITTLE, gguf.GGUFEndian.BIG])
def test_every_value_type_reads_as_gguf_reads_it(tmp_path, endian):
    path = _write(tmp_path / "m.gguf", endian)
    ours = read_metadata(path)
    assert ours == pytest.approx(_as_reader_sees_it(path))
    assert ours["t.str"] == "ünïcode ✓" and ours["t.strings"] == Array(8, 3)
    assert ours["t.u64"] == 2**40 and ours["t.f64"] == 1e-300 and ours["t.bool"] is True


def test_the_test_models_base_reads_the_same_and_gives_its_shape():
    base = _gguf_path()
    assert read_metadata(base) == pytest.approx(_as_reader_sees_it(base))
    shape = gguf_adapter.shape_from_gguf(base)
    assert shape == gguf_adapter.BaseShape("llama", 30, 9, 3, 49152)


@pytest.mark.parametrize("cut", [0, 3, 8, 30, 200])
def test_a_cut_file_is_one_named_error(tmp_path, cut):
    whole = _write(tmp_path / "whole.gguf").read_bytes()
    path = tmp_path / "cut.gguf"
    path.write_bytes(whole[:cut])
    with pytest.raises(ModelError, match="cut.gguf"):
        read_metadata(path)


def test_not_a_gguf_and_a_missing_file_are_named_errors(tmp_path):
    (tmp_path / "x.gguf").write_text("this is a text file, not a model")
    with pytest.raises(ModelError, match="x.gguf is not a GGUF file"):
        read_metadata(tmp_path / "x.gguf")
    with pytest.raises(ModelError, match="cannot read"):
        read_metadata(tmp_path / "missing.gguf")


def test_a_gguf_without_a_model_in_it_is_not_a_base(tmp_path):
    w = gguf.GGUFWriter(str(tmp_path / "a.gguf"), "llama")
    w.add_string("general.type", "adapter")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(ModelError, match="not a base model GGUF"):
        gguf_adapter.shape_from_gguf(tmp_path / "a.gguf")
