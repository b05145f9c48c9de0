"""alvh.market._splines: the surface solve's spline evaluators against scipy (the slow reference), to the last bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.interpolate import CubicSpline, RectBivariateSpline

from alvh.market._splines import PiecewiseCubic, TensorBSpline


def _points(lo: float, hi: float, nodes: np.ndarray, rng: np.random.Generator, n: int = 20_000) -> np.ndarray:
    """Random points over the domain and 10% beyond it, every node, both ends, +-inf-free extremes and a NaN."""
    w = hi - lo
    pts = rng.uniform(lo - 0.1 * w, hi + 0.1 * w, n)
    edge = [lo, hi, np.nextafter(lo, -np.inf), np.nextafter(hi, np.inf), lo - 1e6 * w, hi + 1e6 * w, np.nan]
    return np.concatenate([pts, nodes, np.nextafter(nodes, np.inf), np.nextafter(nodes, -np.inf), edge])


@pytest.mark.parametrize("seed", range(5))
def test_piecewise_cubic_equals_scipy_cubic_spline(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 300))
    x = np.sort(rng.uniform(-3.0, 5.0, n))
    y = np.cumsum(rng.normal(size=n))
    ref = CubicSpline(x, y)
    mine = PiecewiseCubic(ref.x, ref.c)
    v = _points(x[0], x[-1], x, rng)
    assert np.array_equal(mine(v), ref(v), equal_nan=True)
    # shapes are kept, scalars work
    assert mine(v[:12].reshape(3, 4)).shape == (3, 4)
    assert mine(float(x[1])) == ref(float(x[1]))


@pytest.mark.parametrize("seed", range(5))
def test_tensor_bspline_equals_scipy_rect_bivariate_spline(seed):
    rng = np.random.default_rng(100 + seed)
    nx, ny = int(rng.integers(5, 80)), int(rng.integers(5, 80))
    x = np.sort(rng.uniform(-2.0, 1.0, nx))
    y = np.sort(rng.uniform(0.0, 4.0, ny))
    z = np.sin(x[:, None] * 3.0) * np.cos(y[None, :]) + rng.normal(scale=0.1, size=(nx, ny))
    ref = RectBivariateSpline(x, y, z, kx=3, ky=3)
    tx, ty, c = ref.tck
    mine = TensorBSpline(tx, ty, c, kx=3, ky=3)
    px = _points(x[0], x[-1], x, rng)
    py = rng.permutation(_points(y[0], y[-1], y, rng)[: px.size])
    py = np.resize(py, px.size)
    py[-3] = np.nan  # a NaN in y alone
    assert np.array_equal(mine.ev(px, py), ref.ev(px, py), equal_nan=True)
    # broadcasting as scipy's ev: a scalar against an array
    assert np.array_equal(mine.ev(px[:50], 1.5), ref.ev(px[:50], 1.5))


def test_the_surface_tables_evaluate_as_scipy_fits_them(tmp_path, monkeypatch):
    # the solve's own splines: fitted by scipy (a fresh build, no memo), evaluated here, equal to scipy's evaluation
    from alvh.market import surface as sm

    monkeypatch.setenv(sm.CACHE_ENV, str(tmp_path))
    sm._tables.cache_clear()
    sm._theta_column.cache_clear()
    try:
        tab = sm._tables()
        n_th, n_tail = 120, 70
        log_th = sm._log_theta_nodes(n_th)
        tail = np.linspace(sm.TAIL_MIN, sm.TAIL_MAX, n_tail)
        z = np.load(next(tmp_path.glob("tailsmile_tables_*.npz")))
        var = z["var"]
        lt_of, lv_grid = sm._theta_inverse(np.log(var), log_th, tail)
        ref = RectBivariateSpline(lv_grid, tail, lt_of, kx=3, ky=3)
        rng = np.random.default_rng(7)
        a = rng.uniform(lv_grid[0] - 0.5, lv_grid[-1] + 0.5, 50_000)
        b = rng.uniform(-0.1, 1.1, 50_000)
        assert np.array_equal(tab.log_theta_of.ev(a, b), ref.ev(a, b))
        slope = RectBivariateSpline(log_th, tail, np.gradient(np.log(var), log_th, axis=0), kx=3, ky=3)
        assert np.array_equal(tab.dlogvar_dlogtheta.ev(a, b), slope.ev(a, b))
        col = sm._theta_column(sm.DEFAULT_TAIL)
        zc = np.load(next(tmp_path.glob("tailsmile_column_*.npz")))
        ref_col = CubicSpline(np.log(zc["var"]), sm._log_theta_nodes(400))
        assert np.array_equal(col(a), ref_col(a))
    finally:
        sm._tables.cache_clear()
        sm._theta_column.cache_clear()


def test_a_memo_load_imports_no_scipy_interpolate(tmp_path):
    # the first process builds the tables (scipy fits the splines), a second one only loads them
    code = (
        "import sys, numpy as np\n"
        "from alvh.market.surface import solve_theta30\n"
        "th, tl, _ = solve_theta30(np.array([[12.0], [45.0]]), np.array([[120.0], [140.0]]))\n"
        "print('scipy.interpolate' in sys.modules, repr(th.tolist()), repr(tl.tolist()))\n"
    )
    # what a backtest process imports, with the memo found: neither scipy.interpolate nor scipy.optimize
    modules = (
        "import sys, alvh.api, alvh.engine, alvh.analytics, alvh.data.source, alvh.report.backtest_report\n"
        "print(sorted(m for m in ('scipy.interpolate', 'scipy.optimize') if m in sys.modules))\n"
    )
    env = {"ALVH_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.split(" ", 1)[0] == "True"  # a build fits with scipy
    assert second.stdout.split(" ", 1)[0] == "False"
    assert first.stdout.split(" ", 1)[1] == second.stdout.split(" ", 1)[1]  # same bits from the memo
    third = subprocess.run([sys.executable, "-c", modules], capture_output=True, text=True, env=env, check=True)
    assert third.stdout.strip() == "[]"


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        PiecewiseCubic(np.arange(4.0), np.zeros((4, 2)))
    with pytest.raises(ValueError):
        TensorBSpline(np.arange(10.0), np.arange(10.0), np.zeros(5))
