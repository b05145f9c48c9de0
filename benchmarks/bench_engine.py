"""Engine speed: the full real-data 2006-2025 backtest with the 4/4/2 layers, and 10,000 paths x 252 days.

Targets (issue 4): real data under 2 s; 10,000 x 252 under 30 s and 4 GB. Prints measured
figures only. The many-path case runs in a child process so its peak RSS is its own.

Usage: ``.venv/bin/python benchmarks/bench_engine.py [--data-dir STORE] [--paths 10000] [--days 252]``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def _many(n_paths: int, n_days: int) -> None:
    from alvh.config import default_rules
    from alvh.engine import run_engine, synthetic_paths

    t0 = time.perf_counter()
    mp = synthetic_paths(n_paths, n_days, seed=2026)
    t1 = time.perf_counter()
    res = run_engine(default_rules(), mp)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB -> GiB
    print(f"{n_paths:,} paths x {n_days} days (synthetic GBM SPX / log-OU VIX, default 4/4/2 rules): "
          f"engine {t2 - t1:.1f} s (+ path generation {t1 - t0:.1f} s), peak RSS {rss:.2f} GiB; "
          f"{len(res.trades):,} trades, mean final NAV {res.nav[-1].mean():,.0f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=252)
    ap.add_argument("--many-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.many_only:
        _many(a.paths, a.days)
        return
    from alvh.config import default_rules
    from alvh.data import MarketData
    from alvh.engine import paths_from_market_data, run_engine

    if a.data_dir is None:
        sys.path.insert(0, str(REPO / "tests"))
        from conftest import REAL_IMPORTS

        from alvh.data.store import Store

        a.data_dir = Path(tempfile.mkdtemp(prefix="alvh-bench-"))
        with Store.open(a.data_dir) as store:
            for kind, rel, label in REAL_IMPORTS:
                store.import_files(kind, [SHARED / rel], name=label)
    md = MarketData.from_store(a.data_dir)
    rules = default_rules()
    t0 = time.perf_counter()
    mp = paths_from_market_data(md, "2006-01-01", "2025-12-31")
    t1 = time.perf_counter()
    res = run_engine(rules, mp)
    t2 = time.perf_counter()
    print(f"real data {res.dates[0].date()}..{res.dates[-1].date()} ({len(res.dates)} days, 4/4/2 VX layers + core): "
          f"engine {t2 - t1:.2f} s (+ {t1 - t0:.2f} s to build the inputs); {len(res.trades)} trades")
    subprocess.run([sys.executable, __file__, "--many-only", "--paths", str(a.paths), "--days", str(a.days)],
                   check=True)


if __name__ == "__main__":
    main()
