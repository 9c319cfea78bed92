"""Rows read back for validation: a run's staged rows a chunk at a time, in the order they were
written (ingest), or whole tables (`newsflow validate`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import duckdb


class StagedRows:
    """The rows of `relation` that match `where`, `chunk` rows at a time in rowid (insertion) order.

    Rows (expectations/runner.py) for a table the run is writing: validation reads each chunk as a
    DataFrame and lets it go, so only one chunk of the run's text is in Python at a time. Reads go
    through the caller's connection, inside its transaction, so they see the run's uncommitted rows.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str], *,
                 where: str = "true", params: Sequence = (), chunk: int = 1000):
        self.con, self.relation, self.where, self.params, self.chunk = con, relation, where, list(params), chunk
        self.column_names = list(columns)

    def chunks(self) -> Iterator:
        """Every matching row, a chunk at a time; one empty frame (with the columns) when there is none."""
        after, first = -1, True
        while True:
            # Keyset paging on rowid: each chunk is one indexed range scan, not an OFFSET past the rows before.
            frame = self.con.execute(
                f"SELECT rowid AS _nf_rowid, {self._select(self.column_names)} FROM {self.relation} "
                f"WHERE ({self.where}) AND rowid > ? ORDER BY rowid LIMIT ?", [*self.params, after, self.chunk]).df()
            if frame.empty and not first:
                return
            first = False
            after = int(frame["_nf_rowid"].iloc[-1]) if len(frame) else after
            yield frame.drop(columns="_nf_rowid")
            if len(frame) < self.chunk:
                return

    def columns(self, names: list[str]):
        """The `names` columns of every matching row, in the order of `chunks`."""
        return self.con.execute(f"SELECT {self._select(names)} FROM {self.relation} WHERE ({self.where}) "
                                "ORDER BY rowid", self.params).df()

    @staticmethod
    def _select(names: Sequence[str]) -> str:
        return ", ".join(f'"{n}"' for n in names)


# A re-read: a documents row that gave the article an earlier run's documents row of the same origin
# (file path or URL) gave. Reading known inputs again (reprocess, --refresh, skip_unchanged_files =
# false, a file touched but not changed) makes these duplicates by design; the duplicate rate leaves
# them out (expectations/runner.py). "Earlier" is commit order: runs commit one at a time (write lock),
# each stamping finished_at in its transaction, so while a run loads, every other run's rows are earlier.
_LOADING_REREADS = """
    SELECT count(*) FROM documents d WHERE d.run_id = ? AND d.is_duplicate AND EXISTS (
        SELECT 1 FROM documents e WHERE e.origin = d.origin AND e.article_id = d.article_id AND e.run_id <> d.run_id)
"""
_RUNS_WITH_REREADS = """
    WITH rereads AS (
        SELECT d.run_id, count(*) AS rereads FROM documents d JOIN runs r USING (run_id)
        WHERE d.is_duplicate AND EXISTS (
            SELECT 1 FROM documents e JOIN runs er ON er.run_id = e.run_id
            WHERE e.origin = d.origin AND e.article_id = d.article_id AND er.finished_at < r.finished_at)
        GROUP BY d.run_id
    )
    SELECT runs.*, coalesce(rereads.rereads, 0) AS rereads FROM runs LEFT JOIN rereads USING (run_id)
"""


def loading_rereads(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """The re-reads among the documents the run `run_id` is loading (inside its transaction)."""
    return con.execute(_LOADING_REREADS, [run_id]).fetchall()[0][0]


def whole_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict:
    """Every row of each table, one DataFrame a table (the whole-warehouse validation); `runs` with
    each run's re-reads (`rereads`), the figure its own validation counted when it loaded."""
    return {table: con.sql(_RUNS_WITH_REREADS if table == "runs" else f"SELECT * FROM {table}").df()
            for table in tables}
