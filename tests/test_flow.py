"""The ingest flow end to end: real Prefect (test harness), real files, real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from newsflow.flows.run import run_ingest
from newsflow.settings import Settings

from conftest import FERRY, ORCHARD, html_page, write

pytestmark = pytest.mark.usefixtures("prefect_harness")



def ferry_text_copy() -> str:
    """The ferry story as copied from another outlet's page: typographic variants and boilerplate."""
    body = "\n".join(p.replace("'", "’").replace("-", "–") for p in FERRY)
    return ("Electric ferry to replace diesel boats on estuary crossing\n"
            "Share this story\n"
            f"{body}\n"
            "Sign up for our morning briefing newsletter to get the day's top stories.\n"
            "Related Stories\nCouncil approves new cycle lanes\nHarbour dredging delayed again\n")


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "in"
    write(d / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "orchard.html.gz", html_page("Late apple harvest begins in Vell Valley", ORCHARD,
                                           site="Valley Courier"), compress=True)
    write(d / "copies" / "ferry-copy.txt", ferry_text_copy())
    write(d / "empty.txt", "")
    write(d / "image.txt", bytes(range(256)) * 4)
    write(d / "cut.html.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"\x01\x02")
    write(d / "notes.md", "# not an article, skipped\n")
    return d


def tables(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("articles", "documents", "rejects", "runs", "removed_segments")}


def test_ingest_loads_dedups_and_rejects(corpus, tmp_path):
    db = tmp_path / "w.duckdb"
    summary = run_ingest([str(corpus)], Settings(db=db))

    assert (summary.inputs, summary.new_articles, summary.duplicates, summary.rejected) == (6, 2, 1, 3)
    assert summary.skipped == 1
    assert summary.line().startswith("6 inputs: 2 new articles, 1 duplicate, 3 rejected (run ")
    with duckdb.connect(str(db), read_only=True) as con:
        docs = dict(con.execute("SELECT regexp_extract(origin, '[^/]+$'), article_id FROM documents").fetchall())
        assert docs["ferry.html"] == docs["ferry-copy.txt"], "the text copy must share the HTML article's row"
        rejects = sorted(con.execute("SELECT regexp_extract(origin, '[^/]+$'), stage, reason FROM rejects").fetchall())
        assert rejects == [("cut.html.gz", "acquire", "truncated"), ("empty.txt", "acquire", "empty"),
                           ("image.txt", "decode", "binary")]
        title, lang, words, site, published = con.execute(
            "SELECT title, language, word_count, site_name, published_at FROM articles a "
            "JOIN documents d USING (article_id) WHERE d.origin LIKE '%orchard%'").fetchone()
        assert title == "Late apple harvest begins in Vell Valley"
        assert lang == "en" and 60 < words < 120 and site == "Valley Courier"
        assert published.isoformat().startswith("2025-03-04T08:30")
        text = con.execute("SELECT text FROM articles a JOIN documents d USING (article_id) "
                           "WHERE d.origin LIKE '%ferry.html'").fetchone()[0]
        assert all(p[:60] in text for p in FERRY)
        assert "teaser headline" not in text and "All rights reserved" not in text
        rules = {r for (r,) in con.execute("SELECT DISTINCT rule FROM removed_segments").fetchall()}
        assert {"share", "newsletter", "related_rail"} <= rules
        run = con.execute("SELECT status, inputs, new_articles, duplicates, rejected FROM runs").fetchone()
        assert run == ("completed", 6, 2, 1, 3)
        n_docs, n_rej = con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM rejects)").fetchone()
        assert n_docs + n_rej == 6


def test_rerun_adds_no_article_and_records_the_run(corpus, tmp_path):
    """Files read again (not skipped as unchanged: tests/test_unchanged_files.py) are duplicates."""
    db = tmp_path / "w.duckdb"
    run_ingest([str(corpus)], Settings(db=db))
    before = tables(db)
    again = run_ingest([str(corpus)], Settings(db=db, skip_unchanged_files=False))

    assert (again.new_articles, again.duplicates, again.rejected) == (0, 3, 3)
    after = tables(db)
    assert after["articles"] == before["articles"] == 2
    assert after["runs"] == 2 and after["documents"] == 6 and after["rejects"] == 6


def test_seeds_load_five_articles_answerable_in_sql(seeds_dir, tmp_path):
    db = tmp_path / "seeds.duckdb"
    summary = run_ingest([str(seeds_dir)], Settings(db=db))

    assert (summary.inputs, summary.new_articles, summary.rejected) == (5, 5, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT d.origin, a.title, a.language, a.word_count FROM articles a "
            "JOIN documents d USING (article_id) ORDER BY d.origin").fetchall()
    assert [r[0].rsplit("/", 1)[-1] for r in rows] == sorted(p.name for p in seeds_dir.iterdir())
    assert all(lang == "en" and words > 300 for _, _, lang, words in rows)
    assert sum(title is not None for _, title, _, _ in rows) == 4


def test_bundled_samples_are_the_default_input(tmp_path):
    summary = run_ingest([], Settings(db=tmp_path / "s.duckdb"))
    assert summary.inputs >= 10
    assert summary.new_articles >= 8 and summary.duplicates >= 1 and summary.rejected >= 1
    assert summary.new_articles + summary.duplicates + summary.rejected == summary.inputs


def test_run_history_has_stage_timings_and_prefect_artifacts(corpus, tmp_path):
    from prefect.client.orchestration import get_client

    db = tmp_path / "w.duckdb"
    summary = run_ingest([str(corpus)], Settings(db=db))
    with duckdb.connect(str(db), read_only=True) as con:
        (stages,) = con.execute("SELECT map_keys(stage_seconds) FROM runs ORDER BY started_at DESC").fetchone()
    assert {"discover", "acquire", "extract", "clean", "normalize", "validate", "load"} <= set(stages)
    assert set(summary.stage_seconds) == set(stages)
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[summary.flow_run_id])))
    by_key = {a.key: a.data for a in artifacts}
    assert summary.run_id in by_key["ingest-run"] and "| extract |" in by_key["ingest-run"]
    assert "Data quality: passed" in by_key["data-quality"]


def batch_states(flow_run_id: str) -> list[str]:
    """State names of the process-batch task runs of one flow run (ingest is run as its own flow)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])), limit=50)
    return sorted(t.state.name for t in runs if t.task_key.startswith("process_batch") or t.name.startswith("process-batch"))


def test_unchanged_files_reuse_the_batch_results_and_changed_files_do_not(corpus, tmp_path):
    # Files read again, not skipped as unchanged (tests/test_unchanged_files.py): the batch cache's path.
    settings = Settings(db=tmp_path / "w.duckdb", batch_size=3, skip_unchanged_files=False)
    first = run_ingest([str(corpus)], settings)
    again = run_ingest([str(corpus)], settings)
    assert batch_states(first.flow_run_id) == ["Completed", "Completed"]
    assert batch_states(again.flow_run_id) == ["Cached", "Cached"]
    assert (again.new_articles, again.duplicates, again.rejected) == (0, 3, 3)

    write(corpus / "empty.txt", "Headline\n" + " ".join(ORCHARD) * 2)  # a rejected file now has an article
    changed = run_ingest([str(corpus)], settings)
    assert sorted(batch_states(changed.flow_run_id)) == ["Cached", "Completed"]
    assert (changed.new_articles, changed.rejected) == (1, 2)
    off = run_ingest([str(corpus)], Settings(db=tmp_path / "w.duckdb", batch_size=3, cache_extraction=False,
                                             skip_unchanged_files=False))
    assert batch_states(off.flow_run_id) == ["Completed", "Completed"]
