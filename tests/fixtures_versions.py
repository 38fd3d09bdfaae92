"""Run dirs that look trained (adapter config + a valid manifest), without any weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def fake_run(path: Path, **manifest: Any) -> Path:
    """``path`` made into an adapter run dir; ``manifest`` overrides manifest keys."""
    from clonebot.model.manifest import new_manifest, write_manifest

    path.mkdir(parents=True, exist_ok=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": 8}))
    data = new_manifest(base_model="smollm2-135m", revision=None, eos_token="<|im_end|>",
                        context_turns=4)
    write_manifest(path, {**data, **manifest})
    return path
