"""The flows that `prefect.yaml` deploys: a scheduled ingest and a whole-warehouse validation.

Their parameters are plain JSON (what a deployment stores): `inputs` and `settings`, a dict of
setting overrides applied on top of newsflow.toml and NEWSFLOW_* in the process that runs the flow,
e.g. {"db": "news.duckdb", "sources": "sources.toml", "runner": "processes"}.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from newsflow.settings import Settings, load_settings


class WarehouseInvalid(Exception):
    """A critical expectation failed over the whole warehouse."""


def resolve(overrides: dict[str, Any] | None) -> Settings:
    """The effective settings for a deployed run: defaults < config file < environment < overrides."""
    return load_settings(**(overrides or {}))


@flow(name="scheduled-ingest", log_prints=True)
def scheduled_ingest(inputs: list[str] | None = None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ingest files, directories or URLs (and the sources file in settings["sources"]) on a schedule."""
    from newsflow.flows.ingest import ingest
    from newsflow.flows.runners import task_runner

    effective = resolve(settings)
    # The ingest flow runs as a subflow so each deployment can pick its own task runner.
    summary = ingest.with_options(task_runner=task_runner(effective))(inputs=inputs or None, settings=effective)
    return asdict(summary)


@flow(name="validate", log_prints=True)
def validate(docs: str | None = None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate the whole warehouse with the GX suites (results in dq_results); fails on a critical failure."""
    from newsflow.expectations.runner import markdown_summary
    from newsflow.flows.validate import validate_warehouse
    from newsflow.warehouse.db import connect
    from newsflow.warehouse.writelock import write_lock

    effective = resolve(settings)
    # Validation writes dq_results, so it takes the same one-writer lock as an ingest run.
    with write_lock(effective.db, effective.lock_timeout):
        con = connect(effective.db, lock_timeout=effective.lock_timeout)
        try:
            report = validate_warehouse(con, effective.quality, Path(docs) if docs else None)
        finally:
            con.close()
    summary = markdown_summary(report)
    create_markdown_artifact(summary, key="warehouse-validation", description=f"newsflow validate {effective.db}")
    get_run_logger().info("dq: %d passed, %d failed", report.passed, report.failed)
    if not report.ok:
        raise WarehouseInvalid(f"{len(report.critical_failures)} critical expectation(s) failed: "
                               + "; ".join(report.critical_failures))
    return {"db": str(effective.db), "passed": report.passed, "failed": report.failed}
