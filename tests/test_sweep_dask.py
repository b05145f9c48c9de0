"""alvh.sweep on a Dask cluster: a LocalCluster of worker processes gives the local rows bit for bit, a worker
that dies mid-sweep has its task retried with the same result, an unreachable scheduler errors before work."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from alvh.config import default_rules
from alvh.errors import ConfigError
from alvh.sweep.batch import DataRef, run_chunk
from alvh.sweep.grid import expand, parse_grid
from alvh.sweep.runner import run_sweep

GRID = {
    "values": {"layers.0.weight": [0.03, 0.04, 0.05], "rebalance.threshold": [1.4, 4.0]},
    "core_alone": True,
}


def kill_worker_once(chunk, ref, i, marker: str):
    """The chunk's task, except that its first run anywhere kills the worker process running it."""
    if i == 1 and not os.path.exists(marker):
        Path(marker).write_text("killed once", encoding="utf-8")
        os._exit(1)  # the worker process dies mid-task (no exception reaches Dask)
    return run_chunk(chunk, ref, i)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import this test file
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as c:
        yield c


@pytest.fixture(scope="module")
def case(real_store_dir):
    base = default_rules()
    return expand(parse_grid(GRID, base), base), DataRef(str(real_store_dir), "2008-01-02", "2009-06-30")


def test_cluster_rows_equal_local_bit_for_bit(cluster, case, tmp_path):
    variants, ref = case
    local, ml = run_sweep(variants, ref, tmp_path / "local", workers=1, chunk=2)
    dist, md = run_sweep(variants, ref, tmp_path / "dask", scheduler=cluster.scheduler_address, chunk=3)
    pd.testing.assert_frame_equal(local, dist, check_exact=True)
    pd.testing.assert_frame_equal(ml, md, check_exact=True)


def test_a_worker_killed_mid_sweep_is_retried(cluster, case, tmp_path):
    variants, ref = case
    marker = tmp_path / "killed"
    local, _ = run_sweep(variants, ref, tmp_path / "local", workers=1, chunk=2)

    def task(chunk, r, i):
        return kill_worker_once(chunk, r, i, str(marker))

    t0 = time.monotonic()
    dist, _ = run_sweep(variants, ref, tmp_path / "dask", scheduler=cluster.scheduler_address, chunk=2, task=task)
    assert marker.exists(), "the task never killed its worker: the test tested nothing"
    pd.testing.assert_frame_equal(local, dist, check_exact=True)
    assert time.monotonic() - t0 < 600


def test_unreachable_scheduler_errors_before_work(case, tmp_path):
    variants, ref = case
    ran = []
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        run_sweep(variants, ref, tmp_path, scheduler="tcp://127.0.0.1:9", task=lambda *a: ran.append(a))
    assert not ran and not list(tmp_path.glob("*.json"))


def test_scheduler_from_the_environment(case, tmp_path, monkeypatch):
    variants, ref = case
    monkeypatch.setenv("ALVH_SCHEDULER", "tcp://127.0.0.1:9")
    with pytest.raises(ConfigError, match="127.0.0.1:9"):
        run_sweep(variants, ref, tmp_path)


def test_cluster_monte_carlo_rows_equal_local_bit_for_bit(cluster, tmp_path):
    from alvh.montecarlo import PathModel
    from alvh.sweep.mc import SimRef
    from alvh.sweep.runner import run_mc_sweep

    base = default_rules()
    variants = expand(parse_grid(GRID, base), base)[:3]
    sim = SimRef(PathModel(), 5, 4, 60, path_chunk=2)
    local, pl = run_mc_sweep(variants, sim, tmp_path / "local", workers=1, chunk=3)
    dist, pd_ = run_mc_sweep(variants, sim, tmp_path / "dask", scheduler=cluster.scheduler_address, chunk=1)
    pd.testing.assert_frame_equal(local, dist, check_exact=True)
    pd.testing.assert_frame_equal(pl, pd_, check_exact=True)
