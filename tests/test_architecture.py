"""Layering rules that keep the runtime installable and the CLI the only place that talks.

Between packages: ``bench -> training -> clonebot``. Inside ``clonebot/``: the transport
(``telegram/``) and the fetch (``fetch/``) know no policy (``runtime/``); the state store
(``state/``) knows neither the policy nor the transport; only ``telegram/`` and ``fetch/``
touch Telethon; no module imports another that imports it back (not even for a type hint).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_statements(path: Path, root: Path) -> list[tuple[str, list[str]]]:
    """Each import in ``path``, anywhere in it (inside functions, under ``TYPE_CHECKING``), as
    (module, names taken from it): ``import a.b`` is ("a.b", []), ``from a import b, c`` is
    ("a", ["b", "c"]); a relative import gets its absolute name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.append((module, [a.name for a in node.names]))
    return out


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every name ``path`` may import: ``from a import b`` gives ``a`` and ``a.b`` (b may be a
    module)."""
    names: set[str] = set()
    for module, taken in _import_statements(path, root):
        names.add(module)
        names.update(f"{module}.{n}" for n in taken)
    return names


def _importers(pkg: str, of: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """Files under ``pkg`` (a directory, e.g. ``clonebot/telegram``) that import any of the
    modules or packages ``of``."""
    return sorted(
        str(p.relative_to(root))
        for p in (root / pkg).rglob("*.py")
        if any(n == top or n.startswith(top + ".") for n in _imports(p, root) for top in of)
    )


def _import_cycles(pkg: str, root: Path = ROOT) -> list[list[str]]:
    """Groups of modules under ``pkg`` that import each other, directly or round a loop
    (Tarjan's strongly connected components). An edge goes to the module named, not to the
    packages above it: ``import a.b.c`` runs ``a/__init__`` too, but that is a cycle only if
    ``a/__init__`` imports back."""
    files = {_module(p, root): p for p in (root / pkg).rglob("*.py")}

    def targets(path: Path) -> set[str]:  # ``from a import b``: a.b if it is a module, else a
        out = set()
        for module, taken in _import_statements(path, root):
            subs = {f"{module}.{n}" for n in taken} & files.keys()
            out |= subs if subs and len(subs) == len(taken) else {module, *subs}
        return out

    graph = {m: sorted(n for n in targets(p) if n in files and n != m)
             for m, p in files.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # recursion depth is bounded by the number of modules
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                cycles.append(sorted([v, *group]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


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


def test_the_transport_and_the_fetch_know_no_policy():
    """``telegram/`` turns Telethon into plain data and hands it to a receiver it is given
    (``telegram/receivers.py``); ``fetch/`` needs the session and the data-dir lock, both
    below ``runtime/``. Neither imports the bot's policy, nor the CLI above it."""
    assert _importers("clonebot/telegram", ("clonebot.runtime", "clonebot.fetch",
                                            "clonebot.cli")) == []
    assert _importers("clonebot/fetch", ("clonebot.runtime", "clonebot.cli")) == []


def test_the_state_store_knows_neither_policy_nor_transport():
    """The store is read by the bot, the CLI and training alike, through its own API."""
    assert _importers("clonebot/state", ("clonebot.runtime", "clonebot.telegram",
                                         "clonebot.fetch", "clonebot.cli")) == []


def test_training_reads_the_bot_through_the_state_store_only():
    """Eval counts approvals from the store's own API (``clonebot.state``), never by reaching
    into the running bot or its transport."""
    assert _importers("training", ("clonebot.runtime", "clonebot.telegram")) == []


def test_only_the_transport_and_the_fetch_import_telethon():
    outside = [f for pkg in ("clonebot", "training") for f in _importers(pkg, ("telethon",))
               if not f.startswith(("clonebot/telegram/", "clonebot/fetch/"))]
    assert outside == []


def test_only_the_entry_point_imports_the_cli():
    assert [f for f in _importers("clonebot", ("clonebot.cli",))
            if not f.startswith("clonebot/cli/") and f != "clonebot/__main__.py"] == []


def test_no_import_cycles_inside_clonebot():
    """Two modules that import each other (even one of them only for a type hint, or
    lazily inside a function) are one idea in two files: join them, or give one a narrow
    interface it is handed (as the handlers get their receiver, and catch-up its callbacks)."""
    assert _import_cycles("clonebot") == []


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_layering_check_sees_a_relative_and_a_type_only_import(tmp_path):
    """``from ..runtime import bot`` and an import under ``TYPE_CHECKING`` count too."""
    _plant(tmp_path, {
        "clonebot/__init__.py": "",
        "clonebot/telegram/__init__.py": "",
        "clonebot/telegram/handlers/__init__.py": "",
        "clonebot/telegram/handlers/relative.py": "from ...runtime import bot\n",
        "clonebot/telegram/typed.py": ("from typing import TYPE_CHECKING\n"
                                       "if TYPE_CHECKING:\n"
                                       "    from clonebot.runtime.bot import CloneBot\n"),
        "clonebot/telegram/clean.py": "from clonebot.telegram.messages import Msg\n",
    })
    assert _importers("clonebot/telegram", ("clonebot.runtime",), tmp_path) == [
        "clonebot/telegram/handlers/relative.py", "clonebot/telegram/typed.py"]


def test_the_cycle_check_sees_a_planted_cycle(tmp_path):
    """A loop of three modules, one edge of it lazy inside a function, one a ``from package
    import module``; a module that only imports into the loop is not part of it."""
    _plant(tmp_path, {
        "clonebot/__init__.py": "",
        "clonebot/runtime/__init__.py": "",
        "clonebot/runtime/bot.py": "from clonebot.runtime.catchup import CatchUp\n",
        "clonebot/runtime/catchup.py": "from clonebot.runtime import policy\n",
        "clonebot/runtime/policy.py": "def f():\n    from clonebot.runtime.bot import CloneBot\n",
        "clonebot/runtime/run.py": "from clonebot.runtime.bot import CloneBot\n",
    })
    assert _import_cycles("clonebot", tmp_path) == [
        ["clonebot.runtime.bot", "clonebot.runtime.catchup", "clonebot.runtime.policy"]]
    (tmp_path / "clonebot/runtime/policy.py").write_text("def f():\n    pass\n")
    assert _import_cycles("clonebot", tmp_path) == []


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
