"""Time the data layer on the real 44k-row VX history (../shared/data) and print the figures.

Run: ``.venv/bin/python benchmarks/bench_data.py [--shared PATH] [--repeat N]``

Prints, each as the median of N runs after one warm-up (the first run also
builds the per-year CFE calendar cache, shown separately):

* parsing + validating the consolidated VX CSV (``read_vx_long``);
* reading the VX table back from the DuckDB store (``Store.vx_frame``);
* pivoting it into the daily curve panel (``VXPanel.from_long``);
* store read + panel together: the "load the full VX history and build the
  daily curve panel" figure, against the 1 s target;
* ``MarketData.default()`` and ``MarketData.from_store()`` over the full store.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first call seconds, median of ``repeat`` further calls)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return first, statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from alvh.data import MarketData, Store, VXPanel, read_vx_long

    vx_csv = args.shared / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz"
    first, warm = timed(lambda: read_vx_long(vx_csv), args.repeat)
    frame = read_vx_long(vx_csv)
    print(f"VX rows: {len(frame)}, contracts: {frame['contract'].nunique()}")
    print(f"read_vx_long (parse + validate CSV): first {first:.3f} s (includes calendar cache), median {warm:.3f} s")

    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(tmp) as store:
            t0 = time.perf_counter()
            store.import_files("vx", [vx_csv])
            print(f"store import of the VX file (parse + validate + write): {time.perf_counter() - t0:.3f} s")
            _, read = timed(store.vx_frame, args.repeat)
            long = store.vx_frame()
            _, pivot = timed(lambda: VXPanel.from_long(long), args.repeat)
            _, both = timed(lambda: VXPanel.from_long(store.vx_frame()), args.repeat)
            panel = VXPanel.from_long(long)
        print(f"Store.vx_frame (DuckDB -> DataFrame): median {read:.3f} s")
        print(
            f"VXPanel.from_long (pivot {panel.settle.shape[0]} days x {panel.settle.shape[1]} contracts): "
            f"median {pivot:.4f} s"
        )
        print(
            f"load full VX history + build daily curve panel: median {both:.3f} s = {both / 1.0:.2f} x the 1 s target"
        )
        for kind, rel in (("spx", "spx/SPX_daily.csv"), ("vix", "vix_index/VIX_History.csv")):
            with Store.open(tmp) as store:
                store.import_files(kind, [args.shared / rel])
        _, fs = timed(lambda: MarketData.from_store(tmp), args.repeat)
        print(f"MarketData.from_store (SPX, VIX, VX; 1990-2026): median {fs:.3f} s")
    first, dflt = timed(MarketData.default, args.repeat)
    print(f"MarketData.default(): first {first:.3f} s, median {dflt:.3f} s")


if __name__ == "__main__":
    main()
