"""`newsflow serve`: the deployments in prefect.yaml, served with their schedules from one process.

Schedules need a real Prefect server (ephemeral mode has no scheduler). serve uses the one Prefect's
settings name (PREFECT_API_URL from the environment, the active profile or prefect.toml, as an
ingest does), or starts `prefect server start` on 127.0.0.1 with its state under the project's
Prefect home (setting prefect_home) and stops it on exit, also when interrupted while it starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path("prefect.yaml")  # the project directory's, as for `prefect deploy`
# The same file, shipped inside the package (newsflow/prefect.yaml links to it): what an installed
# newsflow serves from a folder that has no prefect.yaml of its own.
PACKAGED_FILE = Path(__file__).resolve().parent.parent / "prefect.yaml"


def default_file() -> Path:
    """./prefect.yaml when the current folder has one, else the deployments shipped with newsflow."""
    return DEFAULT_FILE if DEFAULT_FILE.is_file() else PACKAGED_FILE
_SCHEDULE_KEYS = {"cron", "interval", "rrule", "timezone", "active", "day_or", "anchor_date"}
_DEPLOYMENT_KEYS = {"name", "description", "entrypoint", "parameters", "schedules", "tags", "work_pool",
                    "version", "concurrency_limit", "enforce_parameter_schema", "paused"}


class DeploymentError(ValueError):
    """A prefect.yaml that cannot be served; the message names the file and the deployment."""


class ServerError(RuntimeError):
    """The Prefect server could not be reached or started."""


@dataclass
class DeploymentSpec:
    """One entry of `deployments:` in prefect.yaml."""

    name: str
    entrypoint: str
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    enforce_parameter_schema: bool = True  # Prefect's default; the server checks run parameters


def read_specs(path: str | Path = DEFAULT_FILE) -> list[DeploymentSpec]:
    """The deployments declared in a prefect.yaml, checked for the keys serve understands."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise DeploymentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise DeploymentError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):  # e.g. --file /etc/passwd: YAML, but not a prefect.yaml
        raise DeploymentError(f"{path} is not a prefect.yaml: expected a mapping with a `deployments:` list")
    entries = data.get("deployments")
    if not isinstance(entries, list) or not entries:
        raise DeploymentError(f"{path}: no `deployments:` list")
    specs, seen = [], set()
    for i, entry in enumerate(entries, 1):
        label = f"{path}: deployment #{i} ({entry.get('name', 'unnamed') if isinstance(entry, dict) else '?'})"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("entrypoint"):
            raise DeploymentError(f"{label}: needs at least `name` and `entrypoint`")
        if unknown := set(entry) - _DEPLOYMENT_KEYS:
            raise DeploymentError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}")
        if entry["name"] in seen:
            raise DeploymentError(f"{label}: the name is used twice")
        seen.add(entry["name"])
        for sched in entry.get("schedules") or []:
            if not isinstance(sched, dict) or set(sched) - _SCHEDULE_KEYS:
                raise DeploymentError(f"{label}: a schedule takes cron, interval or rrule (+ timezone, active)")
        specs.append(DeploymentSpec(entry["name"], entry["entrypoint"], dict(entry.get("parameters") or {}),
                                    list(entry.get("schedules") or []), entry.get("description"),
                                    list(entry.get("tags") or []),
                                    bool(entry.get("enforce_parameter_schema", True))))
    return specs


def schedule(spec: dict[str, Any]):
    """A prefect.schedules object for one `schedules:` entry of prefect.yaml."""
    from prefect.schedules import Cron, Interval, RRule

    extra = {k: spec[k] for k in ("timezone", "active") if k in spec}
    kinds = [k for k in ("cron", "interval", "rrule") if k in spec]
    if len(kinds) != 1:
        raise DeploymentError(f"a schedule needs exactly one of cron, interval, rrule; got {spec}")
    if "cron" in spec:
        return Cron(spec["cron"], day_or=spec.get("day_or", True), **extra)
    if "interval" in spec:
        return Interval(timedelta(seconds=float(spec["interval"])), **extra)
    return RRule(spec["rrule"], **extra)


def build_deployments(path: str | Path = DEFAULT_FILE, only: tuple[str, ...] = ()) -> list:
    """RunnerDeployments for `prefect.serve`: each entrypoint loaded, parameters and schedules validated."""
    from prefect.flows import load_flow_from_entrypoint

    path = Path(path)
    specs = read_specs(path)
    if only:
        if missing := set(only) - {s.name for s in specs}:
            raise DeploymentError(f"{path} has no deployment named {', '.join(sorted(missing))}; "
                                  f"it has {', '.join(s.name for s in specs)}")
        specs = [s for s in specs if s.name in only]
    deployments = []
    for spec in specs:
        file, _, func = spec.entrypoint.rpartition(":")
        entry = Path(file) if Path(file).is_absolute() else path.resolve().parent / file
        if not entry.is_file():
            raise DeploymentError(f"{path}: deployment {spec.name}: entrypoint {spec.entrypoint} not found")
        flow = load_flow_from_entrypoint(f"{entry}:{func}")
        try:
            flow.validate_parameters(spec.parameters)
            schedules = [schedule(s) for s in spec.schedules]
        except Exception as exc:
            raise DeploymentError(f"{path}: deployment {spec.name}: {exc}") from exc
        deployments.append(flow.to_deployment(name=spec.name, parameters=spec.parameters, schedules=schedules,
                                              description=spec.description, tags=spec.tags,
                                              enforce_parameter_schema=spec.enforce_parameter_schema))
    return deployments


def server_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when a Prefect API answers /health at `api_url` (…/api)."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_server(home: Path, port: int, log_path: Path | None = None, timeout: float = 90.0) -> tuple[str, subprocess.Popen]:
    """Start `prefect server start` on 127.0.0.1:`port` with PREFECT_HOME=`home`; return (api_url, process)."""
    api_url = f"http://127.0.0.1:{port}/api"
    if server_healthy(api_url, timeout=1):
        raise ServerError(f"a Prefect server already answers at {api_url}; use it with "
                          f"PREFECT_API_URL={api_url}, or pick another port (server_port, --port)")
    home.mkdir(parents=True, exist_ok=True)
    log_path = log_path or home / "server.log"
    env = {**os.environ, "PREFECT_HOME": str(home.resolve()), "PREFECT_API_URL": api_url,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "true"}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # Ctrl-C reaches serve, which stops the server itself
    try:  # whatever ends the wait (Ctrl-C, SIGTERM, a dead or mute server) stops the server started here
        deadline = time.monotonic() + timeout
        while not server_healthy(api_url):
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise ServerError(f"prefect server exited with status {proc.returncode}: {' | '.join(tail)} "
                                  f"(log: {log_path})")
            if time.monotonic() > deadline:
                raise ServerError(f"prefect server did not answer at {api_url} within {timeout:.0f}s "
                                  f"(log: {log_path})")
            time.sleep(0.5)
    except BaseException:
        stop_server(proc)
        raise
    return api_url, proc


def stop_server(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a server started by start_server: SIGTERM, then SIGKILL if it lingers, or at once when
    the wait is interrupted (a second Ctrl-C)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except BaseException:  # interrupted again while waiting: do not leave it behind
        proc.kill()
        proc.wait()
        raise


class RunReporter:
    """One line per flow run of the served deployments when it starts, finishes or fails.

    Polls the API from a daemon thread (the runner's own logs go to the UI), so a failed scheduled
    run is visible in the terminal or service log that runs `newsflow serve`.
    """

    FINAL = {"COMPLETED": "completed", "FAILED": "FAILED", "CRASHED": "CRASHED", "CANCELLED": "cancelled"}

    def __init__(self, names: list[str], echo=print, every: float = 1.0):
        import threading
        from datetime import datetime, timezone

        self.names, self.echo, self.every = names, echo, every
        self.seen: dict[str, str] = {}
        self.since = datetime.now(timezone.utc)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="newsflow-run-reporter", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Stop polling, after one last look so a run cancelled at shutdown gets its line."""
        self.stop.set()
        self.thread.join(timeout=self.every + 5)
        from prefect.client.orchestration import get_client

        try:
            with get_client(sync_client=True) as client:
                self.poll(client)
        except Exception:  # the API may be going away; the lines are a courtesy
            pass

    def _loop(self) -> None:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            while not self.stop.wait(self.every):
                try:
                    self.poll(client)
                except Exception as exc:  # the API may be busy or going away; try again next tick
                    self.echo(f"run reporter: {type(exc).__name__}: {exc}")

    def poll(self, client) -> None:
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterName,
            FlowRunFilter,
            FlowRunFilterStartTime,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        # Only runs that started since serve did: the scheduler keeps ~100 future runs per deployment,
        # so an unfiltered "latest 50" would be all Scheduled.
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=self.names)),
            flow_run_filter=FlowRunFilter(
                start_time=FlowRunFilterStartTime(after_=self.since),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, *map(
                    StateType, self.FINAL)]))),
            limit=200, sort="START_TIME_DESC")
        for run in reversed(runs):
            state = run.state_type.value
            before = self.seen.get(str(run.id))
            if before == state:
                continue
            self.seen[str(run.id)] = state
            if before is None:
                # Times are the run's own, so a line printed after a slow poll still says when.
                self.echo(f"{_at(run.start_time)} run {run.name} started")
            if state in self.FINAL:
                took = f" in {run.total_run_time.total_seconds():.1f} s" if run.total_run_time else ""
                message = f": {run.state.message}" if state != "COMPLETED" and run.state and run.state.message else ""
                self.echo(f"{_at(run.end_time)} run {run.name} {self.FINAL[state]}{took}{message}")


def _at(when) -> str:
    return f"{when:%H:%M:%S}Z" if when else _now()


def _now() -> str:
    from datetime import datetime, timezone

    return f"{datetime.now(timezone.utc):%H:%M:%S}Z"


def configured_api_url() -> str | None:
    """The Prefect API URL as Prefect's own settings give it (environment, active profile,
    prefect.toml), the way an ingest finds it (flows/run.py); None when none is set."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def serve(path: str | Path, settings, only: tuple[str, ...] = (), echo=print) -> None:
    """Serve the deployments in `path` until interrupted; start (and stop) a server if none is configured."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # Stop cleanly on SIGTERM too (a service manager, `kill`), so the server started here is stopped.
    signal.signal(signal.SIGTERM, interrupt)
    proc = reporter = None
    try:
        api_url = configured_api_url()
        if api_url:
            if not server_healthy(api_url, timeout=5):
                raise ServerError(f"no Prefect server answers at {api_url} (PREFECT_API_URL, from the environment, "
                                  "the Prefect profile or prefect.toml); start one (prefect server start) or unset "
                                  "it to let newsflow start one")
        else:
            home = Path(settings.prefect_home)
            echo(f"starting a Prefect server on 127.0.0.1:{settings.server_port} (state in {home}, "
                 f"log in {home}/server.log)")
            api_url, proc = start_server(home, settings.server_port)  # stops it itself if interrupted
            # For this process's Prefect settings (read when Prefect was imported) and the flow-run
            # subprocesses the runner starts.
            os.environ["PREFECT_API_URL"] = api_url
            from prefect.context import refresh_global_settings_context

            refresh_global_settings_context()

        import asyncio

        from newsflow.flows.deployments import WRITER_LIMIT, declare_writer_limit
        from newsflow.flows.shutdown import GracefulRunner

        deployments = build_deployments(path, only)
        declare_writer_limit(WRITER_LIMIT, 1)  # what prefect.yaml's build step does for `prefect deploy`
        echo(f"serving {', '.join(d.name for d in deployments)} from {path} against {api_url}")
        if proc:
            echo(f"UI: {api_url.removesuffix('/api')}")
        reporter = RunReporter([d.name for d in deployments], echo)
        reporter.start()
        # One flow run at a time: every deployment writes the same single-writer warehouse.
        runner = GracefulRunner(grace=settings.shutdown_grace, echo=echo, limit=1, pause_on_shutdown=True)
        for deployment in deployments:
            runner.add_deployment(deployment)
        # SIGINT too (Ctrl-C): set before asyncio.run, which then leaves it alone instead of cancelling
        # the serving task. runner.start() points SIGTERM at the same handler.
        signal.signal(signal.SIGINT, runner.handle_sigterm)
        signal.signal(signal.SIGTERM, runner.handle_sigterm)
        asyncio.run(runner.start())
        echo(f"{_now()} stopped serving")
    except KeyboardInterrupt:
        pass
    finally:
        if reporter:
            reporter.close()
        if proc:
            echo("stopping the Prefect server")
            stop_server(proc)
