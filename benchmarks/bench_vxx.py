"""Constant-maturity 30-day VX futures mode on real VX settlements vs the VXX note, 2009-2017.

VXX tracked S&P's VIX Short-Term Futures Index Total Return less 0.89%/yr. We run the engine
with only the constant-maturity mix (S&P roll schedule, notional = NAV, no costs) and compare
daily and weekly (Friday-to-Friday) returns with VXX closes
(../shared/data/benchmarks/VXX_yahoo_2009_2017.csv; its Close is not adjusted for VXX's reverse
splits, Adj Close is, so we use Adj Close). Prints the correlations and the annual tracking difference;
docs/engine.md explains the gap.

Usage: ``.venv/bin/python benchmarks/bench_vxx.py [--data-dir STORE]`` (default: a temporary store
imported from ../shared/data).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

CM_RULES = {
    "general": {"contracts": "fractional", "rate_source": "data"},
    "costs": {"vx_slippage_ticks": 0.0, "vx_commission": 0.0},
    "core": {"enabled": False},
    "layers": [],
    "rebalance": {"enabled": False},
    "constant_maturity": {"enabled": True, "target_days": 30, "weight": 1.0, "schedule": "sp_roll"},
}


def vxx_comparison(md, vxx: pd.Series, start: str = "2009-01-30", end: str = "2017-01-03") -> dict[str, float]:
    """Run the constant-maturity mode and compare with VXX closes; returns the figures."""
    from alvh.config import rules_from_dict
    from alvh.engine import run_backtest

    res = run_backtest(rules_from_dict(CM_RULES), md, start, end)
    nav = pd.Series(res.nav[:, 0], index=res.dates)
    both = pd.concat({"cm": nav, "vxx": vxx}, axis=1, join="inner").dropna()
    daily = both.pct_change().dropna()
    weekly = both.resample("W-FRI").last().pct_change().dropna()
    years = (both.index[-1] - both.index[0]).days / 365.25
    ann = (both.iloc[-1] / both.iloc[0]) ** (1 / years) - 1
    return {
        "days": len(daily),
        "weeks": len(weekly),
        "corr_daily": float(daily.corr().iloc[0, 1]),
        "corr_weekly": float(weekly.corr().iloc[0, 1]),
        "ann_return_cm": float(ann["cm"]),
        "ann_return_vxx": float(ann["vxx"]),
        "tracking_difference": float(ann["cm"] - ann["vxx"]),
        "log_tracking_per_year": float(
            np.log(both["cm"].iloc[-1] / both["cm"].iloc[0] * both["vxx"].iloc[0] / both["vxx"].iloc[-1]) / years
        ),
        "events": sum(res.events.values()),
    }


def read_vxx(path: Path) -> pd.Series:
    f = pd.read_csv(path, parse_dates=["Date"]).set_index("Date").sort_index()
    # "Close" is not adjusted for VXX's four 1:4 reverse splits (2010-11-09, 2012-10-05, 2013-11-08,
    # 2016-08-09: Close jumps about x4 on each); "Adj Close" is, so returns come from it.
    return f["Adj Close"].astype(float).rename("vxx")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    a = ap.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    from alvh.data import MarketData

    if a.data_dir is None:
        from alvh.data.store import Store
        from conftest import REAL_IMPORTS

        tmp = Path(tempfile.mkdtemp(prefix="alvh-vxx-"))
        with Store.open(tmp) as store:
            for kind, rel, label in REAL_IMPORTS:
                store.import_files(kind, [SHARED / rel], name=label)
            store.import_files("rate", [SHARED / "rates" / "DTB3_1990_2026.csv"])  # the index's T-bill rate
        a.data_dir = tmp
    md = MarketData.from_store(a.data_dir)
    t0 = time.perf_counter()
    r = vxx_comparison(md, read_vxx(SHARED / "benchmarks" / "VXX_yahoo_2009_2017.csv"))
    dt = time.perf_counter() - t0
    print(f"constant-maturity 30d VX (S&P roll) vs VXX, {r['days']} days / {r['weeks']} weeks ({dt:.2f} s)")
    print(f"  correlation of daily returns : {r['corr_daily']:.4f}")
    print(f"  correlation of weekly returns: {r['corr_weekly']:.4f}")
    print(f"  annualized return: engine {r['ann_return_cm']:.2%}, VXX {r['ann_return_vxx']:.2%}")
    print(
        f"  annual tracking difference (engine - VXX): {r['tracking_difference']:.2%} "
        f"(log: {r['log_tracking_per_year']:.2%}/yr; VXX charges 0.89%/yr; the engine's cash earns the store's "
        f"rate ({'DTB3' if md.rate_age is not None else 'constant 2 %: no rate series'}) as the index's "
        f"collateral earns T-bills: see docs/engine.md)"
    )
    print(f"  engine events: {r['events']}")


if __name__ == "__main__":
    main()
