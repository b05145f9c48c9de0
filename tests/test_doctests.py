"""Every docstring example in alvh runs as a doctest (``# doctest: +SKIP`` marks the slow ones)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import alvh


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(alvh.__path__, prefix="alvh."):
        spec = importlib.util.find_spec(info.name)
        origin = getattr(spec, "origin", None)
        if origin and origin.endswith(".py"):
            with open(origin, encoding="utf-8") as fh:
                if ">>>" in fh.read():
                    names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_examples_exist() -> None:
    # The docstrings carry examples (calendar, IRR, rolling beta at least); an empty list means discovery broke.
    assert len(MODULES) >= 3, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
