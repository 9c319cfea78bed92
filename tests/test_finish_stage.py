"""The `finish` stage: the seconds from the commit to the flow's return, written after the flow returns."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from newsflow.flows.finish import record_finish
from newsflow.flows.ingest import RunSummary
from newsflow.settings import SAMPLES_DIR, Settings
from newsflow.warehouse.db import connect
from newsflow.warehouse.load import RunRecord

from conftest import NOW, load_plain, processed

HOLD = ("import sys, time\nfrom newsflow.warehouse.writelock import write_lock\n"
        "with write_lock(sys.argv[1], 5):\n    print('held', flush=True); time.sleep(30)\n")


def committed_run(tmp_path) -> tuple[Settings, RunSummary]:
    """A run committed by the production write stages, as the commit task leaves it (timed_until set)."""
    settings = Settings(db=tmp_path / "w.duckdb", quality={"enabled": False})
    run = RunRecord("run-1", None, NOW)
    con = connect(settings.db)
    try:
        result = load_plain(con, run, [processed(1), processed(2)], [])
    finally:
        con.close()
    summary = RunSummary.of(run, settings, result, [])
    summary.timed_until = time.perf_counter()
    return settings, summary


def stored_seconds(db) -> dict[str, float]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT stage_seconds FROM runs WHERE run_id = 'run-1'").fetchone()[0]


def test_finish_is_added_to_the_committed_run_and_measures_up_to_the_write(tmp_path):
    settings, summary = committed_run(tmp_path)
    before = stored_seconds(settings.db)
    time.sleep(0.05)  # Prefect's end of the flow run, in miniature
    waited = time.perf_counter() - summary.timed_until
    finish = record_finish(settings, summary)
    assert finish is not None and finish >= waited
    stored = stored_seconds(settings.db)
    assert list(stored) == [*before, "finish"] and stored["finish"] == round(finish, 4)
    assert {k: v for k, v in stored.items() if k != "finish"} == before  # the committed stages untouched
    assert summary.stage_seconds == stored


def test_finish_never_fails_the_run_and_never_waits_for_another_writer(tmp_path):
    """Another run took the warehouse: `finish` is left out at once; the committed run stays as it was."""
    settings, summary = committed_run(tmp_path)
    before, summary_before = stored_seconds(settings.db), dict(summary.stage_seconds)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(settings.db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert record_finish(settings, summary) is None
        assert time.monotonic() - started < settings.lock_timeout  # gave up without waiting its turn
    finally:
        holder.kill()
        holder.wait()
    assert stored_seconds(settings.db) == before and summary.stage_seconds == summary_before
    # A summary not from a commit (no timed_until) or of a run the warehouse does not hold: nothing written.
    summary.timed_until = None
    assert record_finish(settings, summary) is None
    other = RunSummary("no-such-run", None, str(settings.db), 0, 0, 0, 0, timed_until=time.perf_counter())
    assert record_finish(settings, other) is None
    assert stored_seconds(settings.db) == before


@pytest.mark.slow  # starts `prefect server start`
def test_against_a_server_finish_covers_prefects_end_of_the_run(prefect_server, tmp_path):
    """With a running server, heartbeats are on and Prefect joins their thread after the flow body:
    that tail, up to the flow's return, is in stage_seconds as `finish`, through the CLI's path too."""
    from prefect.settings import get_current_settings, temporary_settings

    from newsflow.flows.ingest import ingest
    from newsflow.flows.run import run_ingest

    with temporary_settings(updates={"api.url": prefect_server}):
        assert get_current_settings().flows.heartbeat_frequency  # on, as for any run against a server
        settings = Settings(db=tmp_path / "flow.duckdb", quality={"enabled": False})
        summary = ingest(inputs=[str(SAMPLES_DIR)], settings=settings)
        returned = time.perf_counter()
        finish = record_finish(settings, summary)
        assert finish >= returned - summary.timed_until > 0  # the whole flow call after the commit

        cli_db = tmp_path / "cli.duckdb"
        started = time.perf_counter()
        summary = run_ingest([str(SAMPLES_DIR)], Settings(db=cli_db, quality={"enabled": False}))
        wall = time.perf_counter() - started
    with duckdb.connect(str(cli_db), read_only=True) as con:
        (stored,) = con.execute("SELECT stage_seconds FROM runs").fetchone()
    assert stored == summary.stage_seconds and stored["finish"] > 0
    assert summary.timed_until + stored["finish"] <= started + wall
    assert sum(stored.values()) <= wall
