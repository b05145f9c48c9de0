"""The engine reads dF/dVIX from the one no-look-ahead estimate (alvh.market.vx_sensitivity).

On real data the layers' effective-vega greek each day equals quantity x 1000 x the estimate known at
that close (ExpandingDfdvix.at_close, a separate code path from the engine's table), not the model;
the model answers on synthetic/model-curve paths.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alvh.config import default_rules
from alvh.engine.inputs import paths_from_market_data
from alvh.engine.records import InstrumentKind
from alvh.engine.simulate import run_engine
from alvh.errors import InputError
from alvh.market.vx import effective_vega_model
from alvh.market.vx_sensitivity import ExpandingDfdvix


@pytest.fixture(scope="module")
def real_run(real_market_data):
    mp = paths_from_market_data(real_market_data, "2015-01-02", "2016-06-30", surface="flat_skew")
    return mp, run_engine(default_rules(), mp)


def test_layer_vega_uses_the_estimate_known_at_each_close(real_run):
    mp, res = real_run
    est = mp.sensitivity
    assert isinstance(est, ExpandingDfdvix) and "expanding_dfdvix" in mp.provenance["sensitivity"]
    rec = res.records
    kind = np.asarray(rec.kind)[:, 0]
    qty = np.asarray(rec.quantity)[:, 0]
    t_now = np.asarray(rec.t_now, dtype=float)[:, 0]
    comps = list(res.components)
    checked = 0
    for j, slot_comp in enumerate(rec.slots.component):
        if slot_comp == "core":
            continue
        held = (kind[:, j] == InstrumentKind.VX_FUTURE) & (qty[:, j] != 0) & (t_now[:, j] > 0)
        days = np.flatnonzero(held)
        dte = np.rint(t_now[days, j] * 365.0)
        want = qty[days, j] * 1000.0 * est.at_close(days, dte)
        got = np.asarray(res.greeks)[days, 0, comps.index(slot_comp), 2]
        np.testing.assert_allclose(got, want, rtol=1e-6)  # greeks are stored as float32
        model = qty[days, j] * 1000.0 * effective_vega_model(dte)
        assert np.abs(got - model).max() > 1.0  # it is not the model
        checked += days.size
    assert checked > 500


def test_model_answers_without_an_estimate_and_a_misaligned_estimate_is_refused(real_run):
    mp, _ = real_run
    as_model = dataclasses.replace(mp, sensitivity=lambda d: effective_vega_model(d))
    res = run_engine(default_rules(), as_model)
    rec = res.records
    j = next(i for i, c in enumerate(rec.slots.component) if c == "short")
    q = np.asarray(rec.quantity)[:, 0, j]
    t = np.asarray(rec.t_now, dtype=float)[:, 0, j]
    d = np.flatnonzero((q != 0) & (t > 0))
    np.testing.assert_allclose(
        np.asarray(res.greeks)[d, 0, list(res.components).index("short"), 2],
        q[d] * 1000.0 * effective_vega_model(np.rint(t[d] * 365.0)),
        rtol=1e-6,
    )
    short = dataclasses.replace(mp, sensitivity=mp.sensitivity.take(np.arange(10)))
    with pytest.raises(InputError, match="sensitivity"):
        run_engine(default_rules(), short)
