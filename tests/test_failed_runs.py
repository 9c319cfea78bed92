"""A run that fails has runs.status 'failed' with its error, as its exit code and Prefect's state say:
real Prefect flows (test harness), the real CLI, real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from newsflow.cli import main
from newsflow.settings import Settings

from conftest import FERRY, free_port, html_page, load_plain, processed, write

pytestmark = pytest.mark.usefixtures("prefect_harness")


def rows(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT run_id, flow_run_id, status, error, inputs, rejected FROM runs ORDER BY started_at").fetchall()


def prefect_state(flow_run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state.type.value


@pytest.mark.parametrize("kind", ["missing-file", "unreachable-url"])
def test_a_run_that_reads_none_of_its_inputs_is_failed_in_runs_prefect_and_exit_code(tmp_path, capsys, kind):
    db = tmp_path / "w.duckdb"
    if kind == "missing-file":  # a sources file naming a folder not there (as a deployment's inputs can)
        sources = write(tmp_path / "sources.toml", '[[source]]\nname = "Inbox"\npaths = ["inbox"]\n')
        args = ["--sources", str(sources)]
    else:
        args = [f"http://127.0.0.1:{free_port()}/news/a", "--allow-private-hosts"]
    assert main(["ingest", *args, "--db", str(db), "--no-progress"]) == 1
    assert "the one input could not be read" in capsys.readouterr().err
    ((run_id, flow_run_id, status, error, inputs, rejected),) = rows(db)
    assert (status, inputs, rejected) == ("failed", 1, 1)
    assert error.startswith("the one input could not be read (") and run_id in error
    assert prefect_state(flow_run_id) == "FAILED"
    with duckdb.connect(str(db), read_only=True) as con:  # its rejects are kept: they say why
        assert con.execute("SELECT count(*) FROM rejects WHERE run_id = ?", [run_id]).fetchone()[0] == 1


def test_a_reprocess_that_reads_nothing_is_failed_too(tmp_path):
    inbox, db = tmp_path / "in", tmp_path / "w.duckdb"
    write(inbox / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    assert main(["ingest", str(inbox), "--db", str(db), "--no-progress"]) == 0
    (inbox / "ferry.html").unlink()
    assert main(["reprocess", "--db", str(db)]) == 1
    (first, again) = rows(db)
    assert first[2:4] == ("completed", None)
    assert again[2] == "failed" and again[3].startswith("the one input could not be read (acquire/not_found 1)")
    assert prefect_state(again[1]) == "FAILED"


def test_a_flow_failure_after_the_commit_marks_the_committed_run_failed(tmp_path):
    """The row of a committed run follows the flow's failure; its data stays loaded."""
    from datetime import datetime, timezone

    from newsflow.flows.guards import NothingRead, failing_after_commit
    from newsflow.warehouse.db import connect
    from newsflow.warehouse.load import RunRecord

    db = tmp_path / "w.duckdb"
    settings = Settings(db=db)
    runs = [RunRecord(f"{i:032x}", None, datetime.now(timezone.utc)) for i in (1, 2)]
    con = connect(db)
    try:
        for i, run in enumerate(runs):
            load_plain(con, run, [processed(i)], [])
    finally:
        con.close()
    with pytest.raises(RuntimeError, match="artifact store unreachable"):
        with failing_after_commit(settings, runs[0].run_id):
            raise RuntimeError("artifact store unreachable")
    with pytest.raises(NothingRead):  # already in the row before the commit: left as it is
        with failing_after_commit(settings, runs[1].run_id):
            raise NothingRead("the one input could not be read")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT run_id, status, error FROM runs ORDER BY run_id").fetchall() == [
            (runs[0].run_id, "failed", "RuntimeError: artifact store unreachable"), (runs[1].run_id, "completed", None)]
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_the_inbox_deployment_with_its_folder_missing_records_a_failed_run(tmp_path):
    """The deployed flow (scheduled-ingest, as inbox-hourly runs it): its ingest subflow failed, and so is its row."""
    from newsflow.flows.deployments import scheduled_ingest
    from newsflow.flows.guards import NothingRead

    db = tmp_path / "w.duckdb"
    with pytest.raises(NothingRead):
        scheduled_ingest(inputs=[str(tmp_path / "data" / "inbox")], settings={"db": str(db)})
    ((_, flow_run_id, status, error, inputs, rejected),) = rows(db)
    assert (status, inputs, rejected) == ("failed", 1, 1) and error.startswith("the one input could not be read")
    assert prefect_state(flow_run_id) == "FAILED"
