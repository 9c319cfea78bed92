"""The public tables and views as the DuckDB catalog describes them (COMMENT ON, warehouse/sql/comments.sql).

`python -m newsflow.warehouse.catalog > docs/tables.md` (or `make docs-tables`) regenerates the
reference from a fresh warehouse; tests/test_catalog.py fails when the file and the catalog differ.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLIC = "main"  # DuckDB's default schema: what `SELECT * FROM articles` finds
INTERNAL = "internal"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str | None


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # table | view
    description: str | None
    columns: tuple[Column, ...]


def relations(con: duckdb.DuckDBPyConnection, schema: str = PUBLIC) -> list[Relation]:
    """Tables, then views, of `schema` in the open warehouse, with their columns in order."""
    found = con.execute("""
        SELECT table_name, 'table', comment FROM duckdb_tables()
        WHERE database_name = current_database() AND schema_name = ? AND NOT internal AND NOT temporary
        UNION ALL
        SELECT view_name, 'view', comment FROM duckdb_views()
        WHERE database_name = current_database() AND schema_name = ? AND NOT internal AND NOT temporary
        ORDER BY 2, 1
    """, [schema, schema]).fetchall()
    columns: dict[str, list[Column]] = {}
    for table, name, type_, comment in con.execute("""
        SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name = ? AND NOT internal
        ORDER BY table_name, column_index
    """, [schema]).fetchall():
        columns.setdefault(table, []).append(Column(name, type_, comment))
    return [Relation(name, kind, comment, tuple(columns.get(name, ()))) for name, kind, comment in found]


def markdown(rels: list[Relation]) -> str:
    """docs/tables.md: every public table and view with its columns, types and descriptions."""
    out = ["# Tables and views", "",
           "<!-- Generated from the warehouse catalog by `make docs-tables`; do not edit by hand.",
           "     The descriptions live in warehouse/sql/comments.sql. -->", "",
           "What an analyst queries (schema `main`, the default: `SELECT * FROM articles`). Indexes and",
           f"bookkeeping live in the schema `{INTERNAL}` and are not part of this contract. The same",
           "descriptions are in DuckDB's catalog: `SELECT * FROM duckdb_columns() WHERE comment IS NOT NULL`.", ""]
    for kind, heading in (("table", "Tables"), ("view", "Views")):
        out += [f"## {heading}", ""]
        out += [f"- [`{r.name}`](#{r.name}): {r.description or ''}" for r in rels if r.kind == kind]
        out.append("")
    for r in rels:
        out += [f"### {r.name}", "", f"{r.kind}: {r.description or ''}", "",
                "| column | type | description |", "|---|---|---|"]
        out += [f"| `{c.name}` | {c.type} | {(c.description or '').replace('|', chr(92) + '|')} |" for c in r.columns]
        out.append("")
    return "\n".join(out)


def fresh_markdown() -> str:
    """The reference as a new, empty warehouse's catalog gives it (what docs/tables.md holds)."""
    from newsflow.warehouse.db import connect

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "catalog.duckdb")
        try:
            return markdown(relations(con))
        finally:
            con.close()


if __name__ == "__main__":
    print(fresh_markdown(), end="")
