r"""Black-Scholes-Merton (SPX, dividend yield) and Black-76 (VIX options on VX futures).

Both are the generalized Black-Scholes formula with cost of carry ``b``
(Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed., section 1.1.6):
BSM has ``b = r - q`` on the spot, Black-76 has ``b = 0`` on the forward.

.. math::

    d_1 = \frac{\ln(S/K) + (b + \sigma^2/2)t}{\sigma\sqrt t},\quad d_2 = d_1 - \sigma\sqrt t,\quad
    V = \omega\,[S e^{(b-r)t} N(\omega d_1) - K e^{-rt} N(\omega d_2)],\ \omega = \pm 1.

Units (docs/architecture.md): ``t`` in years (ACT/365), ``vol`` decimal, ``rate``/``div``
decimal per year continuously compounded; vega per 1 vol point, theta per calendar day,
vanna per vol point, volga per vol point squared (:mod:`alvh.pricing.units`).
Every function broadcasts its arguments with numpy rules (days x paths x strikes).

At ``t == 0`` the price is the intrinsic value; delta is the step ``omega * 1{omega (S-K) > 0}``
(one half at the money), gamma, vega, vanna, volga and theta are 0 (see docs/pricing.md).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from alvh.errors import InputError
from alvh.pricing import _validate as v
from alvh.pricing.backend import resolve_backend
from alvh.pricing.greeks import Greeks
from alvh.pricing.units import THETA_PER_DAY, VANNA_PER_POINT, VEGA_PER_POINT, VOLGA_PER_POINT2

Backend = Literal["auto", "numpy", "numba"]

#: With ``backend="auto"`` numba is used from this many elements on (below it the numpy
#: path is as fast and avoids first-call JIT compilation).
NUMBA_AUTO_MIN_SIZE: int = 20_000

_INV_SQRT_2PI = 0.3989422804014327  # 1/sqrt(2*pi), as alvh.pricing._scalar.INV_SQRT_2PI


def _npdf(x: np.ndarray) -> np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _gbs_numpy(
    s: ArrayLike,
    k: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    r: ArrayLike,
    b: ArrayLike,
    cp: ArrayLike,
    bad: np.ndarray | None,
    greeks: str | bool,
) -> dict[str, np.ndarray]:
    """Generalized BSM on broadcast float arrays; ``bad`` marks invalid elements (or None).

    The numpy reference of the formulas; the compiled passes use the scalar kernels of
    :mod:`alvh.pricing._scalar` (same expressions, same order; tested equal to a few ulp).

    Invalid and expired elements are computed on harmless stand-in values (so no
    RuntimeWarning can arise) and overwritten at the end. ``greeks``: False = price only,
    ``"pdv"`` = price, delta, vega; True = all seven outputs.
    """
    s, k, t, vol, r, b, cp = np.broadcast_arrays(s, k, t, vol, r, b, cp)
    expired = t == 0.0
    stand_in = expired if bad is None else (expired | bad)
    if stand_in.any():
        s = np.where(stand_in, 1.0, s)
        k = np.where(stand_in, 1.0, k)
        t = np.where(stand_in, 1.0, t)
        vol = np.where(stand_in, 0.2, vol)
        r = np.where(stand_in, 0.0, r)
        b = np.where(stand_in, 0.0, b)
    omega = np.where(cp, 1.0, -1.0)
    sqrt_t = np.sqrt(t)
    sig_rt = vol * sqrt_t
    d1 = (np.log(s / k) + (b + 0.5 * vol * vol) * t) / sig_rt
    d2 = d1 - sig_rt
    carry_df = np.exp((b - r) * t)  # e^{(b-r)t}: e^{-qt} for BSM, e^{-rt} for Black-76
    df = np.exp(-r * t)
    n1 = ndtr(omega * d1)
    n2 = ndtr(omega * d2)
    s_fwd = s * carry_df
    k_df = k * df
    price = omega * (s_fwd * n1 - k_df * n2)
    out = {"price": price}
    if greeks:
        pdf1 = _npdf(d1)
        delta = omega * carry_df * n1
        vega1 = s_fwd * pdf1 * sqrt_t  # per 1.0 vol
        if greeks == "pdv":
            out.update(delta=delta, vega=vega1 * VEGA_PER_POINT)
            return out
        gamma = carry_df * pdf1 / (s * sig_rt)
        theta_year = -s_fwd * pdf1 * vol / (2.0 * sqrt_t) - omega * (b - r) * s_fwd * n1 - omega * r * k_df * n2
        vanna1 = -carry_df * pdf1 * d2 / vol
        volga1 = vega1 * d1 * d2 / vol
        out.update(
            delta=delta,
            gamma=gamma,
            vega=vega1 * VEGA_PER_POINT,
            theta=theta_year * THETA_PER_DAY,
            vanna=vanna1 * VANNA_PER_POINT,
            volga=volga1 * VOLGA_PER_POINT2,
        )
    return out


def _finish_expired(out, s_in, k_in, t_in, cp, bad):
    """Overwrite t == 0 elements with intrinsic value and the documented greek limits, bad ones with NaN."""
    s, k, t, cp = np.broadcast_arrays(s_in, k_in, t_in, cp)
    expired = t == 0.0
    if bad is not None:
        expired = expired & ~bad
    if expired.any():
        omega = np.where(cp, 1.0, -1.0)
        with np.errstate(invalid="ignore"):  # NaN s/k only where `bad`, which is overwritten just below
            moneyness = omega * (s - k)
        intrinsic = np.maximum(moneyness, 0.0)
        step = np.where(moneyness > 0.0, omega, np.where(moneyness == 0.0, 0.5 * omega, 0.0))
        for name, value in out.items():
            if name == "price":
                limit = intrinsic
            elif name == "delta":
                limit = step
            else:
                limit = 0.0
            out[name] = np.where(expired, limit, value)
    if bad is not None:
        for name, value in out.items():
            out[name] = np.where(bad, np.nan, value)
    return out


def _resolve_backend(backend: str, size: int) -> str:
    return resolve_backend(backend, size=size, auto_min_size=NUMBA_AUTO_MIN_SIZE).name


def _gbs(
    named: list[tuple[str, np.ndarray, str]],
    cp: np.ndarray,
    validate: bool,
    backend: Backend,
    what: str,
    carry_is_zero: bool,
) -> Any:  # an array, a (price, delta, vega) tuple or Greeks, by `what`
    """Shared driver: validate, pick the backend, compute ``what`` in ('price', 'pdv', 'greeks')."""
    s, k, t, vol, r, q = (a for _, a, _ in named)
    try:
        shape = np.broadcast_shapes(s.shape, k.shape, t.shape, vol.shape, r.shape, q.shape, cp.shape)
    except ValueError as exc:
        raise InputError(
            f"shapes do not broadcast ({exc})",
            argument="spot/strike/t/vol/rate/div/is_call",
            expected="numpy-broadcastable shapes",
        ) from exc
    chosen = _resolve_backend(backend, int(np.prod(shape)))
    # the numba kernel writes NaN for invalid elements itself, so the mask is only needed to raise
    bad = v.check(named, validate) if (validate or chosen == "numpy") else None
    if chosen == "numba":
        from alvh.pricing import _numba

        return _numba.gbs(s, k, t, vol, r, q, cp, shape, what, carry_is_zero)
    b = np.zeros_like(r) if carry_is_zero else r - q  # NaN only where `bad`
    out = _gbs_numpy(s, k, t, vol, r, b, cp, bad, greeks="pdv" if what == "pdv" else what == "greeks")
    out = _finish_expired(out, s, k, t, cp, bad)
    out = {name: np.asarray(value, dtype=np.float64) for name, value in out.items()}  # 0-d arrays, never scalars
    if what == "pdv":
        return out["price"], out["delta"], out["vega"]
    if what == "greeks":
        return Greeks(**out)
    return out["price"]


def _bsm_args(spot, strike, t, vol, rate, div, is_call, validate):
    named = [
        ("spot", v.as_float("spot", spot), "positive"),
        ("strike", v.as_float("strike", strike), "positive"),
        ("t", v.as_float("t", t), "time"),
        ("vol", v.as_float("vol", vol), "positive"),
        ("rate", v.as_float("rate", rate), "finite"),
        ("div", v.as_float("div", div), "finite"),
    ]
    return named, v.as_flag("is_call", is_call, validate)


def _b76_args(forward, strike, t, vol, rate, is_call, validate):
    named = [
        ("forward", v.as_float("forward", forward), "positive"),
        ("strike", v.as_float("strike", strike), "positive"),
        ("t", v.as_float("t", t), "time"),
        ("vol", v.as_float("vol", vol), "positive"),
        ("rate", v.as_float("rate", rate), "finite"),
        ("div", np.zeros(()), "finite"),
    ]
    return named, v.as_flag("is_call", is_call, validate)


def bsm_price(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
    backend: Backend = "auto",
) -> np.ndarray:
    """Black-Scholes-Merton price of European options on a dividend-paying index (SPX).

    Parameters
    ----------
    spot, strike : index points, > 0.
    t : years to expiry (ACT/365), >= 0; ``t == 0`` gives the intrinsic value.
    vol : decimal volatility, > 0.
    rate, div : decimal per year, continuously compounded.
    is_call : bool (True = call).
    validate : raise :class:`~alvh.errors.InputError` naming the first bad argument (default);
        ``False`` returns NaN for invalid elements (hot path).
    backend : ``"numpy"``, ``"numba"`` (fused JIT kernel) or ``"auto"`` (numba from
        ``NUMBA_AUTO_MIN_SIZE`` elements when installed).

    Returns
    -------
    ndarray of the broadcast shape, index points per unit.

    Notes
    -----
    Tested against QuantLib's AnalyticEuropeanEngine (1e-10 relative / 1e-12 absolute),
    put-call parity and a scalar ``math.erf`` reference (tests/test_pricing.py).
    """
    named, cp = _bsm_args(spot, strike, t, vol, rate, div, is_call, validate)
    return _gbs(named, cp, validate, backend, "price", carry_is_zero=False)


def bsm_greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
    backend: Backend = "auto",
) -> Greeks:
    """Black-Scholes-Merton price and greeks (:class:`Greeks`; units in its docstring).

    Parameters as :func:`bsm_price`. delta/gamma are with respect to spot; theta is the
    change per calendar day with spot held fixed (includes carry). Tested against QuantLib
    (1e-8) and central finite differences (tests/test_pricing.py).
    """
    named, cp = _bsm_args(spot, strike, t, vol, rate, div, is_call, validate)
    return _gbs(named, cp, validate, backend, "greeks", carry_is_zero=False)


def bsm_price_delta_vega(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
    backend: Backend = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Price, delta and vega (per vol point) in one fused pass; parameters as :func:`bsm_price`."""
    named, cp = _bsm_args(spot, strike, t, vol, rate, div, is_call, validate)
    return _gbs(named, cp, validate, backend, "pdv", carry_is_zero=False)


def black76_price(
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
    backend: Backend = "auto",
) -> np.ndarray:
    """Black-76 price of European options on a future (VIX options on the VX future).

    ``V = e^{-rt} omega [F N(omega d1) - K N(omega d2)]`` with ``d1 = (ln(F/K) + sigma^2 t/2)/(sigma sqrt t)``.
    Parameters as :func:`bsm_price` with ``forward`` (index points, > 0) for the spot and no dividend.
    Tested against QuantLib's BlackCalculator.
    """
    named, cp = _b76_args(forward, strike, t, vol, rate, is_call, validate)
    return _gbs(named, cp, validate, backend, "price", carry_is_zero=True)


def black76_greeks(
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
    backend: Backend = "auto",
) -> Greeks:
    """Black-76 price and greeks; delta = dPrice/dForward, gamma = d2Price/dForward2, theta with the forward fixed."""
    named, cp = _b76_args(forward, strike, t, vol, rate, is_call, validate)
    return _gbs(named, cp, validate, backend, "greeks", carry_is_zero=True)


def black76_price_delta_vega(
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
    backend: Backend = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black-76 price, delta (dV/dF) and vega (per vol point) in one fused pass."""
    named, cp = _b76_args(forward, strike, t, vol, rate, is_call, validate)
    return _gbs(named, cp, validate, backend, "pdv", carry_is_zero=True)


def strike_from_delta(
    spot: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike,
    delta: ArrayLike,
    is_call: ArrayLike,
    *,
    validate: bool = True,
) -> np.ndarray:
    r"""Strike whose BSM **spot delta** equals ``delta`` at a fixed volatility.

    Spot delta (the delta of :func:`bsm_greeks`): call ``e^{-qt} N(d1)``, put ``-e^{-qt} N(-d1)``,
    so ``d1 = N^{-1}(delta e^{qt})`` (call) or ``-N^{-1}(-delta e^{qt})`` (put), and

    .. math:: K = S \exp\left(-d_1 \sigma\sqrt t + (r - q + \sigma^2/2) t\right).

    Parameters
    ----------
    spot : index points, > 0.  t : years, > 0.  vol : decimal, > 0.  rate, div : decimal per year.
    delta : signed spot delta: calls in (0, e^{-qt}), puts in (-e^{-qt}, 0) (a 16-delta put is -0.16).
    is_call : bool.
    validate : raise :class:`InputError` naming the argument, or return NaN for bad elements.

    Notes
    -----
    The inversion holds ``vol`` fixed. With a smile the vol depends on the strike, so the caller
    iterates: ``K_{n+1} = strike_from_delta(S, t, vol(K_n), ...)`` until ``K`` stops moving
    (a fixed point; a few iterations for SPX smiles). Round trip tested against :func:`bsm_greeks`.
    """
    from scipy.special import ndtri

    s = v.as_float("spot", spot)
    tt = v.as_float("t", t)
    sig = v.as_float("vol", vol)
    r = v.as_float("rate", rate)
    q = v.as_float("div", div)
    dl = v.as_float("delta", delta)
    cp = v.as_flag("is_call", is_call, validate)
    named = [
        ("spot", s, "positive"),
        ("t", tt, "positive"),
        ("vol", sig, "positive"),
        ("rate", r, "finite"),
        ("div", q, "finite"),
        ("delta", dl, "finite"),
    ]
    bad = v.check(named, validate)
    # no np.broadcast_arrays: the arithmetic below broadcasts (the same values; it was a fifth of the call's
    # time in the engine's strike fixed point, which calls this on (n_paths, 4) arrays several times a day)
    if bad is not None:
        s, tt, sig = (np.where(bad, 1.0, a) for a in (s, tt, sig))
        r, q, dl = (np.where(bad, 0.0, a) for a in (r, q, dl))
    omega = np.where(cp, 1.0, -1.0)
    prob = omega * dl * np.exp(q * tt)  # N(omega d1)
    out_of_range = ~((prob > 0.0) & (prob < 1.0))
    if bad is not None:
        out_of_range &= ~bad
    if out_of_range.any():
        if validate:
            i = tuple(int(j) for j in np.argwhere(out_of_range)[0]) if out_of_range.ndim else ()
            raise InputError(
                f"delta {np.broadcast_to(dl, out_of_range.shape)[i]!r} at index {i} is outside the attainable range",
                argument="delta",
                expected="call delta in (0, e^{-qt}), put delta in (-e^{-qt}, 0)",
            )
        bad = out_of_range if bad is None else (bad | out_of_range)
        prob = np.where(out_of_range, 0.5, prob)
    d1 = omega * ndtri(prob)
    sqrt_t = np.sqrt(tt)
    strike = s * np.exp(-d1 * sig * sqrt_t + (r - q + 0.5 * sig * sig) * tt)
    if bad is not None:
        strike = np.where(bad, np.nan, strike)
    return np.asarray(strike, dtype=np.float64)
