"""One source per formula: the compiled scalar kernels, the engine's settlement wrappers, and the structure.

- alvh.pricing._scalar (the only scalar copy of the closed forms; inlined by every compiled pass)
  against QuantLib's BlackCalculator and against the numpy reference alvh.pricing.black._gbs_numpy;
- alvh.strategy.kernels (the engine's settlement rule around the numpy reference) equal to
  alvh.pricing bit for bit where t > 0, and its settlement values;
- the source tree: one Greeks class, no normal-CDF primitive outside alvh/pricing, no import
  cycle inside alvh.pricing, no hard-coded unit factor in the formula modules.
"""

from __future__ import annotations

import ast
import io
import itertools
import math
import tokenize
from pathlib import Path

import numpy as np
import pytest
import QuantLib as ql

from alvh import pricing
from alvh.pricing import _scalar
from alvh.strategy import kernels

SRC = Path(__file__).resolve().parents[1] / "src" / "alvh"
GREEKS = ("price", "delta", "gamma", "vega", "theta", "vanna", "volga")


def _grid():
    rows = list(
        itertools.product(
            (100.0, 4500.0),
            (0.3, 0.8, 0.97, 1.0, 1.03, 1.2, 2.5),
            (1 / 365, 30 / 365, 0.5, 2.0),
            (0.05, 0.2, 1.0),
            (0.0, 0.05),
            (0.0, 0.015),
            (True, False),
        )
    )
    s, m, t, v, r, q, c = (np.array(x) for x in zip(*rows, strict=True))
    return s, s * m, t, v, r, q, c.astype(bool)


def _scale(name, s):
    """Natural size of each greek per unit of underlying (the tolerances are relative to it)."""
    return {
        "price": s,
        "delta": 1.0,
        "gamma": 1.0 / s,
        "vega": s * 0.01,
        "theta": s / 365.0,
        "vanna": 0.01,
        "volga": s * 1e-4,
    }[name]


def _ql(is_call, k, fwd, t, vol, df, s):
    calc = ql.BlackCalculator(
        ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, k), fwd, vol * math.sqrt(t), df
    )
    return {
        "price": calc.value(),
        "delta": calc.delta(s),
        "gamma": calc.gamma(s),
        "vega": calc.vega(t) * 0.01,
        "theta": calc.theta(s, t) / 365.0,
        "vanna": calc.vanna(s, t) * 0.01,
        "volga": calc.volga(t) * math.sqrt(t) * 1e-4,
    }


def test_scalar_bsm_kernel_matches_quantlib_and_the_numpy_reference():
    s, k, t, v, r, q, c = _grid()
    ref_np = pricing.bsm_greeks(s, k, t, v, r, q, c, backend="numpy")
    for i in range(s.size):
        got = dict(
            zip(GREEKS, _scalar.bsm_greeks(s[i], k[i], t[i], v[i], r[i], q[i], 1.0 if c[i] else -1.0), strict=True)
        )
        ref = _ql(c[i], k[i], s[i] * math.exp((r[i] - q[i]) * t[i]), t[i], v[i], math.exp(-r[i] * t[i]), s[i])
        for name in GREEKS:
            sc = _scale(name, s[i])
            assert abs(got[name] - ref[name]) <= 1e-8 * max(abs(ref[name]), sc), ("quantlib", name, i)
            # the numpy reference: the same expressions; ndtr vs erfc differ by a few ulp of the scale
            assert abs(got[name] - getattr(ref_np, name)[i]) <= 1e-13 * (abs(ref[name]) + sc), ("numpy", name, i)


def test_scalar_price_and_delta_equal_the_greeks_kernel():
    # gbs_price and gbs_delta (used by the fused attribution and exposure passes) are the same numbers as
    # the corresponding outputs of gbs_greeks: one d1/d2, one CDF
    s, k, t, v, r, q, c = _grid()
    for i in range(0, s.size, 7):
        om = 1.0 if c[i] else -1.0
        for b in (r[i] - q[i], 0.0):
            sqrt_t, carry, df = _scalar.gbs_factors(t[i], r[i], b)
            ln_sk = math.log(s[i] / k[i])
            g = _scalar.gbs_greeks(s[i], k[i], t[i], v[i], r[i], b, om, ln_sk, sqrt_t, carry, df)
            assert _scalar.gbs_price(s[i], k[i], t[i], v[i], b, om, ln_sk, sqrt_t, carry, df) == g[0]
            assert _scalar.gbs_delta(t[i], v[i], b, om, ln_sk, sqrt_t, carry) == g[1]


def test_scalar_expiry_rules_match_alvh_pricing():
    s = np.array([90.0, 100.0, 110.0])
    for is_call in (True, False):
        g = pricing.bsm_greeks(s, 100.0, 0.0, 0.2, 0.03, 0.01, is_call)
        om = 1.0 if is_call else -1.0
        assert [_scalar.intrinsic(x, 100.0, om) for x in s] == list(g.price)
        assert [_scalar.step_delta(x, 100.0, om) for x in s] == list(g.delta)


def test_engine_kernels_are_alvh_pricing_where_live():
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(21)))
    n = 3000
    s, k = rng.uniform(50, 6000, n), rng.uniform(50, 6000, n)
    t, v = rng.uniform(1 / 365, 2, n), rng.uniform(0.05, 1.5, n)
    r, q = rng.uniform(-0.01, 0.08, n), rng.uniform(0, 0.04, n)
    c = rng.uniform(size=n) < 0.5
    pairs = (
        (kernels.bsm_greeks(s, k, t, v, r, q, c), pricing.bsm_greeks(s, k, t, v, r, q, c, backend="numpy")),
        (kernels.black_greeks(s, k, t, v, r, c), pricing.black76_greeks(s, k, t, v, r, c, backend="numpy")),
    )
    for mine, ref in pairs:
        assert type(mine) is type(ref) is pricing.Greeks
        for name in GREEKS:
            np.testing.assert_array_equal(getattr(mine, name), getattr(ref, name), err_msg=name)


def test_engine_kernels_settlement_values():
    s = np.array([90.0, 100.0, 110.0, np.nan])
    for t in (0.0, -1 / 365):
        for is_call, price, delta in (
            (True, [0, 0, 10, np.nan], [0, 0, 1, 0]),
            (False, [10, 0, 0, np.nan], [-1, 0, 0, 0]),
        ):
            g = kernels.bsm_greeks(s, 100.0, t, 0.2, 0.05, 0.01, is_call)
            np.testing.assert_array_equal(g.price, price)
            np.testing.assert_array_equal(g.delta, delta)  # at the money: 0 (settles to nothing)
            for name in ("gamma", "vega", "theta", "vanna", "volga"):
                np.testing.assert_array_equal(getattr(g, name)[:3], 0.0)


def test_engine_strike_for_delta_inverts_the_forward_delta():
    f, t, vol = 18.0, 40 / 365, np.array([0.6, 0.9, 1.2])
    for delta, is_call in ((0.3, True), (-0.25, False)):
        k = kernels.strike_for_delta(delta, f, t, vol, 0.05, is_call)
        g = pricing.black76_greeks(f, k, t, vol, 0.0, is_call)  # undiscounted forward delta
        np.testing.assert_allclose(g.delta, delta, rtol=1e-12)


# ---------------------------------------------------------------- the source tree
def _code_tokens(path: Path):
    """(token, line) of a module's code: comments, docstrings and other strings left out."""
    toks = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(t.string, t.start[0]) for t in toks if t.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP)]


def test_one_greeks_class():
    found = [
        (p.relative_to(SRC).as_posix(), node.lineno)
        for p in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name == "Greeks"
    ]
    assert [f for f, _ in found] == ["pricing/greeks.py"], found


def _called(path: Path) -> set[str]:
    """Names of the functions a module calls (``f(...)`` and ``m.f(...)`` give ``f``; ``norm.cdf`` stays whole)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                out.add(f.id)
            elif isinstance(f, ast.Attribute):
                out.add(f"norm.{f.attr}" if isinstance(f.value, ast.Name) and f.value.id == "norm" else f.attr)
    return out


def test_normal_cdf_only_in_pricing():
    # the closed forms live in alvh/pricing; a normal CDF or density called elsewhere is a second copy
    primitives = {"erfc", "erf", "ndtr", "norm.cdf", "norm.pdf"}
    offenders = sorted(
        (p.relative_to(SRC).as_posix(), sorted(_called(p) & primitives))
        for p in SRC.rglob("*.py")
        if p.parent.name != "pricing" and _called(p) & primitives
    )
    assert offenders == []


def _imports(path: Path, package: str, submodules: set[str]) -> set[str]:
    """Every alvh module a file imports, at any depth (function-level imports included).

    ``from <package> import <submodule>`` is an edge to the submodule (Python runs the package's
    ``__init__`` first either way: that is the package's own order, not a cycle).
    """
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("alvh")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("alvh"):
            subs = {f"{node.module}.{a.name}" for a in node.names} & submodules if node.module == package else set()
            out |= subs if subs and len(subs) == len(node.names) else {node.module, *subs}
    return out


def test_pricing_imports_no_cycle_and_nothing_above_it():
    mods = {
        f"alvh.pricing.{p.stem}" if p.stem != "__init__" else "alvh.pricing": p for p in (SRC / "pricing").glob("*.py")
    }
    imports = {m: _imports(p, "alvh.pricing", set(mods)) for m, p in mods.items()}
    graph = {m: {i for i in imports[m] if i in mods and i != m} for m in mods}
    outside = {
        m: sorted(i for i in imports[m] if not i.startswith("alvh.pricing") and i != "alvh.errors") for m in mods
    }
    assert all(not v for v in outside.values()), outside  # pricing imports only alvh.errors (layering)
    # the package __init__ re-exports its modules: edges into it are the cycle to look for
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for nxt in sorted(graph[m]):
            if state.get(nxt) == 1:
                pytest.fail(f"import cycle in alvh.pricing: {' -> '.join([*stack, m, nxt])}")
            if nxt not in state:
                visit(nxt, [*stack, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


#: unit factors that belong to alvh.pricing.units (vol point, days per year, bp, seconds per day)
_UNIT_LITERALS = {"100", "100.0", "0.01", "1e-4", "365", "365.0", "1e4", "86400", "86400.0", "10000"}
_FORMULA_MODULES = (
    "pricing/black.py",
    "pricing/_numba.py",
    "pricing/_scalar.py",
    "pricing/implied_vol.py",
    "pricing/greeks.py",
    "strategy/kernels.py",
    "analytics/attribution.py",
    "analytics/exposure.py",
    "market/_spx_kernel.py",
    "engine/marks.py",
    "engine/core_rules.py",
    "engine/layer_rules.py",
    "engine/rebalance.py",
    "engine/simulate.py",
    "engine/inputs.py",
    "simulate/paths.py",
    "analytics/sensitivity.py",
    "analytics/drag.py",
    "market/vx.py",
    "market/chain.py",
    "stats/irr.py",
)


@pytest.mark.parametrize("module", _FORMULA_MODULES)
def test_no_hard_coded_unit_factor(module):
    found = [(s, line) for s, line in _code_tokens(SRC / module) if s.lower() in _UNIT_LITERALS]
    assert found == [], f"{module}: unit factors written out (use alvh.pricing.units): {found}"
