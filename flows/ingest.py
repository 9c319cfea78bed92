"""The ingest flow: discover → read → extract → clean → normalize (batched tasks) → dedup + load."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from newsflow.expectations.runner import ValidationFailed
from newsflow.flows import progress
from newsflow.flows.artifacts import DATA_QUALITY, INGEST_RUN, publish
from newsflow.flows.guards import nothing_read
from newsflow.flows.naming import batch_run_name, ingest_run_name, load_run_name
from newsflow.acquire import web
from newsflow.acquire.read import read_item
from newsflow.flows.cache import batch_cache_key
from newsflow.acquire.files import Item, discover
from newsflow.flows.retries import retry_transient
from newsflow.settings import SAMPLES_DIR, Settings
from newsflow.flows.timing import StageTimer
from newsflow.warehouse.writelock import write_lock
from newsflow.transforms.clean import clean
from newsflow.transforms.extract import extract
from newsflow.transforms.models import Processed, Reject, Rejected, Unchanged
from newsflow.transforms.normalize import normalize
from newsflow.warehouse.db import connect
from newsflow.warehouse.fetchstate import UrlState, rows_for, write_state
from newsflow.warehouse.load import LoadResult, RunRecord, load_run, record_failed_run


CACHE_FOR = timedelta(days=7)  # how long a batch's extraction result may be reused


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
    # Web URLs that needed no loading; not inputs (inputs = documents + rejects): see acquire/web.py.
    unchanged: int = 0  # 304 Not Modified (listings and articles), or rel=canonical already ingested
    already_ingested: int = 0  # listed or given article URLs skipped before fetching
    filtered: int = 0  # article URLs dropped by a source's include/exclude patterns

    def line(self) -> str:
        held = f", {self.quarantined} quarantined" if self.quarantined else ""
        web = "".join(f", {n} {label}" for n, label in ((self.unchanged, "unchanged"),
                      (self.already_ingested, "already ingested"), (self.filtered, "filtered out")) if n)
        return (f"{self.inputs} inputs: {self.new_articles} new articles, {self.duplicates} duplicates, "
                f"{self.rejected} rejected{held}{web} (run {self.run_id[:8]})")

    def markdown(self) -> str:
        """Counts and per-stage seconds, for the run's Prefect artifact."""
        rows = [("inputs", self.inputs), ("new articles", self.new_articles), ("duplicates", self.duplicates),
                ("rejected", self.rejected), ("quarantined", self.quarantined), ("skipped files", self.skipped)]
        lines = [f"# newsflow ingest `{self.run_id}`", "", f"Warehouse: `{self.db}`", "",
                 "| count | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], "",
                 "| stage | seconds |", "|---|---|", *[f"| {k} | {v:.3f} |" for k, v in self.stage_seconds.items()]]
        if self.reject_reasons:
            lines += ["", "| rejected at/for | inputs |", "|---|---|",
                      *[f"| {k} | {v} |" for k, v in sorted(self.reject_reasons.items())]]
        return "\n".join(lines) + "\n"


def process_item(item: Item, settings: Settings, timer: StageTimer | None = None) -> Processed | Reject:
    """Run one input through read, extract, clean and normalize; any failure becomes a Reject."""
    timer = timer or StageTimer()
    try:
        timer.enter("acquire")
        raw = read_item(item, settings.max_file_bytes)
        timer.enter("extract")
        extracted = extract(raw)
        timer.enter("clean")
        cleaned = clean(extracted.text)
        timer.enter("normalize")
        article = normalize(extracted, cleaned, settings.min_words)
    except Rejected as exc:
        return Reject(item.origin, exc.stage, exc.reason, exc.detail)
    except Exception as exc:  # a bug or a library failure on one page must not stop the run
        return Reject(item.origin, timer.stage, "error", f"{type(exc).__name__}: {exc}")
    finally:
        timer.enter(None)
    return Processed(origin=item.origin, kind=item.kind, raw_sha256=raw.raw_sha256,
                     fetched_at=raw.fetched_at, article=article, removed=cleaned.removed,
                     url=raw.url, source=raw.source)


# Retries only for transient faults (flows/retries.py); a batch is pure, so re-running it is safe,
# and its result is reused by a later run over the same file bytes with the same code (flows/cache.py).
@task(name="process-batch", task_run_name=batch_run_name, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=retry_transient,
      cache_key_fn=batch_cache_key, cache_expiration=CACHE_FOR, persist_result=True)
def process_batch(items: list[Item], settings: Settings, fetcher=None,
                  url_state=None) -> tuple[list[Processed | Reject | Unchanged], dict[str, float]]:
    """The batch's outcomes, in order, and the seconds spent in each stage.

    URLs are fetched first, in parallel (acquire/web.py; `fetcher` is the run's one Fetcher), then
    every item goes through extract, clean and normalize in turn.
    """
    timer = StageTimer()
    timer.enter("fetch")
    items = web.fetch_stage(items, fetcher, url_state, settings.raw_store(), settings.concurrency)
    timer.enter(None)
    outcomes = [item if isinstance(item, (Reject, Unchanged))
                else web.with_fetch_info(process_item(item, settings, timer), item) for item in items]
    return outcomes, timer.stop()


def quality_gate(settings: Settings, run_id: str):
    """The batch validator for load_run, or None when validation is off."""
    if not settings.dq_enabled:
        return None
    from newsflow.expectations.runner import quiet_gx_environment, validate
    from newsflow.expectations.suites import SUITES

    quiet_gx_environment()
    import great_expectations  # noqa: F401  -- 2-3 s, paid here rather than while holding the db lock

    config = settings.quality_config()
    return lambda frames: validate({t: frames[t] for t in SUITES}, config, run_id, settings.dq_docs_dir)


# The load is one transaction, so a retry after a write conflict or I/O hiccup starts clean.
@task(name="load", task_run_name=load_run_name, cache_policy=NONE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_transient)
def load(settings: Settings, run: RunRecord, processed: list[Processed], rejects: list[Reject],
         stage_seconds: dict[str, float] | None = None, fetch_state=None) -> LoadResult:
    """Validate and load the batch in one transaction; the only task that writes the warehouse.

    `fetch_state` (url_state rows, unchanged count, already-ingested count) is written in the same
    transaction.
    """
    validator = quality_gate(settings, run.run_id)
    after = None
    if fetch_state is not None:
        rows, unchanged, already = fetch_state
        after = lambda con: write_state(con, run.run_id, processed, rows, unchanged, already)  # noqa: E731
    con = connect(settings.db, lock_timeout=settings.lock_timeout)
    try:
        try:
            result = load_run(con, run, processed, rejects, validate=validator, stage_seconds=stage_seconds,
                              after=after, similar=settings.similarity_options())
        except Exception as exc:
            # A critical data-quality failure leaves the warehouse exactly as it was; any other
            # load failure is noted in run history.
            if not isinstance(exc, ValidationFailed):
                record_failed_run(con, run, len(processed) + len(rejects), f"{type(exc).__name__}: {exc}")
            raise
    finally:
        con.close()
    if result.report is not None:
        from newsflow.expectations.runner import markdown_summary

        publish(markdown_summary(result.report), DATA_QUALITY, f"newsflow run {run.run_id}")
    return result


@flow(name="ingest", flow_run_name=ingest_run_name, log_prints=True)
def ingest(inputs: list[str] | None = None, settings: Settings | None = None) -> RunSummary:
    """Ingest article files (or the bundled samples) into the DuckDB warehouse."""
    settings = settings or Settings()
    # One writer per warehouse file: a second run waits up to lock_timeout, then fails saying why.
    with write_lock(settings.db, settings.lock_timeout), web.run_fetcher(inputs, settings) as fetcher:
        return _ingest(inputs, settings, fetcher)


def _ingest(inputs: list[str] | None, settings: Settings, fetcher=None) -> RunSummary:
    logger = get_run_logger()
    run = RunRecord(uuid.uuid4().hex, flow_run.get_id(), datetime.now(timezone.utc))
    # Fail fast on a locked or unwritable warehouse before doing any work.
    connect(settings.db, lock_timeout=settings.lock_timeout).close()
    timer = StageTimer()
    timer.enter("discover")
    paths, urls = web.split_inputs(list(inputs or []))
    sources = web.sources_of(settings)
    items, skipped = discover([Path(p) for p in paths] if inputs or sources else [SAMPLES_DIR])
    url_state, found = UrlState(), web.WebDiscovery()
    if fetcher is not None:  # URLs, feeds and sitemaps: listing entries become items with their metadata
        url_state = web.read_url_state(settings)
        found = web.discover_web_task(fetcher, urls, sources, url_state, settings)
        items = items + found.items
        if settings.runner != "threads":
            # Tasks in other processes cannot share the run's Fetcher (robots.txt, host delays): fetch here.
            items = web.fetch_stage(items, fetcher, url_state, settings.raw_store(), settings.concurrency)
            fetcher = None
    stage_seconds = Counter(timer.stop())
    logger.info("run %s: %d inputs (%d other files skipped)", run.run_id, len(items), skipped)

    reporter = progress.current()
    reporter.start(len(items))
    batches = [items[i:i + settings.batch_size] for i in range(0, len(items), settings.batch_size)]
    futures = [process_batch.submit(batch, settings, fetcher, url_state) for batch in batches]
    outcomes: list[Processed | Reject] = []
    for future in futures:  # in submission order, so the tables do not depend on timing
        batch_outcomes, batch_seconds = future.result()
        outcomes.extend(batch_outcomes)
        stage_seconds.update(batch_seconds)
        reporter.advance(len(outcomes))

    processed = [o for o in outcomes if isinstance(o, Processed)]
    rejects = found.rejects + [o for o in outcomes if isinstance(o, Reject)]
    unchanged = [o for o in outcomes if isinstance(o, Unchanged)]
    fetch_state = None
    if urls or sources:
        fetch_state = (rows_for(processed, unchanged, found.listings), found.unchanged + len(unchanged),
                       found.already)
    result = load(settings, run, processed, rejects, dict(stage_seconds), fetch_state)
    report = result.report
    summary = RunSummary(run.run_id, run.flow_run_id, str(settings.db), result.inputs, result.new_articles,
                         result.duplicates, result.rejected, result.quarantined, skipped,
                         dict(Counter(f"{r.stage}/{r.reason}" for r in rejects)),
                         report.passed if report else None, report.failed if report else None,
                         result.stage_seconds)
    summary.unchanged = found.unchanged + len(unchanged)
    summary.already_ingested, summary.filtered = found.already, found.filtered
    logger.info(summary.line())
    publish(summary.markdown(), INGEST_RUN, summary.line())
    nothing_read(summary)
    return summary
