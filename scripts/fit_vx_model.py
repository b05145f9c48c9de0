"""Refit the two-factor VX curve model from VX settlements and Cboe index files; print the fit report.

Usage (defaults point at the shared real data beside the checkout)::

    python scripts/fit_vx_model.py [--data DIR] [--vx FILE] [--out src/alvh/resources/vx_model_params.json]

Reads (with alvh's strict importers): the VX long file, VIX, VIX3M, VIX6M and VVIX histories.
Writes the fitted parameters (with fit date, data span and this script's name inside) as JSON and
prints the fit by tenor bucket, contango share and slope distribution, and the effective vega of
the model beside the historical regression. docs/model.md records the numbers from this output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.data import VXPanel, read_index_csv, read_vx_long
from alvh.market.vx import effective_vega_model, estimate_effective_vega
from alvh.market.vx_fit import fit_vx_model

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="shared data folder")
    ap.add_argument("--vx", type=Path, default=None, help="VX long file (default: vix_futures main file)")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "alvh" / "resources" / "vx_model_params.json")
    args = ap.parse_args()
    vx_path = args.vx or args.data / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz"
    files = {n: args.data / "vix_index" / f"{n.upper()}_History.csv" for n in ("vix", "vix3m", "vix6m", "vvix")}
    closes = {n: read_index_csv(p, n)["close"] for n, p in files.items() if p.exists()}
    long = read_vx_long(vx_path)
    vix = closes["vix"]
    panel = VXPanel.from_long(long, source=str(vx_path.name))
    have = panel.dates.isin(vix.index)
    if not have.all():
        print(f"dropping {int((~have).sum())} VX days without a VIX close")
        panel = VXPanel.from_long(long, dates=panel.dates[have], source=str(vx_path.name))
    fit = fit_vx_model(
        panel,
        vix,
        vix3m=closes.get("vix3m"),
        vix6m=closes.get("vix6m"),
        vvix=closes.get("vvix"),
        data_files={"vx": vx_path.name, **{n: p.name for n, p in files.items() if p.exists()}},
    )
    p = fit.params
    args.out.write_text(p.to_json() + "\n", encoding="utf-8")
    pd.set_option("display.width", 160)
    print(f"wrote {args.out}")
    print(
        f"kappa_s = {p.kappa_s:.4f}/yr (half-life {np.log(2) / p.kappa_s * 365:.1f} d), "
        f"kappa_l = {p.kappa_l:.4f}/yr (half-life {np.log(2) / p.kappa_l * 365:.0f} d), theta = {p.theta:.3f}"
    )
    print(f"beta_long (dL/dVIX) = {p.beta_long:.4f}; EWMA half-life {p.ewma_halflife:g} trading days")
    print(
        f"fit span {p.provenance['data_span']}, {p.provenance['n_settlements']} settlements, "
        f"in-sample RMSE {p.provenance['rmse_in_sample_points']:.4f} points"
    )
    for name, m in p.long_maps.items():
        terms = " + ".join(f"{c:.4f}*{i}" for i, c in zip(m.inputs, m.coef, strict=True))
        print(f"  L map {name:12s}: L = {m.intercept:.4f} + {terms}   (rmse {m.rmse:.3f}, n {m.n_obs})")
    rmse = p.provenance["vvix_map_rmse"]
    print(f"VVIX default = {p.vvix_intercept:.3f} + {p.vvix_slope:.3f} ln(VIX)  (rmse {rmse:.2f})")
    print("\nmodel minus real settlement by tenor bucket (points):")
    print(fit.errors.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("\ncontango share and slope F2 - F1 (points), real vs model:")
    print(fit.slopes.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    emp = estimate_effective_vega(panel, vix.reindex(panel.dates).to_numpy())
    mid = emp["dte_mean"].to_numpy()
    emp["model_total"] = effective_vega_model(mid, p)
    emp["model_partial"] = effective_vega_model(mid, p, include_long_factor=False)
    print("\neffective vega dF/dVIX by maturity: history (OLS of daily changes) vs model:")
    print(emp.to_string(float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
