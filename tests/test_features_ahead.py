"""The index stages' per-article inputs made ahead, as batches are spilled: same tables, used only where they fit."""

from __future__ import annotations

import unicodedata
from collections import Counter

from newsflow.flows.spill import Spill
from newsflow.transforms import fulltext
from newsflow.transforms.features import NEARDUP, SEARCH, STORIES, compute
from newsflow.warehouse import search
from newsflow.warehouse.db import connect, transaction
from newsflow.warehouse.load import RunRecord

from conftest import FERRY, GERMAN, NOW, ORCHARD, load_plain, processed

INDEX_TABLES = {  # every table the index stages write, ordered in full
    "articles": "SELECT * EXCLUDE (first_seen_at) FROM articles ORDER BY ALL",
    "signatures": "SELECT * FROM internal.neardup_signatures ORDER BY ALL",
    "bands": "SELECT * FROM internal.neardup_bands ORDER BY ALL",
    "search_docs": "SELECT * FROM internal.search_docs ORDER BY ALL",
    "search_terms": "SELECT * FROM internal.search_terms ORDER BY ALL",
    "story_df": "SELECT * FROM internal.story_df ORDER BY ALL",
    "story_terms": "SELECT * FROM internal.story_terms ORDER BY ALL",
    "story_centroids": "SELECT * FROM internal.story_centroids ORDER BY ALL",
    "stories": "SELECT * FROM stories ORDER BY ALL",
}


def run_items():
    """Two near-duplicate copies, an exact copy in another batch, other stories, accented text."""
    texts = ["\n\n".join(FERRY), "\n\n".join(FERRY[:3]) + "\n\nA late paragraph the copy adds.",
             "\n\n".join(ORCHARD), "\n\n".join(GERMAN), "\n\n".join(FERRY).upper()]  # the last: same hash as the first
    items = [processed(i, text) for i, text in enumerate(texts)]
    for i, p in enumerate(items):
        p.origin = f"/in/{i}.txt"
    return items


def test_a_spill_with_features_gives_the_tables_of_a_plain_list(tmp_path):
    tables = {}
    for name in ("list", "spill"):
        items = run_items()
        given = items
        if name == "spill":
            given = Spill(features=True)
            given.append(items[:2])
            given.append(items[2:])
        con = connect(tmp_path / f"{name}.duckdb")
        result = load_plain(con, RunRecord("r1", None, NOW), given, [])
        assert (result.new_articles, result.duplicates) == (4, 1)
        tables[name] = {t: con.execute(sql).fetchall() for t, sql in INDEX_TABLES.items()}
        linked = con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
        assert linked == 1  # the edited copy
        con.close()
    assert all(tables["list"][t] for t in INDEX_TABLES)  # each stage wrote something
    assert tables["spill"] == tables["list"]


def test_parts_are_given_only_for_the_title_and_text_they_were_made_from():
    items = run_items()
    spill = Spill(features=True)
    spill.append(items)
    first, upper = items[0].article, items[4].article
    assert first.article_id == upper.article_id  # an exact copy (same content hash), other text
    made = compute(first.title, first.text)
    assert spill.features_of(first.article_id, first.title, first.text, SEARCH) == made[SEARCH]
    assert spill.features_of(first.article_id, first.title, first.text, STORIES) == made[STORIES]
    signed = spill.features_of(first.article_id, first.title, first.text, NEARDUP)
    assert (signed.signature == made[NEARDUP].signature).all() and (signed.shingles == made[NEARDUP].shingles).all()
    # The copy's text, another title, an unknown id: none of them gets the first text's parts.
    assert spill.features_of(upper.article_id, upper.title, upper.text, SEARCH) is None
    assert spill.features_of(first.article_id, "Another title", first.text, SEARCH) is None
    assert spill.features_of("no-such-article", first.title, first.text, SEARCH) is None
    assert Spill().features_of(first.article_id, first.title, first.text, SEARCH) is None  # made only when asked
    spill.close()


def test_search_indexing_takes_the_terms_it_is_given(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    load_plain(con, RunRecord("r1", None, NOW), [processed(1)], [])
    article_id = processed(1).article.article_id
    con.execute("DELETE FROM internal.search_terms")
    con.execute("DELETE FROM internal.search_docs")
    given = {"title": Counter({"zebra": 2}), "text": Counter({"quagga": 1})}
    with transaction(con):
        search.index_new(con, lambda aid, title, text, part: given if (aid, part) == (article_id, SEARCH) else None)
    assert con.execute("SELECT term, field, tf FROM internal.search_terms ORDER BY term").fetchall() == [
        ("quagga", "text", 1), ("zebra", "title", 2)]
    assert con.execute("SELECT len FROM internal.search_docs").fetchall() == [(3,)]
    con.close()


def test_strip_accents_is_nfd_without_nonspacing_marks_then_nfc():
    def reference(text):
        decomposed = unicodedata.normalize("NFD", text)
        return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))

    samples = ["plain ascii", "Café résumé naïve Ñandú Ångström", "Ελληνικά με τόνους ά έ ή", "Ёжик и мир",
               "日本語のテキスト", "a\u0301b\u0327c e\u0308\u0301 x\u20dd", "ﬁ ＡＢＣ İstanbul ǅ ß", "‘quoted’ — dash", ""]
    for text in samples + GERMAN:
        assert fulltext.strip_accents(text) == reference(text)
