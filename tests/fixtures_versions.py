"""Run dirs that look trained: adapter config, a tiny adapter weights file and a valid
manifest that records their hashes, as training writes them (no real model)."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any


def tiny_safetensors(values: tuple[float, ...] = (0.5, -0.25)) -> bytes:
    """A valid safetensors file holding one small float32 tensor."""
    data = struct.pack(f"<{len(values)}f", *values)
    header = json.dumps({"lora_A": {"dtype": "F32", "shape": [len(values)],
                                    "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


def fake_run(path: Path, **manifest: Any) -> Path:
    """``path`` made into an adapter run dir; ``manifest`` overrides manifest keys."""
    from clonebot.model.manifest import hash_weights, new_manifest, write_manifest

    path.mkdir(parents=True, exist_ok=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": 8}))
    (path / "adapter_model.safetensors").write_bytes(tiny_safetensors())
    data = new_manifest(base_model="smollm2-135m", revision=None, eos_token="<|im_end|>",
                        context_turns=4, weights=hash_weights(path))
    write_manifest(path, {**data, **manifest})
    return path
