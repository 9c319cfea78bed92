"""The run's last stage, `finish`: from the commit to the flow's return, written after the flow returns.

`runs.stage_seconds` is written in the run's one transaction, so it stops at the COMMIT. What comes
after is still the run's wall time: closing the warehouse, the run's artifacts, and Prefect ending
the flow run -- the final state sent to the API and, against a server, the join of the flow-run
heartbeat thread, which sleeps in 1 s steps (up to 1 s, ~0.5 s on average; heartbeats stay on
there: they are how a server detects crashed runs). Whoever ran the flow in this process
(flows/run.py) times that tail once the flow has returned and adds it as `finish` in a small
transaction of its own, under the warehouse's write lock. A crash before that leaves the committed
run as it was, without `finish`; and it never fails the run: when another run has taken the
warehouse by then, `finish` is left out rather than waited for.
"""

from __future__ import annotations

import logging
from time import perf_counter

from newsflow.settings import Settings
from newsflow.warehouse.db import connect
from newsflow.warehouse.load import add_stage_seconds
from newsflow.warehouse.writelock import write_lock

log = logging.getLogger(__name__)


def record_finish(settings: Settings, summary) -> float | None:
    """Add `finish` (seconds since `summary.timed_until`) to the run's stage_seconds, in the warehouse
    and in `summary`; its seconds, or None when it was not written (said at debug level, never raised)."""
    if summary is None or getattr(summary, "timed_until", None) is None:
        return None
    try:
        # No waiting: a run that took the lock meanwhile holds it for its whole run.
        with write_lock(settings.db, timeout=0):
            con = connect(settings.db, lock_timeout=0, up_to_date=True)
            try:
                finish = perf_counter() - summary.timed_until  # up to the write itself
                written = add_stage_seconds(con, summary.run_id, {"finish": finish})
            finally:
                con.close()
    except Exception as exc:  # a timing figure is not worth failing a committed run for
        log.debug("stage 'finish' of run %s not recorded: %s: %s", summary.run_id, type(exc).__name__, exc)
        return None
    if not written:
        return None
    summary.stage_seconds = {**summary.stage_seconds, "finish": round(finish, 4)}
    return finish
