"""The typed `settings` parameter is enforced by Prefect itself, with the stock CLI and a real server.

`prefect --no-prompt deploy` refuses a prefect.yaml deployment whose `parameters.settings` has an
unknown key or an ill-typed value (the server validates the parameters against the flow's schema when
the deployment declares `enforce_parameter_schema: true`), and the server refuses to create a flow run
of a deployed deployment with bad settings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import prefect_api, prefect_json

REPO = Path(__file__).resolve().parent.parent
PREFECT = Path(sys.executable).with_name("prefect")

pytestmark = pytest.mark.slow


def _env(api_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSFLOW_"))}
    return {**env, "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url, "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_CLI_WRAP_LINES": "false", "COLUMNS": "250"}


def _prefect(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(PREFECT), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the shipped prefect.yaml and flows, plus deployments whose settings are wrong."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "flows", root / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    inbox = next(d for d in spec["deployments"] if d["name"] == "inbox-hourly")
    for name, settings in (("typo", {"dbb": "x.duckdb"}), ("wrong-type", {"batch_size": "many"}),
                           ("nested-typo", {"fetch": {"user_agnet": "me"}})):
        spec["deployments"].append({**inbox, "name": name, "parameters": {"settings": settings}})
    (root / "prefect.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def test_shipped_deployments_declare_enforce_parameter_schema():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    assert all(d.get("enforce_parameter_schema") is True for d in spec["deployments"]), \
        "every shipped deployment says that its parameters are checked against the flow's schema"


def test_stock_deploy_refuses_bad_settings_and_the_server_refuses_bad_runs(prefect_server, project, tmp_path):
    env = _env(prefect_server, tmp_path / "cli-home")
    done = _prefect(["work-pool", "create", "newsflow", "--type", "process", "--overwrite"], env, project)
    assert done.returncode == 0, done.stdout + done.stderr

    for name, bad in (("typo", "dbb"), ("wrong-type", "batch_size"), ("nested-typo", "user_agnet")):
        done = _prefect(["--no-prompt", "deploy", "--name", name], env, project)
        out = done.stdout + done.stderr
        assert done.returncode != 0, f"deployment {name} with bad settings was accepted:\n{out}"
        assert bad in out and "Validation failed for field" in out, f"the refusal of {name} does not name {bad!r}:\n{out}"
    listed = _prefect(["deployment", "ls"], env, project).stdout
    assert not any(f"/{name} " in listed or listed.rstrip().endswith(f"/{name}") for name in ("typo", "wrong-type")), listed

    done = _prefect(["--no-prompt", "deploy", "--name", "inbox-hourly"], env, project)
    assert done.returncode == 0, done.stdout + done.stderr
    deployment = prefect_json(prefect_server, "/deployments/filter",
                              {"deployments": {"name": {"any_": ["inbox-hourly"]}}})[0]
    assert deployment["enforce_parameter_schema"] is True

    # The server refuses a run with bad settings (the UI, `prefect deployment run` and the API alike).
    for settings, bad in (({"dbb": "x.duckdb"}, "dbb"), ({"batch_size": "many"}, "batch_size"),
                          ({"similarity": {"treshold": 0.5}}, "treshold")):
        status, body = prefect_api(prefect_server, f"/deployments/{deployment['id']}/create_flow_run",
                                   {"parameters": {"settings": settings}})
        assert status == 409 and bad in body, (status, body)
    done = _prefect(["deployment", "run", "scheduled-ingest/inbox-hourly", "--params",
                     json.dumps({"settings": {"dbb": "x.duckdb"}})], env, project)
    assert done.returncode != 0 and "dbb" in done.stdout + done.stderr, done.stdout + done.stderr
    # A good one is accepted (and only scheduled here: no worker runs it).
    status, body = prefect_api(prefect_server, f"/deployments/{deployment['id']}/create_flow_run",
                               {"parameters": {"settings": {"db": "ok.duckdb", "batch_size": 5}}})
    assert status == 201, body


def test_serve_keeps_the_yaml_enforce_parameter_schema(tmp_path):
    from newsflow.flows.serve import build_deployments

    assert all(d.enforce_parameter_schema for d in build_deployments(REPO / "prefect.yaml"))
    spec = tmp_path / "prefect.yaml"
    spec.write_text(f"deployments:\n  - name: loose\n    entrypoint: {REPO}/flows/deployments.py:validate\n"
                    "    enforce_parameter_schema: false\n")
    (loose,) = build_deployments(spec)
    assert loose.enforce_parameter_schema is False
