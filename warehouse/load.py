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
DOCUMENT_COLUMNS = ("document_id", "run_id", "origin", "kind", "url", "canonical_url", "source", "fetched_at",
                    "raw_sha256", "article_id", "is_duplicate", "charset_note")


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    flow_run_id: str | None
    started_at: datetime
    # Inputs skipped before reading as unchanged (files whose stamp matched, URLs not fetched again),
    # as runs.unchanged counts them: known before the commit, so validation's reject rate counts them too.
    unchanged: int = 0
    # Why the run fails although its rows are loaded (it could read none of its inputs: its rejects are
    # kept): known before the commit, so its one `runs` row says 'failed' (flows/guards.py).
    error: str | None = None
    # Files discovery skipped in scanned folders, as (reason, files) pairs: runs.skipped and skip_reasons.
    skipped: tuple[tuple[str, int], ...] = ()

    @property
    def status(self) -> str:
        return "failed" if self.error else "completed"

    def skip_columns(self) -> dict:
        """runs.skipped and runs.skip_reasons for this run's row."""
        return {"skipped": sum(n for _, n in self.skipped), "skip_reasons": dict(self.skipped)}


@dataclass(frozen=True)
class LoadResult:
    inputs: int
    new_articles: int
    duplicates: int
    rejected: int
    quarantined: int = 0
    report: Any = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # perf_counter() when stage_seconds stopped counting (the commit's end), so that whoever ran
    # the flow can time what follows it as the `finish` stage (flows/finish.py).
    timed_until: float | None = None


def document_id(run_id: str, origin: str) -> str:
    return hashlib.sha256(f"{run_id}\0{origin}".encode()).hexdigest()[:16]


def known_hashes(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Which of `hashes` `articles` already holds.

    A quarantined text is not known: read again (`--refresh`, `reprocess`, another copy), it is
    validated again, so after a quality setting is relaxed it can leave quarantine (`RunLoader.load`).
    """
    if not hashes:
        return set()
    rows = con.execute("SELECT content_hash FROM articles WHERE content_hash IN (SELECT unnest(?::VARCHAR[]))",
                       [hashes]).fetchall()
    return {r[0] for r in rows}


class RunLoader:
    """One run's rows, written chunk by chunk into the caller's open transaction.

    Each chunk (a batch's articles) is deduplicated against the warehouse and the chunks before it,
    and its documents and removed segments are inserted at once; its new articles wait in a
    temporary table (`_run_articles`, this connection's only) until validation has said which of
    them go to `quarantine`. Nothing but hashes is kept in Python between chunks, so memory does
    not grow with the run. Until the caller's COMMIT nothing is visible to other connections; a
    crash rolls it all back, and the temporary table dies with the connection.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, run: RunRecord):
        self.con, self.run = con, run
        self.prepared_at = datetime.now(timezone.utc)  # one first_seen_at for the whole run
        self._seen: set[str] = set()
        self.processed = self.new = 0
        self.rejects: list[Reject] = []
        self.held: dict[str, list[str]] = {}
        con.execute(f"CREATE OR REPLACE TEMP TABLE _run_articles AS SELECT {', '.join(ARTICLE_COLUMNS)} "
                    "FROM articles WHERE false")

    def add(self, processed: list[Processed]) -> None:
        """Exact dedup of one chunk (against the warehouse and the run so far); stage its rows."""
        hashes = [p.article.content_hash for p in processed]
        known = known_hashes(self.con, hashes) | (self._seen.intersection(hashes))
        dup = exact_duplicates(hashes, known)
        self._seen.update(hashes)
        new = [p for p, d in zip(processed, dup) if not d]
        frames = _frames(self.run, self.prepared_at, processed, dup, new)
        insert_frame(self.con, "_run_articles", frames["articles"])
        insert_frame(self.con, "documents", frames["documents"])
        insert_frame(self.con, "removed_segments", frames["removed_segments"])
        self.processed += len(processed)
        self.new += len(new)

    def finish(self, rejects: list[Reject]) -> None:
        """The run's rejects (a few rows, kept in memory until now)."""
        self.rejects = list(rejects)
        insert_frame(self.con, "rejects", self._rejects_frame())

    def rows(self, chunk: int) -> dict:
        """The run's rows as validation reads them: articles and documents `chunk` rows at a time from
        the staged tables (warehouse.staged.StagedRows); rejects and the run's counts as DataFrames."""
        import pandas as pd

        from newsflow.warehouse.staged import StagedRows, loading_rereads

        duplicates = self.processed - self.new
        runs = pd.DataFrame([{
            "run_id": self.run.run_id, "status": self.run.status, "inputs": self.processed + len(self.rejects),
            "new_articles": self.new, "duplicates": duplicates, "rejected": len(self.rejects),
            "quarantined": 0, "unchanged": self.run.unchanged,
            # the duplicate rate's re-reads (~0.05 s at 1M documents, so only when there are duplicates)
            "rereads": loading_rereads(self.con, self.run.run_id) if duplicates else 0,
        }])
        return {"articles": StagedRows(self.con, "_run_articles", ARTICLE_COLUMNS, chunk=chunk),
                "documents": StagedRows(self.con, "documents", DOCUMENT_COLUMNS, where="run_id = ?",
                                        params=[self.run.run_id], chunk=chunk),
                "rejects": self._rejects_frame(), "runs": runs}

    def load(self, held: dict[str, list[str]] | None = None, dq_results=None) -> None:
        """New articles into `articles`, the `held` ones (article_id -> checks) into `quarantine`; DQ results.

        A text an earlier run quarantined is validated again when read again: its old quarantine row
        goes, and it lands in `articles` or, held again, in a quarantine row of this run.
        """
        self.held = dict(held or {})
        run, now, ids = self.run, self.prepared_at, list(self.held)
        columns = ", ".join(ARTICLE_COLUMNS)
        self.con.execute("DELETE FROM quarantine WHERE content_hash IN (SELECT content_hash FROM _run_articles)")
        self.con.execute(f"INSERT INTO articles ({columns}, first_seen_at, first_run_id) SELECT {columns}, ?, ? "
                         "FROM _run_articles WHERE article_id NOT IN (SELECT unnest(?::VARCHAR[]))",
                         [now, run.run_id, ids])
        if ids:
            import pandas as pd

            held_frame = pd.DataFrame({"article_id": ids, "checks": list(self.held.values())})  # noqa: F841 (scanned)
            self.con.execute(f"INSERT INTO quarantine ({columns}, run_id, checks, quarantined_at) "
                             f"SELECT {', '.join('a.' + c for c in ARTICLE_COLUMNS)}, ?, h.checks::VARCHAR[], ? "
                             "FROM _run_articles a JOIN held_frame h USING (article_id)", [run.run_id, now])
        self.con.execute("DROP TABLE _run_articles")
        if dq_results is not None:
            insert_frame(self.con, "dq_results", dq_results)

    @property
    def quarantined(self) -> int:
        return len(self.held)

    def _rejects_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [(self.run.run_id, r.origin, r.stage, r.reason, r.detail, self.prepared_at) for r in self.rejects],
            columns=["run_id", "origin", "stage", "reason", "detail", "rejected_at"],
        )


# The `runs` table's rows are written here and nowhere else: an ingest run's completed row (in its
# load transaction) or failed row, a `validate` run's row, and the stage seconds added after a COMMIT.

def _insert_run(con: duckdb.DuckDBPyConnection, **columns) -> None:
    """One `runs` row; `stage_seconds` and `skip_reasons` dicts become MAP columns."""
    seconds = columns.pop("stage_seconds", None)
    reasons = columns.pop("skip_reasons", None)
    names, values = list(columns), list(columns.values())
    placeholders = ["?"] * len(names)
    if reasons is not None:
        names.append("skip_reasons")
        placeholders.append("MAP(?::VARCHAR[], ?::INTEGER[])")
        values += [list(reasons), list(reasons.values())]
    if seconds is not None:
        names.append("stage_seconds")
        placeholders.append("MAP(?::VARCHAR[], ?::DOUBLE[])")
        values += [list(seconds), list(seconds.values())]
    # Plain INSERT: a run has one row; a second would be a bug, and fails loudly.
    con.execute(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join(placeholders)})", values)


def record_run(con: duckdb.DuckDBPyConnection, loader: RunLoader, stage_seconds: dict[str, float],
               already_ingested: int = 0) -> LoadResult:
    """The run's `runs` row, written last in the run's transaction: status completed, or failed with
    the RunRecord's error (its rows are loaded, yet the run fails); its counts (`unchanged` is the
    RunRecord's, the figure validation's reject rate used)."""
    quarantined = loader.quarantined
    seconds = {k: round(v, 4) for k, v in stage_seconds.items()}
    result = LoadResult(loader.processed + len(loader.rejects), loader.new - quarantined,
                        loader.processed - loader.new, len(loader.rejects), quarantined, None, seconds)
    run = loader.run
    _insert_run(con, run_id=run.run_id, flow_run_id=run.flow_run_id, started_at=run.started_at,
                finished_at=datetime.now(timezone.utc), status=run.status, error=run.error, inputs=result.inputs,
                new_articles=result.new_articles, duplicates=result.duplicates, rejected=result.rejected,
                quarantined=result.quarantined, unchanged=run.unchanged, already_ingested=already_ingested,
                stage_seconds=seconds, **run.skip_columns())
    return result


def record_failed_run(con: duckdb.DuckDBPyConnection, run: RunRecord, inputs: int, error: str) -> None:
    """Note a run whose load failed for good, so run history shows it; its data was not loaded.

    Written once, in a transaction of its own, when no retry follows (flows/commit.py): a run whose
    load is retried has no row until an attempt commits (completed) or the last one fails.
    """
    with transaction(con):
        _insert_run(con, run_id=run.run_id, flow_run_id=run.flow_run_id, started_at=run.started_at,
                    finished_at=datetime.now(timezone.utc), status="failed", inputs=inputs, new_articles=0,
                    duplicates=0, rejected=0, error=error[:2000], **run.skip_columns())


def record_failure_after_commit(con: duckdb.DuckDBPyConnection, run_id: str, error: str) -> bool:
    """Mark a committed run failed: its flow failed after the COMMIT (flows/guards.py), so the row says
    what Prefect and the exit code say. Its data stays loaded. False if no such completed run."""
    with transaction(con):
        updated = con.execute("UPDATE runs SET status = 'failed', error = ? WHERE run_id = ? AND status = 'completed'",
                              [error[:2000], run_id]).fetchone()
    return bool(updated and updated[0])


def record_validation_run(con: duckdb.DuckDBPyConnection, run_id: str, flow_run_id: str | None,
                          started_at: datetime, ok: bool, error: str | None) -> None:
    """A whole-warehouse `validate` run's row (kind 'validate', no inputs), in the caller's transaction:
    'completed', or 'failed' (an expectation of the run's --fail-on severity failed) with the reasons in `error`."""
    _insert_run(con, run_id=run_id, flow_run_id=flow_run_id, started_at=started_at,
                finished_at=datetime.now(timezone.utc), status="completed" if ok else "failed", inputs=0,
                new_articles=0, duplicates=0, rejected=0, error=error, kind="validate")


def update_stage_seconds(con: duckdb.DuckDBPyConnection, run_id: str, stage_seconds: dict[str, float]) -> None:
    """Replace a committed run's stage_seconds (the final figures include the commit itself)."""
    seconds = {k: round(v, 4) for k, v in stage_seconds.items()}
    con.execute("UPDATE runs SET stage_seconds = MAP(?::VARCHAR[], ?::DOUBLE[]) WHERE run_id = ?",
                [list(seconds), list(seconds.values()), run_id])


def add_stage_seconds(con: duckdb.DuckDBPyConnection, run_id: str, stage_seconds: dict[str, float]) -> bool:
    """Add stages to a committed run's stage_seconds in a transaction of their own; False if no such run."""
    seconds = {k: round(v, 4) for k, v in stage_seconds.items()}
    with transaction(con):
        updated = con.execute(
            "UPDATE runs SET stage_seconds = map_concat(stage_seconds, MAP(?::VARCHAR[], ?::DOUBLE[])) "
            "WHERE run_id = ? AND status = 'completed'", [list(seconds), list(seconds.values()), run_id]).fetchone()
    return bool(updated and updated[0])


def _frames(run: RunRecord, now: datetime, processed: list[Processed], dup: list[bool],
            new: list[Processed]) -> dict:
    """A chunk's rows as DataFrames named like their tables."""
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
    return {"articles": articles, "documents": documents, "removed_segments": segments}


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """INSERT the frame's columns by name.

    Read through DuckDB's replacement scan of the local `frame`, not `con.register`: a registered
    frame is a view in the catalog, and a view dropped inside a transaction stays until the
    transaction ends -- with the frame and every Python string in it (a run's whole text).
    """
    if frame.empty:
        return
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM frame")
