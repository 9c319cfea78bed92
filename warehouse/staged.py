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


def whole_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict:
    """Every row of each table, one DataFrame a table (the whole-warehouse validation)."""
    return {table: con.sql(f"SELECT * FROM {table}").df() for table in tables}
