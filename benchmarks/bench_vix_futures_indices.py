"""S&P's VIX Short-Term and Mid-Term Futures Indices rebuilt by the constant-maturity mode, 2006-2011.

Runs the engine with only the constant-maturity mix (``schedule = "sp_roll"``: months 1-2;
``"sp_mid_term"``: months 4-7, holding 5 and 6; notional = NAV, no costs) on the real VX settlements and
prints each mix's daily-return beta to VIX (OLS slope on VIX's daily return) and correlation with SPX's
daily return next to S&P Dow Jones Indices' published figures (short-term 0.43 / -0.80, mid-term
0.21 / -0.78). The statistics are computed by ``tests/test_backtest_vxx.index_statistics`` (one source).

Usage: ``.venv/bin/python benchmarks/bench_vix_futures_indices.py [--data-dir STORE]`` (default: a
temporary store imported from ../shared/data).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    a = ap.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    from alvh.data import MarketData
    from conftest import REAL_IMPORTS
    from test_backtest_vxx import SP_PUBLISHED, index_statistics

    if a.data_dir is None:
        from alvh.data.store import Store

        tmp = Path(tempfile.mkdtemp(prefix="alvh-cm-"))
        with Store.open(tmp) as store:
            for kind, rel, label in REAL_IMPORTS:
                store.import_files(kind, [SHARED / rel], name=label)
        a.data_dir = tmp
    md = MarketData.from_store(a.data_dir)
    print("schedule       days  beta to VIX (S&P)   corr to SPX (S&P)   days not re-set   seconds")
    for schedule, (beta, corr) in SP_PUBLISHED.items():
        t0 = time.perf_counter()
        s = index_statistics(md, schedule)
        print(
            f"{schedule:<13} {s['days']:>5}  {s['beta_vix']:>6.3f} ({beta:.2f})      {s['corr_spx']:>7.3f} ({corr:.2f})"
            f"     {s['days_not_reset']:>5}           {time.perf_counter() - t0:.1f}"
        )


if __name__ == "__main__":
    main()
