"""The flows that `prefect.yaml` deploys: a scheduled ingest and a whole-warehouse validation.

Their parameters: `inputs` (files, directories, URLs) and `settings`, a typed model of setting
overrides (SettingsOverrides: every Settings field, all optional) applied on top of newsflow.toml and
NEWSFLOW_* in the process that runs the flow, e.g. {"db": "news.duckdb", "sources": "sources.toml"}.
Prefect shows it as a form in the UI and rejects an unknown or ill-typed key when a run is created
(and `newsflow serve` when it loads prefect.yaml).

Deployed runs take a slot of the global concurrency limit WRITER_LIMIT (declared by prefect.yaml's
build step `declare_writer_limit`, one slot): one writer per warehouse across all deployments and
workers; the file lock (warehouse/writelock.py) still guards runs started elsewhere.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Optional

from prefect import flow, get_run_logger
from pydantic import ConfigDict, Field, create_model

from newsflow.flows.artifacts import WAREHOUSE_VALIDATION, publish
from newsflow.flows.naming import deployment_run_name
from newsflow.settings import GROUPS, Settings, load_settings

WRITER_LIMIT = "newsflow-warehouse"
WRITER_LEASE = 60.0  # seconds; Prefect's server refuses shorter leases

def _constrained(field):
    """The field's type with its constraints (ge, le, min_length...), so a bad value fails at deploy."""
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _overrides_model(name: str, fields: dict, groups: dict[str, type] | None = None):
    """A model of `fields`, every one optional (unset = not overridden); groups become nested models."""
    spec = {}
    for key, info in fields.items():
        if getattr(info, "init", None) is False:
            continue  # derived, not settable (quality.min_words follows min_words)
        kind = groups[key] if groups and key in groups else _constrained(info)
        spec[key] = (Optional[kind], Field(None, description=info.description))
    return create_model(name, __config__=ConfigDict(extra="forbid", title=name), **spec)


def _group_fields(model) -> dict:
    return getattr(model, "model_fields", None) or model.__pydantic_fields__


# Every setting, optional, typed and constrained as in Settings; a group ([fetch], [quality],
# [similarity]) is a nested model, so overriding one of its options keeps the others from newsflow.toml.
SettingsOverrides = _overrides_model("SettingsOverrides", Settings.model_fields, {
    group: _overrides_model(f"{group.capitalize()}Overrides", _group_fields(Settings.model_fields[group].annotation))
    for group in GROUPS})
SettingsOverrides.__doc__ = "Overrides for any newsflow setting (`newsflow config` lists them)."


class WarehouseInvalid(Exception):
    """A critical expectation failed over the whole warehouse."""


class SourcesMissing(FileNotFoundError):
    """The deployment names a sources file that is not there."""


def resolve(overrides: SettingsOverrides | dict[str, Any] | None) -> Settings:
    """The effective settings for a deployed run: defaults < config file < environment < overrides."""
    if overrides is None:
        return load_settings()
    if isinstance(overrides, dict):
        overrides = SettingsOverrides(**overrides)
    return load_settings(**overrides.model_dump(exclude_unset=True))


def declare_writer_limit(name: str = WRITER_LIMIT, limit: int = 1) -> dict[str, Any]:
    """prefect.yaml build step: create the global concurrency limit `name` (or set its limit)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, limit)
    return {"writer_limit": name}


@contextmanager
def writer_slot():
    """Hold the one writer slot while a deployed run works; runs started by hand skip it."""
    from prefect.runtime import deployment

    if not deployment.id:
        yield
        return
    from prefect.concurrency.sync import concurrency

    # A lease of the minimum the server allows (renewed while the run lives): the slot of a run that
    # was killed (cancelled at shutdown, OOM, kill -9) is free again about a minute later, not five.
    with concurrency(WRITER_LIMIT, occupy=1, strict=False, lease_duration=WRITER_LEASE):
        yield


def _check_sources(settings: Settings) -> None:
    """A sources file that is not there fails the run at once, saying how to create it."""
    path = settings.sources
    if path is None or Path(path).is_file():
        return
    example = Path(path).with_name(Path(path).stem + ".example.toml")
    hint = f"copy {example} to {path} and list your outlets" if example.is_file() else "create it"
    raise SourcesMissing(f"sources file {path} not found (in {Path.cwd()}): {hint} (docs/fetching.md), "
                         "then switch the deployment's schedule on")


@flow(name="scheduled-ingest", flow_run_name=deployment_run_name, log_prints=True)
def scheduled_ingest(inputs: list[str] | None = None, settings: SettingsOverrides | None = None) -> dict[str, Any]:
    """Ingest files, directories or URLs (and the sources file in settings.sources) on a schedule."""
    from newsflow.flows.ingest import ingest
    from newsflow.flows.runners import task_runner

    effective = resolve(settings)
    _check_sources(effective)
    with writer_slot():
        # The ingest flow runs as a subflow so each deployment can pick its own task runner; its
        # artifacts are published on this run too (flows/artifacts.py).
        summary = ingest.with_options(task_runner=task_runner(effective))(inputs=inputs or None, settings=effective)
    return asdict(summary)


@flow(name="validate", flow_run_name=deployment_run_name, log_prints=True)
def validate(docs: str | None = None, settings: SettingsOverrides | None = None,
             fail_on: str = "critical") -> dict[str, Any]:
    """Validate the whole warehouse with the GX project; fails on a critical (or, with fail_on=warning, any) failure."""
    from prefect.runtime import flow_run

    from newsflow.expectations.runner import markdown_summary
    from newsflow.flows.validate import validate_warehouse
    from newsflow.warehouse.db import connect
    from newsflow.warehouse.writelock import write_lock

    effective = resolve(settings)
    if not Path(effective.db).is_file():
        raise FileNotFoundError(f"no warehouse at {effective.db} (in {Path.cwd()}); ingest into it first")
    # Validation writes dq_results and runs, so it takes the same one-writer lock as an ingest run.
    with writer_slot(), write_lock(effective.db, effective.lock_timeout):
        con = connect(effective.db, lock_timeout=effective.lock_timeout)
        try:
            report = validate_warehouse(con, effective.quality, Path(docs) if docs else None,
                                        project=effective.quality.project, flow_run_id=flow_run.id, fail_on=fail_on)
        finally:
            con.close()
    publish(markdown_summary(report, fail_on=fail_on), WAREHOUSE_VALIDATION, f"newsflow validate {effective.db}")
    get_run_logger().info("dq: %d passed, %d failed", report.passed, report.failed)
    if not report.ok:
        raise WarehouseInvalid(f"{len(report.critical_failures)} critical expectation(s) failed: "
                               + "; ".join(report.critical_failures))
    if fail_on == "warning" and report.warnings:
        raise WarehouseInvalid(f"{len(report.warnings)} warning expectation(s) failed: " + "; ".join(report.warnings))
    return {"db": str(effective.db), "passed": report.passed, "failed": report.failed}
