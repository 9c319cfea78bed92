"""Near-duplicates and stories through the real ingest flow, across runs and formats."""

from __future__ import annotations

import duckdb
import pytest

from newsflow.flows.run import run_ingest
from newsflow.settings import Settings

from conftest import FERRY, ORCHARD, html_page, write

pytestmark = pytest.mark.usefixtures("prefect_harness")


def edited_copy(paragraphs: list[str]) -> list[str]:
    """A syndicated copy: a few words changed, the closing paragraph dropped."""
    return [p.replace("confirmed on Tuesday", "said on Tuesday").replace("roughly", "about")
             .replace("welcomed", "praised") for p in paragraphs[:-1]] + [
        "Officials added that the open day date would be announced next month."]


def articles(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT d.origin, a.article_id, a.duplicate_of, a.similarity, a.story_id "
                           "FROM documents d JOIN articles a USING (article_id) ORDER BY d.origin").fetchall()
    return {origin.rsplit("/", 1)[-1]: rest for origin, *rest in rows}


def test_near_duplicate_in_a_later_run_links_to_the_earlier_canonical(tmp_path):
    db = tmp_path / "w.duckdb"
    write(tmp_path / "r1" / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY,
                                                   published="2025-03-04T08:30:00+00:00"))
    write(tmp_path / "r1" / "orchard.html", html_page("Late apple harvest begins", ORCHARD))
    run_ingest([str(tmp_path / "r1")], Settings(db=db))
    copy = "Estuary gets its first electric ferry\n" + "\n".join(edited_copy(FERRY))
    write(tmp_path / "r2" / "wire-copy.txt", copy)
    summary = run_ingest([str(tmp_path / "r2")], Settings(db=db))

    assert summary.new_articles == 1  # a near-duplicate is its own article, linked to its canonical
    rows = articles(db)
    ferry_id, copy_row = rows["ferry.html"][0], rows["wire-copy.txt"]
    assert copy_row[1] == ferry_id and 0.5 <= copy_row[2] < 1.0
    assert rows["ferry.html"][1] is None and rows["orchard.html"][1] is None
    assert copy_row[3] == rows["ferry.html"][3] != rows["orchard.html"][3]  # same story, not the orchard's
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT canonical_id, copy_id FROM syndication").fetchall() == [(ferry_id, copy_row[0])]


def test_html_and_text_of_one_article_land_on_one_canonical(tmp_path):
    d = tmp_path / "in"
    write(d / "page.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "page.txt", "Electric ferry to enter service next spring\nBy Dana Whitfield\n\n" + "\n\n".join(FERRY)
          + "\n\nShare this story\nMore from the Ledger\nCouncil approves new cycle lanes\n")
    summary = run_ingest([str(d)], Settings(db=tmp_path / "w.duckdb"))
    rows = articles(tmp_path / "w.duckdb")
    canonical = {rows["page.html"][1] or rows["page.html"][0], rows["page.txt"][1] or rows["page.txt"][0]}
    assert len(canonical) == 1 and summary.inputs == 2


def test_input_order_does_not_change_the_tables(tmp_path, seeds_dir):
    d = tmp_path / "in"
    write(d / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "copy.txt", "Estuary gets its first electric ferry\n" + "\n".join(edited_copy(FERRY)))
    write(d / "orchard.html", html_page("Late apple harvest begins", ORCHARD))
    files = sorted(str(p) for p in d.iterdir()) + sorted(str(p) for p in seeds_dir.iterdir())
    tables = []
    for name, order in (("forward", files), ("backward", files[::-1])):
        db = tmp_path / f"{name}.duckdb"
        run_ingest(order, Settings(db=db, batch_size=2))
        with duckdb.connect(str(db), read_only=True) as con:
            tables.append((
                con.execute("SELECT article_id, duplicate_of, similarity, story_id FROM articles ORDER BY 1").fetchall(),
                con.execute("SELECT story_id, title, article_count, source_count FROM stories ORDER BY 1").fetchall()))
    assert tables[0] == tables[1]
    arts, stories = tables[0]
    assert sum(1 for _, dup, _, _ in arts if dup) == 1
    assert sorted(count for _, _, count, _ in stories) == [1, 2, 5]  # orchard; ferry + copy; the five seeds
