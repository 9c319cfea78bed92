"""Validating the whole warehouse with the expectation suites and recording the results."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from newsflow.warehouse.db import transaction


def validate_warehouse(con: duckdb.DuckDBPyConnection, config, docs_dir: Path | None = None):
    """Run every suite over its whole table, store the results in dq_results, return the Report."""
    from newsflow.expectations.runner import validate
    from newsflow.expectations.suites import SUITES

    frames = {table: con.sql(f"SELECT * FROM {table}").df() for table in SUITES}
    run_id = f"validate-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
    report = validate(frames, config, run_id, docs_dir)
    frame = report.results_frame()
    with transaction(con):
        con.register("_dq", frame)
        try:
            con.execute(f"INSERT INTO dq_results ({', '.join(frame.columns)}) SELECT * FROM _dq")
        finally:
            con.unregister("_dq")
    return report
