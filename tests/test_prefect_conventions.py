"""Prefect conventions: readable run names, artifacts on the run the user opens, a typed settings
parameter, clear failures for missing inputs and sources files, and no orphaned temporary server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsflow.flows.serve import DeploymentError, build_deployments
from newsflow.settings import SAMPLES_DIR, Settings

from conftest import html_page, write

REPO = Path(__file__).resolve().parent.parent


def _client_runs(**filters):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client, client.read_flow_runs(**filters)


def test_deployment_run_names_its_runs_and_carries_the_artifacts(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )

    from newsflow.flows.deployments import scheduled_ingest

    corpus = tmp_path / "in"
    for i in range(3):
        write(corpus / f"story-{i}.html", html_page(f"Harbour story number {i}", [
            f"The harbour board met on day {i} to discuss the new ferry timetable and the costs of "
            "running two boats through the winter months, when the crossing is quietest and fog is common.",
            "Members agreed to publish the figures next week and to invite commuters to a public meeting "
            "at the ferry terminal, where the operator will answer questions about fares and sailings."]))
    result = scheduled_ingest(inputs=[str(corpus)], settings={"db": str(tmp_path / "w.duckdb"), "batch_size": 2})

    with get_client(sync_client=True) as client:
        child = client.read_flow_run(result["flow_run_id"])
        parent_id = client.read_task_run(child.parent_task_run_id).flow_run_id
        parent = client.read_flow_run(parent_id)
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[child.id])))
        on_parent = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[parent_id])))
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])))

    assert parent.name.startswith("scheduled-ingest-in-") and child.name.startswith("ingest-in-")
    assert [c.id for c in children] == [child.id]
    names = sorted(t.name for t in tasks)
    assert "process-batch-story-0.html..story-1.html-(2)" in names and "process-batch-story-2.html" in names
    assert f"load-{result['run_id'][:12]}" in names
    keys = {a.key: a.data for a in on_parent}
    assert result["run_id"] in keys["ingest-run"] and "Data quality" in keys["data-quality"]


def test_settings_parameter_is_typed_and_checked_when_deployments_load(tmp_path):
    from newsflow.flows.deployments import scheduled_ingest

    schema = scheduled_ingest.parameters.model_dump()
    model = schema["definitions"]["SettingsOverrides"]
    assert set(model["properties"]) == set(Settings.model_fields) and model["additionalProperties"] is False
    assert model["properties"]["runner"]["anyOf"][0]["enum"] == ["threads", "processes", "dask"]
    for bad, message in (("{dbb: x.duckdb}", "settings.dbb"), ("{batch_size: 0}", "settings.batch_size")):
        spec = tmp_path / "prefect.yaml"
        spec.write_text(f"deployments:\n  - name: a\n    entrypoint: {REPO}/flows/deployments.py:scheduled_ingest\n"
                        f"    parameters: {{settings: {bad}}}\n")
        with pytest.raises(DeploymentError, match=message):
            build_deployments(spec)


def test_shipped_feed_deployments_are_off_and_fail_clearly_without_their_file(prefect_harness, tmp_path, monkeypatch):
    from newsflow.flows.deployments import SourcesMissing, scheduled_ingest

    specs = {d.name: d for d in build_deployments(REPO / "prefect.yaml")}
    for name in ("feeds-hourly", "sitemaps-nightly"):
        assert not specs[name].schedules[0].active, f"{name} is on, but its sources file is not shipped"
        example = REPO / Path(specs[name].parameters["settings"]["sources"]).name.replace(".toml", ".example.toml")
        assert example.is_file()
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "sources.example.toml", tmp_path)
    with pytest.raises(SourcesMissing, match=r"sources file sources.toml not found .*copy sources.example.toml"):
        scheduled_ingest(settings={"sources": "sources.toml", "db": str(tmp_path / "w.duckdb")})


def test_missing_input_is_a_not_found_reject_and_a_failed_run(prefect_harness, tmp_path):
    from newsflow.flows.guards import NothingRead
    from newsflow.flows.run import run_ingest

    db = tmp_path / "w.duckdb"
    with pytest.raises(NothingRead, match="the one input could not be read"):
        run_ingest([str(tmp_path / "inbox")], Settings(db=db, quality={"enabled": False}))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT stage, reason FROM rejects").fetchall() == [("acquire", "not_found")]
    # One readable input is enough for the run to complete.
    summary = run_ingest([str(tmp_path / "inbox"), str(SAMPLES_DIR / next(p.name for p in SAMPLES_DIR.glob("*.html")))],
                         Settings(db=db, quality={"enabled": False}))
    assert summary.reject_reasons.get("acquire/not_found") == 1 and summary.inputs == 2


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow  # a subprocess ingest with its temporary Prefect API
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_kill_9_of_ingest_leaves_no_prefect_server_behind(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    proc = subprocess.Popen([sys.executable, "-m", "newsflow", "ingest", str(SAMPLES_DIR), "--db",
                             str(tmp_path / "k.duckdb"), "--no-progress"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (servers := [c for c in _children(proc.pid)
                               if b"uvicorn" in (Path("/proc") / str(c) / "cmdline").read_bytes()]):
            assert proc.poll() is None, "ingest ended before its temporary server was seen"
            assert time.monotonic() < deadline, "no temporary Prefect server appeared"
            time.sleep(0.2)
        time.sleep(0.5)  # a user's kill comes later than this
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 20
        while any(_alive(s) for s in servers):
            assert time.monotonic() < deadline, f"the temporary server {servers} outlived its run"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


_IN_PROCESS_INGEST = """
import sys
from newsflow.cli import main
code = main(sys.argv[1:])
print("server module imported:", "prefect.server.api.server" in sys.modules, "exit:", code)
"""


@pytest.mark.slow  # a subprocess ingest with its temporary Prefect API
def test_the_temporary_api_is_started_without_importing_prefects_server_here(tmp_path):
    """The run's process starts Prefect's temporary API as a process of its own and reports to it,
    without importing Prefect's server code (~2.5 s of CPU its start-up would wait behind)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
               NEWSFLOW_QUALITY__ENABLED="false")
    done = subprocess.run([sys.executable, "-c", _IN_PROCESS_INGEST, "ingest", str(SAMPLES_DIR), "--db",
                           str(tmp_path / "t.duckdb"), "--no-progress"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert "server module imported: False exit: 0" in done.stdout, done.stdout + done.stderr
    with duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True) as con:
        (flow_run_id, status), = con.execute("SELECT flow_run_id, status FROM runs").fetchall()
    assert status == "completed" and flow_run_id  # the run was reported to the temporary API
