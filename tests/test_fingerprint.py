"""Style fingerprint (``training.eval.fingerprint``): pure functions on tiny inputs."""

from __future__ import annotations

import pytest

from training.eval import fingerprint as fpr


def test_emojis_are_grapheme_clusters():
    # A ZWJ family, a skin tone, a flag and a keycap-free heart with VS16 are one emoji each.
    assert fpr.emojis("ok 👨‍👩‍👧 👍🏽 🇷🇺 ❤️!") == ["👨‍👩‍👧", "👍🏽", "🇷🇺", "❤"]
    assert fpr.emojis("no emoji here :) 123") == []


@pytest.mark.parametrize("text,want", [
    ("норм 🤙", "emoji"), ("норм))", ")"), ("ну(", "("), ("го?", "?"), ("да!", "!"),
    ("ок.", "."), ("ну...", "…"), ("ну…", "…"), ("ок;", "other"), ("норм", "word"),
    ("10", "word"), ("  ", "empty"), ("ок 🤙 ", "emoji"),
])
def test_closing(text, want):
    assert fpr.closing(text) == want


def test_scripts_case_words_openings():
    assert fpr.script("привет") == "cyrillic" and fpr.script("hi") == "latin"
    assert fpr.script("ну ok") == "both" and fpr.script("🤙 123") == "no letters"
    assert fpr.is_lowercase("ну ок") is True and fpr.is_lowercase("Ну ок") is False
    assert fpr.is_lowercase("🤙 42") is None
    assert fpr.words("Ну, ок)) 🤙 10") == ["ну", "ок", "10"]
    assert fpr.opening("🤙 Ну да") == "ну" and fpr.opening(")))") is None
    assert fpr.phrases("ну да ну") == {"ну", "да", "ну да", "да ну"}


def test_ks_distance():
    assert fpr.ks_distance([1, 2, 3], [1, 2, 3]) == 0
    assert fpr.ks_distance([1, 1], [5, 5]) == 1
    assert fpr.ks_distance([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(0.5)
    assert fpr.ks_distance([], [1]) is None


def test_profile_figures():
    p = fpr.profile(["ну го 🤙", "да)", "Что?", "ну ok 🤙🤙", ""])
    assert p["replies"] == 5
    assert p["emoji_rate"] == pytest.approx(2 / 5)
    assert p["emojis_per_reply"] == pytest.approx(3 / 5)
    assert p["emojis"] == {"🤙": pytest.approx(2 / 5)}
    assert p["closing_emojis"] == {"🤙": pytest.approx(2 / 5)}
    assert p["lowercase_share"] == pytest.approx(3 / 4) and p["lowercase_of"] == 4
    assert p["closing"] == {"emoji": 0.4, ")": 0.2, "?": 0.2, "empty": 0.2}
    assert p["question_rate"] == pytest.approx(1 / 5)
    assert p["scripts"] == {"cyrillic": 0.6, "both": 0.2, "no letters": 0.2}
    assert p["openings"]["ну"] == pytest.approx(2 / 5)
    assert p["words"]["quantiles"]["p50"] == 1 and p["words"]["mean"] == pytest.approx(6 / 5)
    assert sum(p["words"]["histogram"].values()) == pytest.approx(1.0)
    assert sum(p["chars"]["histogram"].values()) == pytest.approx(1.0)


def _rate(fp, label):
    return next(r for r in fp["rates"] if r["label"] == label)


def test_compare_shows_an_exaggerated_habit():
    owner = ["ну го 🤙", "норм", "ща буду", "да 🤙", "ок", "ну ладно"] * 10  # 🤙 closes 1/3
    clone = ["ну го 🤙", "норм 🤙", "ща 🤙", "да 🤙", "ок", "ну ладно"] * 10  # ... and 2/3
    fp = fpr.compare(owner, clone)
    r = _rate(fp, "ends with 🤙")
    assert (r["owner"], r["clone"]) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert r["difference"] == pytest.approx(1 / 3) and 0 < r["margin"] < 1 / 3
    assert fp["max_rate_difference"] == pytest.approx(1 / 3)
    assert fp["worst_rate"] in {"ends with 🤙", "has 🤙", "has an emoji", "ends with an emoji"}
    assert [r["label"] for r in fpr.off_rates(fp)] and all(
        abs(r["difference"]) > 0.1 for r in fpr.off_rates(fp))
    assert _rate(fp, "starts with “ну”")["difference"] == 0


def test_compare_lists_habits_the_clone_invents_and_ones_it_loses():
    owner = ["ну да", "ну го", "ок"] * 10
    clone = ["Хорошо.", "Конечно.", "ок"] * 10
    fp = fpr.compare(owner, clone)
    assert _rate(fp, "starts with “ну”")["clone"] == 0  # lost
    assert _rate(fp, "ends with .")["owner"] == 0  # invented
    assert _rate(fp, "all lowercase")["clone"] == pytest.approx(1 / 3)
    assert fp["lengths"]["words"]["ks"] == pytest.approx(2 / 3)


def test_identical_sets_are_at_distance_zero():
    texts = ["ну го 🤙", "да)", "что?", "lol 😂"]
    fp = fpr.compare(texts, texts)
    assert fp["max_rate_difference"] == 0 and fpr.off_rates(fp) == []
    assert fp["lengths"]["chars"]["ks"] == 0 and fp["lengths"]["chars"]["median_ratio"] == 1


def test_empty_clone_side_is_not_an_error():
    fp = fpr.compare(["ну"], [])
    assert fp["clone"]["replies"] == 0 and fp["rates"] == []


def test_styled_owner_export_has_the_style_it_promises(tmp_path):
    """bench/styled_export.py (the fidelity benchmark's owner) through the real prepare: the
    fingerprint of the owner's replies shows the habits it was built with."""
    import importlib.util
    from pathlib import Path

    from clonebot.config import load_settings
    from training.dataset import prepare

    path = Path(__file__).resolve().parents[1] / "bench" / "styled_export.py"
    spec = importlib.util.spec_from_file_location("styled_export", path)
    styled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(styled)
    export = styled.write_styled_export(tmp_path / "result.json", replies=400, seed=1)
    settings = load_settings(model={"base_model": str(tmp_path / "no-such-model")})
    prepare(export, tmp_path / "dataset", settings)
    from datasets import load_from_disk

    replies = [m[-1]["content"] for m in load_from_disk(str(tmp_path / "dataset"))["train"]["messages"]]
    assert len(replies) > 300
    p = fpr.profile(replies)
    assert p["lowercase_share"] == 1.0
    assert p["closing_emojis"][styled.SIGNATURE_EMOJI] == pytest.approx(0.40, abs=0.07)
    assert p["closing"][")"] == pytest.approx(0.14, abs=0.05) and "." not in p["closing"]
    assert p["openings"]["ну"] == pytest.approx(0.16, abs=0.05)
    assert p["words"]["quantiles"]["p90"] <= 6 and p["scripts"]["cyrillic"] > 0.8


def test_table_marks_figures_off_by_more_than_the_tolerance():
    from training.eval.table import format_fingerprint

    owner = ["ну го 🤙", "норм", "ща буду", "да", "ок", "ну ладно"] * 10
    clone = ["ну го 🤙", "норм 🤙", "ща 🤙", "да 🤙", "ок", "ну ладно"] * 10
    lines = format_fingerprint(fpr.compare(owner, clone))
    row = next(line for line in lines if line.startswith("ends with 🤙"))
    assert row.split()[-4:] == ["17%", "67%", "+50", "!"]
    same = next(line for line in lines if line.startswith("starts with “ну”"))
    assert same.split()[-3:] == ["33%", "33%", "+0"]
    assert any(line.startswith("length in words (p25/p50/p75)") for line in lines)
    assert format_fingerprint({}) == []
