"""The index stages' per-article inputs made by helper processes during the commit: same tables, used only where they fit."""

from __future__ import annotations

import unicodedata
from collections import Counter

from newsflow.flows import ahead
from newsflow.flows.ahead import FeaturesAhead
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


def test_the_helpers_parts_give_the_tables_the_stages_make_alone(tmp_path, monkeypatch):
    tables = {}
    for name, minimum in (("alone", len(run_items()) + 1), ("helpers", 1)):
        monkeypatch.setattr(ahead, "AHEAD_MIN", minimum)  # this small run gets helpers, or not
        items = run_items()
        spill = Spill()
        spill.append(items[:2])
        spill.append(items[2:])
        con = connect(tmp_path / f"{name}.duckdb")
        result = load_plain(con, RunRecord("r1", None, NOW), spill, [])
        assert (result.new_articles, result.duplicates) == (4, 1)
        tables[name] = {t: con.execute(sql).fetchall() for t, sql in INDEX_TABLES.items()}
        linked = con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
        assert linked == 1  # the edited copy
        con.close()
        spill.close()
    assert all(tables["alone"][t] for t in INDEX_TABLES)  # each stage wrote something
    assert tables["helpers"] == tables["alone"]


def test_a_small_run_or_a_plain_list_gets_no_helpers():
    spill = Spill(run_items())
    assert ahead.start(spill, 2) is None  # below AHEAD_MIN
    assert ahead.start(run_items(), 2, minimum=1) is None  # a list: nothing to read back on its own
    spill.close()


def test_parts_are_given_only_for_the_title_and_text_they_were_made_from():
    items = run_items()
    first, upper = items[0].article, items[4].article
    assert first.article_id == upper.article_id  # an exact copy (same content hash), other text
    made = compute(first.title, first.text)
    with FeaturesAhead([items[:3], items[3:]], processes=1) as helpers:
        helpers.wait()
        assert helpers.lookup(first.article_id, first.title, first.text, SEARCH) == made[SEARCH]
        assert helpers.lookup(first.article_id, first.title, first.text, STORIES) == made[STORIES]
        signed = helpers.lookup(first.article_id, first.title, first.text, NEARDUP)
        assert (signed.signature == made[NEARDUP].signature).all()
        assert (signed.shingles == made[NEARDUP].shingles).all()
        german = items[3].article
        assert helpers.lookup(german.article_id, german.title, german.text, STORIES) == compute(
            german.title, german.text)[STORIES]  # from the second chunk
        # The copy's text, another title, an unknown id: none of them gets the first text's parts.
        assert helpers.lookup(upper.article_id, upper.title, upper.text, SEARCH) is None
        assert helpers.lookup(first.article_id, "Another title", first.text, SEARCH) is None
        assert helpers.lookup("no-such-article", first.title, first.text, SEARCH) is None


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
