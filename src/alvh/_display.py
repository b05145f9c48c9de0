"""How result objects print themselves: a concise ``repr`` (never whole arrays) and ``_repr_html_``.

Shared by :class:`alvh.results.BacktestResult`, :class:`alvh.engine.records.PositionRecords` and
:class:`alvh.engine.inputs.MarketPaths` (as arch's and statsmodels' results: ``summary()`` text,
``summary_dict()`` / ``to_dict()`` for JSON, a short ``repr`` and an HTML view for notebooks).

Examples
--------
>>> import numpy as np
>>> short(np.zeros((3, 2)))
'array(3x2 float64)'
>>> concise_repr("Thing", {"n": 3, "x": np.ones(4)})
'Thing(n=3, x=array(4 float64))'
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np


def short(value: object, width: int = 60) -> str:
    """A short text for any value: arrays as shape and dtype, long text cut with an ellipsis."""
    if isinstance(value, np.ndarray):
        return f"array({'x'.join(str(n) for n in value.shape) or 'scalar'} {value.dtype})"
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 3] + "..."


def concise_repr(name: str, fields: Mapping[str, object]) -> str:
    """``Name(key=value, ...)`` with every value shortened by :func:`short`."""
    return f"{name}(" + ", ".join(f"{k}={short(v)}" for k, v in fields.items()) + ")"


def html_view(title: str, rows: Mapping[str, object], text: str) -> str:
    """A notebook view: the title, a two-column table of ``rows`` and the full ``text`` summary (escaped)."""
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td style='text-align:left'>{html.escape(short(v, 120))}</td></tr>"
        for k, v in rows.items()
    )
    return (
        f"<div><strong>{html.escape(title)}</strong><table>{body}</table>"
        f"<details><summary>summary()</summary><pre>{html.escape(text)}</pre></details></div>"
    )
