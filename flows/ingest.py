"""The ingest flow: discover → read → extract → clean → normalize (batched tasks) → dedup + load."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from flows import progress
from flows.acquire import read_item
from flows.discover import Item, discover
from flows.settings import SAMPLES_DIR, Settings
from transforms.clean import clean
from transforms.extract import extract
from transforms.models import Processed, Reject, Rejected
from transforms.normalize import normalize
from warehouse.db import connect
from warehouse.load import LoadResult, RunRecord, load_run, record_failed_run


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

    def line(self) -> str:
        held = f", {self.quarantined} quarantined" if self.quarantined else ""
        return (f"{self.inputs} inputs: {self.new_articles} new articles, {self.duplicates} duplicates, "
                f"{self.rejected} rejected{held} (run {self.run_id[:8]})")


def process_item(item: Item, settings: Settings) -> Processed | Reject:
    """Run one input through read, extract, clean and normalize; any failure becomes a Reject."""
    stage = "acquire"
    try:
        raw = read_item(item, settings.max_file_bytes)
        stage = "extract"
        extracted = extract(raw)
        stage = "clean"
        cleaned = clean(extracted.text)
        stage = "normalize"
        article = normalize(extracted, cleaned, settings.min_words)
    except Rejected as exc:
        return Reject(item.origin, exc.stage, exc.reason, exc.detail)
    except Exception as exc:  # a bug or a library failure on one page must not stop the run
        return Reject(item.origin, stage, "error", f"{type(exc).__name__}: {exc}")
    return Processed(origin=item.origin, kind=item.kind, raw_sha256=raw.raw_sha256,
                     fetched_at=raw.fetched_at, article=article, removed=cleaned.removed,
                     url=raw.url, source=raw.source)


@task(name="process-batch", cache_policy=NONE)
def process_batch(items: list[Item], settings: Settings) -> list[Processed | Reject]:
    return [process_item(item, settings) for item in items]


def quality_gate(settings: Settings, run_id: str):
    """The batch validator for load_run, or None when validation is off."""
    if not settings.dq_enabled:
        return None
    from expectations.runner import quiet_gx_environment, validate
    from expectations.suites import SUITES

    quiet_gx_environment()
    import great_expectations  # noqa: F401  -- 2-3 s, paid here rather than while holding the db lock

    config = settings.quality_config()
    return lambda frames: validate({t: frames[t] for t in SUITES}, config, run_id, settings.dq_docs_dir)


@task(name="load", cache_policy=NONE)
def load(settings: Settings, run: RunRecord, processed: list[Processed], rejects: list[Reject]) -> LoadResult:
    """Validate and load the batch in one transaction; the only task that writes the warehouse."""
    validator = quality_gate(settings, run.run_id)
    con = connect(settings.db, lock_timeout=settings.lock_timeout)
    try:
        try:
            result = load_run(con, run, processed, rejects, validate=validator)
        except Exception as exc:
            # A critical data-quality failure leaves the warehouse exactly as it was; any other
            # load failure is noted in run history.
            if type(exc).__name__ != "ValidationFailed":
                record_failed_run(con, run, len(processed) + len(rejects), f"{type(exc).__name__}: {exc}")
            raise
    finally:
        con.close()
    if result.report is not None:
        from expectations.runner import markdown_summary

        create_markdown_artifact(markdown_summary(result.report), key="data-quality",
                                 description=f"newsflow run {run.run_id}")
    return result


@flow(name="ingest", log_prints=True)
def ingest(inputs: list[str] | None = None, settings: Settings | None = None) -> RunSummary:
    """Ingest article files (or the bundled samples) into the DuckDB warehouse."""
    settings = settings or Settings()
    logger = get_run_logger()
    run = RunRecord(uuid.uuid4().hex, flow_run.get_id(), datetime.now(timezone.utc))
    # Fail fast on a locked or unwritable warehouse before doing any work.
    connect(settings.db, lock_timeout=settings.lock_timeout).close()
    items, skipped = discover([Path(p) for p in inputs] if inputs else [SAMPLES_DIR])
    logger.info("run %s: %d inputs (%d other files skipped)", run.run_id, len(items), skipped)

    reporter = progress.current()
    reporter.start(len(items))
    batches = [items[i:i + settings.batch_size] for i in range(0, len(items), settings.batch_size)]
    futures = [process_batch.submit(batch, settings) for batch in batches]
    outcomes: list[Processed | Reject] = []
    for future in futures:  # in submission order, so the tables do not depend on timing
        outcomes.extend(future.result())
        reporter.advance(len(outcomes))

    processed = [o for o in outcomes if isinstance(o, Processed)]
    rejects = [o for o in outcomes if isinstance(o, Reject)]
    result = load(settings, run, processed, rejects)
    report = result.report
    summary = RunSummary(run.run_id, run.flow_run_id, str(settings.db), result.inputs, result.new_articles,
                         result.duplicates, result.rejected, result.quarantined, skipped,
                         dict(Counter(f"{r.stage}/{r.reason}" for r in rejects)),
                         report.passed if report else None, report.failed if report else None)
    logger.info(summary.line())
    return summary
