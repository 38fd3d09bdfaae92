"""bench/gpu_smoke.py: the real QLoRA path on CUDA (bitsandbytes 4-bit, bf16 compute, paged
optimizer) for the test model and the tiny Mistral. Skipped without a GPU; without one the
script says so in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.gpu
@pytest.mark.parametrize("model", ["smollm2-135m", "tiny-mistral-v1"])
def test_gpu_smoke_measures_the_real_qlora_path(model, tmp_path, monkeypatch, cache_dir):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    monkeypatch.setenv("CLONEBOT_PATHS__CACHE_DIR", str(cache_dir))
    sys.path.insert(0, str(ROOT / "bench"))
    from gpu_smoke import run

    r = run(model, steps=4, batch=2, seq=128, work=tmp_path)
    assert r["compute_dtype"] in ("torch.bfloat16", "torch.float16")
    assert 0 < r["peak_vram_gb"] < 8 and r["step_s"] > 0 and r["tokens_per_s"] > 0
    assert r["estimated_peak_gb"] > 0 and r["estimated_step_s"] > 0


def test_gpu_smoke_without_cuda_says_so(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: the gpu-marked test runs it")
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_smoke.py")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1 and "no CUDA GPU" in r.stderr and "Traceback" not in r.stderr
