"""Full-text search: BM25 over title and text, scored as DuckDB's fts extension scores (docs/search.md).

Terms are made at load time (transforms/fulltext.py) and kept in internal.search_terms and
internal.search_docs, so a search is one read-only query: the warehouse needs no extension, no index
rebuild after a run, and no write access to search.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from newsflow.transforms import fulltext

K1, B = 1.2, 0.75  # match_bm25's defaults
BATCH = 500  # articles indexed per round trip: bounds the terms held in Python at once (~500 rows each)


def index_new(con: duckdb.DuckDBPyConnection) -> int:
    """Index every article that has no terms yet (this run's, and any loaded before migration 006)."""
    import pandas as pd

    total = 0
    while True:
        rows = con.execute("""
            SELECT a.article_id, a.title, a.text FROM articles a
            WHERE NOT EXISTS (SELECT 1 FROM internal.search_docs d WHERE d.article_id = a.article_id)
            ORDER BY a.article_id LIMIT ?
        """, [BATCH]).fetchall()
        if not rows:
            return total
        docs = []
        terms: dict[str, list] = {"term": [], "article_id": [], "field": [], "tf": []}  # columns, not row tuples
        for article_id, title, text in rows:
            fields = {"title": fulltext.terms(title), "text": fulltext.terms(text)}
            docs.append((article_id, sum(sum(c.values()) for c in fields.values())))
            for field, counts in fields.items():
                terms["term"] += counts.keys()
                terms["tf"] += counts.values()
                terms["article_id"] += [article_id] * len(counts)
                terms["field"] += [field] * len(counts)
        # Replacement scans of the local frames, not register(): a view dropped inside the run's
        # transaction keeps its frame alive until the COMMIT (see warehouse/load.py, insert_frame).
        fts_docs = pd.DataFrame(docs, columns=["article_id", "len"])  # noqa: F841 (scanned by name)
        fts_terms = pd.DataFrame(terms)  # noqa: F841
        con.execute("INSERT INTO internal.search_docs SELECT article_id, len FROM fts_docs")
        con.execute("INSERT INTO internal.search_terms SELECT term, article_id, field, tf FROM fts_terms")
        total += len(rows)


# fts's match_bm25: idf = log10((N - df + 0.5) / (df + 0.5) + 1) (DuckDB's log is base 10), tf summed
# over the fields searched, document length over all fields.
_SEARCH = """
WITH q AS (SELECT unnest(?::VARCHAR[]) AS term),
required AS (SELECT unnest(?::VARCHAR[]) AS term),
stats AS (SELECT count(*) AS n, sum(len) / count(len) AS avgdl FROM internal.search_docs),
hits AS (
    SELECT t.term, t.article_id, sum(t.tf) AS tf
    FROM internal.search_terms t JOIN q USING (term)
    WHERE t.field IN (SELECT unnest(?::VARCHAR[]))
    GROUP BY ALL
),
df AS (  -- over every field, as fts's dict.df
    SELECT term, count(DISTINCT article_id) AS df FROM internal.search_terms JOIN q USING (term) GROUP BY term
),
scores AS (
    SELECT h.article_id,
           sum(log((s.n - df.df + 0.5) / (df.df + 0.5) + 1)
               * (h.tf * ($k + 1) / (h.tf + $k * (1 - $b + $b * d.len / s.avgdl)))) AS score,
           count(*) AS matched,
           count(*) FILTER (WHERE h.term IN (SELECT term FROM required)) AS required_matched
    FROM hits h JOIN df USING (term) JOIN internal.search_docs d USING (article_id) CROSS JOIN stats s
    GROUP BY h.article_id
),
outlets AS (
    SELECT article_id, string_agg(DISTINCT source, ', ' ORDER BY source) AS outlets
    FROM documents GROUP BY article_id
)
SELECT round(s.score, 4) AS score, a.article_id, a.title, o.outlets, a.published_at, a.word_count,
       s.matched AS terms_matched
FROM scores s JOIN articles a USING (article_id) LEFT JOIN outlets o USING (article_id)
WHERE (?::TIMESTAMPTZ IS NULL OR a.published_at >= ?::TIMESTAMPTZ)
  AND (?::VARCHAR IS NULL OR EXISTS (SELECT 1 FROM documents d WHERE d.article_id = a.article_id
                                     AND lower(d.source) = lower(?::VARCHAR)))
  AND (NOT ?::BOOLEAN OR s.required_matched = ?)
ORDER BY s.score DESC, a.article_id
LIMIT ?
"""


def unindexed(con: duckdb.DuckDBPyConnection) -> int:
    """Articles without search terms yet (loaded before migration 006; the next load indexes them).

    Raises SearchUnavailable on a warehouse that has no search index at all.
    """
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'internal' "
                                         "AND database_name = current_database()").fetchall()}
    if "search_docs" not in tables:
        raise SearchUnavailable("this warehouse has no search index yet (it predates migration 006); "
                                "any `newsflow ingest` on it adds the index")
    return con.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                       "(SELECT 1 FROM internal.search_docs d WHERE d.article_id = a.article_id)").fetchone()[0]


class SearchUnavailable(RuntimeError):
    """The warehouse has no search index."""


def search(con: duckdb.DuckDBPyConnection, query: str, *, since: datetime | None = None,
           source: str | None = None, limit: int = 10, fields: tuple[str, ...] = ("title", "text"),
           all_terms: bool = False) -> tuple[list[str], list[str], list[tuple]]:
    """Articles matching `query`, best first: (column names, types, rows).

    `since` keeps articles published at or after it (undated articles have no publication time and
    are left out); `source` keeps articles an outlet carried; `all_terms` keeps only articles with
    every query term that is not a stopword (fts's conjunctive := 1; a stopword is never indexed, so
    requiring it would match nothing).
    """
    terms, required = fulltext.query_terms(query), fulltext.required_terms(query)
    sql = _SEARCH.replace("$k", repr(K1)).replace("$b", repr(B))
    cursor = con.execute(sql, [terms, required, list(fields), since, since, source, source, all_terms,
                               len(required), limit])
    names = [d[0] for d in cursor.description]
    types = [str(d[1]) for d in cursor.description]
    return names, types, cursor.fetchall()
