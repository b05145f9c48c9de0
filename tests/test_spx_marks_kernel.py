"""The engine's compiled SPX marks (alvh.market._spx_kernel.spx_marks) against the numpy formulas
(the smile's ``iv`` and alvh.strategy.kernels.bsm_greeks): legs sharing a time to expiry (the kernel
computes its time factors once per distinct t) and legs that do not, a leg expiring today and an empty leg."""

from __future__ import annotations

import numpy as np
import pytest

from alvh.market import SpxSurface
from alvh.market.surface import _TERM_T
from alvh.strategy import kernels


@pytest.mark.parametrize("days", [[30, 30, 30, 30], [3, 30, 45, 200], [0, 21, 21, 60]])
def test_compiled_marks_equal_the_numpy_formulas(days: list[int]) -> None:
    pytest.importorskip("numba")
    from alvh.market._spx_kernel import spx_marks

    rng = np.random.default_rng(7)
    P, L = 6, 4
    vix = rng.uniform(10, 50, size=(1, P))
    surf = SpxSurface.from_vix(vix, polish=False)
    spot, spot_open = rng.uniform(3000, 5000, P), rng.uniform(3000, 5000, P)
    strike = spot[:, None] * np.array([0.85, 0.95, 1.03, 1.1])[None, :]
    t = np.array([days] * P, dtype=float) / 365
    qty = np.ones((P, L))
    qty[0, 1] = 0.0  # an empty leg keeps its last marks
    rate, q = 0.03, 0.013
    is_call = np.array([False, False, True, True])
    last = [rng.uniform(1, 50, (P, L)), rng.uniform(3000, 5000, (P, L)), rng.uniform(0.1, 0.4, (P, L))]
    out = [np.zeros((P, L)) for _ in range(3)]
    settle = np.zeros((P, L), dtype=bool)
    greeks = np.zeros((P, 4))
    spx_marks(
        spot, spot_open, strike, t, surf.theta30[0], surf.tail[0], surf.term_ratio[0], _TERM_T, rate, q,
        is_call, qty, 100.0, last[2], last[0], last[1], out[0], out[1], out[2], settle, greeks,
    )  # fmt: skip
    live = t > 0
    fwd = spot[:, None] * np.exp((rate - q) * t)
    vol = np.where(live, surf.day(0).iv(np.log(strike / fwd), np.maximum(t, 1e-9)), last[2])
    und = np.where(live, spot[:, None], spot_open[:, None])
    g = kernels.bsm_greeks(und, strike, t, np.where(live, vol, 0.2), rate, q, is_call[None, :])
    held = qty != 0
    np.testing.assert_allclose(out[0], np.where(held, g.price, last[0]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[2], np.where(held, vol, last[2]), rtol=1e-12)
    np.testing.assert_array_equal(settle, held & ~live)
    qm = np.where(held & live, qty * 100.0, 0.0)
    for k, arr in enumerate((g.delta, g.gamma, g.vega, g.theta)):
        np.testing.assert_allclose(greeks[:, k], (qm * arr).sum(axis=1), rtol=1e-10, atol=1e-9)
