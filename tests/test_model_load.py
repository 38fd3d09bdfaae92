"""Loading refuses what cannot work here, quickly and in one line."""

from __future__ import annotations

import pytest

from clonebot.config import load_settings
from clonebot.errors import ModelError
from clonebot.model import load


def test_7b_on_cpu_is_refused_before_any_download(monkeypatch):
    import transformers

    def no_network(*a, **k):
        raise AssertionError("must refuse before fetching a config")

    monkeypatch.setattr(load, "select_device", lambda: "cpu")
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", no_network)
    with pytest.raises(ModelError, match="no CUDA GPU"):
        load.load_base(load_settings())


def test_unreachable_model_error_is_one_line_with_a_hint(monkeypatch):
    import transformers

    def offline(*a, **k):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files.\nCheck your internet")

    monkeypatch.setattr(load, "select_device", lambda: "cpu")
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", offline)
    with pytest.raises(ModelError) as e:
        load.load_base(load_settings(), "someorg/tiny-model")
    assert "\n" not in str(e.value) and "local directory" in str(e.value)
