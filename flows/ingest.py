"""The ingest flow: each stage a named step, in order.

    discover    files and directories; feeds, sitemaps and sources files (task discover-web)
    fetch       article URLs, in this process with the run's one Fetcher (task fetch)
    process     read → extract → clean → normalize, batched (tasks process-batch, on the runner)
    commit      dedup → validate → load → near-duplicates → stories → fetch state (task load, one transaction)
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from newsflow.acquire.files import discover_outlets
from newsflow.acquire.sources import expand_paths
from newsflow.acquire.web import WebDiscovery, split_inputs
from newsflow.flows.artifacts import INGEST_RUN, publish
from newsflow.flows.batches import run_batches
from newsflow.flows.commit import FetchState, commit
from newsflow.flows.fetching import discover_web_task, fetch_task, read_url_state, run_fetcher, sources_of
from newsflow.flows.guards import failing_after_commit, nothing_read, nothing_read_error, reject_reasons
from newsflow.flows.naming import counted, ingest_run_name
from newsflow.flows.timing import StageTimer, spread, take_startup
from newsflow.flows.unchanged import skip_unchanged
from newsflow.settings import SAMPLES_DIR, Settings
from newsflow.transforms.models import Reject, UrlState
from newsflow.warehouse.db import connect
from newsflow.warehouse.fetchstate import failure_rows, rows_for
from newsflow.warehouse.load import LoadResult, RunRecord
from newsflow.warehouse.writelock import write_lock


@dataclass
class RunSummary:
    """What one ingest run did; the counts add up: new + duplicates + rejected + quarantined = inputs."""

    run_id: str
    flow_run_id: str | None
    db: str
    inputs: int
    new_articles: int
    duplicates: int
    rejected: int
    quarantined: int = 0
    skipped: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    dq_passed: int | None = None
    dq_failed: int | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # Needed no loading, so not counted in inputs (inputs = documents + rejects): see acquire/web.py.
    unchanged: int = 0  # 304 Not Modified, rel=canonical already ingested, files unchanged (flows/unchanged.py)
    already_ingested: int = 0  # listed or given article URLs skipped before fetching
    filtered: int = 0  # article URLs dropped by a source's include/exclude patterns
    backed_off: int = 0  # URLs not fetched: they failed for good at a recent try (url_state back-off)
    skip_reasons: dict[str, int] = field(default_factory=dict)  # files discovery skipped, by reason
    timed_until: float | None = None  # perf_counter() at the end of the commit: see flows/finish.py

    def line(self) -> str:
        held = f", {self.quarantined} quarantined" if self.quarantined else ""
        web = "".join(f", {n} {label}" for n, label in ((self.unchanged, "unchanged"),
                      (self.already_ingested, "already ingested"), (self.filtered, "filtered out"),
                      (self.backed_off, "backed off after a permanent failure")) if n)
        return (f"{counted(self.inputs, 'input')}: {counted(self.new_articles, 'new article')}, "
                f"{counted(self.duplicates, 'duplicate')}, {self.rejected} rejected{held}{web} (run {self.run_id[:8]})")

    def markdown(self) -> str:
        """Counts and per-stage seconds, for the run's Prefect artifact."""
        rows = [("inputs", self.inputs), ("new articles", self.new_articles), ("duplicates", self.duplicates),
                ("rejected", self.rejected), ("quarantined", self.quarantined), ("unchanged", self.unchanged),
                ("skipped files", self.skipped)]
        lines = [f"# newsflow ingest `{self.run_id}`", "", f"Warehouse: `{self.db}`", "",
                 "| count | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], "",
                 "| stage | seconds |", "|---|---|", *[f"| {k} | {v:.3f} |" for k, v in self.stage_seconds.items()]]
        if self.skip_reasons:
            lines += ["", "| skipped because | files |", "|---|---|",
                      *[f"| {k} | {v} |" for k, v in sorted(self.skip_reasons.items())]]
        if self.reject_reasons:
            lines += ["", "| rejected at/for | inputs |", "|---|---|",
                      *[f"| {k} | {v} |" for k, v in sorted(self.reject_reasons.items())]]
        return "\n".join(lines) + "\n"

    @classmethod
    def of(cls, run: RunRecord, settings: Settings, result: LoadResult, rejects: list[Reject],
           skipped: int = 0) -> RunSummary:
        """The summary of a committed run."""
        report = result.report
        return cls(run.run_id, run.flow_run_id, str(settings.db), result.inputs, result.new_articles,
                   result.duplicates, result.rejected, result.quarantined, skipped,
                   reject_reasons(rejects),
                   report.passed if report else None, report.failed if report else None, result.stage_seconds,
                   timed_until=result.timed_until)


def start_run(settings: Settings) -> RunRecord:
    """A new run's record; fails fast on a locked or unwritable warehouse, before any work."""
    connect(settings.db, lock_timeout=settings.lock_timeout).close()
    return RunRecord(uuid.uuid4().hex, flow_run.get_id(), datetime.now(timezone.utc))


@flow(name="ingest", flow_run_name=ingest_run_name, log_prints=True)
def ingest(inputs: list[str] | None = None, settings: Settings | None = None) -> RunSummary:
    """Ingest article files and web pages (or the bundled samples) into the DuckDB warehouse."""
    timer = StageTimer()
    timer.enter("startup")  # and, when the CLI started this process, the seconds before this line
    startup = take_startup()
    settings = settings or Settings()
    logger = get_run_logger()
    # One writer per warehouse file: a second run waits up to lock_timeout, then fails saying why.
    with write_lock(settings.db, settings.lock_timeout), run_fetcher(inputs, settings) as fetcher:
        run = start_run(settings)

        timer.enter("discover")
        paths, urls = split_inputs(list(inputs or []))
        sources = sources_of(settings)
        groups = [(settings.source_name, [Path(p) for p in paths] if inputs or sources else [SAMPLES_DIR])]
        groups += [(s.name, expand_paths(s)) for s in sources if s.paths]  # local files of a sources-file outlet
        items, skips, outlets = discover_outlets(groups, follow_symlinks=settings.follow_symlinks)
        skipped = skips.total()
        items, files = skip_unchanged(items, outlets, settings)  # files an earlier run read, as they were
        url_state, found = UrlState(), WebDiscovery()
        if fetcher is not None:  # listing entries become items carrying their feed/sitemap metadata
            url_state = read_url_state(settings)
            found = discover_web_task(fetcher, urls, sources, url_state, settings)
            items = items + found.items

            timer.enter("fetch")
            items = fetch_task(items, fetcher, url_state, settings)
        logger.info("run %s: %d inputs (%d files unchanged, %d other files skipped)", run.run_id, len(items),
                    files.unchanged, skipped)

        timer.enter("process")
        outcomes, worker_seconds = run_batches(items, settings, outlets)
        del items  # the run's outcomes are on disk now (flows/spill.py)
        stage_seconds = Counter(timer.stop())
        # Wall seconds, not worker seconds, so that the stages add up to the run's wall time.
        stage_seconds.update(spread(stage_seconds.pop("process"), worker_seconds, idle="cached"))
        stage_seconds["startup"] += startup

        processed, unchanged = outcomes.processed, outcomes.unchanged
        rejects = found.rejects + outcomes.rejects
        fetch_state = None
        if urls or sources:
            failed = failure_rows([r for r in rejects if r.origin.startswith(("http://", "https://"))], url_state)
            fetch_state = FetchState(rows_for(processed, unchanged, found.listings, failed),
                                     found.unchanged + len(unchanged), found.already)
        # Validation's reject rate counts the inputs skipped as unchanged, as runs.unchanged does; a run
        # that read nothing fails, and its row (with its rejects) says so.
        run = replace(run, unchanged=found.unchanged + len(unchanged) + files.unchanged,
                      error=nothing_read_error(run.run_id, len(processed) + len(rejects), reject_reasons(rejects)),
                      skipped=tuple(sorted(skips.items())))
        try:
            result = commit(settings, run, processed, rejects, dict(stage_seconds), fetch_state, files)
        finally:
            outcomes.close()

    with failing_after_commit(settings, run.run_id):
        summary = RunSummary.of(run, settings, result, rejects, skipped)
        summary.unchanged = run.unchanged
        summary.already_ingested, summary.filtered = found.already, found.filtered
        summary.backed_off, summary.skip_reasons = found.backed_off, dict(skips)
        logger.info(summary.line())
        publish(summary.markdown(), INGEST_RUN, summary.line())
        nothing_read(run)
    return summary
