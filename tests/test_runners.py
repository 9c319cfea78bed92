"""Task runners: threads, processes and Dask load the same tables; what crosses to workers pickles."""

from __future__ import annotations

import pickle

import duckdb
import pytest

from newsflow.acquire.files import discover
from newsflow.flows.runners import task_runner
from newsflow.settings import SAMPLES_DIR, Settings

# Columns that name the run or the moment it happened; everything else must match across runners.
CONTENT = {
    "articles": "SELECT * EXCLUDE (first_seen_at, first_run_id) FROM articles",
    "documents": "SELECT * EXCLUDE (document_id, run_id) FROM documents",
    "removed_segments": "SELECT d.origin, r.position, r.rule, r.segment FROM removed_segments r JOIN documents d USING (document_id)",
    "rejects": "SELECT * EXCLUDE (run_id, rejected_at) FROM rejects",
    "runs": "SELECT status, inputs, new_articles, duplicates, rejected FROM runs",
}


def content(db) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(con.execute(sql).fetchall(), key=repr) for table, sql in CONTENT.items()}


def test_runner_choice():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    assert isinstance(task_runner(Settings()), ThreadPoolTaskRunner)
    # processes is the local runner too: tasks in threads, their items in the run's worker processes
    assert isinstance(task_runner(Settings(runner="processes", workers=3)), ThreadPoolTaskRunner)
    remote = task_runner(Settings(runner="dask", dask_address="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    local = task_runner(Settings(runner="dask", workers=3))
    assert local.address is None and local.cluster_kwargs["n_workers"] == 3
    with pytest.raises(ValueError, match="dask_address is set but runner is 'threads'"):
        Settings(dask_address="tcp://10.0.0.5:8786")


def test_task_inputs_and_outputs_pickle():
    from newsflow.flows.batches import process_batch

    items, _ = discover([SAMPLES_DIR])
    settings = Settings(runner="dask", dask_address="tcp://127.0.0.1:8786")
    assert pickle.loads(pickle.dumps(settings)) == settings
    assert pickle.loads(pickle.dumps(items)) == items
    result = process_batch.fn(items, settings)
    assert pickle.loads(pickle.dumps(result)) == result


def test_dask_cluster_and_processes_load_the_same_tables_as_threads(prefect_harness, tmp_path):
    from distributed import LocalCluster

    from newsflow.flows.run import run_ingest

    common = dict(batch_size=3, quality={"enabled": False})  # 13 samples -> 5 batches spread over the workers
    run_ingest([str(SAMPLES_DIR)], Settings(db=tmp_path / "threads.duckdb", **common))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_ingest([str(SAMPLES_DIR)], Settings(db=tmp_path / "dask.duckdb", runner="dask",
                                                          dask_address=cluster.scheduler_address, **common))
        # The batches really ran on the cluster's workers, not in this process.
        with cluster.get_client() as client:
            ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
        assert sum(ran.values()) >= 5 and len(ran) == 2
    run_ingest([str(SAMPLES_DIR)], Settings(db=tmp_path / "processes.duckdb", runner="processes", **common))

    expected = content(tmp_path / "threads.duckdb")
    assert expected["articles"] and expected["removed_segments"] and expected["rejects"]
    assert (summary.inputs, summary.new_articles) == (18, 16)
    for runner in ("dask", "processes"):
        got = content(tmp_path / f"{runner}.duckdb")
        for table in CONTENT:
            assert got[table] == expected[table], f"{table} differs between threads and {runner}"
