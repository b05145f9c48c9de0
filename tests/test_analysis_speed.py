"""What made analyze() faster changes no figure: the engine's dF/dVIX read from the result, the attribution's
chunking (docs/analytics.md "time")."""

from __future__ import annotations

import dataclasses
import json
import pickle

import numpy as np
import pytest


@pytest.fixture(scope="module")
def real_run(real_market_data):
    import alvh
    from alvh.config import default_rules

    rules = default_rules()
    return rules, alvh.run(rules, real_market_data, "2015-01-02", "2016-12-30", analysis=False)


def test_analysis_reads_the_engines_dfdvix_with_the_same_figures(real_run, real_market_data):
    from alvh.analytics import analyze
    from alvh.analytics.sensitivity import expanding_dfdvix

    rules, res = real_run
    assert res.dfdvix is not None and res.dfdvix.dates.equals(res.dates) and res.dfdvix.model is None
    md = real_market_data
    # the engine's estimate on the run's days is the whole market's expanding estimate on those rows
    full = expanding_dfdvix(md.vx.settle, md.vx.dte, md.vix["close"].to_numpy(dtype=float), md.dates)
    rows = md.dates.get_indexer(res.dates)
    for f in ("beta", "dte_mean", "n_obs", "beta_close", "dte_mean_close", "n_obs_close"):
        assert np.array_equal(getattr(res.dfdvix, f), getattr(full, f)[rows], equal_nan=True), f
    carried = analyze(res, md, rules)
    refit = analyze(dataclasses.replace(res, dfdvix=None), md, rules)
    assert json.dumps(carried.summary_dict(), default=str, sort_keys=True) == json.dumps(
        refit.summary_dict(), default=str, sort_keys=True
    )
    assert np.array_equal(carried.drag.exposure.per_group, refit.drag.exposure.per_group, equal_nan=True)
    back = pickle.loads(pickle.dumps(res))  # the estimate travels without its closure: a result still pickles
    assert np.array_equal(back.dfdvix.beta, res.dfdvix.beta, equal_nan=True)


def test_attribution_in_one_chunk_gives_the_64_day_chunks_terms(real_run):
    from alvh.analytics.attribution import attribute

    _, res = real_run
    one = attribute(res.records, capital=float(res.capital), trust_marks=True, backend="numpy")
    chunked = attribute(res.records, capital=float(res.capital), trust_marks=True, backend="numpy", day_chunk=64)
    assert one.meta["day_chunk"] >= len(res.dates) and chunked.meta["day_chunk"] == 64
    for f in ("pnl", "total", "vega_notional", "core_iv_change"):
        assert np.array_equal(getattr(one, f), getattr(chunked, f), equal_nan=True), f
    assert one.meta["option_batches_repriced"] == 0 == chunked.meta["option_batches_repriced"]
