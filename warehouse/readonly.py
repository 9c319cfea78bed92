"""Read-only access for analysts: `newsflow query`, `search`, `tables`.

The file is opened read_only and with DuckDB's enable_external_access off, so a query can neither
write the warehouse nor read or write any other file (COPY, ATTACH, EXPORT, read_csv('/etc/...'),
INSTALL/LOAD). Statements of those kinds are refused before DuckDB sees them, with a message that
says what to use instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from newsflow.warehouse.db import connect

# Statement types a query may not run, and what to say instead.
_REFUSED = {
    "COPY": "COPY writes or reads files; use `newsflow export --format parquet|csv --out DIR`, or --format csv",
    "COPY_DATABASE": "COPY FROM DATABASE writes another database; use `newsflow export`",
    "EXPORT": "EXPORT DATABASE writes files; use `newsflow export --format parquet|csv --out DIR`",
    "ATTACH": "ATTACH opens other databases; open them with DuckDB directly",
    "DETACH": "DETACH changes the session's databases",
    "LOAD": "INSTALL and LOAD bring in extensions; queries here use what the warehouse ships with",
}


class QueryRefused(ValueError):
    """A statement that `newsflow query` does not run (it only reads the warehouse)."""


class QueryError(ValueError):
    """DuckDB refused the query; the message keeps DuckDB's hints ("Did you mean …") and position."""


def open_readonly(path: str | Path, lock_timeout: float = 10.0) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only with no access to other files or extensions."""
    # Set at open, so this connection never shares a database instance with one that may touch files;
    # DuckDB refuses to enable external access again while the database is open.
    return connect(path, read_only=True, lock_timeout=lock_timeout, config={"enable_external_access": False})


def check_statements(sql: str) -> None:
    """Refuse file, database and extension statements before running anything."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_message(exc)) from exc
    if not statements:
        raise QueryError("no SQL statement given")
    for statement in statements:
        kind = statement.type.name
        if kind in _REFUSED:
            word = statement.query.strip().split(None, 1)[0].upper() if statement.query.strip() else kind
            raise QueryRefused(f"newsflow query is read-only: {word} is not allowed ({_REFUSED[kind]})")


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[str], list[tuple]]:
    """Run the SQL (several statements: the last one's result); (column names, types, rows)."""
    check_statements(sql)
    try:
        cursor = con.execute(sql)
        if cursor.description is None:
            return [], [], []
        names = [d[0] for d in cursor.description]
        types = [str(d[1]) for d in cursor.description]
        return names, types, cursor.fetchall()
    except duckdb.Error as exc:
        raise QueryError(_message(exc)) from exc


def _message(exc: duckdb.Error) -> str:
    """DuckDB's message with its hints and the LINE/caret lines; blank lines dropped."""
    return "\n".join(line for line in str(exc).strip().splitlines() if line.strip())
