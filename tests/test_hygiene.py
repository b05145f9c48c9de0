"""Test-suite hygiene (issue 9 item 8): shared helpers in tests/helpers.py, QuantLib imported one way,
``pytest`` and ``python -m pytest`` both collect the suite."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _imports(path: Path) -> list[tuple[int, str, ast.AST]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, node) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module, node))
    return out


def test_no_test_module_imports_another():
    # shared code lives in tests/helpers.py (or reference_*.py, conftest.py fixtures), never in a test module
    bad = [
        f"{p.name}:{line} imports {mod}"
        for p in sorted(TESTS.glob("*.py"))
        for line, mod, _ in _imports(p)
        if mod.split(".")[-1].startswith("test_") or mod.startswith("tests.")
    ]
    assert not bad, "\n".join(bad)


def test_quantlib_is_imported_one_way():
    # a test dependency: `import QuantLib as ql` at module level, never skipped, never another alias
    bad = []
    for p in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "importorskip"
                and node.args
                and getattr(node.args[0], "value", None) == "QuantLib"
            ):
                bad.append(f"{p.name}:{node.lineno}: pytest.importorskip of QuantLib")
        for line, mod, node in _imports(p):
            if mod == "QuantLib":
                alias = [a.asname for a in node.names] if isinstance(node, ast.Import) else ["from-import"]
                if alias != ["ql"]:
                    bad.append(f"{p.name}:{line}: QuantLib imported as {alias}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("runner", [["pytest"], [sys.executable, "-m", "pytest"]], ids=["pytest", "python -m pytest"])
def test_both_runners_collect_the_pricing_tests(runner):
    # tests/test_pricing.py imports tests/helpers.py; pyproject's pythonpath = ["tests"] makes that work for both
    exe = [str(Path(sys.executable).with_name("pytest"))] if runner == ["pytest"] else runner
    out = subprocess.run(
        [*exe, "--collect-only", "-q", "-p", "no:xdist", "tests/test_pricing.py"],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "test_pricing.py::" in out.stdout
