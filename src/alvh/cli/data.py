"""``alvh data``: import market data into the local store, summarize it, check it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

# the store's names without pandas: `alvh data info` imports neither pandas nor alvh.data.store (docs/cli.md)
from alvh.data._db import DB_NAME, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_GAP, KINDS, RATE_MAX_GAP_DAYS, default_data_dir

if TYPE_CHECKING:
    from alvh.data.store import Store

app = typer.Typer(
    name="data",
    help="Market data: import files into the local store (DuckDB), show what is there, check it.\n\n"
    "Example:\n\n\b\n  alvh data import vix VIX_History.csv\n  alvh data info",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_DATA_DIR_HELP = "Store folder (default: $ALVH_DATA_DIR, else the user data home, e.g. ~/.local/share/alvh)."


_LOCK_HELP = "Seconds to wait while another alvh process holds the store (0: fail at once)."


def _resolve_dir(data_dir: Path | None) -> Path:
    return data_dir.expanduser() if data_dir is not None else default_data_dir()


def _remove_new_store(folder: Path) -> None:
    for path in folder.glob(DB_NAME + "*"):  # the database and its write-ahead log
        path.unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _waiting(message: str) -> None:
    typer.echo(message, err=True)


def _open(folder: Path, *, read_only: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Store:
    from alvh.data.store import Store

    return Store.open(folder, read_only=read_only, lock_timeout=lock_timeout, on_wait=_waiting)


@app.command("import")
def import_cmd(
    kind: str = typer.Argument(..., metavar="KIND", help="One of: " + ", ".join(KINDS) + "."),
    paths: list[Path] = typer.Argument(
        ..., metavar="FILE...", help="Files to import (all validated before anything is written)."
    ),
    name: str | None = typer.Option(
        None, "--name", metavar="NAME", help="Label for events (fomc/cpi/ppi/...) or a series name."
    ),
    on_conflict: Literal["error", "keep", "replace"] = typer.Option(
        "error",
        "--on-conflict",
        help="When a stored row differs: error (default, nothing written), "
        "keep (stored values) or replace (new values); conflicts are always listed.",
    ),
    percent: bool = typer.Option(
        False,
        "--percent",
        help="rate only: the date,value file holds percent (5.0 = 5%); FRED T-bill "
        "files (DTB3 ...) are recognised and converted without it.",
    ),
    max_gap_days: int = typer.Option(
        RATE_MAX_GAP_DAYS,
        "--max-gap-days",
        min=1,
        metavar="N",
        help="rate only: most calendar days allowed between two observations (a longer gap is refused).",
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", metavar="DIR", file_okay=False, help=_DATA_DIR_HELP),
    lock_timeout: float = typer.Option(
        DEFAULT_LOCK_TIMEOUT, "--lock-timeout", metavar="SECONDS", min=0, help=_LOCK_HELP
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as JSON."),
) -> None:
    """Validate and import KIND files into the store; importing the same file twice changes nothing.

    Examples:

    \b
      alvh data import vix VIX_History.csv
      alvh data import vx ../shared/data/vx/*.csv --on-conflict keep
    """
    folder = _resolve_dir(data_dir)
    created = not (folder / DB_NAME).exists()
    try:
        from alvh.report.progress import Steps

        with _open(folder, lock_timeout=lock_timeout) as store, Steps(f"importing {kind}", total=1) as step:
            # one store call validates every file then writes: the bar shows which files and the time elapsed
            step(", ".join(p.name for p in paths))
            report = store.import_files(
                kind, list(paths), name=name, on_conflict=on_conflict, percent=percent, max_gap_days=max_gap_days
            )
    except BaseException:
        if created:  # a refused first import leaves nothing behind (an empty store would become the default data)
            _remove_new_store(folder)
        raise
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    out = Console()
    state = f"changed, import {report.import_id}" if report.changed else "unchanged (everything already stored)"
    out.print(
        f"{kind}: {report.rows_in} row(s) read, {report.rows_new} new, {report.rows_same} already stored; "
        f"store {state} ({folder / DB_NAME})",
        highlight=False,
        markup=False,
    )
    if report.conflicts:
        from alvh.data.store import CONFLICTS_SHOWN, format_conflicts, write_conflicts_csv

        n_conf = len(report.conflicts)
        out.print(
            f"{n_conf} conflict(s), resolved with --on-conflict {report.on_conflict}:", highlight=False, markup=False
        )
        out.print(format_conflicts(report.conflicts), highlight=False, markup=False)
        if n_conf > CONFLICTS_SHOWN:
            path = write_conflicts_csv(report.conflicts, folder)
            out.print(
                f"  ... and {n_conf - CONFLICTS_SHOWN} more; all {n_conf} in {path}", highlight=False, markup=False
            )
    for n in report.notes:
        out.print(f"  note: {n}", highlight=False, markup=False)


def _info_payload(folder: Path, max_gap: int, *, full: bool = True) -> dict[str, Any]:
    """What ``data info`` shows. ``full``: the aligned MarketData's own ``info()`` (coverage on the aligned
    days, events, provenance: ``--json``); else the part the table prints, from the stored rows with DuckDB
    and numpy only (:mod:`alvh.data.summary`; the same figures, tests/test_data_summary.py)."""
    if not (folder / DB_NAME).is_file():
        from alvh.data.market_data import MarketData

        md = MarketData.default()
        return {
            "source": f"embedded default (nothing imported; store {folder / DB_NAME} does not exist)",
            "market_data": md.info(max_gap),
            "store": None,
        }
    if not full:
        from alvh.data._db import open_db
        from alvh.data.summary import market_overview, store_summary

        conn, db = open_db(folder, read_only=True, lock_timeout=DEFAULT_LOCK_TIMEOUT, on_wait=_waiting)
        try:
            summary = store_summary(conn, db, max_gap)
            try:
                info: dict[str, Any] | None = market_overview(conn, db)
                problem = None
            except Exception as exc:  # noqa: BLE001 - e.g. no VIX imported yet: still show the store
                info, problem = None, str(exc)
        finally:
            conn.close()
        return {"source": f"store {db}", "store": summary, "market_data": info, "market_data_error": problem}
    with _open(folder, read_only=True) as store:
        summary = store.summary(max_gap)
        try:
            info = store.market_frame().info(max_gap)
            problem = None
        except Exception as exc:  # noqa: BLE001 - e.g. no VIX imported yet: still show the store
            info, problem = None, str(exc)
    return {"source": f"store {folder / DB_NAME}", "store": summary, "market_data": info, "market_data_error": problem}


@app.command("info")
def info_cmd(
    data_dir: Path | None = typer.Option(None, "--data-dir", metavar="DIR", file_okay=False, help=_DATA_DIR_HELP),
    max_gap: int = typer.Option(
        DEFAULT_MAX_GAP,
        "--max-gap",
        min=0,
        metavar="N",
        help="Report runs of more than this many missing trading sessions.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the same information as JSON."),
) -> None:
    """Spans, row counts, gaps and the VX contango share per year (embedded default if nothing imported).

    Example:

    \b
      alvh data info --data-dir ~/alvh-data
    """
    payload = _info_payload(_resolve_dir(data_dir), max_gap, full=as_json)
    if as_json:
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    out = Console()
    out.print(f"[bold]alvh market data[/]: {escape(str(payload['source']))}", highlight=False)
    md = payload["market_data"]
    store = payload["store"]
    t = Table(title="series")
    for col in ("series", "first", "last", "rows"):
        t.add_column(col)
    rows = store["series"] if store else md["series"]
    for nm, r in rows.items():
        t.add_row(nm, str(r["first"]), str(r["last"]), str(r["rows"]))
    out.print(t)
    if md is not None:
        out.print(
            f"aligned trading days (SPX and VIX): {md['span'][0]} .. {md['span'][1]}, {md['trading_days']} days",
            highlight=False,
            markup=False,
        )
        if isinstance(md["vx"], str):
            out.print(f"VX futures: {md['vx']}", highlight=False, markup=False)
        else:
            ct = Table(title="VX contango share (front future settle > VIX close)")
            for col in ("year", "days", "share"):
                ct.add_column(col, justify="right")
            for y, r in md["contango_share_by_year"].items():
                ct.add_row(str(y), str(r["days"]), f"{r['share']:.1%}")
            out.print(ct)
        if store is None:
            for k, v in md["provenance"].items():
                out.print(f"  {k}: {v}", highlight=False, markup=False)
    elif payload.get("market_data_error"):
        out.print(f"MarketData not available: {payload['market_data_error']}", highlight=False, markup=False)
    gaps = (store or md)["gaps"]
    out.print(f"gaps longer than {max_gap} sessions: {len(gaps)}", highlight=False, markup=False)
    for g in gaps:
        out.print(
            f"  {g['series']}: {g['missing_sessions']} missing between {g['after']} and {g['before']}",
            highlight=False,
            markup=False,
        )


@app.command("check")
def check_cmd(
    data_dir: Path | None = typer.Option(None, "--data-dir", metavar="DIR", file_okay=False, help=_DATA_DIR_HELP),
    max_gap: int = typer.Option(
        DEFAULT_MAX_GAP, "--max-gap", min=0, metavar="N", help="Largest tolerated run of missing sessions."
    ),
    fail_on_gaps: bool = typer.Option(False, "--fail-on-gaps", help="Treat gaps longer than --max-gap as failures."),
    strict: bool = typer.Option(
        False, "--strict", help="Treat every warning (suspicious jumps, gaps, ...) as a failure: exit 1 on any."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print failures and warnings as JSON."),
) -> None:
    """Run every validation on the stored data; exit 1 on any failure.

    Suspicious one-day jumps and gaps are warnings (real data has them: a value can be right); --strict
    makes every warning a failure, --fail-on-gaps only the gaps.

    Example:

    \b
      alvh data check --strict
    """
    folder = _resolve_dir(data_dir)
    if not (folder / DB_NAME).is_file():
        from alvh.data.market_data import MarketData

        md = MarketData.default()  # validates on construction
        result = {"failures": [], "warnings": [f"gap: {g}" for g in md.gaps(max_gap)]}
        source = "embedded default"
    else:
        with _open(folder, read_only=True) as store:
            result = store.check(max_gap)
        source = str(folder / DB_NAME)
    if strict or fail_on_gaps:
        # the gap warnings are the ones Store.check / MarketData.gaps word as "gap..."
        moved = [w for w in result["warnings"] if strict or w.startswith("gap")]
        result = {"failures": result["failures"] + moved, "warnings": [w for w in result["warnings"] if w not in moved]}
    if as_json:
        typer.echo(json.dumps({"source": source, **result}, indent=2))
    else:
        out = Console()
        for f in result["failures"]:
            out.print(f"FAIL {f}", highlight=False, markup=False)
        for w in result["warnings"]:
            out.print(f"warn {w}", highlight=False, markup=False)
        out.print(
            f"{source}: {len(result['failures'])} failure(s), {len(result['warnings'])} warning(s)",
            highlight=False,
            markup=False,
        )
    if result["failures"]:
        # SystemExit, not typer.Exit: the root runs click with standalone_mode=False, where click turns
        # typer.Exit into a return value that alvh.cli.main does not propagate as the exit status.
        sys.exit(1)


@app.command("history")
def history_cmd(
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the imports as JSON."),
) -> None:
    """List every import in the store (id, kind, files, rows); `alvh data remove ID` undoes one.

    Example:

    \b
      alvh data history --data-dir ~/alvh-data
    """
    folder = _resolve_dir(data_dir)
    with _open(folder, read_only=True) as store:
        rows = store.history()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    header = ["id", "kind", "name", "rows_new", "rows_same", "replaced", "rows_now", "imported_utc", "files"]
    body = [
        [
            str(r["id"]),
            r["kind"],
            r["name"] or "-",
            str(r["rows_new"]),
            str(r["rows_same"]),
            str(r["rows_replaced"]),
            str(r["rows_now"]),
            r["imported_at"].replace(" ", "T"),
            ", ".join(Path(f).name for f in r["files"]),
        ]
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=False)]
    typer.echo(f"imports in {folder / DB_NAME} (oldest first; `alvh data remove ID` undoes one)")
    for line in [header, *body]:
        typer.echo("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    if not rows:
        typer.echo("no imports yet")


@app.command("remove")
def remove_cmd(
    import_id: int = typer.Argument(..., metavar="ID", help="The import's id (see `alvh data history`)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_DIR_HELP),
    lock_timeout: float = typer.Option(
        DEFAULT_LOCK_TIMEOUT, "--lock-timeout", min=0, metavar="SECONDS", help=_LOCK_HELP
    ),
) -> None:
    """Undo one import: delete exactly the rows it wrote and restore the rows it replaced.

    Example:

    \b
      alvh data history          (find the import's id)
      alvh data remove 3
    """
    folder = _resolve_dir(data_dir)
    with _open(folder, read_only=True) as ro:
        known = {r["id"]: r for r in ro.history()}
    with _open(folder, lock_timeout=lock_timeout) as store:
        res = store.remove(import_id)
    r = known.get(import_id)
    what = f"{r['kind']} from {', '.join(Path(f).name for f in r['files'])}" if r else ""
    typer.echo(
        f"removed import {import_id} ({what}): {res['removed']} row(s) deleted, {res['restored']} row(s) "
        f"it had replaced restored"
    )
