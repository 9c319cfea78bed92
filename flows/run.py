"""Running the ingest flow from the CLI: Prefect's ephemeral mode, progress bar, quiet logs."""

from __future__ import annotations

import threading

from newsflow.flows import progress
from newsflow.settings import Settings


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


def preload(settings: Settings) -> threading.Thread:
    """Import the extractor, langdetect's profiles, MinHash and GX in a background thread.

    A small run is mostly start-up: Prefect's temporary API takes seconds to come up, and the flow's
    process waits on it doing nothing. These imports fill that wait instead of following it; whoever
    needs a module first simply waits for its import. In the order they are needed: GX (3-4 s of
    CPU) last, so that extraction never waits behind it.
    """
    def work():
        import trafilatura  # noqa: F401  (a run of one batch extracts in this process)

        from newsflow.transforms.normalize import detect_language

        detect_language("A few words of English text to load the language profiles.")
        import datasketch  # noqa: F401  (near-duplicates' MinHash, ~0.5 s: else paid inside the commit)

        if settings.quality.enabled:
            from newsflow.expectations.runner import load_gx

            load_gx()

    thread = threading.Thread(target=work, name="newsflow-preload", daemon=True)
    thread.start()
    return thread


def run_ingest(inputs: list[str], settings: Settings, show_progress: bool = False):
    """Run the ingest flow in this process and return its RunSummary."""
    from prefect.settings import get_current_settings, temporary_settings

    from newsflow.flows.finish import record_finish
    from newsflow.flows.ingest import ingest
    from newsflow.flows.runners import local_api_for_workers, task_runner

    preload(settings)  # the heavy imports happen while Prefect starts
    flow = ingest.with_options(task_runner=task_runner(settings))  # threads, processes or dask
    # With no API configured Prefect runs a temporary local server; heartbeats only matter to a real
    # one (they detect crashed runs) and cost a second at exit, so they are off in that mode.
    local = not get_current_settings().api.url
    updates = {"flows.heartbeat_frequency": None} if local else {}
    if local:
        # Started here rather than lazily by Prefect: worker processes report to it (else each would
        # start its own), and a watchdog stops it even if this process is killed (runners.py).
        updates["api.url"] = local_api_for_workers()
    bar = _Bar() if show_progress else None
    try:
        with temporary_settings(updates=updates), \
                progress.reporting(bar or progress.current()):
            summary = flow(inputs=inputs or None, settings=settings)
    finally:
        if bar:
            bar.stop()
    record_finish(settings, summary)  # the seconds from the commit to here, as the stage `finish`
    return summary
