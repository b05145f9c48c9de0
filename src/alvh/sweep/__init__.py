"""Sweeps of rule variants: the grid, variants as an engine path axis, local or Dask execution, the
cost-versus-protection frontier and the walk-forward (docs/sweep.md).

Sits above analytics (it scores every variant with :mod:`alvh.analytics.by_path`) and below report/cli.
"""
