"""Reads of `documents` that the flows and the CLI need: what `reprocess` reads again, and the
outlets the documents name (for `search --source`'s hint)."""

from __future__ import annotations

import difflib

import duckdb

_LATEST = """
SELECT d.origin, d.kind, d.url, d.canonical_url, d.source, d.fetched_at, d.raw_sha256, d.final_url,
       d.listing_url, d.listed_title, d.listed_published_at, d.listed_updated_at, d.http_status, d.content_type,
       d.declared_canonical
FROM documents d JOIN runs r USING (run_id)
QUALIFY row_number() OVER (PARTITION BY d.origin ORDER BY r.started_at DESC) = 1
ORDER BY d.origin
"""


def latest_documents(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The latest document of every origin, by origin, with its fetch columns: (origin, kind, url,
    canonical_url, source, fetched_at, raw_sha256, final_url, listing_url, listed_title,
    listed_published_at, listed_updated_at, http_status, content_type, declared_canonical).
    http_status is NULL for a file."""
    return con.execute(_LATEST).fetchall()


def outlets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The outlets (documents.source) the documents name, in order."""
    return [r[0] for r in con.execute("SELECT DISTINCT source FROM documents WHERE source IS NOT NULL "
                                      "ORDER BY 1").fetchall()]


def unknown_outlet_hint(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """None if a document names the outlet `name` (any case); else what it may have meant: the close
    names, or the outlets there are."""
    if con.execute("SELECT 1 FROM documents WHERE lower(source) = lower(?) LIMIT 1", [name]).fetchone():
        return None
    known = outlets(con)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return (f"did you mean {', '.join(close)}?" if close else
            f"outlets: {', '.join(known[:10])}{', …' if len(known) > 10 else ''}" if known else
            "no document names an outlet")
