"""Where the CPU-heavy batches run: the flow's threads with a run-wide process pool (default), or a Dask cluster.

Only `process-batch` tasks (read, extract, clean, normalize) are submitted to the runner; the
`load` task runs in the flow's own process, so there is always exactly one writer. Everything a
task receives or returns (Item, Settings, Processed, Reject) is plain picklable data, which the
process and Dask runners need.
"""

from __future__ import annotations

from newsflow.settings import Settings

RUNNERS = ("threads", "processes", "dask")


class RunnerUnavailable(RuntimeError):
    """The chosen runner cannot be used here; the message says what to install or set."""


def task_runner(settings: Settings):
    """The Prefect task runner for `settings.runner` with `settings.workers` workers."""
    if settings.runner in ("threads", "processes"):
        # Both: tasks in threads of the flow's process, their items in the run's worker processes
        # (flows/workers.py). Prefect's ProcessPoolTaskRunner was a slower copy of that: it started
        # its processes per run and paid Prefect's import and task bookkeeping in each one.
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=settings.workers)
    if settings.runner == "dask":
        return dask_runner(settings.dask_address, settings.workers)
    raise RunnerUnavailable(f"unknown runner {settings.runner!r}; choose one of {', '.join(RUNNERS)}")


def local_api_for_workers() -> str:
    """Start (once) the temporary local API Prefect would start anyway, and return its URL.

    Worker processes do not inherit Prefect's ephemeral mode: each would start a server of its own
    (5-10 s apiece). Naming this one in the run's settings makes them report to it instead.
    """
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same instance Prefect's clients use; stopped at exit
    server.start()
    return server.api_url


def dask_runner(address: str | None, workers: int):
    """prefect-dask's DaskTaskRunner: the cluster at `address`, else a local cluster of `workers` processes."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:  # pragma: no cover - both are dependencies; a trimmed install may lack them
        raise RunnerUnavailable("runner dask needs prefect-dask and dask.distributed: "
                                "pip install prefect-dask 'dask[distributed]'") from exc
    if address:
        return DaskTaskRunner(address=address)
    # One single-threaded worker process per `workers`: extraction holds the GIL, so threads would not help.
    # No dashboard: it would need a free port (8787) and bokeh.
    return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                          cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})
