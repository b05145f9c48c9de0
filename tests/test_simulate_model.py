"""The joint Monte Carlo model: shapes, determinism, the engine's input (tests of the seam)."""

from __future__ import annotations

import numpy as np
import pytest

from alvh.engine.inputs import MarketPaths
from alvh.errors import ConfigError, InputError
from alvh.simulate import Scenario, Shock, SimParams, simulate_market


def test_market_paths_shapes_and_seeded_determinism() -> None:
    p = SimParams.default()
    a = simulate_market(p, 50, 60, np.random.default_rng(7))
    b = simulate_market(p, 50, 60, np.random.default_rng(7))
    assert isinstance(a, MarketPaths) and a.vix_close.shape == (60, 50)
    assert a.vx_price.shape[:2] == (60, 50)
    for name in ("spx_close", "vix_close", "vx_price", "vix_open", "spx_open"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    c = simulate_market(p, 50, 60, np.random.default_rng(8))
    assert not np.array_equal(a.vix_close, c.vix_close)
    listed = np.isfinite(a.vx_price)
    assert listed.sum(axis=2).min() >= 8  # about nine monthly contracts listed every day
    assert (a.vx_price[listed] > 0).all()


def test_params_round_trip(tmp_path) -> None:  # noqa: ANN001
    p = SimParams.default()
    p.to_toml(tmp_path / "p.toml")
    assert SimParams.from_toml(tmp_path / "p.toml") == p


def test_bad_sizes_and_shock_beyond_horizon_refused_before_running() -> None:
    p = SimParams.default()
    with pytest.raises(InputError, match="n_paths"):
        simulate_market(p, 0, 10, np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"shocks\[0\].day"):
        simulate_market(p, 2, 10, np.random.default_rng(0), scenario=Scenario("s", (Shock("vix_jump", 12, 0.5),)))
