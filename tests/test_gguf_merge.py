"""Folding the adapter GGUF into a copy of the base (``gguf_merge``), on small synthetic
files: the arithmetic, what is copied, what is refused. Its numbers against torch and
llama.cpp on the test model: tests/test_llamacpp.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")

from clonebot.model.gguf_base import rewrite_gguf  # noqa: E402
from clonebot.model.gguf_file import write_gguf  # noqa: E402
from clonebot.model.gguf_merge import MERGE_KEY, CannotMerge, merge_adapter  # noqa: E402
from clonebot.model.gguf_meta import read_metadata  # noqa: E402

Q = gguf.GGMLQuantizationType
RNG = np.random.default_rng(3)
SHAPES = {"token_embd.weight": (64, 32), "blk.0.attn_norm.weight": (32,),
          "blk.0.attn_q.weight": (32, 32), "blk.0.ffn_down.weight": (32, 64)}


def _base(path: Path, qtype) -> Path:
    """A base GGUF: norms f32, matrices ``qtype``."""
    tensors = {name: RNG.normal(size=shape).astype(np.float32) for name, shape in SHAPES.items()}

    def fill(w) -> None:
        w.add_block_count(1)
        w.add_uint32(gguf.Keys.General.FILE_TYPE, 0)
        for name, data in tensors.items():
            if data.ndim == 1 or qtype == Q.F32:
                w.add_tensor(name, data)
            else:
                packed = gguf.quants.quantize(data, qtype)
                w.add_tensor(name, packed, raw_shape=packed.shape, raw_dtype=qtype)

    return write_gguf(path, "llama", fill)


def _adapter(path: Path, alpha: float = 8.0, rank: int = 4) -> tuple[Path, dict]:
    pairs = {"blk.0.attn_q.weight": (32, 32), "blk.0.ffn_down.weight": (32, 64)}
    ab = {name: (RNG.normal(size=(rank, cols)).astype(np.float32),
                 RNG.normal(size=(rows, rank)).astype(np.float32)) for name, (rows, cols) in pairs.items()}

    def fill(w) -> None:
        w.add_type(gguf.GGUFType.ADAPTER)
        w.add_string(gguf.Keys.Adapter.TYPE, "lora")
        w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        for name, (a, b) in ab.items():
            w.add_tensor(name + ".lora_a", a)
            w.add_tensor(name + ".lora_b", b)

    return write_gguf(path, "llama", fill), ab


def _tensors(path: Path) -> dict:
    return {t.name: t for t in gguf.GGUFReader(str(path)).tensors}


def test_merge_adds_alpha_over_rank_b_a_to_each_adapted_matrix_and_copies_the_rest(tmp_path):
    base = _base(tmp_path / "base.gguf", Q.F32)
    adapter, ab = _adapter(tmp_path / "adapter.gguf", alpha=8.0, rank=4)
    out = merge_adapter(base, adapter, tmp_path / "merged.gguf", stamp="s1")
    before, after = _tensors(base), _tensors(out)
    assert set(after) == set(before)
    for name, t in after.items():
        if name in ab:
            a, b = ab[name]
            want = np.asarray(before[name].data) + np.float32(8.0 / 4) * (b @ a)
            np.testing.assert_allclose(np.asarray(t.data), want, rtol=1e-6, atol=1e-6)
            assert not np.allclose(np.asarray(t.data), np.asarray(before[name].data), atol=0.1)
        else:
            assert np.array_equal(np.asarray(t.data), np.asarray(before[name].data))
    assert read_metadata(out)[MERGE_KEY] == "s1"
    assert read_metadata(out)[gguf.Keys.General.FILE_TYPE] == gguf.LlamaFileType.ALL_F32


def test_merged_q8_0_matrices_are_the_sum_quantized_and_the_source_decides_the_weights(tmp_path):
    """Types from ``type_of`` (here: Q8_0, as a converted base holds them), weights from the
    source (the f32 file): what a Q8_0 merge of the test model's shipped file does."""
    source = _base(tmp_path / "f32.gguf", Q.F32)
    adapter, ab = _adapter(tmp_path / "adapter.gguf")
    to_q8 = lambda t: Q.F32 if len(t.shape) == 1 else Q.Q8_0  # noqa: E731
    out = merge_adapter(source, adapter, tmp_path / "merged.gguf", stamp="s", type_of=to_q8)
    src, got = _tensors(source), _tensors(out)
    a, b = ab["blk.0.attn_q.weight"]
    want = np.asarray(src["blk.0.attn_q.weight"].data) + np.float32(2.0) * (b @ a)
    t = got["blk.0.attn_q.weight"]
    assert t.tensor_type == Q.Q8_0
    assert np.array_equal(np.asarray(t.data), gguf.quants.quantize(want, Q.Q8_0))
    assert got["blk.0.attn_norm.weight"].tensor_type == Q.F32
    assert read_metadata(out)[gguf.Keys.General.FILE_TYPE] == gguf.LlamaFileType.MOSTLY_Q8_0


@pytest.mark.parametrize("qtype", [Q.Q4_1, Q.Q4_0], ids=["Q4_1", "Q4_0"])
def test_a_4_bit_base_is_not_merged_and_nothing_is_written(tmp_path, qtype):
    base = _base(tmp_path / "base.gguf", qtype)
    adapter, _ = _adapter(tmp_path / "adapter.gguf")
    with pytest.raises(CannotMerge, match="8-bit or finer"):
        merge_adapter(base, adapter, tmp_path / "merged.gguf", stamp="s")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter.gguf", "base.gguf"]


def test_an_adapter_of_another_model_is_refused(tmp_path):
    base = _base(tmp_path / "base.gguf", Q.F32)
    adapter, _ = _adapter(tmp_path / "adapter.gguf")
    other = rewrite_gguf(gguf.GGUFReader(str(base)), tmp_path / "other.gguf",
                         lambda t: t.tensor_type)
    assert _tensors(other).keys() == _tensors(base).keys()  # a plain rewrite copies all
    bad, _ = _adapter(tmp_path / "bad.gguf")
    reader = gguf.GGUFReader(str(bad))

    def renamed(w) -> None:
        w.add_type(gguf.GGUFType.ADAPTER)
        w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 8.0)
        for t in reader.tensors:
            w.add_tensor(t.name.replace("blk.0", "blk.7"), np.asarray(t.data))

    wrong = write_gguf(tmp_path / "wrong.gguf", "llama", renamed)
    with pytest.raises(Exception, match="blk.7.attn_q.weight"):
        merge_adapter(base, wrong, tmp_path / "merged.gguf", stamp="s")
    assert not (tmp_path / "merged.gguf").exists()
