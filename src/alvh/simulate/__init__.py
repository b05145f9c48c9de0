"""Path generation: simulated market paths fed to the engine through :class:`~alvh.engine.inputs.MarketPaths`.

``synthetic_paths(n_paths, n_days, seed)`` now; the Monte Carlo factor model, its calibration and scenarios
next (docs/architecture.md: simulate sits above the engine and below analytics).
"""

from alvh.simulate.paths import synthetic_paths

__all__ = ["synthetic_paths"]
