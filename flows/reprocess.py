"""newsflow reprocess: extract → clean → normalize → load again from the kept raw bodies, no fetching.

After a change to the cleaning rules or the extractor, this re-runs the stages after acquisition
over the latest document of every origin: fetched pages from the raw store (`<db>.raw`), files
from their path. It is a new run in `runs`; changed text becomes new `articles` rows.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger

from newsflow.acquire import rawstore
from newsflow.acquire.files import Item, kind_of, local_origin
from newsflow.acquire.web import FetchedItem
from newsflow.flows.batches import run_batches
from newsflow.flows.commit import FetchState, commit
from newsflow.flows.finish import record_finish
from newsflow.flows.guards import failing_after_commit, nothing_read, nothing_read_error, reject_reasons
from newsflow.flows.ingest import RunSummary, start_run
from newsflow.settings import Settings
from newsflow.transforms.models import FetchInfo, RawDocument, Reject
from newsflow.warehouse.db import connect
from newsflow.warehouse.documents import latest_documents
from newsflow.warehouse.writelock import write_lock


def reprocess_items(con, raw_dir: Path, max_bytes: int | None = None,
                    follow_symlinks: bool = False) -> tuple[list, list[Reject], dict[str, str]]:
    """An item per origin ingested before: its stored body (fetched pages) or its file; and the
    outlet each file was ingested under.

    A stored body that is missing or damaged (corrupt, truncated, changed) is that origin's reject.
    Files are opened as discovery opens those it finds in a folder: unless `follow_symlinks`
    (the setting), with O_NOFOLLOW, so a path swapped for a link since the ingest is refused
    (reject `symlink`) rather than read wherever the link points.
    """
    items, rejects, outlets, files = [], [], {}, set()
    for (origin, kind, url, canonical, source, fetched_at, sha, final_url, listing_url, listed_title,
         listed_published, listed_updated, status, content_type, declared) in latest_documents(con):
        if status is None:  # a file: read it again, under its absolute path
            origin = str(local_origin(origin))  # a warehouse from before 014 may hold it as typed, too
            if origin not in files:
                files.add(origin)
                items.append(Item(origin, kind_of(Path(origin)), follow_symlinks))
            if source:
                outlets.setdefault(origin, source)
            continue
        try:
            body = rawstore.get(raw_dir, sha, max_bytes)
        except (rawstore.CorruptBody, OSError) as exc:
            rejects.append(Reject(origin, "acquire", "raw_corrupt",
                                  f"stored body {sha[:12]}… in {raw_dir}: {exc}; `newsflow ingest --refresh "
                                  f"{origin}` fetches it again"))
            continue
        if body is None:
            rejects.append(Reject(origin, "acquire", "raw_missing",
                                  f"no stored body {sha[:12]}… in {raw_dir}; `newsflow ingest --refresh {origin}` "
                                  "fetches it again"))
            continue
        raw = RawDocument(origin, kind, body, url=final_url or url, source=source, fetched_at=fetched_at,
                          raw_sha256=sha, charset=_charset(content_type))
        info = FetchInfo(url=origin, final_url=final_url or url, canonical_url=canonical or origin, http_status=status,
                         content_type=content_type, listing_url=listing_url, listed_title=listed_title,
                         listed_published_at=listed_published, listed_updated_at=listed_updated,
                         declared_canonical=declared)
        items.append(FetchedItem(origin, kind, raw, info))
    return items, rejects, outlets


def _charset(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


@flow(name="reprocess", log_prints=True)
def reprocess(settings: Settings | None = None) -> RunSummary:
    """Re-run extraction and cleaning over every ingested input, from stored bodies, as a new run."""
    settings = settings or Settings()
    logger = get_run_logger()
    with write_lock(settings.db, settings.lock_timeout):
        run = start_run(settings)
        con = connect(settings.db, lock_timeout=settings.lock_timeout)
        try:
            items, missing, outlets = reprocess_items(con, settings.raw_store(), settings.fetch.max_body_bytes,
                                                      settings.follow_symlinks)
        finally:
            con.close()
        logger.info("reprocess %s: %d inputs", run.run_id, len(items) + len(missing))
        outcomes, seconds = run_batches(items, settings, outlets)
        rejects = missing + outcomes.rejects
        run = replace(run, error=nothing_read_error(run.run_id, len(outcomes.processed) + len(rejects),
                                                    reject_reasons(rejects)))
        # The documents keep their fetch columns; url_state is left alone (nothing was fetched).
        try:
            result = commit(settings, run, outcomes.processed, rejects, dict(seconds), FetchState())
        finally:
            outcomes.close()
    with failing_after_commit(settings, run.run_id):
        summary = RunSummary.of(run, settings, result, rejects)
        logger.info(summary.line())
        nothing_read(run)
    return summary


def run_reprocess(settings: Settings):
    """Run the reprocess flow in this process and return its RunSummary."""
    from prefect.settings import get_current_settings, temporary_settings
    from prefect.task_runners import ThreadPoolTaskRunner

    from newsflow.flows.runners import local_api_for_workers

    local = not get_current_settings().api.url
    updates = {"flows.heartbeat_frequency": None, "api.url": local_api_for_workers()} if local else {}
    with temporary_settings(updates=updates):  # the temporary server stops with this process (runners.py)
        summary = reprocess.with_options(task_runner=ThreadPoolTaskRunner(max_workers=settings.workers))(settings=settings)
    record_finish(settings, summary)  # the seconds from the commit to here, as the stage `finish`
    return summary
