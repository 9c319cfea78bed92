"""A Prefect Runner that stops the way an operator expects on SIGTERM or SIGINT (`newsflow serve`).

Prefect's own Runner cancels in-flight runs at once on SIGTERM, and a cancelled run whose process
does not exit on SIGTERM (a fetch thread blocked in a slow read) is killed only after 30 s; on SIGINT
asyncio cancels the serving task outright. This one:

1. stops picking up new runs and prints one line saying so;
2. gives the running runs up to `grace` seconds to finish (a second signal ends the wait);
3. cancels the ones still running with Prefect's own sequence (cancel intent, SIGTERM, cancellation
   hooks, state Cancelled), killing a process that is still alive KILL_AFTER seconds later;
4. returns, so serve pauses the schedules, stops the server it started and exits 0.

An ingest's writes are one DuckDB transaction and its write lock is an OS file lock, so a run cut off
at any point leaves the warehouse as it was and the lock free.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from prefect.runner import Runner

# Seconds a cancelled run's process gets to exit after SIGTERM before SIGKILL: enough for the flow to
# report its state, short enough that shutdown stays prompt.
KILL_AFTER = 5.0


class GracefulRunner(Runner):
    """Runner whose SIGTERM/SIGINT handling is: no new runs, a grace period, then cancellation."""

    def __init__(self, *, grace: float, echo: Callable[[str], None] = print, **kwargs):
        super().__init__(**kwargs)
        self.grace = grace
        self.echo = echo
        self._hurry = False
        self._shutting_down = False

    def handle_sigterm(self, *args, **kwargs) -> None:
        """Signal handler (SIGTERM, and SIGINT via serve): start the shutdown; a second signal hurries it."""
        if not self.started or self._loop is None:
            raise KeyboardInterrupt  # not serving yet: serve's own cleanup runs
        if self._shutting_down:
            self._hurry = True
            return
        self._shutting_down = True  # our own flag: Prefect sets `stopping` for other reasons too
        self.stopping = True
        self.execute_in_background(self.shutdown)

    def _busy(self) -> bool:
        poller = getattr(self, "_scheduled_run_poller", None)
        starting = getattr(poller, "_submitting_flow_run_ids", ()) if poller else ()
        return bool(self._process_manager.flow_run_count() or starting)

    async def shutdown(self) -> None:
        from newsflow.flows.serve import _now

        poller = getattr(self, "_scheduled_run_poller", None)
        if poller is not None:
            poller.stopping = True  # no new runs from here on
        running = self._process_manager.flow_run_count()
        self.echo(f"{_now()} shutting down: no new runs; {running} running run(s) get up to {self.grace:g} s "
                  "to finish, then are cancelled (signal again to cancel now)")
        deadline = time.monotonic() + self.grace
        while self._busy() and time.monotonic() < deadline and not self._hurry:
            await asyncio.sleep(0.2)
        left = self._process_manager.flow_run_ids()
        if left:
            self.echo(f"{_now()} cancelling {len(left)} run(s) still running")
        killer = asyncio.ensure_future(self._kill_after(left, KILL_AFTER))
        try:
            await self.astop()  # Prefect's cancellation of every tracked run, then the loops stop
        finally:
            killer.cancel()

    async def _kill_after(self, flow_run_ids, seconds: float) -> None:
        """SIGKILL (the process group) of runs still alive `seconds` after their cancellation began."""
        await asyncio.sleep(seconds)
        for flow_run_id in flow_run_ids:
            handle = self._process_manager.get(flow_run_id)
            if handle is not None and handle.is_alive():
                try:
                    handle.hard_kill()
                except OSError:
                    pass  # exited meanwhile
