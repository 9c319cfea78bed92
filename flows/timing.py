"""Per-stage timing of a run: where the seconds went (stored in runs.stage_seconds)."""

from __future__ import annotations

from collections import Counter
from time import perf_counter


class StageTimer:
    """Accumulates wall seconds per named stage; `enter` closes the current stage and opens the next."""

    def __init__(self):
        self.seconds: Counter[str] = Counter()
        self.stage: str | None = None
        self._since = 0.0

    def enter(self, stage: str | None) -> None:
        now = perf_counter()
        if self.stage is not None:
            self.seconds[self.stage] += now - self._since
        self.stage, self._since = stage, now

    def stop(self) -> dict[str, float]:
        self.enter(None)
        return dict(self.seconds)


# perf_counter() at the moment this process started, when the CLI started it (set by
# `mark_process_start`): the run's "startup" stage is from there to the flow's first line.
_process_started: float | None = None


def mark_process_start() -> None:
    """Note when this process started (from /proc; else now), so a run can count its start-up."""
    global _process_started
    age = 0.0
    try:
        with open("/proc/self/stat", "rb") as f:
            started_ticks = int(f.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        import os

        age = max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux: count from here
        pass
    _process_started = perf_counter() - age


def take_startup() -> float:
    """Seconds from the process's start to now, once (a second run in the process gets 0)."""
    global _process_started
    started, _process_started = _process_started, None
    return perf_counter() - started if started is not None else 0.0


def spread(wall: float, worker_seconds: dict[str, float], idle: str) -> dict[str, float]:
    """`wall` seconds split over the stages in proportion to the worker seconds spent in each.

    Workers run in parallel, so their seconds add up to more than the wall time they took; the
    shares keep runs.stage_seconds summing to the run's wall time. No worker seconds (every batch
    came from the cache): all of `wall` goes to `idle`.
    """
    total = sum(worker_seconds.values())
    if total <= 0:
        return {idle: wall} if wall > 0 else {}
    return {stage: wall * spent / total for stage, spent in worker_seconds.items()}
