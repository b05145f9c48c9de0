"""Comparing two or more saved runs (``alvh compare``): headline figures side by side, differences, rules diff.

Reads only what each run saved (its :class:`~alvh.report.model.Report`: ``headline`` figures, charts, the
rules text); nothing is recomputed. Differences are against the first run (``run - first``), in the
figure's own unit.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from alvh.analytics.text import fmt
from alvh.report.model import Chart, Code, Report, Section, Series, Table

__all__ = ["compare_reports", "headline_rows"]

#: (chart id, series name) drawn for every run on the comparison's overlay charts.
OVERLAYS = (("nav", "core + hedge"), ("cost_cumulative", "all layers"))


def headline_rows(reports: Sequence[Report], labels: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Columns and rows: figure, each run's value, then each later run's difference from the first."""
    names: list[str] = []
    for r in reports:
        names += [k for k in r.headline if k not in names]
    cols = ["figure", *labels, *(f"{lab} - {labels[0]}" for lab in labels[1:])]
    rows = []
    for name in names:
        vals = [r.headline.get(name) for r in reports]
        base = vals[0]
        diffs = [_diff(v, base) for v in vals[1:]]
        rows.append([name, *(fmt(v, 2) if isinstance(v, float) else str(v) for v in vals), *diffs])
    return cols, rows


def _diff(v: object, base: object) -> str:
    if isinstance(v, bool) or isinstance(base, bool) or not isinstance(v, (int, float)):
        return "n/a"
    if not isinstance(base, (int, float)):
        return "n/a"
    if isinstance(v, int) and isinstance(base, int):
        return f"{v - base:+d}"
    return fmt(float(v) - float(base), 2)


def _flat(d: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def rules_key_changes(base_text: str, other_text: str) -> list[str]:
    """The rules keys whose values differ between two rules files, ``"key: base -> other"``, each file read with
    the defaults filled in (a key a file leaves out takes its default; ``(unset)`` only where the rules have no
    such key). ``["(not a rules file: see the diff)"]`` when a text does not load."""
    import tomllib

    from alvh.config import rules_from_dict
    from alvh.errors import ConfigError

    try:
        a, b = (_flat(rules_from_dict(tomllib.loads(t)).model_dump(mode="json")) for t in (base_text, other_text))
    except (tomllib.TOMLDecodeError, ConfigError, ValueError):
        return ["(not a rules file: see the diff)"]

    def show(d: dict[str, object], k: str) -> str:
        return repr(d[k]).replace("True", "true").replace("False", "false") if k in d else "(unset)"

    return [f"{k}: {show(a, k)} -> {show(b, k)}" for k in sorted(a.keys() | b.keys()) if a.get(k, ...) != b.get(k, ...)]


def _rules_diff(reports: Sequence[Report], labels: Sequence[str]) -> list[Code | str]:
    base = str(reports[0].meta.get("rules_text", "")).splitlines(keepends=True)
    out: list[Code | str] = []
    for r, lab in zip(reports[1:], labels[1:], strict=True):
        other = str(r.meta.get("rules_text", "")).splitlines(keepends=True)
        diff = "".join(
            difflib.unified_diff(base, other, fromfile=f"{labels[0]}/rules.toml", tofile=f"{lab}/rules.toml")
        )
        out.append(Code(diff) if diff else f"{lab}: the same rules file as {labels[0]}.")
    return out


def _overlay(reports: Sequence[Report], labels: Sequence[str], chart_id: str, series_name: str) -> Chart | None:
    series = []
    first: Chart | None = None
    for r, lab in zip(reports, labels, strict=True):
        ch = next((c for c in r.charts() if c.id == chart_id), None)
        s = next((s for s in ch.series if s.name == series_name), None) if ch else None
        if ch is None or s is None:
            continue
        first = first or ch
        series.append(Series(f"{lab}: {series_name}", s.x, s.y, color=None))
    if first is None:
        return None
    return Chart(
        f"compare_{chart_id}",
        f"{first.title}: {series_name}, each run",
        series,
        panels=[first.panels[0]],
        x_kind=first.x_kind,
        note="Each run's own saved series (report_data.json).",
    )


def compare_reports(reports: Sequence[Report], labels: Sequence[str]) -> Report:
    """The comparison report of ``reports`` (labelled ``labels``, the first is the base of the differences)."""
    cols, rows = headline_rows(reports, labels)
    table = Table(
        "headline",
        "Headline figures side by side",
        cols,
        rows,
        note=f"Differences: each run minus {labels[0]}, in the figure's unit (bp of each run's basis per month, "
        "% of its initial capital, counts).",
    )
    charts: list[Chart | Table | Code | str] = [table]
    for chart_id, name in OVERLAYS:
        ch = _overlay(reports, labels, chart_id, name)
        if ch is not None:
            charts.append(ch)
    runs = Table(
        "runs",
        "The runs",
        ["run", "title", "config hash", "data span", "alvh version"],
        [
            [
                lab,
                r.title,
                str(r.meta.get("config hash")),
                str(r.meta.get("data span")),
                str(r.meta.get("alvh version")),
            ]
            for r, lab in zip(reports, labels, strict=True)
        ],
    )
    secs = [
        Section("Headline figures", charts),
        Section("Rules diff", list(_rules_diff(reports, labels))),
        Section("Runs", [runs]),
    ]
    meta = {"runs": ", ".join(labels)}
    return Report(f"alvh compare {' vs '.join(labels)}", "comparison", meta, secs)
