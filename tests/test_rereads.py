"""Reading known inputs again (reprocess, --refresh) makes duplicates by design; the duplicate rate
leaves these re-reads out, at ingest and in `newsflow validate` alike. Real Prefect flows (test
harness), the bundled samples, real DuckDB, real GX."""

from __future__ import annotations

import duckdb
import pytest

from newsflow.flows.reprocess import run_reprocess
from newsflow.flows.run import run_ingest
from newsflow.flows.validate import validate_warehouse
from newsflow.settings import SAMPLES_DIR, Settings
from newsflow.warehouse.db import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")

ARTICLE = str(SAMPLES_DIR / "valecity-reservoir-hose-ban.html")
COPY = str(SAMPLES_DIR / "dunmore-reservoir-hose-ban.html")  # the same text from another outlet


def duplicate_check(db, run_id: str) -> tuple[bool, str]:
    """The run's duplicate_rate_in_bounds result, as its own validation recorded it."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT success, observed_value FROM dq_results WHERE run_id = ? "
                           "AND expectation = 'duplicate_rate_in_bounds'", [run_id]).fetchone()


def whole_warehouse(db, gx_project):
    """`newsflow validate`'s report (the whole-warehouse validation, into a copy of the GX project)."""
    settings = Settings(db=db, quality={"project": gx_project})
    con = connect(db)
    try:
        report = validate_warehouse(con, settings.quality, project=gx_project)
    finally:
        con.close()
    return next(r for r in report.results if r["expectation"] == "duplicate_rate_in_bounds")


def test_reprocess_and_refresh_are_not_duplicate_runs_but_a_copy_from_another_outlet_is(tmp_path, gx_project):
    db = tmp_path / "w.duckdb"
    settings = Settings(db=db, quality={"project": gx_project})
    first = run_ingest([SAMPLES_DIR.as_posix()], settings)
    assert first.dq_failed == 0
    # Every input read again and found as it was: all duplicates, all re-reads.
    refreshed = run_ingest([SAMPLES_DIR.as_posix()], Settings(db=db, refresh=True, quality={"project": gx_project}))
    reprocessed = run_reprocess(settings)
    for run in (refreshed, reprocessed):
        assert run.new_articles == 0 and run.duplicates == run.inputs - run.rejected > 1
        assert duplicate_check(db, run.run_id)[0], duplicate_check(db, run.run_id)
        assert run.dq_failed == 0
    # `newsflow validate --fail-on warning` agrees: no run is flagged.
    assert whole_warehouse(db, gx_project)["success"]

    # A copy of a known article from an input never read before is a duplicate, re-read or not later.
    fresh = tmp_path / "w2.duckdb"
    settings = Settings(db=fresh, quality={"project": gx_project})
    run_ingest([ARTICLE], settings)
    copy = run_ingest([COPY], settings)
    assert (copy.duplicates, copy.inputs) == (1, 1)
    assert duplicate_check(fresh, copy.run_id) == (False, f"1 of 1 rows unexpected: {copy.run_id} 1.0")
    again = run_ingest([COPY], Settings(db=fresh, refresh=True, quality={"project": gx_project}))
    assert again.duplicates == 1 and duplicate_check(fresh, again.run_id)[0]
    # The whole-warehouse validation flags the same run, and only it.
    found = whole_warehouse(fresh, gx_project)
    assert not found["success"] and found["observed_value"].endswith(f": {copy.run_id} 1.0"), found
