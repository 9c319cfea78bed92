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
    if not server.running:
        launch = server._run_uvicorn_command

        def launch_and_watch():  # the watchdog starts with the server, not after its health check
            process = launch()
            stop_with_this_process(process.pid)
            return process

        server._run_uvicorn_command = launch_and_watch
        server.start()
    return server.api_url


# Runs beside us and stops `pid` once its parent (this process) is gone, whatever killed it: Prefect
# stops its temporary server at exit, but a SIGKILL skips exit handlers and would leave the server
# (a uvicorn process) running for good.
_WATCHDOG = """
import os, signal, sys, time
pid, parent = int(sys.argv[1]), int(sys.argv[2])
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops the server
while os.getppid() == parent:
    time.sleep(0.5)
try:
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        time.sleep(0.1)
        os.kill(pid, 0)
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
"""


def stop_with_this_process(pid: int) -> None:
    """Start a watchdog that terminates process `pid` when this process dies, even by SIGKILL."""
    import os
    import subprocess
    import sys

    subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(pid), str(os.getpid())], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)


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
