"""Data-quality gates inside the ingest flow and over the warehouse: real GX, Prefect, DuckDB."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from newsflow.cli import main
from newsflow.flows.run import run_ingest
from newsflow.settings import Settings

from conftest import FERRY, GERMAN, ORCHARD, html_page, write

pytestmark = pytest.mark.usefixtures("prefect_harness")

# A sign-up prompt too long for the cleaning rules (max_words) but caught by the residue check.
LONG_PROMPT = ("Sign up for our weekly newsletter and every Friday morning you will receive a hand-picked "
               "selection of the best stories from our reporters across the region, along with exclusive "
               "interviews, behind-the-scenes notes from the newsroom, early access to our events, and "
               "occasional offers from the partners who help keep our local journalism free to read for all.")


def table_rows(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("articles", "documents", "rejects", "runs", "removed_segments", "dq_results", "quarantine")}


@pytest.fixture
def clean_dir(tmp_path):
    d = tmp_path / "clean"
    write(d / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "orchard.html", html_page("Late apple harvest begins in Vell Valley", ORCHARD))
    return d


def test_clean_batch_passes_and_results_are_stored(clean_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    summary = run_ingest([str(clean_dir)], Settings(db=db))
    assert summary.dq_failed == 0 and summary.dq_passed >= 30
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT suite, count(*), bool_and(success) FROM dq_results WHERE run_id = ? GROUP BY 1 ORDER BY 1",
                           [summary.run_id]).fetchall()
    assert [(s, ok) for s, _, ok in rows] == [("articles", True), ("documents", True), ("rejects", True), ("runs", True)]


@pytest.mark.parametrize("defect,check", [
    ("german", "language_allowed"),
    ("residue", "text_no_residue"),
])
def test_warning_defect_quarantines_the_row(clean_dir, tmp_path, defect, check):
    future = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    page = {
        "german": html_page("Alte Brücke bleibt offen", GERMAN * 2, site="Seeblatt"),
        "future": html_page("Ferry timetable announced", [p.replace("ferry", "boat") for p in FERRY], published=future),
        "residue": html_page("Orchard cooperative grows", ORCHARD[:2] + [LONG_PROMPT] + ORCHARD[2:]),
    }[defect]
    write(clean_dir / "defect.html", page)
    db = tmp_path / "w.duckdb"
    settings = Settings(db=db, quality={"languages": ["en"]})  # language quarantines only with a configured list
    summary = run_ingest([str(clean_dir)], settings)

    assert (summary.inputs, summary.new_articles, summary.quarantined) == (3, 2, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        held = con.execute("SELECT q.checks, d.origin FROM quarantine q JOIN documents d USING (article_id)").fetchall()
        assert held == [([check], str(clean_dir / "defect.html"))]
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        failed = con.execute("SELECT expectation, severity, column_name FROM dq_results WHERE NOT success").fetchall()
        assert (check, "warning") in [(e, s) for e, s, _ in failed]
        assert con.execute("SELECT inputs, new_articles, quarantined FROM runs").fetchone() == (3, 2, 1)
    # Read again (not skipped as unchanged): the quarantined text is validated again and held again.
    again = run_ingest([str(clean_dir)], settings.model_copy(update={"skip_unchanged_files": False}))
    assert (again.new_articles, again.duplicates, again.quarantined) == (0, 2, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT run_id, checks FROM quarantine").fetchall() == [(again.run_id, [check])]


def test_relaxed_setting_releases_a_quarantined_article_when_it_is_read_again(clean_dir, tmp_path):
    """Quarantine is not a one-way trap: with the language allowed, re-reading the page loads it."""
    write(clean_dir / "defect.html", html_page("Alte Brücke bleibt offen", GERMAN * 2, site="Seeblatt"))
    db = tmp_path / "w.duckdb"
    held = run_ingest([str(clean_dir)], Settings(db=db, quality={"languages": ["en"]}))
    assert (held.new_articles, held.quarantined) == (2, 1)

    released = run_ingest([str(clean_dir)], Settings(db=db, quality={"languages": ["en", "de"]}, skip_unchanged_files=False))
    assert (released.new_articles, released.duplicates, released.quarantined) == (1, 2, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        assert con.execute("SELECT language, first_run_id FROM articles WHERE title = 'Alte Brücke bleibt offen'"
                           ).fetchall() == [("de", released.run_id)]
        # every document, the first run's included, points at a stored article
        assert con.execute("SELECT count(*) FROM documents WHERE article_id NOT IN (SELECT article_id FROM articles)"
                           ).fetchone()[0] == 0


@pytest.mark.parametrize("declared", [
    "0001-01-01T00:00:00Z",  # a CMS placeholder
    (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(),  # in the future
], ids=["placeholder", "future"])  # fixed ids: pytest-xdist workers must collect the same names
def test_metadata_defects_and_language_never_hide_an_article(clean_dir, tmp_path, declared):
    """Default settings: a German page and a page with an implausible declared date both land in articles."""
    write(clean_dir / "german.html", html_page("Alte Brücke bleibt offen", GERMAN * 2, site="Seeblatt"))
    bad_date = html_page("Ferry timetable announced", [p.replace("ferry", "boat") for p in FERRY], published=declared)
    bad_date = bad_date.replace("</head>", '<script type="application/ld+json">{"@type": "NewsArticle", '
                                f'"datePublished": "{declared}"}}</script></head>')
    write(clean_dir / "bad-date.html", bad_date)
    db = tmp_path / "w.duckdb"
    summary = run_ingest([str(clean_dir)], Settings(db=db))
    assert (summary.inputs, summary.new_articles, summary.quarantined) == (4, 4, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        langs = dict(con.execute("SELECT d.origin, a.language FROM articles a JOIN documents d USING (article_id)").fetchall())
        assert langs[str(clean_dir / "german.html")] == "de"
        stages = dict(con.execute("SELECT stage, count(*) FROM removed_segments GROUP BY stage").fetchall())
        assert stages.get("html", 0) > 0  # the structural stage's rows are audited beside the text rules'
        rails = con.execute("SELECT rule FROM removed_segments WHERE stage = 'html' AND segment LIKE 'More For You%'").fetchall()
        assert rails and {r for (r,) in rails} == {"related_rail"}
        published, repairs = con.execute(
            "SELECT a.published_at, a.repairs FROM articles a JOIN documents d USING (article_id) WHERE d.origin = ?",
            [str(clean_dir / "bad-date.html")]).fetchone()
    assert published is None or published.year >= 1990 and published <= datetime.now(timezone.utc)
    assert repairs and repairs[0].startswith("published_at:") and declared[:10] in repairs[0]


def test_critical_failure_leaves_the_warehouse_exactly_as_before(clean_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    run_ingest([str(clean_dir)], Settings(db=db))
    before = table_rows(db)
    write(clean_dir / "german.html", html_page("Alte Brücke bleibt offen", GERMAN * 2))
    strict = Settings(db=db, quality={"languages": ["en"], "severity": {"language_allowed": "critical"}})

    with pytest.raises(Exception, match="data quality check failed") as err:
        run_ingest([str(clean_dir)], strict)
    assert "language_allowed" in str(err.value)
    assert table_rows(db) == before


def test_validate_command_over_the_warehouse(clean_dir, tmp_path, capsys):
    db, docs = tmp_path / "w.duckdb", tmp_path / "dq"
    run_ingest([str(clean_dir)], Settings(db=db))
    assert main(["validate", "--db", str(db), "--docs", str(docs)]) == 0
    out = capsys.readouterr().out
    assert "dq: 32 passed, 0 failed" in out and (docs / "index.html").is_file()

    with duckdb.connect(str(db)) as con:  # break a critical invariant behind the pipeline's back
        con.execute("UPDATE runs SET inputs = inputs + 5")
    assert main(["validate", "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert "dq: 30 passed, 2 failed" in captured.out and "run_counts_add_up" in captured.err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT run_id) FROM dq_results WHERE run_id LIKE 'validate-%'").fetchone()[0] == 2


@pytest.mark.skipif(not shutil.which("chromium"), reason="headless Chromium not installed (apt-get install chromium)")
def test_data_docs_index_renders_in_headless_chromium(clean_dir, tmp_path):
    docs = tmp_path / "dq"
    run_ingest([str(clean_dir)], Settings(db=tmp_path / "w.duckdb", quality={"docs_dir": docs}))
    shot = tmp_path / "dq.png"
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", (docs / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900", f"--screenshot={shot}",
         (docs / "index.html").as_uri()], capture_output=True, timeout=120)
    assert "Data quality: passed" in dom
    for suite in ("articles", "documents", "rejects", "runs"):
        assert f">{suite}</a>" in dom
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
