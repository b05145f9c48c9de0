"""The compiled VX day-block tables (alvh.pricing._numba.vx_block) against the numpy steps of
alvh.engine.vx_marks._vx_block, bit for bit, on random curves with unlisted contracts (NaN), settlement days,
contracts whose lower neighbour is unlisted or expired, and a shared-market view (stride 0 over paths)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from alvh.engine.vx_marks import _vx_block
from alvh.pricing import _numba

pytestmark = pytest.mark.skipif(not _numba.AVAILABLE, reason="numba not installed")


def _state(nb: object, shared: bool) -> SimpleNamespace:
    rng = np.random.default_rng(5)
    n, P, C = 40, 7, 9
    d_ord = 20_000 + np.cumsum(rng.integers(1, 4, n))
    exp_ord = np.sort(d_ord[0] + rng.integers(-5, 200, C))
    dte = exp_ord[None, :] - d_ord[:, None]
    price = 15 + 10 * rng.random((n, 1 if shared else P, C))
    price[(dte <= 0)[:, None, :] | (rng.random(price.shape) < 0.1)] = np.nan
    vix = 12 + 20 * rng.random((n, 1 if shared else P))
    if shared:
        price, vix = np.broadcast_to(price, (n, P, C)), np.broadcast_to(vix, (n, P))
    settle_day = np.searchsorted(d_ord, exp_ord)
    settle_px = 10 + 20 * rng.random((P, C))
    settle_px[:, ::4] = np.nan
    paths = SimpleNamespace(vx_price=price, vix_close=vix)
    prep = SimpleNamespace(paths=paths, vx_settle_day=settle_day, vx_settle_px=settle_px, vx_dte=dte)
    return SimpleNamespace(prep=prep, exp_ord_vx=exp_ord, d_ord=d_ord, nb=nb, sens=lambda tau, day: np.zeros_like(tau))


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("days", [(0, 13), (13, 40), (5, 6)])
def test_compiled_vx_block_equals_numpy(shared: bool, days: tuple[int, int]) -> None:
    for ps in (slice(None), slice(0, 1)):
        ref = _vx_block(_state(None, shared), *days, ps)  # type: ignore[arg-type]
        got = _vx_block(_state(_numba, shared), *days, ps)  # type: ignore[arg-type]
        assert np.isfinite(ref[1]).any() and np.isnan(ref[1]).any()
        for a, b in zip(got, ref, strict=True):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)
