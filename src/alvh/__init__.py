"""alvh: what a layered VIX hedge really costs an SPX iron condor trader.

Data flows one way; nothing imports upward::

    errors, config -> calendar -> data -> pricing, stats (kernels) -> market
        -> strategy -> engine, results -> simulate -> analytics -> report -> api, cli

(docs/architecture.md; tests/test_architecture.py checks it).

``alvh.run(rules, market, start, end)`` runs a backtest and attaches its analysis (:mod:`alvh.api`).
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``alvh.__version__``, read from the installed metadata on first use (importlib.metadata costs
    ~0.05 s of start-up: ``import alvh`` and ``alvh --help`` do not pay it); :mod:`alvh._version` holds it."""
    if name != "__version__":
        raise AttributeError(f"module 'alvh' has no attribute {name!r}")
    from alvh._version import __version__

    globals()["__version__"] = __version__
    return __version__


def run(rules=None, market=None, start=None, end=None, **kwargs):
    """Backtest plus analysis in one call; see :func:`alvh.api.run` (imported lazily: ``import alvh`` stays light)."""
    from alvh.api import run as _run

    return _run(rules, market, start, end, **kwargs)


__all__ = ["__version__", "run"]
