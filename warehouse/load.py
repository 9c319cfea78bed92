"""Loading one run's results into the warehouse in a single transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import duckdb

from newsflow.transforms.dedup import exact_duplicates
from newsflow.transforms.models import Processed, Reject
from newsflow.warehouse.db import transaction

ARTICLE_COLUMNS = ("article_id", "title", "authors", "published_at", "language", "language_prob", "text",
                   "word_count", "content_hash", "site_name", "description", "repairs")


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
    quarantined: int = 0
    report: Any = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


def document_id(run_id: str, origin: str) -> str:
    return hashlib.sha256(f"{run_id}\0{origin}".encode()).hexdigest()[:16]


def known_hashes(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Which of `hashes` the warehouse already holds, loaded or quarantined."""
    if not hashes:
        return set()
    rows = con.execute(
        "SELECT content_hash FROM articles WHERE content_hash IN (SELECT unnest(?::VARCHAR[])) "
        "UNION SELECT content_hash FROM quarantine WHERE content_hash IN (SELECT unnest(?::VARCHAR[]))",
        [hashes, hashes],
    ).fetchall()
    return {r[0] for r in rows}


@dataclass
class Batch:
    """One run's rows, prepared for loading: what exact dedup found, and what validation holds back.

    `frames` are DataFrames named like their tables (what validation sees); `held` maps the
    article_ids that go to `quarantine` instead of `articles` to the checks that caught them.
    """

    run: RunRecord
    processed: list[Processed]
    rejects: list[Reject]
    duplicate: list[bool]
    frames: dict[str, Any]
    prepared_at: datetime
    held: dict[str, list[str]] = field(default_factory=dict)

    @property
    def new(self) -> list[Processed]:
        """Inputs whose text the warehouse has not seen, in input order (loaded or quarantined)."""
        return [p for p, d in zip(self.processed, self.duplicate) if not d]

    @property
    def loaded(self) -> list[Processed]:
        """New articles that go to `articles` (not held back)."""
        return [p for p in self.new if p.article.article_id not in self.held]


def prepare(con: duckdb.DuckDBPyConnection, run: RunRecord, processed: list[Processed],
            rejects: list[Reject]) -> Batch:
    """Exact dedup against the warehouse (and within the batch), and the run's rows as frames."""
    hashes = [p.article.content_hash for p in processed]
    dup = exact_duplicates(hashes, known_hashes(con, hashes))
    now = datetime.now(timezone.utc)
    new = [p for p, d in zip(processed, dup) if not d]
    return Batch(run, processed, rejects, dup, _frames(run, now, processed, dup, new, rejects), now)


def load_run(con: duckdb.DuckDBPyConnection, batch: Batch, dq_results=None) -> None:
    """Insert the batch's new articles (held ones into `quarantine`), documents, removed segments,
    rejects and data-quality results. Call inside the run's transaction; writes nothing else."""
    run, now, held = batch.run, batch.prepared_at, batch.held
    articles = batch.frames["articles"]
    mask = articles["article_id"].isin(list(held))
    quarantine = articles[mask].assign(
        run_id=run.run_id, checks=[held[a] for a in articles.loc[mask, "article_id"]], quarantined_at=now)
    _insert(con, "articles", articles[~mask].assign(first_seen_at=now, first_run_id=run.run_id))
    _insert(con, "quarantine", quarantine)
    _insert(con, "documents", batch.frames["documents"])
    _insert(con, "removed_segments", batch.frames["removed_segments"])
    _insert(con, "rejects", batch.frames["rejects"])
    if dq_results is not None:
        _insert(con, "dq_results", dq_results)


def record_run(con: duckdb.DuckDBPyConnection, batch: Batch, stage_seconds: dict[str, float],
               unchanged: int = 0, already_ingested: int = 0) -> LoadResult:
    """The run's `runs` row (status completed), written last in the run's transaction; its counts."""
    processed, new = batch.processed, batch.new
    quarantined = sum(1 for p in new if p.article.article_id in batch.held)
    seconds = {k: round(v, 4) for k, v in stage_seconds.items()}
    result = LoadResult(len(processed) + len(batch.rejects), len(new) - quarantined, len(processed) - len(new),
                        len(batch.rejects), quarantined, None, seconds)
    run = batch.run
    con.execute(
        "INSERT INTO runs (run_id, flow_run_id, started_at, finished_at, status, inputs, new_articles,"
        " duplicates, rejected, quarantined, unchanged, already_ingested, stage_seconds)"
        " VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, MAP(?::VARCHAR[], ?::DOUBLE[]))",
        [run.run_id, run.flow_run_id, run.started_at, datetime.now(timezone.utc), result.inputs,
         result.new_articles, result.duplicates, result.rejected, result.quarantined, unchanged, already_ingested,
         list(seconds), list(seconds.values())],
    )
    return result


def update_stage_seconds(con: duckdb.DuckDBPyConnection, run_id: str, stage_seconds: dict[str, float]) -> None:
    """Replace a committed run's stage_seconds (the final figures include the commit itself)."""
    seconds = {k: round(v, 4) for k, v in stage_seconds.items()}
    con.execute("UPDATE runs SET stage_seconds = MAP(?::VARCHAR[], ?::DOUBLE[]) WHERE run_id = ?",
                [list(seconds), list(seconds.values()), run_id])


def _frames(run: RunRecord, now: datetime, processed: list[Processed], dup: list[bool],
            new: list[Processed], rejects: list[Reject]) -> dict:
    """The run's rows as DataFrames named like their tables (what validation sees)."""
    import pandas as pd

    articles = pd.DataFrame([[getattr(p.article, c) for c in ARTICLE_COLUMNS] for p in new],
                            columns=list(ARTICLE_COLUMNS))
    # A page that does not name its site (every text file) is known by the outlet it came from.
    articles["site_name"] = [p.article.site_name or p.source for p in new]
    documents = pd.DataFrame({
        "document_id": [document_id(run.run_id, p.origin) for p in processed],
        "run_id": run.run_id,
        "origin": [p.origin for p in processed],
        "kind": [p.kind for p in processed],
        "url": [p.url for p in processed],
        "canonical_url": [p.article.canonical_url for p in processed],
        "source": [p.source or p.article.site_name for p in processed],
        "fetched_at": [p.fetched_at for p in processed],
        "raw_sha256": [p.raw_sha256 for p in processed],
        "article_id": [p.article.article_id for p in processed],
        "is_duplicate": dup,
        "charset_note": [p.charset_note for p in processed],
    })
    segments = pd.DataFrame(
        [(document_id(run.run_id, p.origin), i, r.rule, r.segment, r.stage)
         for p in processed for i, r in enumerate(p.removed)],
        columns=["document_id", "position", "rule", "segment", "stage"],
    )
    rejected = pd.DataFrame(
        [(run.run_id, r.origin, r.stage, r.reason, r.detail, now) for r in rejects],
        columns=["run_id", "origin", "stage", "reason", "detail", "rejected_at"],
    )
    runs = pd.DataFrame([{
        "run_id": run.run_id, "status": "completed", "inputs": len(processed) + len(rejects),
        "new_articles": len(new), "duplicates": len(processed) - len(new), "rejected": len(rejects),
        "quarantined": 0,
    }])
    return {"articles": articles, "documents": documents, "removed_segments": segments,
            "rejects": rejected, "runs": runs}


def record_failed_run(con: duckdb.DuckDBPyConnection, run: RunRecord, inputs: int, error: str) -> None:
    """Note a run that failed before loading, so run history shows it; its data was not loaded."""
    with transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, flow_run_id, started_at, finished_at, status, inputs,"
            " new_articles, duplicates, rejected, error) VALUES (?, ?, ?, ?, 'failed', ?, 0, 0, 0, ?)",
            [run.run_id, run.flow_run_id, run.started_at, datetime.now(timezone.utc), inputs, error[:2000]],
        )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """INSERT the frame's columns by name."""
    if frame.empty:
        return
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    con.register("_batch", frame)
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _batch")
    finally:
        con.unregister("_batch")
