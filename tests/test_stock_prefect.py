"""The README's Prefect section, step by step, with the stock `prefect` CLI of the project's venv.

A real `prefect server start` on 127.0.0.1 (temporary PREFECT_HOME, free port), then `prefect
work-pool create`, `prefect --no-prompt deploy --all` from a copy of the project, a process worker,
`prefect deployment run`, and the `ls` commands a user reaches for. This is what broke when a
newer fastapi resolved (422 on every `ls`), so it runs in CI (`make test`), marked slow (~1-2 min).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from newsflow.acquire.files import discover
from newsflow.settings import SAMPLES_DIR

from conftest import free_port, prefect_json

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PREFECT = Path(sys.executable).with_name("prefect")  # the venv's own CLI, as a user would run it


def _env(home: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSFLOW_"))}
    return {**env, "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url, "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false", "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_CLI_WRAP_LINES": "false", "COLUMNS": "250", "PYTHONUNBUFFERED": "1"}


def _prefect(args: list[str], env: dict, cwd: Path, timeout: float = 180) -> str:
    done = subprocess.run([str(PREFECT), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh copy of what a clone has: prefect.yaml, the flows it names, the example sources files."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "prefect.yaml", root)
    shutil.copytree(REPO / "flows", root / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    for example in REPO.glob("*.example.toml"):
        shutil.copy(example, root)
    return root


def test_readme_prefect_section_with_the_stock_cli(project, tmp_path):
    home, port = tmp_path / "prefect-home", free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _env(home, api_url)
    db = tmp_path / "smoke.duckdb"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[tuple[subprocess.Popen, Path]] = []

    def start(args: list[str], name: str) -> subprocess.Popen:
        log = logs / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([str(PREFECT), *args], env=env, cwd=project, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((proc, log))
        return proc

    try:
        server = start(["server", "start", "--host", "127.0.0.1", "--port", str(port)], "server")
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{api_url}/health", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, (logs / "server.log").read_text()
                assert time.monotonic() < deadline, "prefect server did not answer within 120 s"
                time.sleep(0.5)

        _prefect(["work-pool", "create", "newsflow", "--type", "process"], env, project)
        deployed = _prefect(["--no-prompt", "deploy", "--all"], env, project, timeout=300)
        names = ["feeds-hourly", "sitemaps-nightly", "inbox-hourly", "validate-nightly"]
        listed = _prefect(["deployment", "ls"], env, project)
        for name in names:
            assert name in listed, f"{name} not deployed:\n{deployed}\n{listed}"
        assert "newsflow" in _prefect(["work-pool", "ls"], env, project)
        # The writer limit declared in prefect.yaml exists with one slot.
        assert "newsflow-warehouse" in _prefect(["global-concurrency-limit", "ls"], env, project)

        start(["worker", "start", "--pool", "newsflow"], "worker")
        params = {"inputs": [str(SAMPLES_DIR)], "settings": {"db": str(db)}}
        _prefect(["deployment", "run", "scheduled-ingest/inbox-hourly", "--params", json.dumps(params)], env, project)
        deadline = time.monotonic() + 240
        while True:
            runs = prefect_json(api_url, "/flow_runs/filter", {"deployments": {"name": {"any_": ["inbox-hourly"]}}})
            states = [r["state_type"] for r in runs]
            if states and states[0] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            assert time.monotonic() < deadline, f"no finished run within 240 s: {states}\n" \
                                                f"{(logs / 'worker.log').read_text()[-3000:]}"
            time.sleep(2)
        (run,) = runs
        assert run["state_type"] == "COMPLETED", (logs / "worker.log").read_text()[-3000:]
        assert run["name"].startswith("inbox-hourly-"), run["name"]  # readable run name, not adjective-animal

        flow_runs = _prefect(["flow-run", "ls"], env, project)
        assert run["name"] in flow_runs and "COMPLETED" in flow_runs
        artifacts = _prefect(["artifact", "ls"], env, project)
        assert "ingest-run" in artifacts and "data-quality" in artifacts
        # The summary sits on the run the user opens: the deployment's own run.
        on_run = prefect_json(api_url, "/artifacts/filter", {"flow_runs": {"id": {"any_": [run["id"]]}}})
        assert {"ingest-run", "data-quality"} <= {a["key"] for a in on_run}

        with duckdb.connect(str(db), read_only=True) as con:
            status, inputs, new = con.execute("SELECT status, inputs, new_articles FROM runs").fetchone()
        samples = len(discover([SAMPLES_DIR])[0])
        assert (status, inputs) == ("completed", samples) and new >= 8
    finally:
        for proc, _ in reversed(procs):
            _stop(proc)
