"""alvh: what a layered VIX hedge really costs an SPX iron condor trader.

Data flows one way; nothing imports upward::

    errors, config -> calendar -> data -> pricing (kernels) -> market
        -> strategy / engine -> simulate -> analytics -> results -> report -> cli

``alvh.run(rules, market, start, end)`` runs a backtest and attaches its analysis (:mod:`alvh.api`).
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``alvh.__version__``, read from the installed metadata on first use (importlib.metadata costs
    ~0.05 s of start-up: ``import alvh`` and ``alvh --help`` do not pay it)."""
    if name != "__version__":
        raise AttributeError(f"module 'alvh' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("alvh")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value


def run(rules=None, market=None, start=None, end=None, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """Backtest plus analysis in one call; see :func:`alvh.api.run` (imported lazily: ``import alvh`` stays light)."""
    from alvh.api import run as _run

    return _run(rules, market, start, end, **kwargs)


__all__ = ["__version__", "run"]
