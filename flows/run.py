"""Running the ingest flow from the CLI: Prefect's ephemeral mode, progress bar, quiet logs."""

from __future__ import annotations

from flows import progress
from flows.settings import Settings


class _Bar:
    """A rich progress bar on stderr."""

    def __init__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                  transient=True)
        self._task = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("ingest", total=total)

    def advance(self, done: int) -> None:
        self._progress.update(self._task, completed=done)

    def stop(self) -> None:
        self._progress.stop()


def run_ingest(inputs: list[str], settings: Settings, show_progress: bool = False):
    """Run the ingest flow in this process and return its RunSummary."""
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.ingest import ingest

    flow = ingest.with_options(task_runner=ThreadPoolTaskRunner(max_workers=settings.workers))
    if not show_progress:
        return flow(inputs=inputs or None, settings=settings)
    bar = _Bar()
    try:
        with progress.reporting(bar):
            return flow(inputs=inputs or None, settings=settings)
    finally:
        bar.stop()
