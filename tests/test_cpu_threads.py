"""How many CPU threads the model math gets (clonebot/model/cpu.py)."""

import os

import pytest

from clonebot.model.cpu import cpu_threads, decode_threads

GiB = 1 << 30


@pytest.mark.parametrize("cores, weights, want", [
    (2, 90 << 20, 1),          # the test model at Q4_1: one thread, however many cores
    (16, 540 << 20, 1),        # its f32 copy
    (2, int(4.1 * GiB), 2),    # Mistral-7B Q4_K_M on 2 cores: all of them
    (8, int(4.1 * GiB), 4),    # on 8 cores: one per GiB
    (8, 20 * GiB, 8),          # never more than the cores
])
def test_decode_threads_follow_the_weights(monkeypatch, cores, weights, want):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert decode_threads(0, weights) == want
    assert cpu_threads(0) == cores  # prompts (batches) still use every core


def test_a_configured_thread_count_is_used_as_is(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert decode_threads(3, 90 << 20) == 3 and cpu_threads(3) == 3
