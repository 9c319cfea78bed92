"""prefect.yaml deployments: they load and validate, and a served one runs on its schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsflow.flows.serve import DEFAULT_FILE, DeploymentError, build_deployments, read_specs
from newsflow.settings import SAMPLES_DIR, Settings

from conftest import prefect_json

REPO = Path(__file__).resolve().parent.parent


def test_prefect_yaml_deployments_load_and_validate():
    deployments = {d.name: d for d in build_deployments(DEFAULT_FILE)}

    assert {"feeds-hourly", "sitemaps-nightly", "validate-nightly"} <= set(deployments)
    for name, deployment in deployments.items():
        assert deployment.schedules, f"{name} has no schedule"
        assert deployment.entrypoint.endswith((":scheduled_ingest", ":validate"))
        overrides = deployment.parameters.get("settings") or {}
        assert set(overrides) <= set(Settings.model_fields), f"{name}: unknown settings {overrides}"
        Settings(**overrides)  # the overrides are valid values too
    assert deployments["feeds-hourly"].parameters["settings"]["sources"] == "sources.toml"
    assert deployments["feeds-hourly"].schedules[0].schedule.cron == "7 * * * *"
    assert deployments["validate-nightly"].entrypoint.endswith("flows/deployments.py:validate")


@pytest.mark.parametrize("yaml_text, message", [
    ("deployments: []\n", "no `deployments:` list"),
    ("deployments:\n  - name: a\n", "needs at least `name` and `entrypoint`"),
    ("deployments:\n  - name: a\n    entrypoint: flows/deployments.py:validate\n    schedule: {cron: '* * * * *'}\n",
     "unknown key(s) schedule"),
    ("deployments:\n  - name: a\n    entrypoint: flows/deployments.py:validate\n    schedules: [{every: 5}]\n",
     "a schedule takes cron, interval or rrule"),
    ("deployments:\n  - name: a\n    entrypoint: flows/deployments.py:validate\n    parameters: {nope: 1}\n",
     "deployment a:"),
    ("deployments:\n  - name: a\n    entrypoint: flows/missing.py:validate\n", "entrypoint flows/missing.py:validate not found"),
])
def test_bad_prefect_yaml_says_what_is_wrong(tmp_path, yaml_text, message):
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml_text.replace("flows/", f"{REPO}/flows/"))
    with pytest.raises(DeploymentError) as err:
        build_deployments(path)
    assert message.replace("flows/", f"{REPO}/flows/") in str(err.value)


def test_serve_only_names_a_known_deployment():
    with pytest.raises(DeploymentError, match="no deployment named nightly.*it has feeds-hourly"):
        build_deployments(DEFAULT_FILE, only=("nightly",))
    assert [s.name for s in read_specs(DEFAULT_FILE)][:2] == ["feeds-hourly", "sitemaps-nightly"]


def test_serve_refuses_an_unknown_only_before_starting_a_server(tmp_path, monkeypatch, capsys):
    from newsflow.cli import main

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("NEWSFLOW_PREFECT_HOME", str(tmp_path / "home"))
    assert main(["serve", "--only", "validate-nighty", "--port", "4399"]) == 2
    err = capsys.readouterr().err
    assert "--only:" in err and "no deployment named validate-nighty" in err and "validate-nightly" in err
    assert not (tmp_path / "home").exists()  # no server was started (its state folder is made first)


def _completed_runs(api_url: str, deployment_name: str) -> list[dict]:
    return prefect_json(api_url, "/flow_runs/filter", {"deployments": {"name": {"any_": [deployment_name]}},
                                              "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}})


def test_served_deployment_runs_on_its_schedule_and_lands_in_runs(prefect_server, tmp_path):
    """`newsflow serve` against a real server: a 3-second interval deployment runs twice on its own."""
    db = tmp_path / "served.duckdb"
    spec = tmp_path / "prefect.yaml"
    spec.write_text(f"""
deployments:
  - name: every-3s
    entrypoint: {REPO}/flows/deployments.py:scheduled_ingest
    parameters:
      inputs: ["{SAMPLES_DIR}"]
      settings: {{db: "{db}", quality: {{enabled: false}}, lock_timeout: 30}}
    schedules:
      - interval: 3
""")
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PREFECT_RUNNER_POLL_FREQUENCY": "1",
           "PREFECT_HOME": str(tmp_path / "serve-home"), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "newsflow", "serve", "--file", str(spec)], cwd=tmp_path,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while len(completed := _completed_runs(prefect_server, "every-3s")) < 2:
            assert proc.poll() is None, f"newsflow serve exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"fewer than 2 scheduled runs completed:\n{log.read_text()}"
            time.sleep(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)  # a run in flight is let finish (~20 s on a loaded machine)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    assert all(r["auto_scheduled"] for r in completed), "the runs were started by the schedule, not by hand"
    # serve prints one line per run start and finish, and stops cleanly on SIGTERM.
    out = log.read_text()
    for run in completed:
        assert f"run {run['name']} started" in out and f"run {run['name']} completed in " in out, out
    assert run["name"].startswith("every-3s-")
    assert proc.returncode == 0 and "never awaited" not in out and "Traceback" not in out, out
    with duckdb.connect(str(db), read_only=True) as con:
        history = con.execute("SELECT flow_run_id, status, inputs, new_articles FROM runs ORDER BY started_at").fetchall()
    assert len(history) >= 2
    assert {status for _, status, _, _ in history} == {"completed"}
    assert history[0][2] == 18 and history[0][3] == 16 and history[1][3] == 0  # the second run adds nothing
    # Each `runs` row names its ingest flow run on the server, a subflow of a scheduled deployment run.
    deployment_runs = {r["id"] for r in prefect_json(prefect_server, "/flow_runs/filter", {
        "deployments": {"name": {"any_": ["every-3s"]}}, "limit": 200})}
    for flow_run_id, *_ in history:
        ingest_run = prefect_json(prefect_server, f"/flow_runs/{flow_run_id}")
        assert ingest_run["flow_id"] and ingest_run["parent_task_run_id"]
        assert prefect_json(prefect_server, f"/task_runs/{ingest_run['parent_task_run_id']}")["flow_run_id"] in deployment_runs


def test_validate_flow_checks_the_whole_warehouse(prefect_harness, tmp_path):
    from newsflow.flows.deployments import validate
    from newsflow.flows.run import run_ingest

    db = tmp_path / "v.duckdb"
    run_ingest([str(SAMPLES_DIR)], Settings(db=db, quality={"enabled": False}))
    result = validate(settings={"db": str(db)})

    assert result["db"] == str(db) and result["passed"] > 0 and result["failed"] == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM dq_results WHERE run_id LIKE 'validate-%'").fetchone()[0] \
            == result["passed"] + result["failed"]
