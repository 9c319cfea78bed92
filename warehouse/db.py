"""Connecting to the warehouse: waits for the file lock, applies pending migrations and views."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from newsflow.warehouse.errors import NoWarehouse, WarehouseError, WarehouseLocked

_MIGRATION = re.compile(r"^(\d{3})_(\w+)\.sql$")
_LOCK_POLL_S = 0.2
# New warehouse files are written in DuckDB 1.5's storage format, so that DuckDB 1.5 and later open
# them: the DuckDB CLI on PyPI (duckdb-cli 1.5.x; no 2.x CLI is packaged) and duckdb<2 cannot read
# 2.0's (file version 69). A file keeps the format it was created with; nothing this warehouse stores
# needs 2.0's (same size and rows, measured). An older warehouse stays 2.0: README says how to convert it.
STORAGE_VERSION = "v1.5.0"


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every numbered file in warehouse/sql, in order."""
    found = []
    for entry in resources.files("newsflow.warehouse.sql").iterdir():
        if m := _MIGRATION.match(entry.name):
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def views_sql() -> str:
    """Every views*.sql file, in name order (views.sql first)."""
    files = sorted((f for f in resources.files("newsflow.warehouse.sql").iterdir()
                    if f.name.startswith("views") and f.name.endswith(".sql")), key=lambda f: f.name)
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def comments_sql() -> str:
    """comments.sql: the catalog descriptions of every public table, view and column."""
    return resources.files("newsflow.warehouse.sql").joinpath("comments.sql").read_text(encoding="utf-8")


def connect(path: str | Path, *, read_only: bool = False, lock_timeout: float = 10.0,
            config: dict | None = None, up_to_date: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse at `path`, waiting up to `lock_timeout` s for another writer to let go.

    `config` is DuckDB configuration fixed at open (e.g. enable_external_access for `newsflow query`).
    `up_to_date`: this process has just opened (so migrated) it; skip the migration check and the
    views' re-creation (~0.1 s).
    """
    path = str(path)
    if read_only and not Path(path).exists():
        raise NoWarehouse(path)
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            if not read_only and not Path(path).exists():  # created apart: the format is fixed at creation
                duckdb.connect(path, config={"storage_compatibility_version": STORAGE_VERSION}).close()
            con = duckdb.connect(path, read_only=read_only, config=config or {})
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open database {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(path, lock_timeout, str(exc)) from exc  # the timeout, not the measured wait
            time.sleep(_LOCK_POLL_S)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only and not up_to_date:
        try:
            migrate(con)
        except Exception:
            con.close()
            raise
    return con


def _migrations_table(con: duckdb.DuckDBPyConnection) -> str | None:
    """Where the migration log is: internal.schema_migrations (since 006), main before that."""
    schemas = {s for (s,) in con.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'schema_migrations'").fetchall()}
    return next((f"{s}.schema_migrations" for s in ("internal", "main") if s in schemas), None)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    table = _migrations_table(con)
    if table is None:
        return 0
    return con.execute(f"SELECT coalesce(max(version), 0) FROM {table}").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction, then recreate the views and comments."""
    with transaction(con):
        con.execute("CREATE SCHEMA IF NOT EXISTS internal")
        con.execute(
            "CREATE TABLE IF NOT EXISTS internal.schema_migrations ("
            "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        if con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_name = 'schema_migrations'").fetchone()[0]:
            # a warehouse made before migration 006 keeps its log in main: move it
            con.execute("INSERT INTO internal.schema_migrations SELECT version, name, applied_at "
                        "FROM main.schema_migrations")
            con.execute("DROP TABLE main.schema_migrations")
    done = {v for (v,) in con.execute("SELECT version FROM internal.schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO internal.schema_migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(name)
    with transaction(con):
        con.execute(views_sql())
        con.execute(comments_sql())  # after the views: CREATE OR REPLACE VIEW drops their comments
    return applied


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """BEGIN … COMMIT, rolled back on any error so the file keeps its previous state."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        # rollback() fails if the error already aborted the transaction; the original error matters.
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    con.execute("COMMIT")
