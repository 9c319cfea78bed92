"""`newsflow serve` on SIGTERM: no new runs, one log line, a bounded grace period for the running
run, then cancellation; exit 0, the run's state final in Prefect, the warehouse as it was.

A real `prefect server start` on 127.0.0.1 (fixture prefect_server), a real HTTP server that delays
its reply (tests/websupport.py), real flow runs in serve's subprocesses, a real DuckDB file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsflow.settings import SAMPLES_DIR
from newsflow.warehouse.writelock import write_lock

from conftest import prefect_json
from websupport import article

REPO = Path(__file__).resolve().parent.parent
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

pytestmark = pytest.mark.slow


def _wait(what: str, check, timeout: float, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert proc.poll() is None, f"newsflow serve exited while waiting for {what}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {what} within {timeout:.0f} s:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)
    return value


def _tables(db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT * EXCLUDE (stage_seconds) FROM {t} ORDER BY ALL" if t == "runs"
                               else f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("articles", "documents", "rejects", "runs", "url_state")}


def _serve(tmp_path: Path, api_url: str, db: Path, grace: float, name: str) -> tuple[subprocess.Popen, Path]:
    spec = tmp_path / "prefect.yaml"
    settings = {"db": str(db), "lock_timeout": 5, "quality": {"enabled": False},
                "fetch": {"allow_private_hosts": True, "min_host_delay": 0, "retries": 0,
                          "read_timeout": 600, "total_timeout": 600}}
    spec.write_text(json.dumps({"deployments": [{
        "name": name, "entrypoint": f"{REPO}/flows/deployments.py:scheduled_ingest",
        "parameters": {"inputs": [str(SAMPLES_DIR)], "settings": settings}}]}))  # JSON is YAML
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_RUNNER_POLL_FREQUENCY": "1",
           "PREFECT_HOME": str(tmp_path / "serve-home"), "PYTHONUNBUFFERED": "1",
           "NEWSFLOW_SHUTDOWN_GRACE": str(grace)}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "newsflow", "serve", "--file", str(spec)], cwd=tmp_path,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def _deployment_id(api_url: str, name: str) -> str | None:
    found = prefect_json(api_url, "/deployments/filter", {"deployments": {"name": {"any_": [name]}}})
    return found[0]["id"] if found else None


def _run(api_url: str, deployment_id: str, inputs: list[str]) -> str:
    return prefect_json(api_url, f"/deployments/{deployment_id}/create_flow_run", {"parameters": {"inputs": inputs}})["id"]


def _state(api_url: str, flow_run_id: str) -> str:
    return prefect_json(api_url, f"/flow_runs/{flow_run_id}")["state_type"]


def test_sigterm_gives_the_running_run_its_grace_then_cancels_it(prefect_server, server, tmp_path):
    grace = 5.0
    server.routes["/slow"] = article("harbour")
    server.routes["/slow"].delay = 600  # the reply would come long after any grace period
    db = tmp_path / "w.duckdb"
    proc, log = _serve(tmp_path, prefect_server, db, grace, "cut-off")
    try:
        deployment = _wait("deployment", lambda: _deployment_id(prefect_server, "cut-off"), 120, proc, log)
        first = _run(prefect_server, deployment, [str(SAMPLES_DIR)])
        assert _wait("first run", lambda: (s := _state(prefect_server, first)) in FINAL and s, 180, proc, log) \
            == "COMPLETED", log.read_text()
        before = _tables(db)

        slow = _run(prefect_server, deployment, [server.url("/slow")])
        _wait("slow fetch", lambda: server.hits("/slow") and _state(prefect_server, slow) == "RUNNING", 120, proc, log)
        queued = _run(prefect_server, deployment, [str(SAMPLES_DIR)])  # due now, but serve is busy (limit 1)
        time.sleep(1)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace + 120)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log.read_text()
    print(f"serve stopped {took:.1f} s after SIGTERM")
    assert proc.returncode == 0, out
    # The running run had its grace period, and not much more (the child's own exit is bounded too).
    assert grace - 0.5 <= took <= grace + 40, f"serve took {took:.1f} s to stop with a {grace} s grace:\n{out}"

    deadline = time.monotonic() + 30
    while (state := _state(prefect_server, slow)) not in FINAL and time.monotonic() < deadline:
        time.sleep(1)
    assert state in ("CANCELLED", "CRASHED"), f"the cut-off run is {state}:\n{out}"
    assert _state(prefect_server, queued) not in ("RUNNING", "COMPLETED"), "a new run started after SIGTERM"
    # One transaction per run: nothing of the cut-off run is in the warehouse, and its lock is free.
    assert _tables(db) == before
    with write_lock(db, 0), duckdb.connect(str(db)) as con:
        con.execute("SELECT count(*) FROM runs").fetchone()
    # ...and so is its slot of the one-writer limit: released by the run itself (its lease would
    # take over a minute), so the next deployed run does not wait.
    deadline = time.monotonic() + 20
    while (held := prefect_json(prefect_server, "/v2/concurrency_limits/newsflow-warehouse")["active_slots"]) \
            and time.monotonic() < deadline:
        time.sleep(1)
    logs = prefect_json(prefect_server, "/logs/filter", {"logs": {"flow_run_id": {"any_": [slow]}}, "limit": 200})
    assert held == 0, "the cut-off run still holds the writer slot; its logs:\n" + "\n".join(
        f"{entry['timestamp']} {entry['message'][:3000]}" for entry in logs)
    # One line says what serve does; nothing is left half-done.
    assert out.count("shutting down: no new runs") == 1 and f"up to {grace:g} s" in out, out
    assert "cancelled in" in out  # the cut-off run gets its line too
    assert "never awaited" not in out and "Traceback" not in out, out


def test_ctrl_c_lets_a_run_that_finishes_within_the_grace_period_complete(prefect_server, server, tmp_path):
    server.routes["/late"] = article("budget")
    server.routes["/late"].delay = 8
    db = tmp_path / "w.duckdb"
    proc, log = _serve(tmp_path, prefect_server, db, grace=90, name="let-finish")
    try:
        deployment = _wait("deployment", lambda: _deployment_id(prefect_server, "let-finish"), 120, proc, log)
        run = _run(prefect_server, deployment, [server.url("/late")])
        _wait("fetch", lambda: server.hits("/late"), 180, proc, log)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the same shutdown as SIGTERM
        proc.wait(timeout=150)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log.read_text()
    assert proc.returncode == 0 and "Traceback" not in out and "never awaited" not in out, out
    assert "1 running run(s) get up to 90 s" in out and "cancelling" not in out, out
    assert _state(prefect_server, run) == "COMPLETED", out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status, new_articles FROM runs").fetchall() == [("completed", 1)]
