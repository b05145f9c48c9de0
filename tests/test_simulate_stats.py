"""The calibration's own small numerics against their scipy references (scipy is not imported at run time)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal, stats

from alvh.simulate.calibrate import hawkes_excitation
from alvh.simulate.stats import moments


@pytest.mark.parametrize("phi", [0.3, 0.81, 0.99])
def test_hawkes_excitation_is_scipy_lfilter(phi: float) -> None:
    rng = np.random.default_rng(4)
    n = (rng.random(6000) < 0.03).astype(float)
    n[[0, 1, 2, 5999]] = 1.0  # jumps on the first days and the last
    np.testing.assert_allclose(hawkes_excitation(n, phi), signal.lfilter([0.0, phi], [1.0, -phi], n), atol=1e-12)
    assert not hawkes_excitation(np.zeros(10), phi).any()


def test_moments_are_scipy_skew_and_kurtosis() -> None:
    x = np.random.default_rng(5).standard_t(4, size=(4000, 7))
    m = moments(x)
    np.testing.assert_allclose(m["skewness"], stats.skew(x, axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m["excess kurtosis"], stats.kurtosis(x, axis=0), rtol=1e-12, atol=1e-14)
