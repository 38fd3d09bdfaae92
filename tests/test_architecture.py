"""Layering rules that keep the runtime installable and the CLI the only place that talks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _importers(pkg: str, of: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """Files under ``pkg`` that import any of the packages ``of``."""
    return sorted(
        str(p.relative_to(root))
        for p in (root / pkg).rglob("*.py")
        if any(n == top or n.startswith(top + ".") for n in _imports(p) for top in of)
    )


def test_imports_run_one_way_bench_training_clonebot():
    """bench -> training -> clonebot: the runtime installs and runs without the training
    stack, and neither depends on the scripts that measure them."""
    assert _importers("clonebot", ("training", "bench")) == []
    assert _importers("training", ("bench",)) == []


def test_the_layering_check_sees_an_import_inside_a_function(tmp_path):
    """The check walks the whole tree: a lazy import inside a function counts too."""
    (tmp_path / "clonebot").mkdir()
    (tmp_path / "clonebot" / "lazy.py").write_text("def f():\n    from training.train import x\n")
    assert _importers("clonebot", ("training",), tmp_path) == ["clonebot/lazy.py"]


def _calls(path: Path, names: set[str]) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            qual = f"{f.value.id}.{f.attr}" if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else name
            if name in names or qual in names:
                out.append(node.lineno)
    return out


def test_only_the_cli_prints_or_exits():
    cli_dirs = {ROOT / "clonebot" / "cli", ROOT / "training" / "commands"}
    offenders = []
    for pkg in ("clonebot", "training"):
        for p in (ROOT / pkg).rglob("*.py"):
            if any(d in p.parents for d in cli_dirs) or p.name in ("__main__.py", "cli.py"):
                continue
            lines = _calls(p, {"print", "sys.exit", "exit", "click.echo", "click.secho"})
            offenders += [f"{p.relative_to(ROOT)}:{n}" for n in lines]
    assert offenders == []
