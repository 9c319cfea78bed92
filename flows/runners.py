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


_local_api: str | None = None


def local_api_for_workers() -> str:
    """Start (once) the temporary local API Prefect would start anyway, and return its URL.

    Worker processes do not inherit Prefect's ephemeral mode: each would start a server of its own
    (5-10 s apiece). Naming this one in the run's settings makes them report to it instead. It is
    launched as Prefect launches it (uvicorn on `prefect.server.api.server:create_app`, UI off, the
    ephemeral flags), but from here: Prefect's launcher lives in the server module, whose import
    costs this process ~2.5 s of CPU that the run's own start-up (GX, the flow code) waits behind.
    A watchdog stops it even if this process is killed; it is stopped at exit otherwise.
    """
    global _local_api
    if _local_api is None:
        import atexit

        from prefect.settings import get_current_settings

        timeout = get_current_settings().server.ephemeral.startup_timeout_seconds
        for _ in range(5):  # another process may take the free port first: uvicorn then exits with 3
            port = _free_port()
            process = _launch_api(port)
            stop_with_this_process(process.pid)
            atexit.register(_stop_api, process)
            status = _wait_healthy(process, f"http://127.0.0.1:{port}/api", timeout)
            if status is None:
                break
            if status != 3:
                raise RuntimeError(f"Prefect's temporary API exited with status {status} while starting "
                                   f"(set PREFECT_API_URL to a running server, or see its output above)")
        else:
            raise RuntimeError("Prefect's temporary API found no free port on 127.0.0.1")
        _local_api = f"http://127.0.0.1:{port}/api"
    return _local_api


def _stop_api(process) -> None:
    """Stop the temporary API at exit; a Ctrl-C while it stops kills it instead (no traceback at exit)."""
    from newsflow.flows.serve import stop_server

    try:
        stop_server(process, timeout=5)
    except KeyboardInterrupt:
        process.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch_api(port: int):
    import os
    import subprocess
    import sys

    import prefect
    from prefect.settings import get_current_settings

    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
           **get_current_settings().to_environment_variables(exclude_unset=True)}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
         "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "error", "--lifespan", "on"], env=env,
        # A session of its own: Ctrl-C in the terminal reaches the whole foreground group, and the run
        # must still reach its API while it stops (Prefect reports the crashed run and drains its logs
        # at exit; with the API gone first, that exit hung). This process stops it (atexit, watchdog).
        start_new_session=True)


def _wait_healthy(process, api_url: str, timeout: float) -> int | None:
    """None once `api_url` answers its health check; the exit status if the process ended first.

    Polls every 0.1 s and, as Prefect's own launcher does, counts `timeout` in polls, not wall time.
    """
    import time

    from newsflow.flows.serve import server_healthy, stop_server

    for _ in range(max(1, round(timeout / 0.1))):
        if process.poll() is not None:
            return process.returncode
        if server_healthy(api_url, timeout=5):
            return None
        time.sleep(0.1)
    stop_server(process, timeout=5)
    raise RuntimeError(f"Prefect's temporary API did not answer within {timeout:.0f} s "
                       "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS; or set PREFECT_API_URL to a running server)")


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
