"""The near-duplicate index and story centroids in the warehouse: candidates out, new entries in.

Every function works on one batch of new articles inside the caller's transaction. Candidates come
from SQL joins of the batch's band hashes (or terms) against the index tables; only the matching
rows reach Python, never the whole index.
"""

from __future__ import annotations

import pickle
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import duckdb
import numpy as np

from newsflow.transforms import neardup, stories
from newsflow.warehouse.errors import WarehouseError
from newsflow.warehouse.options import SimilarityOptions

_DEFAULTS = SimilarityOptions()

NEARDUP, STORIES = "neardup", "stories"
STORIES_PARAMS = f"tfidf/article_terms={stories.ARTICLE_TERMS}/story_terms={stories.STORY_TERMS}/idf_floor={stories.IDF_FLOOR_DOCS}"
CHUNK = 2000  # articles whose texts are read back at once: bounds the rows Python holds
ASSIGN_CHUNK = 500  # articles per story assignment (a candidate query each): bounds the term counts held


class IndexMismatch(WarehouseError):
    """The stored index was built with other parameters; its entries cannot be compared."""


@dataclass(frozen=True)
class NewArticle:
    """What the similarity stages need of an article just inserted into `articles`."""

    article_id: str
    text: str
    published_at: datetime | None
    first_seen_at: datetime
    title: str | None = None

    @property
    def key(self) -> tuple:
        return neardup.rank_key(self.published_at, self.first_seen_at, self.article_id)

    @property
    def at(self) -> datetime:
        return self.published_at or self.first_seen_at


def check_index(con: duckdb.DuckDBPyConnection, name: str, params: str) -> None:
    """Record `params` for an empty index; refuse to mix entries made with other parameters."""
    rows = con.execute("SELECT params, n_docs FROM internal.similarity_index WHERE name = ?", [name]).fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute("INSERT INTO internal.similarity_index VALUES (?, ?, 0, ?)", [name, params, datetime.now(timezone.utc)])
    elif row[0] != params:
        if row[1] == 0:
            con.execute("UPDATE internal.similarity_index SET params = ? WHERE name = ?", [params, name])
            return
        raise IndexMismatch(
            f"the {name} index holds {row[1]} entries made with {row[0]}, but this run uses {params}; "
            f"rebuild it with warehouse.similarity.rebuild(con) inside a transaction (or restore the previous settings / datasketch version)")


def _bump(con: duckdb.DuckDBPyConnection, name: str, n: int) -> None:
    con.execute("UPDATE internal.similarity_index SET n_docs = n_docs + ?, updated_at = ? WHERE name = ?",
                [n, datetime.now(timezone.utc), name])


def _frame(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list]):
    """`columns` as temporary table `name`, until `_unframe`.

    A temporary table (DuckDB's memory, spillable) rather than `con.register`: a registered view
    dropped inside the run's transaction keeps its DataFrame alive until the COMMIT, so a run's
    chunks would pile up in the flow's memory.
    """
    import pandas as pd

    frame = pd.DataFrame(columns)  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM frame")


def _unframe(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {name}")


def link_near_duplicates(con: duckdb.DuckDBPyConnection, new: Sequence[NewArticle],
                         threshold: float = _DEFAULTS.neardup_threshold,
                         params: neardup.IndexParams = neardup.DEFAULT_PARAMS) -> neardup.Decision:
    """Compare `new` (already in `articles`) with the index, set duplicate_of/similarity, index them."""
    neardup.check_threshold(threshold, params)
    check_index(con, NEARDUP, params.describe())
    matches, repoints = [], []
    ordered = sorted(new, key=lambda a: a.key)  # chunks independent of input order
    for start in range(0, len(ordered), CHUNK):
        decision = _link_chunk(con, ordered[start:start + CHUNK], threshold, params)
        matches += decision.matches
        repoints += decision.repoints
    _bump(con, NEARDUP, len(new))
    return neardup.Decision(matches, repoints)


def _link_chunk(con, chunk: Sequence[NewArticle], threshold: float,
                params: neardup.IndexParams) -> neardup.Decision:
    entries = [neardup.entry(a.article_id, a.text, a.key, params) for a in chunk]
    bands = [(e.article_id, h) for e in entries for h in neardup.band_hashes(e.signature, params)]
    _frame(con, "_nd_bands", {"article_id": [b[0] for b in bands], "band_hash": [b[1] for b in bands]})
    try:
        known = _known_entries(con, entries, threshold, params)
        decision = neardup.decide(entries, known, threshold, params)
        con.execute("INSERT INTO internal.neardup_bands SELECT band_hash, article_id FROM _nd_bands")
    finally:
        _unframe(con, "_nd_bands")
    _frame(con, "_nd_sigs", {"article_id": [e.article_id for e in entries],
                             "signature": [neardup.to_blob(e.signature) for e in entries],
                             "shingle_count": [len(e.shingles) for e in entries]})
    try:
        con.execute("INSERT INTO internal.neardup_signatures SELECT article_id, signature, shingle_count FROM _nd_sigs")
    finally:
        _unframe(con, "_nd_sigs")
    _apply(con, decision)
    return decision


def _known_entries(con, entries: Sequence[neardup.Entry], threshold: float,
                   params: neardup.IndexParams) -> list[neardup.Entry]:
    """Indexed articles that may be near-duplicates of the batch (by MinHash estimate), plus their group heads.

    Chance band matches with unrelated texts grow with the index (on the benchmark corpus ~7,000
    candidates for a run of 1,000 against 50,000 articles, ~110 of them plausible), so they are
    settled in bulk: one query returns each band-sharing candidate with its signature and the new
    articles it matched, one array comparison applies `neardup.plausible` to every pair, and only
    the survivors are read further (rank keys, texts, group heads). Dropping the others changes no
    decision: `decide` would skip their pairs as implausible, and a group none of whose members
    passes is untouched by the batch.
    """
    cands = con.execute("""
        WITH cand AS (SELECT b.article_id, list(DISTINCT n.article_id) AS new_ids
                      FROM internal.neardup_bands b JOIN _nd_bands n USING (band_hash) GROUP BY b.article_id)
        SELECT c.article_id, s.signature, c.new_ids FROM cand c JOIN internal.neardup_signatures s USING (article_id)
    """).fetchall()
    if not cands:
        return []
    new_index = {e.article_id: i for i, e in enumerate(entries)}
    pair_cand = np.repeat(np.arange(len(cands)), [len(c[2]) for c in cands])
    pair_new = np.fromiter((new_index[n] for c in cands for n in c[2]), dtype=np.intp, count=len(pair_cand))
    new_sigs = np.stack([e.signature for e in entries])
    cand_sigs = neardup.from_blobs([c[1] for c in cands], params.num_perm)
    ok = neardup.plausible_pairs(new_sigs[pair_new], cand_sigs[pair_cand], threshold)
    wanted = {cands[i][0]: cand_sigs[i] for i in np.unique(pair_cand[ok]).tolist()}
    if not wanted:
        return []
    # IN with one placeholder per id, not a joined list: DuckDB then probes the primary key instead of
    # scanning every article (3 ms vs 37 ms for ~110 ids at 50k articles; ~30 us more per id).
    rows = con.execute(f"SELECT article_id, published_at, first_seen_at, duplicate_of, text FROM articles "
                       f"WHERE article_id IN ({_placeholders(len(wanted))})", list(wanted)).fetchall()
    heads = sorted({dup for *_, dup, _ in rows if dup is not None} - wanted.keys())
    head_rows = con.execute(f"SELECT a.article_id, a.published_at, a.first_seen_at, a.duplicate_of, s.signature "
                            f"FROM articles a JOIN internal.neardup_signatures s USING (article_id) "
                            f"WHERE a.article_id IN ({_placeholders(len(heads))})", heads).fetchall() if heads else []
    return sorted([neardup.Entry(aid, neardup.rank_key(pub, seen, aid), wanted[aid],
                                 neardup.shingles(text, params.shingle_size), dup) for aid, pub, seen, dup, text in rows]
                  + [neardup.Entry(aid, neardup.rank_key(pub, seen, aid), neardup.from_blob(sig), None, dup)
                     for aid, pub, seen, dup, sig in head_rows], key=lambda e: e.article_id)


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def _apply(con, decision: neardup.Decision) -> None:
    """Write the decision: new copies point at their head; repointed groups follow the new head."""
    linked = [m for m in decision.matches if m.duplicate_of]
    if linked:
        _frame(con, "_nd_match", {"article_id": [m.article_id for m in linked],
                                  "duplicate_of": [m.duplicate_of for m in linked],
                                  "similarity": [m.similarity for m in linked]})
        try:
            con.execute("UPDATE articles SET duplicate_of = m.duplicate_of, similarity = m.similarity "
                        "FROM _nd_match m WHERE articles.article_id = m.article_id")
        finally:
            _unframe(con, "_nd_match")
    if not decision.repoints:
        return
    _frame(con, "_nd_repoint", {"old": [r.old for r in decision.repoints], "new": [r.new for r in decision.repoints]})
    try:
        # The whole old group (its head and its copies) now follows the new head.
        con.execute("UPDATE articles SET duplicate_of = r.new FROM _nd_repoint r "
                    "WHERE articles.article_id = r.old OR articles.duplicate_of = r.old")
        rows = con.execute("""
            SELECT a.article_id, s.signature, h.signature FROM articles a
            JOIN _nd_repoint r ON a.duplicate_of = r.new
            JOIN internal.neardup_signatures s ON s.article_id = a.article_id
            JOIN internal.neardup_signatures h ON h.article_id = r.new
        """).fetchall()
    finally:
        _unframe(con, "_nd_repoint")
    _frame(con, "_nd_sim", {"article_id": [r[0] for r in rows],
                            "similarity": [neardup.estimate(neardup.from_blob(r[1]), neardup.from_blob(r[2]))
                                           for r in rows]})
    try:
        con.execute("UPDATE articles SET similarity = s.similarity FROM _nd_sim s "
                    "WHERE articles.article_id = s.article_id")
    finally:
        _unframe(con, "_nd_sim")


def assign_stories(con: duckdb.DuckDBPyConnection, new: Sequence[NewArticle],
                   threshold: float = _DEFAULTS.story_threshold,
                   window: timedelta = _DEFAULTS.story_window, chunk: int | None = None) -> stories.StoryResult:
    """Put `new` (in `articles`, duplicate_of already set) into stories; update centroids and `stories`."""
    ordered, chunk = sorted(new, key=lambda a: a.key), chunk or CHUNK
    return _assign_chunks(con, (ordered[i:i + chunk] for i in range(0, len(ordered), chunk)), threshold, window,
                          keep=True)[0]


def assign_run_stories(con: duckdb.DuckDBPyConnection, run_id: str,
                       threshold: float = _DEFAULTS.story_threshold,
                       window: timedelta = _DEFAULTS.story_window, chunk: int | None = None) -> int:
    """`assign_stories` for the articles run `run_id` loaded, read back `chunk` at a time in canonical
    order, so no list of the run's texts is held (the decisions are those of one list); returns how
    many were assigned (the stories are in the warehouse, not kept in memory)."""
    keys = con.execute("SELECT article_id, published_at, first_seen_at FROM articles WHERE first_run_id = ?",
                       [run_id]).fetchall()
    ids = [r[0] for r in sorted(keys, key=lambda r: neardup.rank_key(r[1], r[2], r[0]))]
    chunk = chunk or CHUNK

    def chunks():
        for start in range(0, len(ids), chunk):
            rows = con.execute("SELECT article_id, text, published_at, first_seen_at, title FROM articles "
                               "WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [ids[start:start + chunk]]).fetchall()
            yield sorted((NewArticle(*r) for r in rows), key=lambda a: a.key)

    return _assign_chunks(con, chunks(), threshold, window, keep=False)[1]


def _assign_chunks(con, chunks: Iterable[list[NewArticle]], threshold: float,
                   window: timedelta, keep: bool) -> tuple[stories.StoryResult, int]:
    """Stories for articles given as chunks in canonical (key) order; the same decisions as one list.

    Two passes: the first reads each chunk's texts once, counts their terms (kept in an anonymous
    temporary file, not in memory) and sums the document frequencies; the second assigns chunk by
    chunk with the run's full frequencies, each chunk seeing the stories the chunks before it wrote.
    Returns the result (empty unless `keep`: a whole run's stories are not kept in memory) and the count.
    """
    check_index(con, STORIES, STORIES_PARAMS)
    batch_df: Counter = Counter()
    n_counted = 0
    spans: list[tuple[int, int]] = []
    with tempfile.TemporaryFile(prefix="newsflow-stories-") as spill:
        for chunk in chunks:
            if not chunk:
                continue
            dup_of = dict(con.execute(
                "SELECT article_id, duplicate_of FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
                [[a.article_id for a in chunk]]).fetchall())
            # Spilled and assigned ASSIGN_CHUNK articles at a time: a chunk's term counts, as Python
            # Counters, are ~50 kB an article, the largest thing this stage holds.
            for start in range(0, len(chunk), ASSIGN_CHUNK):
                items = chunk[start:start + ASSIGN_CHUNK]
                light = [stories.StoryItem(a.article_id, a.key, a.at, "", None, dup_of.get(a.article_id),
                                           dated=a.published_at is not None) for a in items]
                # Terms are counted once per article: for the document frequencies, then for its vector.
                # A copy's count is kept too (not in the frequencies): it is used if its head has no story.
                counts = {a.article_id: stories.term_counts(a.text, a.title) for a in items}
                chunk_df, n = stories.document_frequencies(light, counts)  # copies left out
                batch_df.update(chunk_df)
                n_counted += n
                data = pickle.dumps((light, counts), protocol=pickle.HIGHEST_PROTOCOL)
                del counts
                spans.append((spill.tell(), len(data)))
                spill.write(data)
                del data
        if not spans:
            return stories.StoryResult({}, [], {}), 0
        n_docs, df = _update_df(con, batch_df, n_counted)
        del batch_df
        assignments: dict[str, str] = {}
        assigned = 0
        changed: dict[str, stories.Story] = {}
        sims: dict[str, float] = {}
        for offset, length in spans:
            spill.seek(offset)
            items, counts = pickle.loads(spill.read(length))
            result = _assign_chunk(con, items, counts, df, n_docs, threshold, window)
            assigned += len(result.assignments)
            if keep:
                assignments.update(result.assignments)
                changed.update((s.story_id, s) for s in result.stories)
                sims.update(result.similarity)
    return stories.StoryResult(assignments, [changed[s] for s in sorted(changed)], sims), assigned


def _assign_chunk(con, items: list[stories.StoryItem], counts: dict, df: dict[str, int], n_docs: int,
                  threshold: float, window: timedelta) -> stories.StoryResult:
    """One chunk's assignment against the stored stories it can join; writes its stories."""
    vectors = {aid: stories.vector(c, df, n_docs) for aid, c in counts.items()}
    # Candidate stories share a term with a vector of the chunk's own articles (not its copies').
    vec_terms = sorted({t for i in items if not i.duplicate_of for t in vectors[i.article_id]})
    heads = sorted({i.duplicate_of for i in items if i.duplicate_of})
    head_story = dict(con.execute(
        "SELECT article_id, story_id FROM articles WHERE story_id IS NOT NULL "
        "AND article_id IN (SELECT unnest(?::VARCHAR[]))", [heads]).fetchall())
    lo, hi = min(i.at for i in items) - window, max(i.at for i in items) + window
    if not all(i.dated for i in items):  # undated articles may join a story of any time
        lo, hi = datetime.min.replace(tzinfo=timezone.utc), datetime.max.replace(tzinfo=timezone.utc)
    # The window is applied to story_centroids first; story_terms is then read once, for those
    # stories only (plus the near-duplicate heads' stories), and a story is kept if it shares a term.
    story_rows = con.execute("""
        WITH span AS (SELECT story_id FROM internal.story_centroids WHERE last_at >= ? AND first_at <= ?
                      UNION SELECT unnest(?::VARCHAR[])),
        cand AS (
            SELECT t.story_id, list(t.term ORDER BY t.term) AS ts, list(t.weight ORDER BY t.term) AS ws,
                   bool_or(t.term IN (SELECT unnest(?::VARCHAR[]))) AS shares
            FROM internal.story_terms t JOIN span USING (story_id) GROUP BY t.story_id
        )
        SELECT c.story_id, c.first_at, c.last_at, c.article_count, cand.ts, cand.ws
        FROM internal.story_centroids c LEFT JOIN cand USING (story_id)
        WHERE cand.shares OR c.story_id IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY c.story_id
    """, [lo, hi, sorted(set(head_story.values())), vec_terms, sorted(set(head_story.values()))]).fetchall()
    known = [stories.Story(sid, first, last, count, dict(zip(ts, ws)) if ts else {})
             for sid, first, last, count, ts, ws in story_rows]
    result = stories.assign(items, known, df, n_docs, threshold, window, head_story, vectors)
    _write_stories(con, result)
    return result


def _update_df(con, batch_df, n: int) -> tuple[int, dict[str, int]]:
    """Add the batch's document frequencies; returns the number of documents counted now and the
    updated frequencies of the batch's terms."""
    _frame(con, "_st_df", {"term": list(batch_df), "df": list(batch_df.values())})
    try:
        con.execute("UPDATE internal.story_df SET df = story_df.df + b.df FROM _st_df b WHERE story_df.term = b.term")
        con.execute("INSERT INTO internal.story_df SELECT b.term, b.df FROM _st_df b "
                    "WHERE NOT EXISTS (SELECT 1 FROM internal.story_df s WHERE s.term = b.term)")
        # a join with the registered batch: `term IN (SELECT unnest(?))` took 25-35 ms a run, this ~12
        df = dict(con.execute("SELECT s.term, s.df FROM internal.story_df s JOIN _st_df b USING (term)").fetchall())
    finally:
        _unframe(con, "_st_df")
    _bump(con, STORIES, n)
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses register() after it
    return con.execute("SELECT n_docs FROM internal.similarity_index WHERE name = ?", [STORIES]).fetchall()[0][0], df


def _write_stories(con, result: stories.StoryResult) -> None:
    changed = [s.story_id for s in result.stories]
    _frame(con, "_st_ids", {"story_id": changed})
    _frame(con, "_st_rows", {"story_id": changed, "first_at": [s.first_at for s in result.stories],
                             "last_at": [s.last_at for s in result.stories],
                             "article_count": [s.article_count for s in result.stories]})
    _frame(con, "_st_terms", {"story_id": [s.story_id for s in result.stories for _ in s.terms],
                              "term": [t for s in result.stories for t in s.terms],
                              "weight": [w for s in result.stories for w in s.terms.values()]})
    _frame(con, "_st_assign", {"article_id": list(result.assignments), "story_id": list(result.assignments.values())})
    try:
        con.execute("DELETE FROM internal.story_centroids WHERE story_id IN (SELECT story_id FROM _st_ids)")
        con.execute("DELETE FROM internal.story_terms WHERE story_id IN (SELECT story_id FROM _st_ids)")
        con.execute("INSERT INTO internal.story_centroids SELECT story_id, first_at, last_at, article_count FROM _st_rows")
        con.execute("INSERT INTO internal.story_terms SELECT story_id, term, weight FROM _st_terms")
        con.execute("UPDATE articles SET story_id = s.story_id FROM _st_assign s WHERE articles.article_id = s.article_id")
        refresh_stories(con, "_st_ids")
    finally:
        for name in ("_st_ids", "_st_rows", "_st_terms", "_st_assign"):
            _unframe(con, name)


def refresh_copied_stories(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Recount the stories that run `run_id`'s exact copies belong to.

    A copy (a documents row with is_duplicate) adds no article, so story assignment never sees it,
    yet it can add an outlet to its article's story: without this, `source_count` stayed at the
    outlets of the run that first loaded each member.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE _st_copied AS SELECT DISTINCT a.story_id FROM documents d "
                "JOIN articles a USING (article_id) WHERE d.run_id = ? AND d.is_duplicate AND a.story_id IS NOT NULL",
                [run_id])
    try:
        refresh_stories(con, "_st_copied")
    finally:
        _unframe(con, "_st_copied")


def refresh_stories(con: duckdb.DuckDBPyConnection, ids_relation: str | None = None) -> None:
    """Recompute `stories` rows (title, first published, counts) from articles and documents.

    `ids_relation` names a table or registered frame with a story_id column; None refreshes all.
    """
    only = f"story_id IN (SELECT story_id FROM {ids_relation})" if ids_relation else "true"
    con.execute(f"DELETE FROM stories WHERE {only}")
    con.execute(f"""
        INSERT INTO stories (story_id, title, first_published_at, article_count, source_count)
        WITH members AS (SELECT * FROM articles WHERE story_id IS NOT NULL AND {only}),
        outlets AS (
            SELECT m.story_id, count(DISTINCT d.source) AS n
            FROM members m JOIN documents d USING (article_id) GROUP BY m.story_id
        )
        SELECT m.story_id,
               arg_min(m.title, (m.published_at IS NULL, m.published_at, m.first_seen_at, m.article_id)),
               min(m.published_at), count(*), coalesce(any_value(o.n), 0)
        FROM members m LEFT JOIN outlets o USING (story_id)
        GROUP BY m.story_id
    """)


def backfill(con: duckdb.DuckDBPyConnection, params: neardup.IndexParams = neardup.DEFAULT_PARAMS,
             threshold: float = _DEFAULTS.neardup_threshold, batch: int | None = None) -> int:
    """Index the articles that have no signature yet (loaded before migration 002); returns the count.

    Reads their texts once, `batch` at a time in canonical order; decisions are made as in a load.
    """
    total = 0
    while True:
        rows = con.execute("""
            SELECT a.article_id, a.text, a.published_at, a.first_seen_at, a.title FROM articles a
            WHERE NOT EXISTS (SELECT 1 FROM internal.neardup_signatures s WHERE s.article_id = a.article_id)
            ORDER BY a.published_at NULLS LAST, a.first_seen_at, a.article_id LIMIT ?
        """, [batch or CHUNK]).fetchall()
        if not rows:
            return total
        link_near_duplicates(con, [NewArticle(*r) for r in rows], threshold, params)
        total += len(rows)


def rebuild(con: duckdb.DuckDBPyConnection, params: neardup.IndexParams = neardup.DEFAULT_PARAMS,
            threshold: float = _DEFAULTS.neardup_threshold) -> int:
    """Drop the near-duplicate index and decisions, and index every article again with `params`."""
    con.execute("DELETE FROM internal.neardup_bands")
    con.execute("DELETE FROM internal.neardup_signatures")
    con.execute("DELETE FROM internal.similarity_index WHERE name = ?", [NEARDUP])
    con.execute("UPDATE articles SET duplicate_of = NULL, similarity = NULL")
    return backfill(con, params, threshold)
