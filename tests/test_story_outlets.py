"""stories.source_count follows every outlet that carried a member, whichever run brought it: real
Prefect flows (test harness), the bundled samples, real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from newsflow.flows.run import run_ingest
from newsflow.settings import SAMPLES_DIR, Settings

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Every story's source_count, next to the distinct outlets its members' documents name.
OUTLETS = """
    SELECT s.story_id, s.source_count, count(DISTINCT d.source) AS outlets, s.article_count
    FROM stories s JOIN articles a USING (story_id) JOIN documents d USING (article_id)
    GROUP BY s.story_id, s.source_count, s.article_count ORDER BY s.story_id
"""


def stories_and_outlets(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(OUTLETS).fetchall()


def test_an_exact_copy_from_a_new_outlet_in_a_later_run_counts_its_outlet(tmp_path):
    """The same text from a second outlet, one run later: no new article, one more outlet."""
    db = tmp_path / "w.duckdb"
    settings = Settings(db=db, quality={"enabled": False})
    run_ingest([str(SAMPLES_DIR / "valecity-reservoir-hose-ban.html")], settings)
    assert [(n, outlets) for _, n, outlets, _ in stories_and_outlets(db)] == [(1, 1)]
    copy = run_ingest([str(SAMPLES_DIR / "dunmore-reservoir-hose-ban.html")], settings)
    assert (copy.new_articles, copy.duplicates) == (0, 1)  # an exact copy: its outlet is all it adds
    assert [(n, outlets) for _, n, outlets, _ in stories_and_outlets(db)] == [(2, 2)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT source_count, story_outlets FROM story_coverage").fetchall() == [
            (2, "Dunmore Evening Star, Vale City Post")]


def test_source_counts_do_not_depend_on_how_the_inputs_were_split_into_runs(tmp_path):
    """The samples in one run, or a file at a time: the same stories with the same counts."""
    files = sorted(p for p in SAMPLES_DIR.iterdir() if p.is_file() and not p.name.startswith("."))
    whole, split = tmp_path / "whole.duckdb", tmp_path / "split.duckdb"
    run_ingest([str(SAMPLES_DIR)], Settings(db=whole, quality={"enabled": False}))
    # Reverse order: the copies arrive before or after their article, each in a run of its own.
    for path in reversed(files):
        run_ingest([str(path)], Settings(db=split, quality={"enabled": False}))
    counts = stories_and_outlets(whole)
    assert all(n == outlets for _, n, outlets, _ in counts), counts
    assert any(n > 1 for _, n, _, _ in counts)  # the samples do have a story carried by several outlets
    again = stories_and_outlets(split)
    assert all(n == outlets for _, n, outlets, _ in again), again
    assert sorted((n, m) for _, n, _, m in again) == sorted((n, m) for _, n, _, m in counts)


def test_migration_015_recounts_a_warehouse_written_before_copies_recounted_their_story(tmp_path):
    """A stale count, as a warehouse from before refresh_copied_stories holds it, is repaired on open."""
    from newsflow.warehouse.db import connect

    db = tmp_path / "w.duckdb"
    settings = Settings(db=db, quality={"enabled": False})
    run_ingest([str(SAMPLES_DIR / "valecity-reservoir-hose-ban.html")], settings)
    run_ingest([str(SAMPLES_DIR / "dunmore-reservoir-hose-ban.html")], settings)
    with duckdb.connect(str(db)) as con:  # back to what the old code left: one outlet, 015 not applied
        con.execute("UPDATE stories SET source_count = 1")
        con.execute("DELETE FROM internal.schema_migrations WHERE version = 15")
    assert [(n, outlets) for _, n, outlets, _ in stories_and_outlets(db)] == [(1, 2)]
    connect(db).close()  # opening the warehouse applies the pending migration
    assert [(n, outlets) for _, n, outlets, _ in stories_and_outlets(db)] == [(2, 2)]
