"""Simulated runs: many paths in chunks through the engine and the per-path analysis (docs/simulation.md).

``streams`` (random streams per block of paths, the chunk's market paths), ``chunk`` (:func:`run_chunk`,
the pure function of one chunk, and :class:`ChunkResult`), ``tables`` (the per-path tables in memory or
streamed to Parquet), ``summary`` (reductions over paths), ``result`` (:class:`SimulationResult`),
``runner`` (:func:`simulate`: local chunks, one process or a pool; :func:`combine` for chunks computed
elsewhere), ``outputs`` (the run's output folder). Sits above analytics (it runs the engine and the
analysis) and below report and the CLI.
"""

from alvh.montecarlo.chunk import ChunkResult, run_chunk
from alvh.montecarlo.result import SimulationResult
from alvh.montecarlo.runner import combine, simulate
from alvh.montecarlo.streams import PATH_BLOCK, PathModel

__all__ = ["PATH_BLOCK", "ChunkResult", "PathModel", "SimulationResult", "combine", "run_chunk", "simulate"]
