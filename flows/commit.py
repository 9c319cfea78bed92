"""The run's one write: validate, quarantine, load, near-duplicates, stories, fetch state, run record.

Every step below is a named stage, timed into `runs.stage_seconds`, and all of them run inside one
DuckDB transaction, so a crash or a critical data-quality failure leaves the warehouse as it was.
Near-duplicates and stories need the persisted index; validation must come before the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from time import perf_counter

import duckdb
from prefect import task
from prefect.cache_policies import NONE

from newsflow.flows import written
from newsflow.flows.artifacts import DATA_QUALITY, publish
from newsflow.flows.guards import nonfatal
from newsflow.flows.naming import load_run_name
from newsflow.flows.retries import retry_follows, retry_transient
from newsflow.flows.timing import StageTimer
from newsflow.settings import Settings
from newsflow.transforms.models import Processed, Reject, StateRow
from newsflow.warehouse import search, similarity
from newsflow.warehouse.db import connect, transaction
from newsflow.warehouse.fetchstate import write_state
from newsflow.warehouse.filestate import record as record_file_stamps
from newsflow.warehouse.load import (
    LoadResult,
    RunLoader,
    RunRecord,
    record_failed_run,
    record_run,
    update_stage_seconds,
)


@dataclass
class FetchState:
    """What the run's web stages leave for url_state and the run's skip counts."""

    rows: list[StateRow] = field(default_factory=list)
    unchanged: int = 0
    already_ingested: int = 0


def quality_gate(settings: Settings):
    """The batch validator (frames → Report), or None when validation is off."""
    if not settings.quality.enabled:
        return None
    from newsflow.expectations.project import expectations_from_json, stored_user_expectations
    from newsflow.expectations.runner import load_gx, validate
    from newsflow.expectations.suites import SUITES

    config = settings.quality
    # Expectations a user added to the GX project's stored suites run in every batch too (read once
    # per run; the built-ins come from suites.py, so none runs twice).
    user = stored_user_expectations(config.project)
    for table, stored in user.items():
        expectations_from_json(table, stored)  # one GX cannot build fails the run here, naming it (imports GX)
    load_gx()  # paid here rather than inside the transaction
    return lambda frames, run_id: validate({t: frames[t] for t in SUITES}, config, run_id, config.docs_dir,
                                           user=user)


VALIDATION_CHUNK = 1000
"""Rows GX validates at once: bounds the run's text in memory (~13 kB a page). Not one batch (50):
each GX validation has a fixed cost (every expectation's metrics resolved), paid once per chunk."""


def validate_run(loader: RunLoader, validator, chunk: int | None = None) -> object:
    """Check the run's staged rows, `chunk` (VALIDATION_CHUNK) rows at a time; a critical failure raises
    ValidationFailed, warnings hold rows back."""
    report = validator(loader.rows(chunk or VALIDATION_CHUNK), loader.run.run_id)
    report.raise_for_critical()
    return report


def link_similar(con, run: RunRecord, settings: Settings, timer: StageTimer) -> None:
    """Near-duplicate linking, then story assignment, for the articles this run loaded; the stories
    of its exact copies are recounted (their outlets).

    Both read the run's articles back a chunk at a time in canonical order (near-duplicates: the
    ones not indexed yet), making the decisions one list would, without holding the run's texts.
    """
    options = settings.similarity
    timer.enter("neardup")
    similarity.backfill(con, threshold=options.neardup_threshold)
    timer.enter("stories")
    # A chunk at a time too: the run's texts are never one list.
    similarity.assign_run_stories(con, run.run_id, options.story_threshold, options.story_window)
    similarity.refresh_copied_stories(con, run.run_id)  # exact copies can bring outlets, not articles


def chunks_of(processed) -> Iterable[list[Processed]]:
    """The run's articles a batch at a time: a Spill's chunks, or a plain list as one chunk."""
    return processed.chunks() if hasattr(processed, "chunks") else [list(processed)]


def commit_run(con, settings: Settings, run: RunRecord, processed, rejects: list[Reject],
               stage_seconds: dict[str, float] | None = None, fetch_state: FetchState | None = None,
               validator=None, files=None) -> LoadResult:
    """The run's named write stages in one transaction on `con`; the result carries the DQ report.

    `processed` is a list of Processed or a flows.spill.Spill (read back a batch at a time);
    `files` the run's flows.unchanged.FileStamps (stamps to record, files skipped as unchanged).
    """
    timer = StageTimer()
    with transaction(con):
        timer.enter("neardup")
        # Index articles loaded before the index existed, before this run's articles go in.
        similarity.backfill(con, threshold=settings.similarity.neardup_threshold)
        timer.enter("dedup")
        loader = RunLoader(con, run)
        for chunk in chunks_of(processed):
            loader.add(chunk)
        loader.finish(rejects)
        report = None
        if validator is not None:
            timer.enter("validate")
            report = validate_run(loader, validator)
        timer.enter("load")
        loader.load(report.quarantine if report is not None else None,
                    report.results_frame() if report is not None else None)
        link_similar(con, run, settings, timer)
        timer.enter("search")
        search.index_new(con)  # full-text terms of this run's articles (and of any loaded before 006)
        state = fetch_state or FetchState()
        if fetch_state is not None:
            timer.enter("fetch_state")
            write_state(con, run.run_id, processed, state.rows)  # a Spill iterates a batch at a time
        timer.enter("load")
        if files is not None:
            record_file_stamps(con, run.run_id, files.read)  # those that became documents rows
        seconds = dict(stage_seconds or {})
        for stage, spent in timer.stop().items():
            seconds[stage] = seconds.get(stage, 0.0) + spent
        result = record_run(con, loader, seconds, state.already_ingested)
        written.committing(run.run_id)  # the COMMIT follows (flows/written.py)
    written.committed(run.run_id)
    return replace(result, report=report)


# The load is one transaction, so a retry after a write conflict or I/O hiccup starts clean: nothing of
# a failed attempt is in the warehouse, not even a runs row (record_failed_run waits for the last one).
@task(name="load", task_run_name=load_run_name, cache_policy=NONE, retries=2, retry_delay_seconds=2, retry_condition_fn=retry_transient)
def commit(settings: Settings, run: RunRecord, processed, rejects: list[Reject],
           stage_seconds: dict[str, float] | None = None, fetch_state: FetchState | None = None,
           files=None) -> LoadResult:
    """Validate and load the run in one transaction; the only task that writes the warehouse.

    `processed`: the run's articles, a list or the run's Spill (flows/spill.py); `files`: the
    stamps of the files it read and the count it skipped as unchanged (flows/unchanged.py).
    A failure before the COMMIT fails the task (retried if transient); nothing after it does: the
    run is committed by then, so a fault there is logged as a warning (flows/guards.py `nonfatal`).
    """
    from newsflow.expectations.runner import ValidationFailed

    seconds = dict(stage_seconds or {})
    timer = StageTimer()
    timer.enter("validate")
    validator = quality_gate(settings)  # GX's import is paid before the warehouse is opened
    seconds["validate"] = seconds.get("validate", 0.0) + timer.stop().get("validate", 0.0)
    started = perf_counter()
    con = connect(settings.db, lock_timeout=settings.lock_timeout)
    try:
        # Bounded, so the run's uncommitted rows spill to <db>.tmp instead of growing with the run.
        con.execute(f"SET memory_limit = '{int(settings.db_memory_limit)}B'")
        result = commit_run(con, settings, run, processed, rejects, seconds, fetch_state, validator, files)
    except Exception as exc:
        # A critical data-quality failure leaves the warehouse exactly as it was; any other load
        # failure is noted in run history once no retry follows (a retry would write the run's row).
        try:
            # Ctrl-C (DuckDB's InterruptException) leaves the warehouse untouched, as the CLI then says.
            if not isinstance(exc, (ValidationFailed, duckdb.InterruptException)) and not retry_follows(exc):
                with nonfatal(f"run {run.run_id} failed; its runs row could not be written"):
                    record_failed_run(con, run, len(processed) + len(rejects), f"{type(exc).__name__}: {exc}")
        finally:
            con.close()
        raise
    # Committed: from here on a fault costs a figure or an artifact, never the run (a retry would load
    # it twice; a failed state would report loaded data as lost).
    # What the named stages leave out of the task's time: opening the warehouse and the COMMIT.
    named = sum(result.stage_seconds.values()) - sum(seconds.values())
    ended = perf_counter()
    final = {**result.stage_seconds, "commit": ended - started - named}
    result = replace(result, stage_seconds={k: round(v, 4) for k, v in final.items()}, timed_until=ended)
    with nonfatal(f"run {run.run_id} committed, but its stage seconds were not updated"):
        try:
            update_stage_seconds(con, run.run_id, final)
        finally:
            con.close()
    if result.report is not None:
        from newsflow.expectations.runner import markdown_summary

        publish(markdown_summary(result.report), DATA_QUALITY, f"newsflow run {run.run_id}")  # never raises
    return result
