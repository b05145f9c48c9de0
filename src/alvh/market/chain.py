"""Price SPX options from an imported end-of-day chain, or fit the SSVI surface to it.

For one date of a chain (:func:`alvh.data.chains.read_spx_chain`):

- forward per expiry by put-call parity at the strike where ``|C - P|`` (mids) is smallest, as in
  Cboe's VIX white paper: ``F = K* + e^{rT} (C - P)``;
- implied vol per listed out-of-the-money option (put below F, call at or above) from its mid with
  Black-76 on that forward (discount rate ``r``); where the mid gives no vol (below intrinsic, zero
  bid...) the file's ``iv`` is used when given, else the row is dropped (counted);
- :class:`ChainDay` answers ``iv(k, t)``: linear in ``k = ln(K/F)`` within an expiry (flat beyond
  its lowest and highest strikes), linear in total variance between expiries at fixed ``k``, the
  nearest expiry's vol outside the listed range; and ``quote(...)`` returns the listed bid/ask/mid.
- :func:`fit_ssvi` fits an SSVI surface (Gatheral & Jacquier 2014, power-law phi; theta per expiry,
  non-decreasing; one rho and eta; gamma fixed) to the chain's implied vols by least squares with
  ``eta (1 + |rho|) <= 2`` built in (no static arbitrage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.errors import InputError
from alvh.pricing.units import DAYS_PER_YEAR

#: SSVI power-law exponent of the chain fit (GJ 2014 Remark 4.4 range (0, 1/2]).
DEFAULT_GAMMA = 0.5


def ssvi_total_variance(
    k: np.ndarray, theta: np.ndarray, rho: np.ndarray | float, eta: float, gamma: float = DEFAULT_GAMMA
) -> np.ndarray:
    """SSVI total implied variance (GJ 2014 eq. 4.1, power-law ``phi = eta / (theta^g (1+theta)^(1-g))``)."""
    phi = eta / (np.power(theta, gamma) * np.power(1.0 + theta, 1.0 - gamma))
    pk = phi * k
    return 0.5 * theta * (1.0 + rho * pk + np.sqrt((pk + rho) ** 2 + 1.0 - rho * rho))


@dataclass(frozen=True)
class ChainDay:
    """One date of a chain: forwards, implied vols of OTM options, and the quotes.

    Attributes
    ----------
    date : pandas.Timestamp
    t : ndarray (n_expiries,), years to each expiry (ACT/365), ascending.
    forward : ndarray (n_expiries,), index points.
    slices : tuple of (k, iv) arrays per expiry, k ascending.
    quotes : pandas.DataFrame, the chain rows of this date (with ``iv_mid``, ``k``, ``t``).
    n_dropped : int, OTM rows without any usable vol.
    """

    date: pd.Timestamp
    t: np.ndarray
    forward: np.ndarray
    slices: tuple[tuple[np.ndarray, np.ndarray], ...]
    quotes: pd.DataFrame
    n_dropped: int

    def _slice_iv(self, j: int, k: np.ndarray) -> np.ndarray:
        ks, vs = self.slices[j]
        return np.interp(k, ks, vs)  # flat beyond the end strikes

    def iv(self, k: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
        """Implied vol (decimal) at ``k = ln(K/F)`` and ``t`` years (> 0), any broadcastable shapes."""
        kk, tt = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(t, dtype=float))
        if not np.isfinite(tt).all() or (tt <= 0).any():
            raise InputError("time to expiry must be finite and > 0", argument="t", expected="years > 0")
        if not np.isfinite(kk).all():
            raise InputError("log-moneyness must be finite", argument="k", expected="finite ln(K/F)")
        ts = self.t
        out = np.empty(kk.shape)
        j_hi = np.searchsorted(ts, tt, side="left")
        before = j_hi == 0
        after = j_hi >= ts.size
        if before.any():
            out[before] = self._slice_iv(0, kk[before])
        if after.any():
            out[after] = self._slice_iv(ts.size - 1, kk[after])
        for j in range(1, ts.size):  # expiries of the chain, not positions
            m = j_hi == j
            if not m.any():
                continue
            w0 = self._slice_iv(j - 1, kk[m]) ** 2 * ts[j - 1]
            w1 = self._slice_iv(j, kk[m]) ** 2 * ts[j]
            a = (tt[m] - ts[j - 1]) / (ts[j] - ts[j - 1])
            out[m] = np.sqrt((w0 + a * (w1 - w0)) / tt[m])
        return out

    def quote(self, expiry: object, strike: np.ndarray, is_call: np.ndarray) -> pd.DataFrame:
        """Listed ``bid, ask, mid`` for the given expiry and strikes (NaN where not listed)."""
        e = pd.Timestamp(expiry)
        q = self.quotes[self.quotes["expiry"] == e]
        want = pd.DataFrame(
            {
                "strike": np.asarray(strike, dtype=float),
                "is_call": np.broadcast_to(np.asarray(is_call, dtype=bool), np.shape(strike)),
            }
        )
        got = want.merge(q[["strike", "is_call", "bid", "ask", "mid"]], on=["strike", "is_call"], how="left")
        return got


def chain_day(chain: pd.DataFrame, date: object, rate: float) -> ChainDay:
    """Build the :class:`ChainDay` of ``date`` from a frame of :func:`read_spx_chain`.

    Raises
    ------
    InputError
        ``date`` not in the chain; an expiry without a strike quoted on both sides (no parity forward).
    """
    from alvh.pricing import implied_vol

    d = pd.Timestamp(date)
    rows = chain[(chain["date"] == d) & (chain["expiry"] > d)]
    if rows.empty:
        raise InputError(f"no chain rows with expiry after {d.date()}", argument="date", expected="a date of the chain")
    expiries = np.sort(rows["expiry"].unique())
    t_list, f_list, slices, frames = [], [], [], []
    dropped = 0
    for e in expiries:  # one pass per listed expiry
        sub = rows[rows["expiry"] == e]
        t = (pd.Timestamp(e) - d).days / DAYS_PER_YEAR
        calls = sub[sub["is_call"]].set_index("strike")["mid"]
        puts = sub[~sub["is_call"]].set_index("strike")["mid"]
        both = calls.index.intersection(puts.index)
        if both.empty:
            raise InputError(
                f"expiry {pd.Timestamp(e).date()} has no strike with both a call and a put",
                argument="chain",
                expected="call and put quotes at a common strike",
            )
        diff = calls[both] - puts[both]
        k_star = float(diff.abs().idxmin())
        fwd = k_star + np.exp(rate * t) * float(diff[k_star])
        k = np.log(sub["strike"].to_numpy() / fwd)
        otm = np.where(sub["is_call"].to_numpy(), sub["strike"].to_numpy() >= fwd, sub["strike"].to_numpy() < fwd)
        res = implied_vol(
            sub["mid"].to_numpy(),
            fwd,
            sub["strike"].to_numpy(),
            t,
            rate,
            0.0,
            sub["is_call"].to_numpy(),
            model="black76",
        )
        vol = np.where(res.ok, res.vol, sub["iv"].to_numpy())
        use = otm & np.isfinite(vol)
        dropped += int((otm & ~np.isfinite(vol)).sum())
        order = np.argsort(k[use])
        if order.size == 0:
            continue
        t_list.append(t)
        f_list.append(fwd)
        slices.append((k[use][order], vol[use][order]))
        frames.append(sub.assign(k=k, t=t, iv_mid=np.where(res.ok, res.vol, np.nan), forward=fwd))
    return ChainDay(
        date=d,
        t=np.array(t_list),
        forward=np.array(f_list),
        slices=tuple(slices),
        quotes=pd.concat(frames, ignore_index=True),
        n_dropped=dropped,
    )


@dataclass(frozen=True)
class SsviFit:
    """SSVI fitted to one chain date: ATM total variance per expiry, rho, eta (gamma fixed).

    ``iv(k, t)``: theta(t) linear in t between expiries (through 0 at t = 0, constant variance rate
    beyond the last), the SSVI smile at that theta.
    """

    t: np.ndarray
    theta: np.ndarray
    rho: float
    eta: float
    gamma: float
    rmse_iv: float
    n_quotes: int

    def atm_total_variance(self, t: np.ndarray) -> np.ndarray:
        """theta(t), decimal variance x years."""
        tt = np.asarray(t, dtype=float)
        ts = np.concatenate([[0.0], self.t])
        th = np.concatenate([[0.0], self.theta])
        inside = np.interp(tt, ts, th)
        return np.where(tt > self.t[-1], self.theta[-1] * tt / self.t[-1], inside)

    def iv(self, k: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
        """Implied vol (decimal) at ``k = ln(K/F)``, ``t`` years > 0 (broadcast)."""
        tt = np.asarray(t, dtype=float)
        if not np.isfinite(tt).all() or (tt <= 0).any():
            raise InputError("time to expiry must be finite and > 0", argument="t", expected="years > 0")
        w = ssvi_total_variance(np.asarray(k, dtype=float), self.atm_total_variance(tt), self.rho, self.eta, self.gamma)
        return np.sqrt(w / tt)


def fit_ssvi(day: ChainDay, gamma: float = DEFAULT_GAMMA) -> SsviFit:
    """Least-squares SSVI fit to a chain date's OTM implied vols (equal weights, vol units).

    Parametrization keeps the fit free of static arbitrage (Gatheral & Jacquier 2014, Remark 4.4):
    ``theta_1 = e^{a_1}``, ``theta_j = theta_{j-1} + e^{a_j}`` (non-decreasing), ``rho = tanh(b)``,
    ``eta = 2 / (1 + |rho|) * logistic(c)``.
    """
    ks = [s[0] for s in day.slices]
    vs = [s[1] for s in day.slices]
    k_all = np.concatenate(ks)
    v_all = np.concatenate(vs)
    t_all = np.concatenate([np.full(k.size, t) for k, t in zip(ks, day.t, strict=True)])
    j_all = np.concatenate([np.full(k.size, j) for j, k in enumerate(ks)])
    n = day.t.size
    # start: ATM total variance from the vol nearest k = 0 per expiry
    atm = np.array([np.interp(0.0, k, v) ** 2 * t for k, v, t in zip(ks, vs, day.t, strict=True)])
    atm = np.maximum.accumulate(np.maximum(atm, 1e-8))
    a0 = np.log(np.maximum(np.diff(np.concatenate([[0.0], atm])), 1e-10))

    def unpack(z: np.ndarray) -> tuple[np.ndarray, float, float]:
        theta = np.cumsum(np.exp(z[:n]))
        rho = float(np.tanh(z[n]))
        eta = 2.0 / (1.0 + abs(rho)) / (1.0 + np.exp(-z[n + 1]))
        return theta, rho, eta

    def resid(z: np.ndarray) -> np.ndarray:
        theta, rho, eta = unpack(z)
        w = ssvi_total_variance(k_all, theta[j_all], rho, eta, gamma)
        return np.sqrt(w / t_all) - v_all

    from scipy.optimize import least_squares  # a fit only: scipy.optimize is not loaded by a backtest

    sol = least_squares(
        resid,
        np.concatenate([a0, [np.arctanh(-0.5), 0.0]]),
        method="lm",
        xtol=1e-14,
        ftol=1e-14,
        gtol=1e-14,
        max_nfev=20_000,
    )
    theta, rho, eta = unpack(sol.x)
    return SsviFit(
        t=day.t.copy(),
        theta=theta,
        rho=rho,
        eta=eta,
        gamma=gamma,
        rmse_iv=float(np.sqrt(np.mean(sol.fun**2))),
        n_quotes=int(v_all.size),
    )
