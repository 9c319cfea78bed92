"""Loading one run's results into the warehouse in a single transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from time import perf_counter
from typing import Any

import duckdb

from newsflow.transforms.dedup import exact_duplicates
from newsflow.transforms.models import Processed, Reject
from newsflow.warehouse import similarity
from newsflow.warehouse.db import transaction

ARTICLE_COLUMNS = ("article_id", "title", "authors", "published_at", "language", "language_prob", "text",
                   "word_count", "content_hash", "site_name", "description")
# A validator gets the run's frames (articles, documents, rejects, runs) and returns a report with
# `raise_for_critical()`, `quarantine` ({article_id: [check, ...]}) and `results_frame()`.
Validator = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class SimilarityOptions:
    neardup_threshold: float
    story_threshold: float
    story_window_hours: float


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


def load_run(con: duckdb.DuckDBPyConnection, run: RunRecord, processed: list[Processed],
             rejects: list[Reject], validate: Validator | None = None,
             stage_seconds: dict[str, float] | None = None,
             after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
             similar: SimilarityOptions | None = None) -> LoadResult:
    """Insert the run, its documents, new articles, removed segments and rejects, all or nothing.

    `after(con)` runs last inside the same transaction (fetch state: warehouse/fetchstate.py).

    With `validate`, the batch is checked before anything is written: a critical failure raises
    (nothing is written), and rows the report quarantines go to `quarantine`, not `articles`.
    With `similar`, new articles are linked to near-duplicates and put into stories.
    """
    now = datetime.now(timezone.utc)
    seconds = dict(stage_seconds or {})
    started = perf_counter()
    with transaction(con):
        dup = exact_duplicates([p.article.content_hash for p in processed],
                               known_hashes(con, [p.article.content_hash for p in processed]))
        new = [p for p, d in zip(processed, dup) if not d]
        frames = _frames(run, now, processed, dup, new, rejects)
        report, held = None, {}
        if validate is not None:
            validate_started = perf_counter()
            report = validate(frames)
            seconds["validate"] = perf_counter() - validate_started
            report.raise_for_critical()
            held = report.quarantine
        if similar is not None:
            similarity.backfill(con, threshold=similar.neardup_threshold)  # articles loaded before the index existed
        articles = frames["articles"]
        mask = articles["article_id"].isin(list(held))
        quarantine = articles[mask].assign(
            run_id=run.run_id, checks=[held[a] for a in articles.loc[mask, "article_id"]], quarantined_at=now)
        _insert(con, "articles", articles[~mask].assign(first_seen_at=now, first_run_id=run.run_id))
        _insert(con, "quarantine", quarantine)
        _insert(con, "documents", frames["documents"])
        if similar is not None:
            loaded = set(articles.loc[~mask, "article_id"])
            fresh = [similarity.NewArticle(p.article.article_id, p.article.text, p.article.published_at, now,
                                           p.article.title) for p in new if p.article.article_id in loaded]
            similarity.link_near_duplicates(con, fresh, similar.neardup_threshold)
            similarity.assign_stories(con, fresh, similar.story_threshold,
                                      timedelta(hours=similar.story_window_hours))
        _insert(con, "removed_segments", frames["removed_segments"])
        _insert(con, "rejects", frames["rejects"])
        if report is not None:
            _insert(con, "dq_results", report.results_frame())
        seconds["load"] = perf_counter() - started - seconds.get("validate", 0.0)
        seconds = {k: round(v, 4) for k, v in seconds.items()}
        result = LoadResult(len(processed) + len(rejects), len(new) - len(quarantine),
                            len(processed) - len(new), len(rejects), len(quarantine), report, seconds)
        con.execute(
            "INSERT INTO runs (run_id, flow_run_id, started_at, finished_at, status, inputs, new_articles,"
            " duplicates, rejected, quarantined, stage_seconds)"
            " VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, MAP(?::VARCHAR[], ?::DOUBLE[]))",
            [run.run_id, run.flow_run_id, run.started_at, datetime.now(timezone.utc), result.inputs,
             result.new_articles, result.duplicates, result.rejected, result.quarantined,
             list(seconds), list(seconds.values())],
        )
        if after is not None:
            after(con)
    return result


def _frames(run: RunRecord, now: datetime, processed: list[Processed], dup: list[bool],
            new: list[Processed], rejects: list[Reject]) -> dict:
    """The run's rows as DataFrames named like their tables (what validation sees)."""
    import pandas as pd

    articles = pd.DataFrame([[getattr(p.article, c) for c in ARTICLE_COLUMNS] for p in new],
                            columns=list(ARTICLE_COLUMNS))
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
        [(document_id(run.run_id, p.origin), i, r.rule, r.segment) for p in processed for i, r in enumerate(p.removed)],
        columns=["document_id", "position", "rule", "segment"],
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
