"""Run-level outcomes that turn a completed-looking ingest into a failed Prefect run."""

from __future__ import annotations


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
