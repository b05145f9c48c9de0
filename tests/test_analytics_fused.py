"""The compiled fills of compute_drag and hedge_cost (alvh.analytics._fused) against the numpy path.

The numba kernels repeat the numpy path's scalar operations in the same order, so every array
must be bit-identical (not merely close) on a multi-path engine run, with and without effective
vega, for both capital bases; and decomposition_error_bp (computed in day blocks) must equal the
whole-array maximum written out here.
"""

from __future__ import annotations

import numpy as np
import pytest

from alvh.analytics import hedge_cost as H
from alvh.analytics.attribution import attribute, slot_groups
from alvh.analytics.drag import compute_drag
from alvh.analytics.exposure import effective_vega
from alvh.analytics.sensitivity import records_sensitivity
from alvh.errors import InputError

pytest.importorskip("numba")


@pytest.fixture(scope="module")
def run():
    from alvh.config import default_rules
    from alvh.engine import run_engine
    from alvh.simulate import synthetic_paths

    mp = synthetic_paths(40, 120, seed=11)
    res = run_engine(default_rules(), mp)
    groups, _ = slot_groups(res.records)
    index = {c: k for k, c in enumerate(res.components)}
    costs = np.stack([-res.costs[..., index[g]] for g in groups], axis=-1)
    nav_prev = np.concatenate([np.full((1, res.nav.shape[1]), res.capital), res.nav[:-1]], axis=0)
    att = attribute(res.records, capital=nav_prev, cost_pnl=costs, financing_pnl=res.financing)
    ev = effective_vega(res.records, records_sensitivity(res.records, model=mp.sensitivity)).per_group
    return res, mp, att, ev, nav_prev


@pytest.mark.parametrize("with_ev", [True, False])
def test_compute_drag_numba_is_bit_identical_to_numpy(run, with_ev):
    res, mp, att, ev, _ = run
    kw = {"dates": res.dates, "vix": mp.vix_close, "effective_vega": ev if with_ev else None}
    a = compute_drag(att, backend="numpy", **kw)
    b = compute_drag(att, backend="numba", **kw)
    assert a.daily.shape[2] == 40 and np.abs(a.daily).sum() > 0
    for name in ("daily", "counterfactual", "maturity", "decorrelation"):
        x, y = getattr(a, name), getattr(b, name)
        if not with_ev and name in ("maturity", "decorrelation"):
            assert x is None and y is None
            continue
        assert x.shape == y.shape and np.array_equal(x, y), name


@pytest.mark.parametrize("basis", ["initial", "nav"])
def test_hedge_cost_numba_is_bit_identical_to_numpy(run, basis):
    res, mp, att, ev, nav_prev = run
    kw = {"dates": res.dates, "vix": mp.vix_close, "capital": float(res.capital), "basis": basis, "nav_prev": nav_prev}
    a = H.hedge_cost(att, ev, backend="numpy", **kw)
    b = H.hedge_cost(att, ev, backend="numba", **kw)
    assert np.abs(a.pnl_usd[2]).sum() > 0  # the curve term (the identity's closing term) is not trivially zero
    assert np.array_equal(a.pnl_usd, b.pnl_usd)
    assert np.array_equal(a.effective_vega, b.effective_vega)
    err = np.abs(a.pnl_usd.sum(axis=0) - a.total_usd) * (1e4 / a.basis_usd)[:, :, None]
    assert a.decomposition_error_bp() == b.decomposition_error_bp() == float(err.max())


def test_unknown_backend_is_refused(run):
    res, mp, att, ev, _ = run
    with pytest.raises(InputError, match="backend"):
        compute_drag(att, dates=res.dates, vix=mp.vix_close, backend="fast")
    with pytest.raises(InputError, match="backend"):
        H.hedge_cost(att, ev, dates=res.dates, vix=mp.vix_close, capital=float(res.capital), backend="fast")
