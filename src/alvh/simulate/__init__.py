"""Path generation: the joint SPX / VIX / VX-curve Monte Carlo model, its calibration and scenarios.

``simulate_market(params, n_paths, n_days, rng)`` gives the engine's
:class:`~alvh.engine.inputs.MarketPaths` (docs/simulation.md); ``SimParams.default()`` are the parameters
fitted on 2006-2025 real data; ``synthetic_paths`` is the older uncalibrated stand-in (docs/architecture.md:
simulate sits above the engine and below analytics).
"""

from alvh.simulate.model import simulate_market
from alvh.simulate.params import MODEL_VERSION, EventShock, SimParams
from alvh.simulate.paths import synthetic_paths
from alvh.simulate.scenarios import Scenario, Shock

__all__ = ["MODEL_VERSION", "EventShock", "Scenario", "Shock", "SimParams", "simulate_market", "synthetic_paths"]
