"""A chunk's market paths: the factors drawn block by block, the market model once on the chunk's own paths
(alvh.montecarlo.streams.chunk_paths) against the per-block way kept as the reference (each block's whole
market, joined and cut: chunk_paths_by_block). Bit-identical in every array, the surface and VIX-option vol,
the provenance and the dF/dVIX; blocks cut anywhere, a scenario, a user's event dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.market import SpxSurface
from alvh.montecarlo import PATH_BLOCK, PathModel
from alvh.montecarlo.streams import chunk_paths, chunk_paths_by_block, concat_factors
from alvh.simulate import Scenario, Shock, SimParams


def _same_market(a, b) -> None:  # noqa: ANN001 - two MarketPaths
    assert a.dates.equals(b.dates)
    for name in ("spx_open", "spx_close", "vix_open", "vix_close", "vx_price", "vx_expiry", "rate"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.shape == y.shape and x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=True), name
    assert a.vx_codes == b.vx_codes and a.vx_final is None and b.vx_final is None
    assert isinstance(a.surface, SpxSurface) and isinstance(b.surface, SpxSurface)
    for name in ("theta30", "tail", "term_ratio"):
        x, y = np.asarray(getattr(a.surface, name)), np.asarray(getattr(b.surface, name))
        assert x.shape == y.shape and np.array_equal(x, y), name
    va, vb = a.vix_option_vol, b.vix_option_vol
    assert np.array_equal(va.vix, vb.vix) and np.array_equal(va.vvix, vb.vvix, equal_nan=True)
    assert va.params == vb.params
    dte = np.arange(0.0, 400.0)
    assert np.array_equal(a.sensitivity(dte), b.sensitivity(dte))
    assert a.provenance == b.provenance


@pytest.mark.parametrize(
    ("first", "last"),
    [(0, PATH_BLOCK), (0, 2 * PATH_BLOCK), (490, 510), (7, 19), (PATH_BLOCK + 3, 3 * PATH_BLOCK - 5)],
    ids=["one_block", "two_blocks", "straddle", "inside_one", "three_cut"],
)
def test_chunk_market_is_the_per_block_market(first, last):
    m = PathModel()
    _same_market(chunk_paths(m, 3, first, last, 40), chunk_paths_by_block(m, 3, first, last, 40))


def test_with_a_scenario_and_event_dates():
    params = SimParams.default()
    sc = Scenario(
        name="jump",
        vix0=30.0,
        shocks=(
            Shock(day=5, kind="vix_jump", size=1.0),
            Shock(day=9, kind="curve_inversion", size=3.0),
        ),
    )
    events = PathModel.event_pairs({"ppi": pd.DatetimeIndex(["2025-01-15", "2025-02-13"])})
    m = PathModel(params=params, scenario=sc, events=events)
    _same_market(chunk_paths(m, 9, 480, 530, 35), chunk_paths_by_block(m, 9, 480, 530, 35))


def test_concat_factors_joins_cuts_and_counts():
    m = PathModel()
    rng = [np.random.Generator(np.random.PCG64(s)) for s in (1, 2)]
    parts = [m.factors(6, 12, r)[1] for r in rng]
    fp = concat_factors(parts, slice(4, 9))
    assert np.array_equal(fp.vix_close, np.concatenate([p.vix_close for p in parts], axis=1)[:, 4:9])
    assert fp.spx_close.shape == (12, 5) and fp.n_clipped == sum(p.n_clipped for p in parts)
    whole = concat_factors(parts[:1], slice(0, 6))
    assert whole.vix_close is parts[0].vix_close  # a block taken whole is not copied


@pytest.mark.parametrize(("n_paths", "n_days", "seed"), [(40, 252, 1), (3, 500, 2), (1, 30, 3)])
def test_vx_prices_a_month_at_a_time_are_the_day_by_day_prices(n_paths, n_days, seed):
    from alvh.simulate.model import simulate_factor_paths, vx_prices, vx_prices_by_day

    params, fp, dates = simulate_factor_paths(SimParams.default(), n_paths, n_days, np.random.default_rng(seed))
    a, b = vx_prices(fp, dates, params), vx_prices_by_day(fp, dates, params)
    assert np.array_equal(a[0], b[0]) and a[2] == b[2]
    assert a[1].shape == b[1].shape == (n_days, n_paths, len(a[0]))
    assert np.array_equal(a[1], b[1], equal_nan=True)
    assert np.isfinite(a[1]).any(axis=2).all()  # some contract listed every day


def test_default_term_ratio_is_the_term_ratio_without_indices():
    from alvh.market.surface import _default_term_ratio, _term_ratio

    rng = np.random.default_rng(5)
    for shape in ((60, 40), (7,), (3, 1)):
        v = rng.lognormal(3.0, 0.7, shape).clip(2.0, 250.0)
        v.flat[0] = 2.0
        v.flat[-1] = 250.0
        want, used = _term_ratio(v, None, None, None)
        got, got_used = _default_term_ratio(v)
        assert got.shape == want.shape and np.array_equal(got, want) and np.array_equal(got_used, used)
    # from_vix takes it only when no term index is given
    v = rng.lognormal(3.0, 0.5, (20, 4)).clip(5.0, 150.0)
    nine = v * 0.9
    assert np.array_equal(SpxSurface.from_vix(v, vix9d=nine).term_ratio, _term_ratio(v, nine, None, None)[0])
    assert np.array_equal(SpxSurface.from_vix(v).term_ratio, _term_ratio(v, None, None, None)[0])
