"""Run-level outcomes: what turns a completed-looking ingest into a failed Prefect run (`nothing_read`),
and what must not fail a run the warehouse has committed (`nonfatal`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class NothingRead(RuntimeError):
    """Every input was missing or could not be read or fetched: the run fails (its rejects say why)."""


UNREAD = {"not_found", "unreadable", "raw_missing", "raw_corrupt"}  # reasons (besides any fetch-stage reject)
# meaning "nothing read": a missing or unreadable file, a stored body gone or damaged (reprocess)


def nothing_read(summary) -> None:
    """Fail a run (ingest or reprocess) that had inputs but could read none of them (a missing inbox, the
    network down, a deleted folder or raw store)."""
    unread = sum(n for key, n in summary.reject_reasons.items()
                 if key.split("/")[0] == "fetch" or key.split("/")[-1] in UNREAD)
    if summary.inputs and unread == summary.inputs:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(summary.reject_reasons.items()))
        raise NothingRead(f"none of the {summary.inputs} inputs could be read ({reasons}); "
                          f"SELECT origin, detail FROM rejects WHERE run_id = '{summary.run_id}'")


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
