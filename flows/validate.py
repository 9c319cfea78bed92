"""Validating the whole warehouse with the GX project's checkpoints and recording the results."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from newsflow.flows import written
from newsflow.warehouse.db import transaction
from newsflow.warehouse.load import insert_frame, record_validation_run
from newsflow.warehouse.staged import whole_tables


def validate_warehouse(con: duckdb.DuckDBPyConnection, config, docs_dir: Path | None = None, *,
                       project: Path | None = None, flow_run_id: str | None = None, fail_on: str = "critical"):
    """Run every table's checkpoint over the whole table; store results in dq_results and a `runs` row.

    The `runs` row (kind 'validate', no inputs) is 'failed' when an expectation of `fail_on` severity
    or worse failed (a critical one; with "warning", a warning too), with the reasons in `error`.
    """
    from newsflow.expectations.project import validate_project
    from newsflow.expectations.suites import SUITES

    started = datetime.now(timezone.utc)
    frames = whole_tables(con, list(SUITES))
    run_id = f"validate-{started:%Y%m%dT%H%M%S%fZ}"
    report = validate_project(frames, config, run_id, project, docs_dir, now=started, fail_on=fail_on)
    # The row agrees with the verdict and the exit code: `--fail-on warning` fails on a warning too.
    failing = report.failing(fail_on)
    with transaction(con):
        insert_frame(con, "dq_results", report.results_frame())
        record_validation_run(con, run_id, flow_run_id, started, not failing, "; ".join(failing)[:2000] or None)
        written.committing(run_id)  # the COMMIT follows (flows/written.py)
    written.committed(run_id)
    return report
