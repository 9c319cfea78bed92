"""The GX suites and runner: real Great Expectations on real DataFrames shaped like the warehouse tables."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import duckdb
import pandas as pd
import pytest

from newsflow.expectations.runner import DQ_COLUMNS, ValidationFailed, markdown_summary, residue_found, validate
from newsflow.expectations.suites import REQUIRED_COLUMNS, RESIDUE_MARKERS, SUITES, QualityConfig, checks
from newsflow.warehouse.db import migrate

from conftest import REPO

NOW = datetime(2025, 5, 1, 12, tzinfo=timezone.utc)
RUN = "run-0001"
EN_ONLY = QualityConfig(languages=("en",))  # the language checks exist only with a list
TOPICS = ["the regional rail timetable", "a new library branch", "the harbour dredging plan",
          "the school lunch budget", "a bridge repair contract", "the winter storm response"]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def article_text(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return (f"Officials met on Tuesday to discuss {topic}, item {i} on a long agenda.\n\n"
            f"Residents who spoke said the plan for {topic} had been delayed twice and asked for a clear date. "
            "The council promised a written answer within a month and said costs would be published.\n\n"
            "A spokesperson said more stories like this one would follow as the budget process continues, "
            "and that related articles from earlier hearings were available in the public archive.")


def clean_frames(n: int = 6, run_id: str = RUN, first: int = 0) -> dict[str, pd.DataFrame]:
    """One run's batch, with every warehouse column, and nothing wrong with it; ids start at `first`."""
    texts = [article_text(i) for i in range(first, first + n)]
    hashes = [_sha(t) for t in texts]
    articles = pd.DataFrame({
        "article_id": [h[:16] for h in hashes],
        "title": [f"Council weighs item {i}" for i in range(n)],
        "authors": [["A. Writer"] for _ in range(n)],
        "published_at": [NOW - timedelta(days=i) for i in range(n)],
        "language": ["en"] * n,
        "language_prob": [0.9999] * n,
        "text": texts,
        "word_count": [len(t.split()) for t in texts],
        "content_hash": hashes,
        "site_name": ["The Example Ledger"] * n,
        "description": [None] * n,
        "first_seen_at": [NOW] * n,
        "first_run_id": [run_id] * n,
    })
    # n new articles plus one exact copy of the first (a duplicate document), and one reject.
    doc_articles = list(articles["article_id"]) + [articles["article_id"][0]]
    documents = pd.DataFrame({
        "document_id": [f"{first + i:016x}" for i in range(n + 1)],
        "run_id": [run_id] * (n + 1),
        "origin": [f"https://example.org/news/{i}" for i in range(n + 1)],
        "kind": ["html"] * (n + 1),
        "url": [f"https://example.org/news/{i}" for i in range(n + 1)],
        "canonical_url": [f"https://example.org/news/{i}?ref=rss" for i in range(n)] + [None],
        "source": ["example.org"] * (n + 1),
        "fetched_at": [NOW] * (n + 1),
        "raw_sha256": [_sha(str(i)) for i in range(n + 1)],
        "article_id": doc_articles,
        "is_duplicate": [False] * n + [True],
    })
    rejects = pd.DataFrame({"run_id": [run_id], "origin": ["https://example.org/empty"], "stage": ["extract"],
                            "reason": ["empty"], "detail": ["the page is empty"], "rejected_at": [NOW]})
    runs = pd.DataFrame({"run_id": [run_id], "flow_run_id": [None], "started_at": [NOW], "finished_at": [NOW],
                         "status": ["completed"], "inputs": [n + 2], "new_articles": [n], "duplicates": [1],
                         "rejected": [1], "error": [None]})
    return {"articles": articles, "documents": documents, "rejects": rejects, "runs": runs}


def check(report, name: str) -> dict:
    (row,) = [r for r in report.results if r["expectation"] == name]
    return row


def failed(report) -> set[str]:
    return {r["expectation"] for r in report.results if not r["success"]}


@pytest.fixture(scope="module")
def clean_report():
    return validate(clean_frames(), QualityConfig(), RUN, now=NOW)


# --- a clean batch -------------------------------------------------------------------------------

def test_clean_batch_passes(clean_report):
    assert clean_report.ok, clean_report.critical_failures
    assert clean_report.failed == 0, clean_report.warnings
    assert clean_report.quarantine == {}
    assert clean_report.passed == len(checks(now=NOW)) == len(clean_report.results)
    assert {r["suite"] for r in clean_report.results} == set(SUITES)


def test_results_are_dq_results_rows(clean_report):
    frame = clean_report.results_frame()
    assert tuple(frame.columns) == DQ_COLUMNS
    assert set(frame["severity"]) == {"critical", "warning"}
    assert (frame["run_id"] == RUN).all()
    assert check(clean_report, "word_count_in_bounds")["column_name"] == "word_count"
    assert check(clean_report, "run_counts_add_up")["column_name"] == "inputs,counts_total"
    # The frame inserts as-is into the warehouse's dq_results table.
    con = duckdb.connect()
    migrate(con)  # every migration: dq_results gained validated_at and expectation_type in 007
    con.register("_dq", frame)
    con.execute(f"INSERT INTO dq_results ({', '.join(DQ_COLUMNS)}) SELECT * FROM _dq")
    assert con.execute("SELECT count(*), count(*) FILTER (success) FROM dq_results").fetchone() == (
        len(frame), len(frame))


def test_empty_batch_passes():
    """A run where every input was a known duplicate: no new articles, nothing to fail."""
    frames = clean_frames(3)
    frames["articles"] = frames["articles"].iloc[0:0]
    frames["documents"]["is_duplicate"] = True
    frames["runs"] = frames["runs"].assign(new_articles=0, duplicates=4, inputs=5)
    cfg = QualityConfig(max_duplicate_rate=1.0)
    report = validate(frames, cfg, RUN, now=NOW)
    assert report.ok and report.failed == 0, report.warnings


def test_failed_runs_are_not_held_to_the_counts():
    frames = clean_frames(3)
    failed_run = pd.DataFrame({"run_id": ["run-0000"], "status": ["failed"], "inputs": [40], "new_articles": [0],
                               "duplicates": [0], "rejected": [0]})
    frames["runs"] = pd.concat([frames["runs"], failed_run], ignore_index=True)
    report = validate(frames, None, RUN, now=NOW)
    assert report.ok and report.failed == 0, report.warnings


def test_quarantined_count_is_part_of_the_run_counts():
    frames = clean_frames(3)
    frames["runs"] = frames["runs"].assign(new_articles=2, quarantined=1)
    assert validate(frames, None, RUN, now=NOW).ok


# --- injected defects ----------------------------------------------------------------------------

def _set(table: str, row: int, column: str, value):
    def apply(frames):
        frames[table].at[row, column] = value
    return apply


def _duplicate_id(frames):
    frames["articles"].at[2, "article_id"] = frames["articles"].at[1, "article_id"]


def _miscount(frames):
    """One more new article than the run's inputs can account for."""
    frames["runs"].at[0, "new_articles"] += 1


def _lost_document(frames):
    """Counts in `runs` add up, but a document row is missing for the run."""
    frames["documents"] = frames["documents"].iloc[1:]


def _empty_text(frames):
    frames["articles"].at[3, "text"] = ""
    frames["articles"].at[3, "word_count"] = 0


# (defect, failed check, severity, quarantined row of `articles` or None)
DEFECTS = {
    "duplicate_article_id": (_duplicate_id, "article_id_unique", "critical", None),
    "null_content_hash": (_set("articles", 1, "content_hash", None), "content_hash_not_null", "critical", None),
    "null_text": (_set("articles", 1, "text", None), "text_not_null", "critical", None),
    "runs_counts_do_not_add_up": (_miscount, "run_counts_add_up", "critical", None),
    "documents_do_not_add_up": (_lost_document, "run_documents_add_up", "critical", None),
    "duplicate_document_id": (_set("documents", 1, "document_id", "0000000000000000"), "document_id_unique",
                              "critical", None),
    "future_published_at": (_set("articles", 2, "published_at", NOW + timedelta(days=3)),
                            "published_at_plausible", "warning", 2),
    "published_before_1990": (_set("articles", 4, "published_at", datetime(1970, 1, 1, tzinfo=timezone.utc)),
                              "published_at_plausible", "warning", 4),
    "wrong_language": (_set("articles", 1, "language", "de"), "language_allowed", "warning", 1),
    "no_language": (_set("articles", 1, "language", None), "language_detected", "warning", 1),
    "low_language_prob": (_set("articles", 5, "language_prob", 0.42), "language_prob_floor", "warning", 5),
    "empty_text": (_empty_text, "text_not_blank", "warning", 3),
    "too_many_words": (_set("articles", 0, "word_count", 80_000), "word_count_in_bounds", "warning", 0),
    "residue_marker": (_set("articles", 2, "text", article_text(2) + "\n\nMore For You"),
                       "text_no_residue", "warning", 2),
    "mojibake": (_set("articles", 3, "text", article_text(3) + "\n\nThe CafÃ© ownerâ€™s price: â‚¬5."),
                 "text_no_mojibake", "warning", 3),
    "malformed_url": (_set("documents", 2, "url", "htp:/example.org news"), "url_well_formed", "warning", None),
    "malformed_canonical_url": (_set("documents", 0, "canonical_url", "/news/1"), "canonical_url_well_formed",
                                "warning", None),
    "unknown_reject_stage": (_set("rejects", 0, "stage", "teleport"), "reject_stage_allowed", "warning", None),
}


# Besides the one named, the checks a defect may also fail (an empty text also has too few words).
ALSO_FAILS = {"empty_text": {"word_count_in_bounds"}}


@pytest.fixture(scope="module")
def defect_reports():
    """Each defect in an otherwise clean batch, validated by its table's suite (runs: all four)."""
    table_of = {c.name: c.table for c in checks(EN_ONLY)}
    out = {}
    for defect, (inject, name, *_rest) in DEFECTS.items():
        frames = clean_frames()
        inject(frames)
        table = table_of[name]
        given = frames if table == "runs" else {table: frames[table]}
        out[defect] = (frames, validate(given, EN_ONLY, RUN, now=NOW))
    return out


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_defect_is_caught_with_its_severity(defect, defect_reports):
    _inject, name, severity, row = DEFECTS[defect]
    frames, report = defect_reports[defect]
    assert failed(report) == {name} | ALSO_FAILS.get(defect, set())
    result = check(report, name)
    assert result["success"] is False
    assert result["severity"] == severity
    assert result["run_id"] == RUN and result["suite"] in SUITES
    assert result["observed_value"]
    if severity == "critical":
        assert not report.ok
        assert any(r.startswith(f"{result['suite']}.{name} ") for r in report.critical_failures)
        with pytest.raises(ValidationFailed, match=name):
            report.raise_for_critical()
    else:
        assert report.ok, report.critical_failures
        report.raise_for_critical()
    if row is None:
        assert report.quarantine == {} or severity == "critical"
    else:
        article_id = frames["articles"].at[row, "article_id"]
        assert name in report.quarantine[article_id]
        assert set(report.quarantine) == {article_id}, "only the offending row is quarantined"
        assert article_id in result["observed_value"]


def test_empty_text_names_every_check_it_fails(defect_reports):
    frames, report = defect_reports["empty_text"]
    article_id = frames["articles"].at[3, "article_id"]
    assert report.quarantine[article_id] == ["text_not_blank", "word_count_in_bounds"]
    assert failed(report) == {"text_not_blank", "word_count_in_bounds"}


def test_duplicate_id_observed_value_names_the_id(defect_reports):
    frames, report = defect_reports["duplicate_article_id"]
    assert frames["articles"].at[1, "article_id"] in check(report, "article_id_unique")["observed_value"]
    assert "2 of 6 rows unexpected" in check(report, "article_id_unique")["observed_value"]


def test_runs_miscount_says_what_differs(defect_reports):
    _frames, report = defect_reports["runs_counts_do_not_add_up"]
    assert check(report, "run_counts_add_up")["observed_value"] == (
        f"1 of 1 rows unexpected: {RUN} inputs=8 vs counts_total=9")


def test_title_rate_is_a_rate_not_every_row():
    frames = clean_frames(10)
    frames["articles"].loc[[0], "title"] = None
    assert validate(frames, None, RUN, now=NOW).failed == 0  # 90% have a title
    frames["articles"].loc[[0, 1, 2], "title"] = None
    report = validate(frames, None, RUN, now=NOW)
    assert failed(report) == {"title_present_rate"} and report.ok and report.quarantine == {}
    assert check(report, "title_present_rate")["severity"] == "warning"
    # A missing title reads as in the warehouse, not as pandas's NaN.
    first = frames["articles"].at[0, "article_id"]
    assert f"{first} NULL" in check(report, "title_present_rate")["observed_value"]
    assert "nan" not in check(report, "title_present_rate")["observed_value"]


def test_duplicate_and_reject_rates_warn_above_their_bounds():
    frames = clean_frames(3)  # 5 inputs: 3 new, 1 duplicate, 1 reject
    report = validate(frames, QualityConfig(max_duplicate_rate=0.1, max_reject_rate=0.1), RUN, now=NOW)
    assert failed(report) == {"duplicate_rate_in_bounds", "reject_rate_in_bounds"} and report.ok
    assert check(report, "reject_rate_in_bounds")["observed_value"] == f"1 of 1 rows unexpected: {RUN} 0.2"


def test_duplicate_rate_leaves_out_the_inputs_read_again():
    """Re-reads (runs.rereads: known inputs read again, same text) count neither as duplicates nor as inputs."""
    frames = clean_frames(1)  # 3 inputs: 1 new, 1 duplicate, 1 reject
    frames["runs"] = frames["runs"].assign(new_articles=0, duplicates=9, rejected=1, inputs=10, rereads=0)
    assert "duplicate_rate_in_bounds" in failed(validate(frames, None, RUN, now=NOW))  # 9 of 10
    frames["runs"]["rereads"] = 8  # 1 duplicate of the 2 inputs not read before: 0.5, within bounds
    assert "duplicate_rate_in_bounds" not in failed(validate(frames, None, RUN, now=NOW))
    frames["runs"] = frames["runs"].assign(rejected=0, inputs=9, rereads=9)  # all re-read: no rate
    report = validate(frames, None, RUN, now=NOW)
    assert "duplicate_rate_in_bounds" not in failed(report)


def test_reject_rate_counts_the_unchanged_inputs_a_rerun_skipped():
    """A re-run reads only what changed, and the files rejected last time (they are read again)."""
    frames = clean_frames(1)  # 3 inputs: 1 new, 1 duplicate, 1 reject
    frames["runs"]["unchanged"] = 0
    assert "reject_rate_in_bounds" in failed(validate(frames, None, RUN, now=NOW))  # 1 of 3
    frames["runs"]["unchanged"] = 7  # 1 of 10 files considered
    assert "reject_rate_in_bounds" not in failed(validate(frames, None, RUN, now=NOW))


# --- configuration -------------------------------------------------------------------------------

def test_allowed_languages_come_from_config():
    frames = clean_frames()
    frames["articles"].at[1, "language"] = "de"
    assert validate(frames, QualityConfig(languages=("en", "de")), RUN, now=NOW).failed == 0


def test_severity_override_turns_quarantine_into_failure():
    frames = clean_frames()
    frames["articles"].at[1, "language"] = "de"
    report = validate(frames, QualityConfig(languages=("en",), severity={"language_allowed": "critical"}), RUN, now=NOW)
    assert not report.ok and report.quarantine == {}
    assert check(report, "language_allowed")["severity"] == "critical"


def test_config_rejects_unknown_names_and_values():
    with pytest.raises(ValueError, match="unknown checks"):
        checks(QualityConfig(severity={"no_such_check": "warning"}))
    with pytest.raises(ValueError, match="must be one of"):
        QualityConfig(severity={"language_allowed": "fatal"})


def test_language_is_no_reason_to_quarantine_by_default():
    """With no language list (the default) a German article is loaded; its language is only recorded."""
    frames = clean_frames()
    frames["articles"].at[1, "language"] = "de"
    frames["articles"].at[5, "language_prob"] = 0.42
    report = validate(frames, QualityConfig(), RUN, now=NOW)
    assert report.quarantine == {} and report.failed == 0
    names = {c.name for c in checks(QualityConfig())}
    assert "language_detected" in names and not names & {"language_allowed", "language_prob_floor"}
    configured = validate(frames, EN_ONLY, RUN, now=NOW)
    assert set(configured.quarantine) == {frames["articles"].at[1, "article_id"], frames["articles"].at[5, "article_id"]}


def test_future_tolerance_allows_date_only_values_from_far_east():
    frames = clean_frames()
    frames["articles"].at[0, "published_at"] = NOW + timedelta(hours=10)
    assert validate(frames, None, RUN, now=NOW).failed == 0


def test_naive_timestamps_are_taken_as_utc():
    frames = clean_frames()
    frames["articles"]["published_at"] = [datetime(2024, 1, 1)] * 5 + [None]
    assert validate(frames, None, RUN, now=NOW).failed == 0


def test_frames_with_missing_columns_are_refused_with_the_names():
    frames = clean_frames()
    with pytest.raises(ValueError, match=r"articles frame lacks columns \['language_prob'\]"):
        validate({"articles": frames["articles"].drop(columns="language_prob")}, None, RUN)
    with pytest.raises(ValueError, match="needs the `documents` and `rejects`"):
        validate({"runs": frames["runs"]}, None, RUN)
    with pytest.raises(ValueError, match="no suite for"):
        validate({"stories": frames["runs"]}, None, RUN)


def test_callers_frames_are_not_modified():
    frames = clean_frames()
    before = {t: f.copy() for t, f in frames.items()}
    validate(frames, None, RUN, now=NOW)
    for table, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[table])


# --- residue markers -----------------------------------------------------------------------------

@pytest.mark.parametrize("paragraph, marker", [
    ("More For You", "rail_header"),
    ("Related Articles:", "rail_header"),
    ("You may also like", "rail_header"),
    ("Recommended for you »", "rail_header"),
    ("More from The Example Ledger", "rail_header"),
    ("Disclaimer: This article is for informational purposes only.", "disclaimer"),
    ("Sign up for our free morning newsletter and get the news first.", "newsletter"),
    ("The best stories, delivered straight to your inbox.", "newsletter"),
    ("Share this article", "share"),
    ("Story continues below advertisement", "continues_below"),
    ("ADVERTISEMENT", "continues_below"),
])
def test_residue_markers_are_found(paragraph, marker):
    text = article_text(0) + "\n\n" + paragraph + "\n\nA teaser headline about something else"
    assert marker in [m for m, _ in residue_found(text)]


@pytest.mark.parametrize("prose", [
    "He said more stories like this are likely as the inquiry widens.",
    "The newsletter, founded in 1998, has 40,000 readers and covers local sport.",
    "Shareholders said the share price fell after the disclosure was made public.",
    "Readers can subscribe by post.",
    "It was the most read report of the year, officials said.",
    "Subscribers who signed up in 2019 kept their discount, the publisher said.",
    "Officials said the story continues below the surface of the budget.",
])
def test_residue_markers_leave_prose_alone(prose):
    assert residue_found(article_text(0) + "\n\n" + prose) == []


def test_residue_in_the_first_paragraph_is_found():
    assert residue_found("Disclaimer: the author holds shares.\n\n" + article_text(0)) == [
        ("disclaimer", "Disclaimer:")]


def test_every_residue_marker_family_is_tested():
    assert set(RESIDUE_MARKERS) == {"rail_header", "disclaimer", "newsletter", "share", "continues_below"}


def test_residue_observed_value_names_the_marker(defect_reports):
    _frames, report = defect_reports["residue_marker"]
    assert "rail_header 'More For You'" in check(report, "text_no_residue")["observed_value"]


# --- reporting -----------------------------------------------------------------------------------

def test_markdown_summary_lists_failures_and_quarantine(defect_reports):
    frames, report = defect_reports["wrong_language"]
    md = markdown_summary(report)
    assert md.startswith("# Data quality: passed with warnings")
    assert "| warning | articles | language_allowed | language |" in md
    assert f"| {frames['articles'].at[1, 'article_id']} | language_allowed |" in md
    md = markdown_summary(defect_reports["duplicate_article_id"][1])
    assert md.startswith("# Data quality: FAILED") and "| critical | articles | article_id_unique |" in md


def test_markdown_summary_of_a_clean_run(clean_report):
    md = markdown_summary(clean_report)
    assert md.startswith("# Data quality: passed\n") and "|" not in md


@pytest.fixture(scope="module")
def docs_report(tmp_path_factory):
    frames = clean_frames()
    frames["articles"].at[1, "language"] = "de"
    docs = tmp_path_factory.mktemp("docs")
    return docs, validate(frames, EN_ONLY, RUN, docs, now=NOW)


def test_data_docs_index_lists_the_suites(docs_report):
    docs, report = docs_report
    assert report.docs_gx_index == docs / "gx-index.html"
    index = report.docs_gx_index.read_text()
    for suite in SUITES:
        assert f"expectations/{suite}.html" in index
        assert f"validations/{suite}/{RUN}/" in index
        assert (docs / "expectations" / f"{suite}.html").is_file()
    assert "_validation_success_text': 'Failed'" in index  # the articles row (a warning failed)
    assert index.count("_validation_success_text': 'Success'") == 3


def test_data_docs_pages_show_results_and_severity(docs_report):
    docs, _report = docs_report
    (page,) = (docs / "validations" / "articles" / RUN).rglob("*.html")
    text = page.read_text()
    assert "values must belong to this set" in text and "Unsuccessful Expectations" in text
    suite_page = (docs / "expectations" / "articles.html").read_text()
    assert "quarantines rows" in suite_page and "critical" in suite_page


def test_offline_summary_page_lists_results_and_links_suites(docs_report):
    docs, report = docs_report
    assert report.docs_index == docs / "index.html"
    page = report.docs_index.read_text()
    assert "<script" not in page and "http" not in page  # opens offline
    assert "<td>FAIL</td><td>warning</td>" in page and "language_allowed" in page
    for suite in SUITES:
        assert f'href="validations/{suite}/{RUN}/' in page


def test_offline_summary_page_links_resolve_when_validated_in_chunks(tmp_path):
    """A run validated in chunks has GX suites `<table>.chunks` and `<table>.whole`: link their pages."""
    import re

    frames = clean_frames()
    frames["articles"].at[1, "language"] = "de"
    report = validate(frames, EN_ONLY, RUN, tmp_path, now=NOW, chunk_rows=2)
    page = report.docs_index.read_text()
    hrefs = set(re.findall(r'href="([^"]+)"', page))
    assert all((tmp_path / h).is_file() for h in hrefs), [h for h in hrefs if not (tmp_path / h).is_file()]
    chunk_pages = {h for h in hrefs if h.startswith(f"validations/articles/chunks/{RUN}-chunk-")}
    assert len(chunk_pages) == 3  # 6 rows, 2 a chunk
    assert any(h.startswith(f"validations/articles/whole/{RUN}/") for h in hrefs)
    assert "expectations/articles/chunks.html" in hrefs
    assert '">articles</a></td><td>language_allowed</td>' in page  # the failing row links its suite


def test_data_docs_run_gives_the_same_results(docs_report):
    _docs, report = docs_report
    assert failed(report) == {"language_allowed"} and len(report.quarantine) == 1


# --- the whole warehouse -------------------------------------------------------------------------

def test_validates_tables_read_back_from_duckdb(tmp_path):
    """`newsflow validate` reads each table with .df(); TIMESTAMPTZ and VARCHAR[] come back as pandas types."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    con.execute((REPO / "warehouse" / "sql" / "001_schema.sql").read_text())
    for table, frame in clean_frames().items():
        con.register("_f", frame)
        con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM _f")
        con.unregister("_f")
    frames = {t: con.sql(f"SELECT * FROM {t}").df() for t in SUITES}
    assert str(frames["articles"]["published_at"].dtype).startswith("datetime64")
    report = validate(frames, None, "validate-test", now=NOW)
    assert report.ok and report.failed == 0, report.warnings


def test_required_columns_exist_in_the_schema():
    con = duckdb.connect()
    con.execute((REPO / "warehouse" / "sql" / "001_schema.sql").read_text())
    for table, columns in REQUIRED_COLUMNS.items():
        have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        assert set(columns) <= have, (table, set(columns) - have)


def test_importing_the_package_does_not_import_gx_or_pandas():
    code = ("import sys, newsflow.expectations, newsflow.expectations.suites, newsflow.expectations.runner;"
            "bad = [m for m in ('great_expectations', 'pandas') if m in sys.modules];"
            "sys.exit(f'imported {bad}' if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_check_and_setting_is_documented():
    from dataclasses import fields

    doc = (REPO / "docs" / "quality.md").read_text()
    for c in checks():
        assert f"| `{c.table}` | `{c.name}` |" in doc, f"{c.name} is missing from the table in docs/quality.md"
        assert f"| {c.severity} |" in doc.split(f"`{c.name}`", 1)[1].split("\n", 1)[0], c.name
    for f in fields(QualityConfig):
        assert f"| `{f.name}` |" in doc, f"QualityConfig.{f.name} is missing from docs/quality.md"


def _load_in_transaction(con, frames, report_sink):
    """The integration pattern for warehouse/load.py: insert, validate, record, commit or roll back."""
    from newsflow.warehouse.db import transaction

    with transaction(con):
        for table in ("articles", "documents", "rejects", "runs"):
            con.register("_f", frames[table])
            con.execute(f"INSERT INTO {table} ({', '.join(frames[table].columns)}) SELECT * FROM _f")
            con.unregister("_f")
        report = validate(frames, None, RUN, now=NOW)
        report_sink.append(report)
        con.register("_dq", report.results_frame())
        con.execute(f"INSERT INTO dq_results ({', '.join(DQ_COLUMNS)}) SELECT * FROM _dq")
        con.unregister("_dq")
        report.raise_for_critical()


def test_critical_failure_leaves_the_warehouse_as_it_was(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    tables = ("articles", "documents", "rejects", "runs", "dq_results")

    def snapshot():
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}

    reports = []
    _load_in_transaction(con, clean_frames(3, run_id="run-a"), reports)
    before = snapshot()
    assert len(before["articles"]) == 3 and len(before["dq_results"]) == len(reports[0].results)

    bad = clean_frames(4, run_id="run-b", first=10)
    bad["runs"].at[0, "new_articles"] += 1  # counts do not add up: critical
    with pytest.raises(ValidationFailed, match="run_counts_add_up"):
        _load_in_transaction(con, bad, reports)
    assert snapshot() == before
