"""Pricing speed: price + delta + vega for 10 million SPX options, numpy vs numba vs QuantLib.

Run:  .venv/bin/python benchmarks/bench_pricing.py [--n 10000000] [--ql-sample 20000] [--chunk 1000000]

Prints the machine's core count and numba's thread count, then options per second for
1. alvh numpy path  (``bsm_price_delta_vega(..., backend="numpy")``, in chunks of ``--chunk``
   so the temporaries stay in memory; validate=False as the engine calls it),
2. alvh numba fused kernel (``backend="numba"``; first-call JIT time printed separately,
   one warm-up call on a small batch is excluded from the timing),
3. QuantLib's Python API: a Python loop building ``BlackCalculator`` per option and reading
   value(), delta(spot), vega(t) on a random sample of ``--ql-sample`` of the same options,
and the ratios to QuantLib (target >= 100x for numba), plus the largest price difference
between the three on the QuantLib sample as a sanity check; finally the throughput of
``implied_vol`` on ``--iv-n`` of the computed prices and its largest repricing error.
Nothing is asserted.

The options are SPX-like: spot 3000-6000, strikes 0.7-1.3 x spot, 1-730 days, vol 8-80%,
rate 0-5%, dividend 1-2%, calls and puts; drawn from a seeded numpy Generator.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from alvh import pricing


def _options(n: int, seed: int = 20261126):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    spot = rng.uniform(3000.0, 6000.0, n)
    strike = spot * rng.uniform(0.7, 1.3, n)
    t = rng.integers(1, 731, n) / 365.0
    vol = rng.uniform(0.08, 0.8, n)
    rate = rng.uniform(0.0, 0.05, n)
    div = rng.uniform(0.01, 0.02, n)
    is_call = rng.random(n) < 0.5
    return spot, strike, t, vol, rate, div, is_call


def _numpy_run(opts, chunk: int):
    n = opts[0].size
    out = [np.empty(n) for _ in range(3)]
    for lo in range(0, n, chunk):
        sl = slice(lo, min(lo + chunk, n))
        p, d, v = pricing.bsm_price_delta_vega(*(a[sl] for a in opts), validate=False, backend="numpy")
        out[0][sl], out[1][sl], out[2][sl] = p, d, v
    return out


def _quantlib_run(opts, idx):
    import QuantLib as ql

    spot, strike, t, vol, rate, div, is_call = opts
    res = np.empty((3, idx.size))
    call, put = ql.Option.Call, ql.Option.Put
    for j, i in enumerate(idx):
        ti = float(t[i])
        s = float(spot[i])
        fwd = s * math.exp((rate[i] - div[i]) * ti)
        calc = ql.BlackCalculator(
            ql.PlainVanillaPayoff(call if is_call[i] else put, float(strike[i])),
            fwd,
            float(vol[i]) * math.sqrt(ti),
            math.exp(-rate[i] * ti),
        )
        res[0, j] = calc.value()
        res[1, j] = calc.delta(s)
        res[2, j] = calc.vega(ti) * 0.01  # QuantLib vega is per 1.0 of vol; alvh's per vol point
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--ql-sample", type=int, default=20_000)
    ap.add_argument("--chunk", type=int, default=1_000_000)
    ap.add_argument("--iv-n", type=int, default=1_000_000)
    args = ap.parse_args()

    import numba

    print(
        f"cores (os.cpu_count): {os.cpu_count()}, usable (sched_getaffinity): {len(os.sched_getaffinity(0))}, "
        f"numba threads: {numba.get_num_threads()}"
    )
    opts = _options(args.n)
    print(f"options: {args.n:,} SPX-like (price + delta + vega each)")

    t0 = time.perf_counter()
    small = tuple(a[:1000] for a in opts)
    pricing.bsm_price_delta_vega(*small, validate=False, backend="numba")
    print(f"numba first call (JIT compile or cache load): {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    np_out = _numpy_run(opts, args.chunk)
    t_np = time.perf_counter() - t0

    t0 = time.perf_counter()
    nb_out = pricing.bsm_price_delta_vega(*opts, validate=False, backend="numba")
    t_nb = time.perf_counter() - t0

    rng = np.random.default_rng(np.random.SeedSequence(1))
    idx = np.sort(rng.choice(args.n, size=min(args.ql_sample, args.n), replace=False))
    t0 = time.perf_counter()
    ql_out = _quantlib_run(opts, idx)
    t_ql = time.perf_counter() - t0

    rate_np, rate_nb, rate_ql = args.n / t_np, args.n / t_nb, idx.size / t_ql
    print(f"numpy  : {t_np:8.3f} s for {args.n:,}  -> {rate_np:14,.0f} options/s")
    print(f"numba  : {t_nb:8.3f} s for {args.n:,}  -> {rate_nb:14,.0f} options/s")
    print(f"QuantLib BlackCalculator loop: {t_ql:8.3f} s for {idx.size:,} -> {rate_ql:14,.0f} options/s")
    print(f"ratio numpy / QuantLib: {rate_np / rate_ql:8.1f}x")
    print(f"ratio numba / QuantLib: {rate_nb / rate_ql:8.1f}x   (target >= 100x)")
    print(f"ratio numba / numpy   : {rate_nb / rate_np:8.1f}x")
    for name, j, scale in (("price", 0, opts[0][idx]), ("delta", 1, 1.0), ("vega", 2, opts[0][idx] * 0.01)):
        d_np = np.max(np.abs(np_out[j][idx] - ql_out[j]) / scale)
        d_nb = np.max(np.abs(nb_out[j][idx] - ql_out[j]) / scale)
        print(f"max |alvh - QuantLib| / scale on the sample, {name:5s}: numpy {d_np:.1e}, numba {d_nb:.1e}")

    m = min(args.iv_n, args.n)
    sub = tuple(a[:m] for a in opts)
    t0 = time.perf_counter()
    spot, strike, t, _, rate, div, is_call = sub
    iv = pricing.implied_vol(nb_out[0][:m], spot, strike, t, rate, div, is_call)
    t_iv = time.perf_counter() - t0
    ok = iv.ok
    repriced = pricing.bsm_price(*(a[ok] for a in sub[:3]), iv.vol[ok], *(a[ok] for a in sub[4:]), validate=False)
    rel = np.abs(repriced - nb_out[0][:m][ok]) / np.maximum(nb_out[0][:m][ok], 1e-13 * sub[0][ok])
    counts = {pricing.IVReason(c).name: int(n) for c, n in zip(*np.unique(iv.reason, return_counts=True), strict=True)}
    print(
        f"implied_vol: {t_iv:8.3f} s for {m:,} -> {m / t_iv:14,.0f} options/s; reasons {counts}; "
        f"max repricing error {rel.max():.1e} (relative, floor 1e-13 x spot)"
    )


if __name__ == "__main__":
    main()
