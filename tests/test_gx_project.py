"""The GX project in expectations/gx: GX's own API lists, extends and runs the suites; `newsflow validate`."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from newsflow.cli import main
from newsflow.expectations.suites import SUITES, QualityConfig, checks
from newsflow.warehouse.db import connect

from conftest import import_gx


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """An empty warehouse (schema only): every built-in expectation passes on it."""
    db = tmp_path / "w.duckdb"
    connect(db).close()
    return db


def test_gx_lists_the_shipped_suites_checkpoints_and_severity(gx_project):
    context = import_gx().get_context(mode="file", project_root_dir=str(gx_project))
    assert sorted(s.name for s in context.suites.all()) == sorted(SUITES)
    assert sorted(c.name for c in context.checkpoints.all()) == sorted(SUITES)
    builtin = {c.name: c for c in checks(QualityConfig())}
    stored = {e.meta["check"]: e for s in context.suites.all() for e in s.expectations}
    assert set(stored) == set(builtin)
    for name, expectation in stored.items():
        assert expectation.meta["severity"] == builtin[name].severity
    # Settings-driven thresholds are suite parameters, so newsflow.toml never rewrites the files.
    assert stored["word_count_in_bounds"].configuration.kwargs["min_value"] == {"$PARAMETER": "min_words"}


def test_shipped_project_matches_suites_py(gx_project):
    """Regenerating the built-ins with the default settings changes no stored file."""
    from newsflow.expectations.project import ensure_project, get_context

    files = sorted(p for p in (gx_project / "gx").rglob("*") if p.is_file() and "uncommitted" not in p.parts)
    before = {p: p.read_bytes() for p in files}
    ensure_project(get_context(gx_project))
    assert {p: p.read_bytes() for p in files} == before


def test_expectation_added_with_the_gx_api_runs_in_the_next_validate(gx_project, warehouse, monkeypatch, capsys):
    monkeypatch.setenv("NEWSFLOW_QUALITY__PROJECT", str(gx_project))
    assert main(["validate", "--db", str(warehouse)]) == 0
    capsys.readouterr()

    gx = import_gx()
    context = gx.get_context(mode="file", project_root_dir=str(gx_project))
    suite = context.suites.get("articles")
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1, meta={"severity": "warning"}))

    assert main(["validate", "--db", str(warehouse)]) == 0  # a warning: passes by default...
    out = capsys.readouterr().out
    assert "warning failures (1):" in out and "articles.expect_table_row_count_to_be_between" in out
    assert "|---|" not in out  # plain text, not Markdown
    assert main(["validate", "--db", str(warehouse), "--fail-on", "warning"]) == 1  # ...and fails strict CI
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT severity, success, validated_at IS NOT NULL FROM dq_results "
                           "WHERE expectation_type = 'expect_table_row_count_to_be_between'").fetchall()
        runs = con.execute("SELECT kind, status, inputs FROM runs ORDER BY started_at").fetchall()
    assert rows == [("warning", False, True)] * 2
    # The strict run exited 1, and its row says failed; the lenient ones completed.
    assert runs == [("validate", "completed", 0)] * 2 + [("validate", "failed", 0)]
    # GX keeps every validation: the project's Data Docs index links the runs' results.
    history = list((gx_project / "gx" / "uncommitted" / "validations" / "articles").iterdir())
    assert len(history) == 3
    assert (gx_project / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").is_file()

    # The same expectation as critical fails the run, and the runs row says so.
    suite = context.suites.get("articles")
    (added,) = [e for e in suite.expectations if e.expectation_type == "expect_table_row_count_to_be_between"]
    added.meta = {"severity": "critical"}
    added.save()
    assert main(["validate", "--db", str(warehouse)]) == 1
    out = capsys.readouterr().out
    assert "critical failures (1):" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone() == ("failed",)


def test_validate_refuses_a_missing_database(tmp_path, capsys):
    missing = tmp_path / "nope.duckdb"
    assert main(["validate", "--db", str(missing)]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists()


def test_validate_takes_lock_timeout_like_ingest(tmp_path, capsys):
    import time

    from newsflow.warehouse.writelock import write_lock

    db = tmp_path / "w.duckdb"
    connect(db).close()
    with write_lock(db, 1):  # another run is writing
        started = time.monotonic()
        assert main(["validate", "--db", str(db), "--lock-timeout", "0.2"]) == 1
        assert time.monotonic() - started < 5
    assert "is being written by another newsflow run" in capsys.readouterr().err


def test_a_changed_builtin_is_rewritten_and_user_expectations_are_kept(gx_project):
    from newsflow.expectations.project import ensure_project, get_context

    gx = import_gx()
    context = get_context(gx_project)
    context.suites.get("articles").add_expectation(
        gx.expectations.ExpectColumnValuesToNotBeNull(column="site_name", meta={"severity": "warning"}))
    ensure_project(context, QualityConfig(min_title_rate=0.5))  # GX's `mostly` cannot be a parameter

    stored = get_context(gx_project).suites.get("articles").expectations
    (title,) = [e for e in stored if e.meta.get("check") == "title_present_rate"]
    assert title.configuration.kwargs["mostly"] == 0.5
    assert [e.configuration.kwargs["column"] for e in stored if "check" not in e.meta] == ["site_name"]


def _pages(project: Path) -> dict[Path, int]:
    """The Data Docs pages of stored validations, with their modification times."""
    site = project / "gx" / "uncommitted" / "data_docs" / "local_site"
    return {p.relative_to(site): p.stat().st_mtime_ns for p in (site / "validations").rglob("*.html")}


def test_validate_renders_only_its_own_results_and_the_index_lists_all(gx_project, warehouse, monkeypatch, capsys):
    """A nightly validate does not render the whole history again; a site without an index is built in full."""
    monkeypatch.setenv("NEWSFLOW_QUALITY__PROJECT", str(gx_project))
    site = gx_project / "gx" / "uncommitted" / "data_docs" / "local_site"
    assert main(["validate", "--db", str(warehouse)]) == 0
    first = _pages(gx_project)
    assert len(first) == len(SUITES)  # one page per table's validation
    assert main(["validate", "--db", str(warehouse)]) == 0
    second = _pages(gx_project)
    assert len(second) == 2 * len(SUITES)
    assert {page: second[page] for page in first} == first, "the first run's pages were rendered again"
    index = (site / "index.html").read_text()
    assert all(str(page) in index for page in second), "the index links every stored validation"

    shutil.rmtree(site)  # a deleted site comes back whole, old results included
    assert main(["validate", "--db", str(warehouse)]) == 0
    capsys.readouterr()
    assert set(first) | set(second) < set(_pages(gx_project))
