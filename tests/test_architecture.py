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


def test_runtime_never_imports_training():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "clonebot").rglob("*.py")
        if any(n == "training" or n.startswith("training.") for n in _imports(p))
    ]
    assert offenders == []


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
