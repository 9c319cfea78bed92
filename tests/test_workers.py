"""The run's worker processes: started once, shared by every batch, same results as inline; honest timings."""

from __future__ import annotations

import os

import duckdb

from newsflow.acquire.files import discover
from newsflow.flows import workers
from newsflow.flows.timing import spread
from newsflow.settings import SAMPLES_DIR, Settings


def test_pool_size_by_runner_and_run_size():
    settings = Settings(workers=2, batch_size=50)
    assert workers.pool_size(settings, 500) == 2
    assert workers.pool_size(Settings(runner="processes", workers=3, batch_size=50), 500) == 3
    assert workers.pool_size(settings, 50) == 0  # one batch: inline, no start-up to pay
    assert workers.pool_size(settings, 51) == 2
    assert workers.pool_size(Settings(runner="dask", workers=2, batch_size=50), 500) == 0  # Dask's own processes


def test_batches_share_the_runs_worker_processes_and_get_the_inline_results(tmp_path):
    items, _ = discover([SAMPLES_DIR])
    settings = Settings(db=tmp_path / "unused.duckdb")
    inline, _ = workers.run_items(items, settings)
    with workers.run_pool(2):
        first, seconds = workers.run_items(items[:6], settings)
        pids = set(workers._POOL.get().get()._processes)
        second, _ = workers.run_items(items[6:], settings)
        assert set(workers._POOL.get().get()._processes) == pids  # the same processes, not new ones per batch
    assert len(pids) == 2 and os.getpid() not in pids
    assert first + second == inline
    assert seconds["extract"] > 0 and workers._POOL.get() is None  # the pool ends with the run


def test_spread_keeps_the_wall_time():
    shares = spread(10.0, {"extract": 12.0, "normalize": 6.0, "clean": 2.0}, idle="cached")
    assert shares == {"extract": 6.0, "normalize": 3.0, "clean": 1.0}
    assert spread(2.5, {}, idle="cached") == {"cached": 2.5}


def test_stage_seconds_cover_the_run_from_start_to_the_flows_return(prefect_harness, tmp_path):
    """Every stage is named, near-dup, stories, the commit and what follows it (`finish`) included; the
    processing stages share the wall time of the batches, so the sum is a wall time, not worker seconds."""
    import time

    from newsflow.flows.run import run_ingest

    settings = Settings(db=tmp_path / "t.duckdb", batch_size=4, quality={"enabled": False})
    started = time.perf_counter()
    summary = run_ingest([str(SAMPLES_DIR)], settings)
    wall = time.perf_counter() - started
    with duckdb.connect(str(settings.db), read_only=True) as con:
        (stored,) = con.execute("SELECT stage_seconds FROM runs").fetchone()
    assert stored == summary.stage_seconds
    assert {"startup", "discover", "acquire", "extract", "clean", "normalize", "dedup", "neardup", "load",
            "stories", "commit", "finish"} <= set(stored)
    assert stored["finish"] > 0 and list(stored)[-1] == "finish"
    assert summary.timed_until + stored["finish"] <= started + wall  # measured, up to the flow's return
    assert sum(stored.values()) <= wall
