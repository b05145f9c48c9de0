"""Fuzz every importer with mutated excerpts of the real files in ../shared/data (hypothesis).

Each example takes the first lines of a real file, applies a few random edits (a character replaced,
deleted or inserted from an alphabet of troublemakers, a line duplicated, dropped or swapped, the file
truncated, a BOM or CRLF line ends) and imports it into a fresh store. The contract: either a clean
refusal (an :class:`alvh.errors.AlvhError`, which the CLI prints as one line) or an import after which
``Store.check`` reports no failure. Any other exception is a bug.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alvh.data.store import Store
from alvh.errors import AlvhError

# (kind, file under ../shared/data, --name, excerpt file name)
SOURCES: tuple[tuple[str, str, str | None, str], ...] = (
    ("spx", "spx/SPX_daily.csv", None, "spx.csv"),
    ("vix", "vix_index/VIX_History.csv", None, "vix.csv"),
    ("vix9d", "vix_index/VIX9D_History.csv", None, "vix9d.csv"),
    ("vvix", "vix_index/VVIX_History.csv", None, "vvix.csv"),
    ("skew", "vix_index/SKEW_History.csv", None, "skew.csv"),
    ("vix3m", "vix_index/VXV_yahoo_2006_2017.csv", None, "vxv.csv"),
    ("vx", "vix_futures/vx_contracts_daily_2004_2025.csv.gz", None, "vx_long.csv"),
    ("breadth", "breadth/nyse_adv_decl_unch_daily.csv", None, "breadth.csv"),
    ("events", "calendars/cpi_release_dates_2015_2026.csv", "cpi", "cpi.csv"),
    ("events", "calendars/fomc_dates_1978_2023.csv", "fomc", "fomc_ymd.csv"),
    ("events", "calendars/fomc_actions_1990_2020.csv", "fomc", "fomc_actions.csv"),
    ("events", "calendars/fomc_dates_1990_2020_mp1.csv", "fomc", "fomc_mp1.csv"),
    ("rate", "rates/DTB3_1990_2026.csv", None, "dtb3.csv"),
    ("series", "benchmarks/VXX_yahoo_2009_2017.csv", "vxx", "vxx.csv"),
)

ALPHABET = list("0123456789.,-/: eE+") + [
    "NaN",
    ".",
    "",
    "\x1b[2J",
    "\x00",
    "\ufeff",
    '"',
    "\r",
    "\t",
    "1e308",
    "99999999999999999999",
    "-1",
    "2031",
    "1800",
    "é",
]


def _excerpt(shared: Path, rel: str, n: int = 25) -> list[str]:
    p = shared / rel
    opener = gzip.open if p.name.endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        return [next(fh).rstrip("\n") for _ in range(n)]


@st.composite
def mutations(draw: st.DrawFn, lines: list[str]) -> str:
    out = list(lines)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(
                ["replace", "delete", "insert", "dup_line", "drop_line", "swap", "truncate", "bom", "crlf", "blank"]
            )
        )
        i = draw(st.integers(0, len(out) - 1))
        line = out[i]
        j = draw(st.integers(0, max(len(line) - 1, 0)))
        tok = draw(st.sampled_from(ALPHABET))
        if op == "replace" and line:
            out[i] = line[:j] + tok + line[j + 1 :]
        elif op == "delete" and line:
            out[i] = line[:j] + line[j + 1 :]
        elif op == "insert":
            out[i] = line[:j] + tok + line[j:]
        elif op == "dup_line":
            out.insert(i, line)
        elif op == "drop_line" and len(out) > 1:
            out.pop(i)
        elif op == "swap" and len(out) > 2:
            k = draw(st.integers(0, len(out) - 1))
            out[i], out[k] = out[k], out[i]
        elif op == "truncate":
            out = out[: i + 1]
            out[-1] = out[-1][:j]
        elif op == "bom":
            out[0] = "\ufeff" + out[0]
        elif op == "blank":
            out.insert(i, "")
    sep = "\r\n" if draw(st.booleans()) else "\n"
    return sep.join(out) + (sep if draw(st.booleans()) else "")


@pytest.mark.parametrize("kind,rel,name,fname", SOURCES, ids=[s[3] for s in SOURCES])
def test_fuzz_importer(shared_data: Path, kind: str, rel: str, name: str | None, fname: str) -> None:
    lines = _excerpt(shared_data, rel)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=mutations(lines))
    def one(text: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / fname
            f.write_bytes(text.encode("utf-8", errors="surrogatepass"))
            try:
                with Store.open(Path(tmp) / "store") as store:
                    store.import_files(kind, [f], name=name)
            except AlvhError as exc:
                assert str(exc)  # a clean refusal with a message
                return
            with Store.open(Path(tmp) / "store", read_only=True) as store:
                result = store.check()
            assert result["failures"] == [], (text, result["failures"])

    one()


def test_unmutated_excerpts_import_and_pass_check(shared_data: Path, tmp_path: Path) -> None:
    for kind, rel, name, fname in SOURCES:
        f = tmp_path / fname
        f.write_text("\n".join(_excerpt(shared_data, rel)) + "\n")
        with Store.open(tmp_path / f"s_{fname}") as store:
            report = store.import_files(kind, [f], name=name)
            assert report.rows_new > 0, fname
        with Store.open(tmp_path / f"s_{fname}", read_only=True) as store:
            assert store.check()["failures"] == [], fname
