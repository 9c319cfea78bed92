"""Per-URL fetch state: read before a run (incremental fetching), written in the run's load transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

import duckdb

from newsflow.transforms.models import Processed, Reject, StateRow, Unchanged, UrlState
from newsflow.transforms.urls import same_site
from newsflow.warehouse.load import document_id

_DOC_COLUMNS = ("final_url", "listing_url", "listed_title", "listed_published_at", "listed_updated_at",
                "http_status", "content_type", "declared_canonical")
# A URL that failed for good is remembered in url_state with a doubling back-off.
BACKOFF_FIRST = timedelta(days=1)
BACKOFF_MAX = timedelta(days=30)


def read_state(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> UrlState:
    """Validators of every URL fetched before, when each ingested article URL was last fetched, back-offs.

    An article URL counts as ingested when url_state has it or a document names it as its
    canonical URL: a file whose page declares that URL, or a fetched page of the same registrable
    domain (a page elsewhere cannot make another site's URL "already ingested"; rows loaded
    before that rule existed are filtered here too).
    """
    now = now or datetime.now(timezone.utc)
    state = UrlState()
    for url, etag, modified in con.execute(
            "SELECT canonical_url, etag, last_modified FROM url_state "
            "WHERE etag IS NOT NULL OR last_modified IS NOT NULL").fetchall():
        state.validators[url] = (etag, modified)
    for url, failures, until in con.execute(
            "SELECT canonical_url, failures, retry_after FROM url_state WHERE failures > 0").fetchall():
        state.failures[url] = failures
        if until is not None and until > now:
            state.backoff[url] = until
    rows = con.execute(
        "SELECT canonical_url, max(last_fetched_at), NULL FROM url_state WHERE kind IN ('html', 'text') GROUP BY 1 "
        "UNION ALL SELECT canonical_url, max(fetched_at), coalesce(final_url, url) FROM documents "
        "WHERE canonical_url IS NOT NULL GROUP BY 1, 3"
    ).fetchall()
    for url, at, served_from in rows:
        if served_from is not None and served_from != url and not same_site(url, served_from):
            continue
        if url not in state.fetched or (at and state.fetched[url] and at > state.fetched[url]):
            state.fetched[url] = at
    return state


def failure_rows(rejects: Iterable[Reject], state: UrlState, now: datetime | None = None) -> list[StateRow]:
    """url_state rows for URLs that failed for good this run (rejects marked `backoff`: any fetch
    failure that is not transient, see acquire/fetch.py FetchError), each with its next back-off.

    The n-th failure in a row waits BACKOFF_FIRST * 2^(n-1), at most BACKOFF_MAX; --refresh ignores it.
    last_status is the HTTP status for an http_NNN reject, else NULL (private_address, robots, ...).
    """
    now = now or datetime.now(timezone.utc)
    out = []
    for r in rejects:
        if not r.backoff:
            continue
        code = r.reason.removeprefix("http_")
        status = int(code) if r.reason.startswith("http_") and code.isdigit() else None
        failures = state.failures.get(r.origin, 0) + 1
        wait = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(failures - 1, 16))
        out.append(StateRow(r.origin, None, None, status, now, None, None, failures, now + wait))
    return out


def rows_for(processed: Iterable[Processed], unchanged: Iterable[Unchanged],
             listings: Iterable[StateRow] = (), failures: Iterable[StateRow] = ()) -> list[StateRow]:
    """url_state rows for the run: fetched documents, unchanged URLs, listings; the last word per URL wins."""
    out: dict[str, StateRow] = {}
    for p in processed:
        if p.fetch is not None:
            f = p.fetch
            out[f.url] = StateRow(f.url, f.etag, f.last_modified, f.http_status, p.fetched_at, p.raw_sha256, p.kind)
    for u in unchanged:
        out[u.url] = StateRow(u.url, u.etag, u.last_modified, u.status, u.fetched_at, u.raw_sha256, u.kind)
    for row in [*listings, *failures]:
        out[row.canonical_url] = row
    return list(out.values())


def write_state(con: duckdb.DuckDBPyConnection, run_id: str, processed: Iterable[Processed], rows: list[StateRow]) -> None:
    """Upsert url_state and fill the documents' fetch columns (inside the load transaction)."""
    import pandas as pd

    if rows:
        # Replacement scans of local frames, not register(): a view dropped inside the run's
        # transaction keeps its frame alive until the COMMIT (see warehouse/load.py, insert_frame).
        url_state_rows = pd.DataFrame([r.__dict__ for r in rows])  # noqa: F841 (scanned by name)
        # A 304 carries no body: keep the validators and raw body of the last full response
        # unless the 304 sent new ones.
        con.execute(
            "INSERT INTO url_state (canonical_url, etag, last_modified, last_status, last_fetched_at,"
            " raw_sha256, kind, failures, retry_after) SELECT canonical_url, etag, last_modified, last_status,"
            " last_fetched_at, raw_sha256, kind, failures, retry_after"
            " FROM url_state_rows ON CONFLICT (canonical_url) DO UPDATE SET"
            " failures = excluded.failures, retry_after = excluded.retry_after,"
            " etag = coalesce(excluded.etag, url_state.etag),"
            " last_modified = coalesce(excluded.last_modified, url_state.last_modified),"
            " last_status = excluded.last_status, last_fetched_at = excluded.last_fetched_at,"
            " raw_sha256 = coalesce(excluded.raw_sha256, url_state.raw_sha256),"
            " kind = coalesce(excluded.kind, url_state.kind)")
    # Only the fetch columns of each document, not the Processed (a Spill gives back a batch at a time).
    docs = [(document_id(run_id, p.origin), *(getattr(p.fetch, c) for c in _DOC_COLUMNS))
            for p in processed if p.fetch is not None]
    if docs:
        fetch_docs = pd.DataFrame(docs, columns=["document_id", *_DOC_COLUMNS])
        fetch_docs["listed_published_at"] = pd.to_datetime(fetch_docs["listed_published_at"], utc=True)
        fetch_docs["listed_updated_at"] = pd.to_datetime(fetch_docs["listed_updated_at"], utc=True)
        sets = ", ".join(f"{c} = b.{c}" for c in _DOC_COLUMNS)
        con.execute(f"UPDATE documents SET {sets} FROM fetch_docs b WHERE documents.document_id = b.document_id")
