"""Run-level outcomes: what turns a completed-looking ingest into a failed run (`nothing_read`), what
must not fail a run the warehouse has committed (`nonfatal`), and the row of a run that fails after
its commit (`failing_after_commit`): runs.status agrees with Prefect's state and the exit code."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


class NothingRead(RuntimeError):
    """Every input was missing or could not be read or fetched: the run fails (its rejects say why)."""


UNREAD = {"not_found", "unreadable", "raw_missing", "raw_corrupt"}  # reasons (besides any fetch-stage reject)
# meaning "nothing read": a missing or unreadable file, a stored body gone or damaged (reprocess)


def nothing_read_error(run_id: str, inputs: int, reject_reasons: Mapping[str, int]) -> str | None:
    """Why a run (ingest or reprocess) that had inputs but could read none of them (a missing inbox, the
    network down, a deleted folder or raw store) fails; None when it read something. `reject_reasons`
    counts its rejects by "stage/reason". Known before the commit, so the run's row says 'failed'."""
    unread = sum(n for key, n in reject_reasons.items() if key.split("/")[0] == "fetch" or key.split("/")[-1] in UNREAD)
    if not inputs or unread != inputs:
        return None
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(reject_reasons.items()))
    what = "the one input could not" if inputs == 1 else f"none of the {inputs} inputs could"
    return (f"{what} be read ({reasons}); "
            f"SELECT origin, detail FROM rejects WHERE run_id = '{run_id}'")


def reject_reasons(rejects) -> dict[str, int]:
    """Rejects counted by "stage/reason"."""
    return dict(Counter(f"{r.stage}/{r.reason}" for r in rejects))


def nothing_read(run) -> None:
    """Raise NothingRead for a committed run that read none of its inputs: the error its RunRecord
    carried into its row (`nothing_read_error`, decided before the commit)."""
    if run.error:
        raise NothingRead(run.error)


@contextmanager
def failing_after_commit(settings, run_id: str) -> Iterator[None]:
    """A flow failure in the block, after the run's COMMIT, marks its committed `runs` row failed (the
    error, its data still loaded), so the row agrees with Prefect's state and the exit code; then raises.

    NothingRead is known before the commit and already in the row. Nothing committed is undone.
    """
    try:
        yield
    except NothingRead:
        raise
    except Exception as exc:
        from newsflow.warehouse.db import connect
        from newsflow.warehouse.load import record_failure_after_commit
        from newsflow.warehouse.writelock import write_lock

        with nonfatal(f"run {run_id} failed after its commit; its runs row still says completed"):
            with write_lock(settings.db, settings.lock_timeout):
                con = connect(settings.db, lock_timeout=settings.lock_timeout)
                try:
                    record_failure_after_commit(con, run_id, f"{type(exc).__name__}: {exc}")
                finally:
                    con.close()
        raise


@contextmanager
def nonfatal(what: str) -> Iterator[None]:
    """Log an exception in the block as a warning, "<what>: <error>", instead of raising it.

    For the steps after a run's COMMIT (stage seconds, artifacts): the run's data is in the
    warehouse, so failing the task would have Prefect retry a committed load, or the CLI report a
    loaded run as failed.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any fault here is reported, none may fail the run
        _logger().warning("%s: %s: %s", what, type(exc).__name__, exc)


def _logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run's logger (the warning shows on the run's page), else this module's."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)
