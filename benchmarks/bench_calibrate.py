"""Calibration on 2006-2025 and generation of 10,000 x 252 paths: time split and memory, printed.

Prints wall and CPU seconds of each calibration step (load, history with the gap-speed grid, fit, the
correlation-weight and spot-gap grids, presets, fit report, S&P index check), then ``alvh calibrate`` end to
end in a child process (its wall time and its CPU seconds from ``getrusage(RUSAGE_CHILDREN)``: imports, data,
every step, writing), and for ``simulate_market(SimParams.default(), 10_000, 252)`` the wall time, the time of
the factor loop alone, and the peak traced memory (tracemalloc: numpy's allocations). On a machine others use
the wall time spreads; the CPU time does not.

Usage: ``.venv/bin/python benchmarks/bench_calibrate.py [--data-dir STORE] [--paths 10000] [--no-cli]``
(default: a temporary store imported from ../shared/data as tests/conftest.py REAL_IMPORTS).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def _timed(label: str, fn, *args, **kw):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    print(f"  {label:<34} {time.perf_counter() - w:7.2f} s wall {time.process_time() - c:7.2f} s CPU")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--no-cli", action="store_true", help="skip the end-to-end alvh calibrate run")
    a = ap.parse_args()
    import numpy as np

    from alvh.data import MarketData
    from alvh.market import VXModelParams
    from alvh.simulate import SimParams, simulate_market
    from alvh.simulate.calibrate import fit_params
    from alvh.simulate.calibration import fit_corr_weight, fit_spot_gap, index_rows, preset_rows
    from alvh.simulate.fitreport import fit_report
    from alvh.simulate.history import load_history
    from alvh.simulate.model import simulate_factor_paths
    from alvh.simulate.presets import episode_presets

    with tempfile.TemporaryDirectory() as tmp:
        store = a.data_dir
        if store is None:
            sys.path.insert(0, str(REPO / "tests"))
            from alvh.data.store import Store
            from conftest import REAL_IMPORTS

            with Store.open(tmp) as st:
                for kind, rel, label in REAL_IMPORTS:
                    st.import_files(kind, [SHARED / rel], name=label)
            store = Path(tmp)
        print("calibration on 2006-01-03..2025-12-31")
        w0, c0 = time.perf_counter(), time.process_time()
        md = _timed("load the store", MarketData.from_store, store, start="2006-01-03", end="2025-12-31")
        vxp = VXModelParams.default()
        h = _timed("history (L, gap, gap-speed grid)", load_history, md, vxp)
        p = _timed("fit (steps 1-7)", fit_params, h, vxp)
        p, _ = _timed("corr_weight grid (step 8)", fit_corr_weight, p, h, 0)
        p, _ = _timed("spot_gap grid (step 9)", fit_spot_gap, p, h, 0)
        p = p.replace(scenarios=_timed("presets", episode_presets, h, p))
        fit_done = time.perf_counter() - w0
        _timed("fit report (40 histories)", fit_report, p, h, n_paths=40, seed=0)
        _timed("S&P index check (20 histories)", index_rows, p, h, 0)
        _timed("presets check (4 x 100 paths)", preset_rows, p, 100, 0)
        print(
            f"  fit alone {fit_done:.2f} s wall; everything {time.perf_counter() - w0:.2f} s wall, "
            f"{time.process_time() - c0:.2f} s CPU"
        )
        if not a.no_cli:
            exe = Path(sys.executable).with_name("alvh")
            cmd = [str(exe), "calibrate", "--data-dir", str(store), "--start", "2006-01-03", "--end", "2025-12-31"]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w = time.perf_counter()
            subprocess.run([*cmd, "--out", str(Path(tmp) / "p.toml")], check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(f"  alvh calibrate end to end            {time.perf_counter() - w:7.2f} s wall {cpu:7.2f} s CPU")
    sp = SimParams.default()
    print(f"generation: {a.paths:,} paths x 252 days")
    tracemalloc.start()
    _, fp, _ = _timed("factor loop alone", simulate_factor_paths, sp, a.paths, 252, np.random.default_rng(0))
    del fp
    tracemalloc.reset_peak()
    mp = _timed("simulate_market (factors + market)", simulate_market, sp, a.paths, 252, np.random.default_rng(0))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  VX prices {mp.vx_price.nbytes / 2**30:.3f} GiB of which; peak traced {peak / 2**30:.3f} GiB")


if __name__ == "__main__":
    main()
