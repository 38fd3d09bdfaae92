"""README's "Current figures" table and docs/figures.toml, the one place its values live.

The table is generated from the data file; this test fails when the two differ, when README's
text repeats a figure with another value, and when a figure the code can recompute (the PII
quality on the labelled sets) is no longer what the code gives.

    python tests/test_readme_figures.py --write    # rewrite README's table from docs/figures.toml
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIGURES = ROOT / "docs" / "figures.toml"
START, END = "<!-- figures -->", "<!-- /figures -->"
FIELDS = {"what", "value", "how", "measured", "check", "prose"}


def load_figures(path: Path = FIGURES) -> list[dict]:
    figures = tomllib.loads(path.read_text(encoding="utf-8"))["figure"]
    for f in figures:
        assert set(f) <= FIELDS and {"what", "value", "how", "measured"} <= set(f), f
    return figures


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(figures: list[dict]) -> str:
    rows = ["| figure | value | where and how measured |", "|---|---|---|"]
    rows += [f"| {_cell(f['what'])} | **{_cell(f['value'])}** | {_cell(f['how'])}; {_cell(f['measured'])} |"
             for f in figures]
    return "\n".join(rows)


def split_readme(text: str) -> tuple[str, str, str]:
    """README as (before the table, the table, after it); the markers stay outside."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"README.md needs one {START} ... {END} block")
    head, rest = text.split(START)
    table, tail = rest.split(END)
    return head + START, table.strip("\n"), END + tail


def table_problems(readme: str, figures: list[dict]) -> list[str]:
    """Rows of README's table that differ from the data file (by row, for a readable failure)."""
    _, table, _ = split_readme(readme)
    want = render_table(figures).split("\n")
    have = table.split("\n")
    problems = [f"row {i}: README has {h!r}, docs/figures.toml gives {w!r}"
                for i, (h, w) in enumerate(zip(have, want)) if h != w]
    if len(have) != len(want):
        problems.append(f"README's table has {len(have) - 2} figures, docs/figures.toml {len(want) - 2}")
    return problems


def prose_problems(readme: str, figures: list[dict]) -> list[str]:
    """README's text (outside the table) repeating a figure with a value the table does not hold."""
    head, _, tail = split_readme(readme)
    text = head + "\n" + tail
    problems = []
    for f in figures:
        if "prose" not in f:
            continue
        for m in re.finditer(f["prose"], text):
            if m.group("value") not in f["value"]:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"README text {m.group(0)!r} (near line {line}) vs the table's "
                                f"{f['what']!r}: {f['value']!r}")
    return problems


def write_readme() -> None:
    head, _, tail = split_readme(README.read_text(encoding="utf-8"))
    tmp = README.with_suffix(".md.tmp")
    tmp.write_text(f"{head}\n{render_table(load_figures())}\n{tail}", encoding="utf-8")
    tmp.replace(README)


# ------------------------------------------------------------------ the figures the code recomputes

def _quality():
    spec = importlib.util.spec_from_file_location("pii_quality", ROOT / "bench" / "pii_quality.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def pii_figure(sets: str) -> str:
    """What `check = "pii:SET[,SET]"` says the value is, computed now."""
    from clonebot.pii import PIIFilter

    q = _quality()
    parts = []
    for name in sets.split(","):
        if name == "labelled":
            recs, deny = q.load_corpus()
            res = q.evaluate(recs, PIIFilter(denylist=deny))
        elif name in ("dev", "holdout"):
            res = q.evaluate(q.load_evasive(name), PIIFilter())
        else:
            res = q.evaluate(q.load_kinds(name.removeprefix("kinds-")), PIIFilter())
        text = f"{res['recall']:.3f} / {res['harmless_changed'] * 100:.2f}%"
        kind, low = min(((k, v["recall"]) for k, v in res["per_kind"].items()), key=lambda kv: kv[1])
        if round(low, 3) < 1:
            text += f" (lowest kind: {kind} {low:.3f})"
        parts.append(text)
    return " and ".join(parts)


# ------------------------------------------------------------------ tests

def test_readme_table_is_the_data_file():
    problems = table_problems(README.read_text(encoding="utf-8"), load_figures())
    assert not problems, "\n".join(problems + ["run: python tests/test_readme_figures.py --write"])


def test_readme_text_agrees_with_the_table():
    problems = prose_problems(README.read_text(encoding="utf-8"), load_figures())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("figure", [f for f in load_figures() if "check" in f], ids=lambda f: f["check"])
def test_recomputable_figures_are_current(figure):
    kind, _, arg = figure["check"].partition(":")
    assert kind == "pii", figure["check"]
    assert figure["value"] == pii_figure(arg), (
        f"{figure['what']}: the code now gives {pii_figure(arg)!r}; update docs/figures.toml")


def test_every_figure_says_where_and_how():
    for f in load_figures():
        assert f["what"].strip() and f["value"].strip() and f["how"].strip() and f["measured"].strip(), f
        if "prose" in f:
            assert "(?P<value>" in f["prose"], f
            re.compile(f["prose"])


def test_the_checks_can_fail():
    """A changed value, a dropped row and a contradicting paragraph are each caught."""
    figures = load_figures()
    readme = README.read_text(encoding="utf-8")
    changed = [dict(f) for f in figures]
    changed[2]["value"] = "0.500 / 9.99%"
    assert table_problems(readme, changed)
    assert table_problems(readme, figures[:-1])
    with_prose = next(f for f in figures if "prose" in f and "tests" in f["prose"])
    assert not prose_problems(readme, [with_prose])
    contradicting = readme.replace(END, END + "\n\nThe suite has 99999 tests.\n", 1)
    assert prose_problems(contradicting, [with_prose])
    with pytest.raises(ValueError):
        split_readme(readme.replace(END, ""))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_readme_figures.py --write")
    sys.path.insert(0, str(ROOT))
    write_readme()
    print("README.md: Current figures rewritten from docs/figures.toml")
