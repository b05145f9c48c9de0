"""The import graph of src/alvh: no cycle, nothing importing upward (docs/architecture.md's arrow).

Reads every module's imports with :mod:`ast` (module-level and function-level: a function-level import
is still a dependency; imports under ``if TYPE_CHECKING:`` are for type checkers only and are skipped),
resolves them to alvh modules and checks them against the layer order below, which is the one written in
docs/architecture.md (the test also reads the doc, so the two cannot drift apart silently).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "alvh"
DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

#: Layer of each top-level part of the package, lowest first (docs/architecture.md). Same rank: may import
#: each other (no cycle). The package root, ``api`` and ``cli`` sit on top.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "config", "_version", "_display", "_kernel_cache"),
    ("calendar",),
    ("data",),
    ("pricing", "stats"),
    ("market",),
    ("strategy",),
    ("engine", "results"),
    ("simulate",),
    ("analytics",),
    ("montecarlo",),
    ("sweep",),
    ("report",),
    ("api", "cli", "__init__"),
)
RANK = {part: i for i, parts in enumerate(LAYERS) for part in parts}

#: Known cycles, each with its reason (none: issue 9.2 removed the last ones).
KNOWN_CYCLES: tuple[frozenset[str], ...] = ()
#: Known upward edges (importer, imported), each with its reason.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_pkg: bool, known: set[str]) -> set[str]:
    """alvh modules imported anywhere in ``tree`` (outside ``if TYPE_CHECKING:`` blocks)."""
    out: set[str] = set()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "alvh" or a.name.startswith("alvh."):
                    target = resolve(a.name)
                    if target:
                        out.add(target)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_pkg else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            if base == "alvh" or base.startswith("alvh."):
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    target = sub if sub in known else resolve(base)
                    if target:
                        out.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    out.discard(module)
    return out


def import_graph() -> dict[str, set[str]]:
    """alvh module -> the alvh modules it imports."""
    mods = _modules()
    known = set(mods)
    return {
        m: _imports(ast.parse(p.read_text(encoding="utf-8")), m, p.name == "__init__.py", known)
        for m, p in mods.items()
    }


def _rank(module: str) -> int:
    parts = module.split(".")
    return RANK[parts[1] if len(parts) > 1 else "__init__"]


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[frozenset[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(frozenset(comp))
    return out


def test_every_module_has_a_layer() -> None:
    missing = sorted({m.split(".")[1] for m in _modules() if "." in m} - set(RANK))
    assert not missing, f"top-level parts without a layer in LAYERS (add them to docs/architecture.md too): {missing}"


def test_layer_order_is_the_documented_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    arrow = re.search(r"```\n(.*?)```", text, re.S)
    assert arrow is not None, "docs/architecture.md lost its layer diagram"
    names = re.findall(r"[a-z_]+", arrow.group(1))
    documented = [n for n in names if n in RANK and n != "__init__"]
    ranks = [RANK[n] for n in documented]
    assert ranks == sorted(ranks), f"docs/architecture.md's arrow {documented} disagrees with LAYERS"
    assert set(documented) >= set(RANK) - {"__init__", "_version", "_display", "_kernel_cache"}, set(RANK) - set(
        documented
    )


def test_no_import_cycles() -> None:
    cycles = [c for c in _cycles(import_graph()) if c not in KNOWN_CYCLES]
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_known_cycles_are_still_cycles() -> None:
    # when a known cycle is fixed, its exception must go (so the list cannot hide a new cycle later)
    found = set(_cycles(import_graph()))
    stale = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    if stale:
        pytest.fail(f"fixed, remove from KNOWN_CYCLES: {stale}")


def test_known_upward_edges_still_exist() -> None:
    g = import_graph()
    stale = [edge for edge in KNOWN_UPWARD if edge[1] not in g.get(edge[0], set())]
    if stale:
        pytest.fail(f"fixed, remove from KNOWN_UPWARD: {stale}")


def test_nothing_imports_upward() -> None:
    bad = []
    for m, targets in sorted(import_graph().items()):
        for t in sorted(targets):
            if _rank(t) > _rank(m) and (m, t) not in KNOWN_UPWARD:
                bad.append(f"{m} -> {t}")
    assert not bad, "upward imports (docs/architecture.md layer order):\n" + "\n".join(bad)


def test_results_and_strategy_do_not_reach_into_engine_internals() -> None:
    g = import_graph()
    assert "alvh" not in g["alvh.results"], "results.py imports the package root"
    assert not {t for t in g["alvh.results"] if t.startswith("alvh.engine.")} - {"alvh.engine.records"}
    for m, targets in g.items():
        if m.startswith("alvh.strategy"):
            assert not {t for t in targets if t.startswith("alvh.engine")}, m


def test_engine_stages_are_small() -> None:
    # issue 9.4: the engine as named stages, none over about 300 lines
    stages = (
        "prepare.py",
        "state.py",
        "marks.py",
        "vx_marks.py",
        "core_rules.py",
        "layer_rules.py",
        "rebalance.py",
        "fills.py",
        "recording.py",
        "construct.py",
        "simulate.py",
    )
    sizes = {name: len((SRC / "engine" / name).read_text(encoding="utf-8").splitlines()) for name in stages}
    assert max(sizes.values()) <= 300, sizes


def test_graph_reader_sees_function_level_and_relative_imports() -> None:
    # the reader itself: a function-level import and a relative import count, TYPE_CHECKING ones do not
    src = (
        "from typing import TYPE_CHECKING\nfrom . import fills\nif TYPE_CHECKING:\n    import alvh.report\n"
        "def f():\n    from alvh.analytics import drag\n"
    )
    known = {"alvh.engine", "alvh.engine.fills", "alvh.analytics", "alvh.analytics.drag", "alvh.report"}
    got = _imports(ast.parse(src), "alvh.engine.x", False, known)
    assert got == {"alvh.engine.fills", "alvh.analytics.drag"}
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]


@pytest.mark.slow
def test_every_module_imports_on_its_own() -> None:
    # a module imported first, in a fresh interpreter state for alvh, must not hit a partially initialised
    # module (an import cycle at run time: e.g. results -> engine -> construct -> results)
    code = (
        "import importlib, pkgutil, sys\n"
        "import alvh\n"
        "names = [m.name for m in pkgutil.walk_packages(alvh.__path__, 'alvh.')]\n"
        "bad = []\n"
        "for name in names:\n"
        "    for k in [k for k in sys.modules if k == 'alvh' or k.startswith('alvh.')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as e:\n"
        "        bad.append(f'{name}: {type(e).__name__}: {e}')\n"
        "print(len(names))\n"
        "print('\\n'.join(bad))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    count, *bad = r.stdout.strip().splitlines()
    assert int(count) > 100
    assert not bad, "\n".join(bad)
