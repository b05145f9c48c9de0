"""The one backend switch (alvh.pricing.backend): names, errors, the "auto" size rule, and its users."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from alvh.errors import InputError
from alvh.pricing.backend import Backend, numba_available, resolve_backend


def test_names_and_auto_rule() -> None:
    assert resolve_backend("numpy") == Backend("numpy")
    assert not resolve_backend("numpy").compiled
    want = "numba" if numba_available() else "numpy"
    assert resolve_backend("auto").name == want
    assert resolve_backend("auto", size=999, auto_min_size=1000).name == "numpy"
    assert resolve_backend("auto", size=1000, auto_min_size=1000).name == want
    if numba_available():
        assert resolve_backend("numba").compiled


@pytest.mark.parametrize("bad", ["Numba", "", "jax", "fast"])
def test_unknown_name_names_the_argument(bad: str) -> None:
    with pytest.raises(InputError, match="unknown backend") as exc:
        resolve_backend(bad, argument="engine_backend")
    assert exc.value.argument == "engine_backend"


def test_numpy_does_not_import_numba() -> None:
    code = (
        "import sys; from alvh.pricing.backend import resolve_backend; resolve_backend('numpy'); "
        "print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_every_backend_argument_uses_the_resolver() -> None:
    """Each public function with backend= rejects the same unknown name with the same message."""
    from alvh.pricing import bsm_price
    from alvh.stats import RollingBeta

    calls = [
        lambda: bsm_price(100.0, 100.0, 0.5, 0.2, 0.01, 0.0, True, backend="bogus"),
        lambda: RollingBeta(window=5, min_nobs=3, shape=(1,), backend="bogus"),
    ]
    for call in calls:
        with pytest.raises(InputError, match=r"unknown backend 'bogus' \(expected \"auto\", \"numpy\" or \"numba\"\)"):
            call()
    rb = RollingBeta(window=5, min_nobs=3, shape=(1,), backend="auto")
    assert np.isnan(rb.update(np.array([1.0]), np.array([1.0]))).all()
