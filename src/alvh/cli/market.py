"""``alvh market``: look at the SPX surface and the VX curve on a date, refit the VX model.

Thin: parse, call :mod:`alvh.market`, print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer

from alvh.errors import InputError
from alvh.pricing.units import DAYS_PER_YEAR

app = typer.Typer(
    name="market",
    help="SPX surface, VX curve and VIX-option vol: inspect, refit the VX model.\n\n"
    "Example:\n\n\b\n  alvh market vx --date 2020-03-16",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_DATA_DIR_HELP = "Store folder (default: $ALVH_DATA_DIR, else the user data home)."
_TENORS = (9, 30, 60, 93, 184, 365)


def register(app_root: typer.Typer) -> None:
    """Attach the ``market`` group to the root CLI."""
    app_root.add_typer(app, name="market")


def _market_day(date: str, data_dir: Path | None) -> tuple[Any, int]:
    from alvh.data import MarketData

    try:
        day = pd.Timestamp(date)
    except (ValueError, TypeError):
        raise InputError(f"{date!r} is not a date", argument="--date", expected="YYYY-MM-DD") from None
    md = MarketData.from_store(data_dir)
    if day not in md.dates:
        raise InputError(
            f"{day.date()} is not a trading day of the store",
            argument="--date",
            expected=f"a trading day in {md.dates[0].date()}..{md.dates[-1].date()}",
        )
    return md, int(md.dates.get_loc(day))


@app.command("surface")
def surface_cmd(
    date: str = typer.Option(..., "--date", metavar="DATE", help="Trading day, YYYY-MM-DD."),
    data_dir: Path | None = typer.Option(None, "--data-dir", metavar="DIR", file_okay=False, help=_DATA_DIR_HELP),
) -> None:
    """The SPX smile of a day (solved from VIX, VIX9D/3M/6M and SKEW): implied vols by moneyness and tenor.

    Example:

    \b
      alvh market surface --date 2020-03-16 --data-dir ~/alvh-data
    """
    from alvh.market.surface import SpxSurface

    md, i = _market_day(date, data_dir)
    one = md.slice(md.dates[i], md.dates[i])
    surf = SpxSurface.from_market(one)
    var, skew = surf.vix_check()
    smile = surf.day(0)
    vix = float(one.vix["close"].iloc[0])
    clipped = surf.skew_clipped is not None and bool(surf.skew_clipped[0, 0])
    term_default = surf.term_default[0, 0].tolist() if surf.term_default is not None else "n/a"
    typer.echo(
        f"{md.dates[i].date()}  VIX {vix:.2f}  Cboe VIX of the model {100 * np.sqrt(var[0, 0]):.6f}  "
        f"model SKEW {skew[0, 0]:.2f}" + ("  (SKEW clipped to the reachable range)" if clipped else "")
    )
    typer.echo(
        f"theta30 {surf.theta30[0, 0]:.6f}  tail {surf.tail[0, 0]:.4f}  term defaults used (9d/3m/6m): {term_default}"
    )
    ks = np.array([-0.30, -0.20, -0.10, -0.05, 0.0, 0.05, 0.10])
    typer.echo("implied vol (%) by k = ln(K/F) (columns) and tenor in days (rows)")
    typer.echo("days " + " ".join(f"{k:>7.2f}" for k in ks))
    for d in _TENORS:
        iv = smile.iv(ks[None, :], d / DAYS_PER_YEAR)[0]
        typer.echo(f"{d:>4d} " + " ".join(f"{100 * v:7.2f}" for v in iv))


@app.command("vx")
def vx_cmd(
    date: str = typer.Option(..., "--date", metavar="DATE", help="Trading day, YYYY-MM-DD."),
    data_dir: Path | None = typer.Option(None, "--data-dir", metavar="DIR", file_okay=False, help=_DATA_DIR_HELP),
    model: bool = typer.Option(False, "--model", help="Use the two-factor model even when settlements exist."),
) -> None:
    """The VX curve of a day: price and dF/dVIX by days to expiry (settlements if stored, else the model).

    Example:

    \b
      alvh market vx --date 2020-03-16 --data-dir ~/alvh-data
    """
    from alvh.market.vx import VXCurve

    md, i = _market_day(date, data_dir)
    one = md.slice(md.dates[i], md.dates[i])
    if model or one.vx is None or not np.isfinite(one.vx.settle).any():
        idx = one.indices

        def get(n: str) -> np.ndarray | None:
            return idx[n].to_numpy(dtype=float) if n in idx.columns else None

        curve = VXCurve.from_model(one.vix["close"].to_numpy(dtype=float), vix3m=get("vix3m"), vix6m=get("vix6m"))
    else:
        curve = VXCurve.from_panel(one.vx, one.vix["close"].to_numpy(dtype=float))
    dte = np.array([[0, 7, 14, 30, 45, 60, 90, 120, 150, 180, 240]], dtype=float)
    price = curve.price(dte)[0].reshape(-1)
    sens = curve.sensitivity(dte)[0].reshape(-1)
    flag = curve.extrapolated(dte)[0].reshape(-1)
    typer.echo(f"{md.dates[i].date()}  VIX {float(one.vix['close'].iloc[0]):.2f}  curve: {curve.kind}")
    typer.echo(" dte    price  dF/dVIX")
    for d, p, s, f in zip(dte[0], price, sens, flag, strict=True):
        typer.echo(f"{int(d):4d} {p:8.3f} {s:8.3f}" + ("  flat beyond last contract" if f else ""))


@app.command("fit-vx")
def fit_vx_cmd(
    vx: Path = typer.Option(
        ...,
        "--vx",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="VX long file (trade_date, contract, expiry, ..., settle, ...).",
    ),
    vix: Path = typer.Option(
        ..., "--vix", metavar="FILE", exists=True, dir_okay=False, readable=True, help="Cboe VIX_History.csv."
    ),
    vix3m: Path | None = typer.Option(
        None,
        "--vix3m",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Cboe VIX3M_History.csv (optional).",
    ),
    vix6m: Path | None = typer.Option(
        None,
        "--vix6m",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Cboe VIX6M_History.csv (optional).",
    ),
    vvix: Path | None = typer.Option(
        None,
        "--vvix",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Cboe VVIX_History.csv (optional).",
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Where to write the fitted parameters (JSON; 'alvh backtest --vx-model FILE' reads it).",
    ),
) -> None:
    """Refit the two-factor VX curve model from your files and print the fit report.

    The output is the format of the shipped parameters; a backtest uses it with --vx-model.

    Example:

    \b
      alvh market fit-vx --vx vx_long.csv --vix VIX_History.csv --vix3m VIX3M_History.csv --out vx_model.json
      alvh backtest --vx-model vx_model.json --out out/
    """
    from alvh.data import VXPanel, read_index_csv, read_vx_long
    from alvh.market.vx_fit import fit_vx_model

    closes = {
        n: read_index_csv(p, n)["close"]
        for n, p in (("vix", vix), ("vix3m", vix3m), ("vix6m", vix6m), ("vvix", vvix))
        if p is not None
    }
    long = read_vx_long(vx)
    panel = VXPanel.from_long(long, source=vx.name)
    have = panel.dates.isin(closes["vix"].index)
    panel = VXPanel.from_long(long, dates=panel.dates[have], source=vx.name)
    fit = fit_vx_model(
        panel,
        closes["vix"],
        vix3m=closes.get("vix3m"),
        vix6m=closes.get("vix6m"),
        vvix=closes.get("vvix"),
        script="alvh market fit-vx",
        data_files={
            n: str(p)
            for n, p in (("vx", vx), ("vix", vix), ("vix3m", vix3m), ("vix6m", vix6m), ("vvix", vvix))
            if p is not None
        },
    )
    out.write_text(fit.params.to_json() + "\n", encoding="utf-8")
    p = fit.params
    typer.echo(
        f"wrote {out} (use: alvh backtest --vx-model {out}): kappa_s {p.kappa_s:.4f}/yr, "
        f"kappa_l {p.kappa_l:.4f}/yr, theta {p.theta:.3f}, "
        f"beta_long {p.beta_long:.4f}; {p.provenance['n_settlements']} settlements "
        f"{p.provenance['data_span']}; {int((~have).sum())} VX days without VIX dropped"
    )
    typer.echo(fit.errors.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    typer.echo(fit.slopes.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
