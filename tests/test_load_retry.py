"""The `load` task's retries and what a run records when its load fails or succeeds: real Prefect flows
(test harness), real DuckDB files, a real write-write conflict from a second connection."""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager

import duckdb
import pytest

from newsflow.acquire.stamps import RACY_NS
from newsflow.flows.ingest import ingest
from newsflow.settings import Settings

from conftest import FERRY, GERMAN, ORCHARD, html_page, package_modules, write

pytestmark = pytest.mark.usefixtures("prefect_harness")


def settled() -> None:
    """Wait until files written just now are older than the racy window, so their stamps are recorded."""
    time.sleep(RACY_NS / 1e9 + 0.2)


class RetryWatch(logging.Handler):
    """Prefect's task-run log lines saying a task run failed and will be retried; `on_retry` runs at each."""

    def __init__(self, on_retry=None):
        super().__init__(logging.INFO)
        self.retries: list[str] = []
        self.on_retry = on_retry

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if " - Retry " in message:
            self.retries.append(message)
            if self.on_retry:
                self.on_retry()


@contextmanager
def watching(watch: RetryWatch):
    logger = logging.getLogger("prefect.task_runs")
    level = logger.level
    logger.addHandler(watch)
    logger.setLevel(min(level or logging.INFO, logging.INFO))
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


@pytest.fixture
def changed_folder(tmp_path):
    """A folder ingested once (its file stamps recorded), then one file rewritten and one file added."""
    folder = tmp_path / "in"
    write(folder / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(folder / "orchard.html", html_page("Late apple harvest begins in Vell Valley", ORCHARD,
                                              site="Valley Courier"))
    settled()
    settings = Settings(db=tmp_path / "w.duckdb")
    first = ingest([str(folder)], settings)
    assert (first.inputs, first.new_articles) == (2, 2)
    write(folder / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY[:2]))
    write(folder / "bridge.html", html_page("Old stone bridge stays open for cyclists", GERMAN,
                                             site="Stadtanzeiger"))
    write(folder / "empty.html", "<html><body></body></html>")  # nothing to extract: a reject
    settled()
    return folder, settings


def runs_rows(db, run_id: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT status, inputs, new_articles, duplicates, rejected, quarantined, unchanged, error "
                           "FROM runs WHERE run_id = ?", [run_id]).fetchall()


def accounted(db, run_id: str) -> tuple[int, int]:
    """(documents rows, rejects rows) of a run: together they are its inputs."""
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(con.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]).fetchone()[0]
                     for t in ("documents", "rejects"))


def test_a_write_conflict_in_the_load_is_retried_and_the_run_completes(changed_folder):
    """Another connection holds an uncommitted change to the rewritten file's stamp row: the load's
    upsert of that row fails with a write-write conflict (transient). The holder lets go once Prefect
    has scheduled the retry; the retry loads the run, recorded once, as completed."""
    folder, settings = changed_folder
    holder = duckdb.connect(str(settings.db))  # this process's instance: the flow's connections share it
    holder.execute("BEGIN TRANSACTION")
    holder.execute("UPDATE file_state SET size = size + 1 WHERE origin = ?", [str((folder / "ferry.html").resolve())])
    assert holder.execute("SELECT count(*) FROM file_state").fetchone()[0] == 2

    def let_go():
        if holder.execute("SELECT 1").fetchone():
            holder.execute("ROLLBACK")

    try:
        with watching(RetryWatch(on_retry=let_go)) as watch:
            summary = ingest([str(folder)], settings)
    finally:
        holder.close()

    assert len(watch.retries) == 1 and "Conflict on update" in watch.retries[0], watch.retries
    assert (summary.inputs, summary.new_articles, summary.duplicates, summary.rejected, summary.unchanged) \
        == (3, 2, 0, 1, 1)
    assert runs_rows(settings.db, summary.run_id) == [("completed", 3, 2, 0, 1, 0, 1, None)]
    assert sum(accounted(settings.db, summary.run_id)) == summary.inputs
    with duckdb.connect(str(settings.db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(*) FILTER (status = 'completed') FROM runs").fetchone() == (2, 2)
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM file_state").fetchone()[0] == 3  # the rewritten one restamped


def test_a_load_that_keeps_failing_is_recorded_failed_once_after_its_last_attempt(changed_folder):
    """The conflict outlasts both retries: no runs row while a retry is pending (the old code wrote
    `failed` before each retry), one `failed` row naming the fault at the end, none of the run's data."""
    folder, settings = changed_folder
    holder = duckdb.connect(str(settings.db))
    holder.execute("BEGIN TRANSACTION")
    holder.execute("UPDATE file_state SET size = size + 1 WHERE origin = ?", [str((folder / "ferry.html").resolve())])
    rows_at_retry = []

    def count_runs():  # a connection of its own: the holder's snapshot would not see new rows
        with duckdb.connect(str(settings.db)) as con:
            rows_at_retry.append(con.execute("SELECT count(*) FROM runs").fetchone()[0])

    try:
        with watching(RetryWatch(on_retry=count_runs)) as watch, pytest.raises(duckdb.TransactionException):
            ingest([str(folder)], settings)
    finally:
        holder.close()

    assert len(watch.retries) == 2 and rows_at_retry == [1, 1]  # only the first run's row
    with duckdb.connect(str(settings.db), read_only=True) as con:
        failed = con.execute("SELECT run_id, status, inputs, new_articles, error FROM runs "
                             "WHERE status <> 'completed'").fetchall()
        assert len(failed) == 1 and con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
        run_id, status, inputs, new, error = failed[0]
        assert (status, inputs, new) == ("failed", 3, 0) and error.startswith("TransactionException: ")
        assert "Conflict on update" in error
        assert con.execute("SELECT count(*) FROM documents WHERE run_id = ?", [run_id]).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2  # the first run's


@pytest.mark.parametrize("fault", ["stage_seconds", "artifact"])
def test_a_fault_after_the_commit_leaves_the_run_completed_and_the_cli_succeeding(
        fault, changed_folder, monkeypatch, caplog, capsys):
    """After the COMMIT the run is loaded: a disk fault on the stage-seconds update, or a Prefect API
    that refuses the artifacts, is a warning; the run stays `completed`, the CLI exits 0, no retry."""
    from newsflow.cli import main

    folder, settings = changed_folder
    if fault == "stage_seconds":
        import newsflow.flows.commit

        def disk_full(*args, **kwargs):
            raise duckdb.IOException("could not write to the write-ahead log: No space left on device")

        monkeypatch.setattr(newsflow.flows.commit, "update_stage_seconds", disk_full)
    else:
        import httpx
        import prefect.artifacts

        def api_down(*args, **kwargs):
            raise httpx.ConnectError("All connection attempts failed")

        monkeypatch.setattr(prefect.artifacts, "create_markdown_artifact", api_down)
    caplog.set_level(logging.WARNING)

    with watching(RetryWatch()) as watch:
        assert main(["ingest", str(folder), "--db", str(settings.db), "--no-progress"]) == 0
    assert watch.retries == []
    assert "3 inputs: 2 new articles, 0 duplicates, 1 rejected, 1 unchanged" in capsys.readouterr().out
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
                and ("not updated" in r.getMessage() or "not published" in r.getMessage())]
    expected = {"stage_seconds": ["committed, but its stage seconds were not updated: IOException: "],
                "artifact": ["artifact 'data-quality' not published: ConnectError: ",
                             "artifact 'ingest-run' not published: ConnectError: "]}[fault]
    assert len(warnings) == len(expected) and all(e in w for e, w in zip(expected, warnings)), warnings
    with duckdb.connect(str(settings.db), read_only=True) as con:
        assert con.execute("SELECT status, inputs, new_articles, rejected, error FROM runs "
                           "ORDER BY started_at").fetchall() == [("completed", 2, 2, 0, None),
                                                                 ("completed", 3, 2, 1, None)]
        (run_id,) = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        assert sum(accounted(settings.db, run_id)) == 3
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
        (stages,) = con.execute("SELECT map_keys(stage_seconds) FROM runs WHERE run_id = ?", [run_id]).fetchone()
    assert ("commit" in stages) == (fault != "stage_seconds")


def test_runs_rows_have_one_writer():
    """Every `runs` row (ingest completed or failed, validate) is written by one statement, in
    warehouse/load.py (`_insert_run`), which alone also updates them; flows call its functions."""
    inserts, updates = {}, {}
    for module, file in package_modules().items():
        text = file.read_text(encoding="utf-8")
        inserts[module] = len(re.findall(r"(?:INSERT|REPLACE)\b[^\"']*\bINTO\s+runs\b", text, flags=re.IGNORECASE))
        updates[module] = len(re.findall(r"\bUPDATE\s+runs\b", text, flags=re.IGNORECASE))
    assert {m: n for m, n in inserts.items() if n} == {"newsflow.warehouse.load": 1}
    assert {m for m, n in updates.items() if n} == {"newsflow.warehouse.load"}
