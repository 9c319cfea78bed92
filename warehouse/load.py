"""Loading one run's results into the warehouse in a single transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from transforms.dedup import exact_duplicates
from transforms.models import Processed, Reject
from warehouse.db import transaction


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    flow_run_id: str | None
    started_at: datetime


@dataclass(frozen=True)
class LoadResult:
    inputs: int
    new_articles: int
    duplicates: int
    rejected: int


def document_id(run_id: str, origin: str) -> str:
    return hashlib.sha256(f"{run_id}\0{origin}".encode()).hexdigest()[:16]


def known_hashes(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Which of `hashes` the warehouse already holds."""
    if not hashes:
        return set()
    rows = con.execute(
        "SELECT content_hash FROM articles WHERE content_hash IN (SELECT unnest(?::VARCHAR[]))", [hashes]
    ).fetchall()
    return {r[0] for r in rows}


def load_run(con: duckdb.DuckDBPyConnection, run: RunRecord, processed: list[Processed],
             rejects: list[Reject]) -> LoadResult:
    """Insert the run, its documents, new articles, removed segments and rejects, all or nothing."""
    import pandas as pd

    now = datetime.now(timezone.utc)
    with transaction(con):
        dup = exact_duplicates([p.article.content_hash for p in processed],
                               known_hashes(con, [p.article.content_hash for p in processed]))
        new = [p for p, d in zip(processed, dup) if not d]
        articles = pd.DataFrame({
            "article_id": [p.article.article_id for p in new],
            "title": [p.article.title for p in new],
            "authors": [p.article.authors for p in new],
            "published_at": [p.article.published_at for p in new],
            "language": [p.article.language for p in new],
            "language_prob": [p.article.language_prob for p in new],
            "text": [p.article.text for p in new],
            "word_count": [p.article.word_count for p in new],
            "content_hash": [p.article.content_hash for p in new],
            "site_name": [p.article.site_name for p in new],
            "description": [p.article.description for p in new],
        })
        documents = pd.DataFrame({
            "document_id": [document_id(run.run_id, p.origin) for p in processed],
            "origin": [p.origin for p in processed],
            "kind": [p.kind for p in processed],
            "url": [p.url for p in processed],
            "canonical_url": [p.article.canonical_url for p in processed],
            "source": [p.source or p.article.site_name for p in processed],
            "fetched_at": [p.fetched_at for p in processed],
            "raw_sha256": [p.raw_sha256 for p in processed],
            "article_id": [p.article.article_id for p in processed],
            "is_duplicate": dup,
        })
        segments = pd.DataFrame(
            [(document_id(run.run_id, p.origin), i, r.rule, r.segment)
             for p in processed for i, r in enumerate(p.removed)],
            columns=["document_id", "position", "rule", "segment"],
        )
        rejected = pd.DataFrame(
            [(r.origin, r.stage, r.reason, r.detail) for r in rejects],
            columns=["origin", "stage", "reason", "detail"],
        )
        _insert(con, "articles", articles, extra={"first_seen_at": now, "first_run_id": run.run_id})
        _insert(con, "documents", documents, extra={"run_id": run.run_id})
        _insert(con, "removed_segments", segments)
        _insert(con, "rejects", rejected, extra={"run_id": run.run_id, "rejected_at": now})
        result = LoadResult(len(processed) + len(rejects), len(new), len(processed) - len(new), len(rejects))
        con.execute(
            "INSERT INTO runs (run_id, flow_run_id, started_at, finished_at, status, inputs, new_articles,"
            " duplicates, rejected) VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?)",
            [run.run_id, run.flow_run_id, run.started_at, datetime.now(timezone.utc),
             result.inputs, result.new_articles, result.duplicates, result.rejected],
        )
    return result


def record_failed_run(con: duckdb.DuckDBPyConnection, run: RunRecord, inputs: int, error: str) -> None:
    """Note a run that failed before loading, so run history shows it; its data was not loaded."""
    with transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, flow_run_id, started_at, finished_at, status, inputs,"
            " new_articles, duplicates, rejected, error) VALUES (?, ?, ?, ?, 'failed', ?, 0, 0, 0, ?)",
            [run.run_id, run.flow_run_id, run.started_at, datetime.now(timezone.utc), inputs, error[:2000]],
        )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame, extra: dict | None = None) -> None:
    """INSERT the frame's columns (plus constant `extra` columns) by name."""
    if frame.empty:
        return
    extra = extra or {}
    columns = list(frame.columns) + list(extra)
    select = ", ".join([f'"{c}"' for c in frame.columns] + ["?" for _ in extra])
    con.register("_batch", frame)
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM _batch", list(extra.values())
        )
    finally:
        con.unregister("_batch")
