"""Per-file state (table file_state): the stat stamps of local files committed runs read.

Read once before a run (one query for all of its files), written in the run's load transaction,
so a run that does not commit records nothing. See acquire/stamps.py for what a stamp
is; flows/unchanged.py decides which files it lets a run skip.
"""

from __future__ import annotations

import duckdb

_STAMP = ("device", "inode", "size", "mtime_ns", "ctime_ns")
Stamp = tuple[int, ...]  # (device, inode, size, mtime_ns, ctime_ns), as acquire.stamps makes it


def recorded(con: duckdb.DuckDBPyConnection, origins: list[str]) -> dict[str, tuple[str | None, Stamp]]:
    """(outlet, stamp) recorded for each of `origins` that has a row, in one query."""
    if not origins:
        return {}
    rows = con.execute(f"SELECT origin, outlet, {', '.join(_STAMP)} FROM file_state "
                       "WHERE origin IN (SELECT unnest(?::VARCHAR[]))", [origins]).fetchall()
    return {origin: (outlet, tuple(stamp)) for origin, outlet, *stamp in rows}


def record(con: duckdb.DuckDBPyConnection, run_id: str, stamps: dict[str, tuple[str | None, Stamp]]) -> None:
    """Upsert the stamps of the files this run gave a documents row (inside the run's transaction).

    Files it rejected are left out, and any stamp an earlier run recorded for them is dropped (their
    latest outcome is a reject), so the next run reads them again.
    """
    con.execute("DELETE FROM file_state WHERE origin IN (SELECT origin FROM rejects WHERE run_id = ?)", [run_id])
    if not stamps:
        return
    import pandas as pd

    # A local frame read by name (replacement scan), not register(): see warehouse/load.py, insert_frame.
    stamp_rows = pd.DataFrame([(origin, outlet, *stamp) for origin, (outlet, stamp) in stamps.items()],  # noqa: F841
                              columns=["origin", "outlet", *_STAMP])
    columns = ", ".join(_STAMP)
    con.execute(
        f"INSERT INTO file_state (origin, outlet, {columns}, run_id, document_id) "
        f"SELECT s.origin, s.outlet, {', '.join('s.' + c for c in _STAMP)}, d.run_id, d.document_id "
        "FROM stamp_rows s JOIN documents d ON d.origin = s.origin AND d.run_id = ? "
        "ON CONFLICT (origin) DO UPDATE SET outlet = excluded.outlet, device = excluded.device, "
        "inode = excluded.inode, size = excluded.size, mtime_ns = excluded.mtime_ns, "
        "ctime_ns = excluded.ctime_ns, run_id = excluded.run_id, document_id = excluded.document_id",
        [run_id])
