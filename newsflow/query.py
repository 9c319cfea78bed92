"""`newsflow query`, `search`, `export` and `tables`: reading the warehouse as an analyst.

Every connection here is read-only twice over: the file is opened read_only, and with DuckDB's
enable_external_access off, so a query can neither write the warehouse nor read or write any other
file (COPY, ATTACH, EXPORT, read_csv('/etc/...'), INSTALL/LOAD). Statements of those kinds are refused before DuckDB sees them, with a message that
says what to use instead.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

FORMATS = ("table", "csv", "json", "markdown")

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
    from newsflow.warehouse.db import connect

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


def read_sql(sql: str | None, file: str | None, stdin=None) -> str:
    """The SQL from the argument, `-` (stdin) or --file."""
    if file and sql:
        raise ValueError("give the SQL as an argument or with --file, not both")
    if file:
        return Path(file).read_text(encoding="utf-8")
    if sql == "-":
        return (stdin or sys.stdin).read()
    if not sql:
        raise ValueError("no SQL given: pass it as an argument, `-` to read it from stdin, or --file FILE")
    return sql


def default_format(stream=None) -> str:
    """table on a terminal, csv when piped or redirected."""
    stream = stream or sys.stdout
    return "table" if getattr(stream, "isatty", lambda: False)() else "csv"


# -- rendering ----------------------------------------------------------------------------------

def render(fmt: str, names: Sequence[str], types: Sequence[str], rows: Sequence[tuple], *,
           limit: int | None = None, max_width: int = 48) -> str:
    """The result as text in one of FORMATS. `limit` caps only the table (a human reads it)."""
    if fmt == "csv":
        return _csv(names, rows)
    if fmt == "json":
        return json.dumps([dict(zip(names, (_jsonable(v) for v in row))) for row in rows],
                          ensure_ascii=False, indent=1) + "\n"
    if fmt == "markdown":
        return markdown_table(names, rows)
    if fmt == "table":
        return _table(names, types, rows, limit, max_width)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def text(value) -> str:
    """A value as a person reads it: NULL as empty in CSV/Markdown, ISO times, lists in brackets."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def _jsonable(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _csv(names, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([text(v) for v in row])
    return out.getvalue()


def markdown_table(names, rows) -> str:
    def cell(v) -> str:
        return text(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(names) + " |", "|" + "|".join("---" for _ in names) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _table(names, types, rows, limit, max_width) -> str:
    shown = rows if limit is None else rows[:limit]

    def cell(v) -> str:
        s = "NULL" if v is None else text(v).replace("\n", " ")
        return s if len(s) <= max_width else s[:max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in shown]
    widths = [max([len(n), len(t)] + [len(r[i]) for r in body]) for i, (n, t) in enumerate(zip(names, types))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    out = [rule, line(names), line(types), rule, *(line(r) for r in body), rule]
    more = f", {len(shown)} shown (--limit)" if len(shown) < len(rows) else ""
    out.append(f"{len(rows)} row{'s' if len(rows) != 1 else ''}{more}")
    return "\n".join(out) + "\n"
