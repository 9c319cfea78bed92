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
