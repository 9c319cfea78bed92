"""Expectations a user adds to the GX project (GX API or suite JSON) run in every ingest's batch
validation, with the severity in their meta; built-ins still run once. Real GX, Prefect, DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from newsflow.expectations.project import builtin_names, stored_user_expectations
from newsflow.flows.run import run_ingest
from newsflow.settings import Settings

from conftest import FERRY, ORCHARD, html_page, import_gx, write


@pytest.fixture
def inbox(tmp_path) -> Path:
    d = tmp_path / "in"
    write(d / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "orchard.html", html_page("Late apple harvest begins in Vell Valley", ORCHARD))
    return d


def _rows(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("articles", "documents", "rejects", "runs", "dq_results", "quarantine")}


def test_the_shipped_project_has_no_user_expectations_and_reading_it_skipsgx():
    code = ("import sys; from newsflow.expectations.project import stored_user_expectations as s; "
            "print(s(), 'great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["{}", "False"]


def test_user_expectations_run_in_every_ingest(prefect_harness, gx_project, inbox, tmp_path):
    gx = import_gx()
    context = gx.get_context(mode="file", project_root_dir=str(gx_project))
    articles = context.suites.get("articles")
    articles.add_expectation(gx.expectations.ExpectColumnValueLengthsToBeBetween(
        column="title", max_value=60, meta={"severity": "warning"}))  # fails: one title is long
    articles.add_expectation(gx.expectations.ExpectColumnValuesToNotMatchRegex(
        column="title", regex="(?i)apple", meta={"severity": "warning", "quarantine": True}))
    articles.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(   # the built-ins' parameter
        column="word_count", min_value={"$PARAMETER": "min_words"}, meta={"severity": "warning"}))
    # ...and one written into a suite file by hand (no id, no GX).
    path = gx_project / "gx" / "expectations" / "documents.json"
    suite = json.loads(path.read_text())
    suite["expectations"].append({"type": "expect_column_values_to_be_in_set",
                                  "kwargs": {"column": "kind", "value_set": ["text"]}, "meta": {"severity": "warning"}})
    path.write_text(json.dumps(suite, indent=2))
    assert sorted(stored_user_expectations(gx_project)) == ["articles", "documents"]

    db = tmp_path / "w.duckdb"
    write(inbox / "long.html", html_page("A long headline about the harbour board and its ferry timetable meeting",
                                         [p.replace("ferry", "boat") for p in FERRY]))
    summary = run_ingest([str(inbox)], Settings(db=db, quality={"project": str(gx_project)}))

    assert (summary.inputs, summary.new_articles, summary.quarantined) == (3, 2, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        results = con.execute("SELECT suite, expectation, severity, success, expectation_type FROM dq_results "
                              "WHERE run_id = ?", [summary.run_id]).fetchall()
        held = con.execute("SELECT checks, title FROM quarantine").fetchall()
    users = {(s, e, sev, ok) for s, e, sev, ok, _ in results if e not in builtin_names()}
    assert users == {
        ("articles", "expect_column_value_lengths_to_be_between_title", "warning", False),
        ("articles", "expect_column_values_to_not_match_regex_title", "warning", False),
        ("articles", "expect_column_values_to_be_between_word_count", "warning", True),
        ("documents", "expect_column_values_to_be_in_set_kind", "warning", False),
    }
    assert held == [(["expect_column_values_to_not_match_regex_title"], "Late apple harvest begins in Vell Valley")]
    # The built-ins come from suites.py only: each ran once, not again from the stored suites.
    builtins = [e for _, e, *_ in results if e in builtin_names()]
    assert builtins and len(builtins) == len(set(builtins))


def test_a_critical_user_expectation_blocks_the_commit(prefect_harness, gx_project, inbox, tmp_path):
    db = tmp_path / "w.duckdb"
    # Every file read at every run (none skipped as unchanged), so the second run has three inputs.
    settings = Settings(db=db, quality={"project": str(gx_project)}, skip_unchanged_files=False)
    run_ingest([str(inbox)], settings)
    before = _rows(db)

    gx = import_gx()
    context = gx.get_context(mode="file", project_root_dir=str(gx_project))
    # No meta.severity: GX's own severity, critical by default (docs/quality.md).
    context.suites.get("runs").add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(
        column="inputs", max_value=2, description="at most two inputs per run"))
    write(inbox / "third.html", html_page("Harbour board meets", [p.replace("ferry", "launch") for p in FERRY]))

    with pytest.raises(Exception, match="data quality check failed") as err:
        run_ingest([str(inbox)], settings)
    assert "runs.expect_column_values_to_be_between_inputs (at most two inputs per run)" in str(err.value)
    assert _rows(db) == before  # nothing of the failed run was committed
    with duckdb.connect(str(db)) as con:  # and the warehouse is writable again
        con.execute("SELECT 1")


def test_an_unreadable_hand_edit_is_named():
    from newsflow.expectations.project import expectations_from_json

    with pytest.raises(ValueError, match="suite 'articles' has an expectation GX cannot read"):
        expectations_from_json("articles", [{"type": "expect_column_values_to_be_purple", "kwargs": {"column": "x"}}])


def test_a_typo_in_a_stored_expectation_fails_validate_instead_of_vanishing(gx_project, tmp_path, capsys, monkeypatch):
    from newsflow.cli import main
    from newsflow.warehouse.db import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    path = gx_project / "gx" / "expectations" / "runs.json"
    suite = json.loads(path.read_text())
    suite["expectations"].append({"type": "expect_column_values_to_be_purple", "kwargs": {"column": "status"}})
    path.write_text(json.dumps(suite))
    monkeypatch.setenv("NEWSFLOW_QUALITY__PROJECT", str(gx_project))
    assert main(["validate", "--db", str(db)]) == 1
    assert "expect_column_values_to_be_purple" in capsys.readouterr().err
