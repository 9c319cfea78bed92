"""Unchanged local files are counted `unchanged` at discover time (flows/unchanged.py): real Prefect
flows (test harness), real files, real DuckDB, real GX."""

from __future__ import annotations

import os
import time

import duckdb
import pytest

from newsflow.acquire.stamps import RACY_NS
from newsflow.flows.reprocess import run_reprocess
from newsflow.flows.run import run_ingest
from newsflow.settings import Settings

from conftest import FERRY, GERMAN, ORCHARD, html_page, write

pytestmark = pytest.mark.usefixtures("prefect_harness")


def settled() -> None:
    """Wait until files written just now are older than the racy window, so their stamps are recorded."""
    time.sleep(RACY_NS / 1e9 + 0.2)


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "in"
    write(d / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "orchard.html", html_page("Late apple harvest begins in Vell Valley", ORCHARD, site="Valley Courier"))
    write(d / "sub" / "ferry-copy.html", html_page("Electric ferry to enter service next spring", FERRY,
                                                   site="Another Ledger"))  # an exact copy: a duplicate
    settled()
    return d


def counts(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("articles", "documents", "rejects", "removed_segments", "file_state", "dq_results")}


def run_row(db, run_id: str) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT status, inputs, new_articles, duplicates, rejected, unchanged FROM runs "
                           "WHERE run_id = ?", [run_id]).fetchone()


def batch_runs(flow_run_id: str) -> int:
    """process-batch task runs of one flow run: each one reads files."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])), limit=50)
    return sum(t.name.startswith("process-batch") for t in runs)


def test_rerun_of_an_unchanged_folder_reads_and_loads_nothing(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    first = run_ingest([str(folder)], Settings(db=db))
    assert (first.inputs, first.new_articles, first.duplicates, first.unchanged) == (3, 2, 1, 0)
    before = counts(db)
    assert before["file_state"] == 3  # loaded and duplicate files alike

    again = run_ingest([str(folder)], Settings(db=db))
    assert (again.inputs, again.new_articles, again.duplicates, again.rejected, again.unchanged) == (0, 0, 0, 0, 3)
    assert again.line().startswith("0 inputs: 0 new articles, 0 duplicates, 0 rejected, 3 unchanged (run ")
    assert run_row(db, again.run_id) == ("completed", 0, 0, 0, 0, 3)
    after = counts(db)
    assert {k: after[k] for k in ("articles", "documents", "rejects", "removed_segments", "file_state")} == \
           {k: before[k] for k in ("articles", "documents", "rejects", "removed_segments", "file_state")}
    assert batch_runs(again.flow_run_id) == 0, "no batch may read an unchanged file"
    with duckdb.connect(str(db), read_only=True) as con:  # the stamps still point at the run that read them
        assert {r for (r,) in con.execute("SELECT DISTINCT run_id FROM file_state").fetchall()} == {first.run_id}
        assert con.execute("SELECT count(*) FROM file_state f JOIN documents d USING (document_id, origin)"
                           ).fetchone()[0] == 3


def test_edited_touched_and_replaced_files_are_read_again(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    run_ingest([str(folder)], Settings(db=db))
    write(folder / "orchard.html", html_page("Late apple harvest begins in Vell Valley",
                                             ORCHARD[:2] + ["The cooperative will publish final figures in May."]))
    os.utime(folder / "ferry.html")  # touched: same bytes, new stamp
    replacement = folder / "new-copy.tmp"
    write(replacement, html_page("Electric ferry to enter service next spring", FERRY, site="Another Ledger"))
    os.replace(replacement, folder / "sub" / "ferry-copy.html")  # same path, same bytes, another inode

    again = run_ingest([str(folder)], Settings(db=db))
    assert (again.inputs, again.new_articles, again.duplicates, again.unchanged) == (3, 1, 2, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        read = sorted(o.rsplit("/", 1)[-1] for (o,) in con.execute(
            "SELECT origin FROM documents WHERE run_id = ?", [again.run_id]).fetchall())
        assert read == ["ferry-copy.html", "ferry.html", "orchard.html"]
        text = con.execute("SELECT a.text FROM articles a JOIN documents d USING (article_id) "
                           "WHERE d.run_id = ? AND d.origin LIKE '%orchard.html'", [again.run_id]).fetchone()[0]
        assert "final figures in May" in text
    settled()  # the edits are old enough now: recorded at the next run, skipped at the one after
    run_ingest([str(folder)], Settings(db=db))
    third = run_ingest([str(folder)], Settings(db=db))
    assert (third.inputs, third.unchanged) == (0, 3)


def test_a_rejected_file_is_retried(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    strict = run_ingest([str(folder)], Settings(db=db, min_words=100))  # the orchard story is shorter (87 words)
    assert (strict.inputs, strict.new_articles, strict.rejected) == (3, 1, 1)
    again = run_ingest([str(folder)], Settings(db=db))  # default min_words: the same file now loads
    assert (again.inputs, again.new_articles, again.rejected, again.unchanged) == (1, 1, 0, 2)
    with duckdb.connect(str(db), read_only=True) as con:
        origin = con.execute("SELECT d.origin FROM documents d WHERE d.run_id = ?", [again.run_id]).fetchall()
        assert [o.rsplit("/", 1)[-1] for (o,) in origin] == ["orchard.html"]
        assert con.execute("SELECT count(*) FROM file_state").fetchone()[0] == 3


def test_a_file_rejected_at_its_latest_reading_is_retried(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    run_ingest([str(folder)], Settings(db=db))  # all three recorded
    strict = run_ingest([str(folder)], Settings(db=db, min_words=100, skip_unchanged_files=False))
    assert (strict.inputs, strict.rejected) == (3, 1)  # orchard, read again, is too short now
    again = run_ingest([str(folder)], Settings(db=db))
    assert (again.inputs, again.duplicates, again.unchanged) == (1, 1, 2)


@pytest.mark.parametrize("override", [{"skip_unchanged_files": False}, {"refresh": True}])
def test_setting_off_or_refresh_reads_and_records_every_file_again(folder, tmp_path, override):
    db = tmp_path / "w.duckdb"
    run_ingest([str(folder)], Settings(db=db))
    again = run_ingest([str(folder)], Settings(db=db, **override))
    assert (again.inputs, again.new_articles, again.duplicates, again.unchanged) == (3, 0, 3, 0)
    assert counts(db)["documents"] == 6
    with duckdb.connect(str(db), read_only=True) as con:  # the stamps now point at the latest reading
        assert con.execute("SELECT DISTINCT run_id FROM file_state").fetchall() == [(again.run_id,)]


def test_another_outlet_name_reads_the_file_again(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    run_ingest([str(folder)], Settings(db=db))
    again = run_ingest([str(folder)], Settings(db=db, source_name="Harbour Archive"))
    assert (again.inputs, again.duplicates, again.unchanged) == (3, 3, 0)
    third = run_ingest([str(folder)], Settings(db=db, source_name="Harbour Archive"))
    assert (third.inputs, third.unchanged) == (0, 3)


def test_reprocess_still_reads_every_file(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    run_ingest([str(folder)], Settings(db=db))
    assert run_ingest([str(folder)], Settings(db=db)).unchanged == 3
    summary = run_reprocess(Settings(db=db))
    assert (summary.inputs, summary.duplicates) == (3, 3)
    with duckdb.connect(str(db), read_only=True) as con:  # it times its end as ingest does (flows/finish.py)
        stored = con.execute("SELECT stage_seconds FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()[0]
    assert stored == summary.stage_seconds and stored["finish"] > 0


def test_a_run_that_fails_records_no_stamp(folder, tmp_path):
    db = tmp_path / "w.duckdb"
    first = run_ingest([str(folder)], Settings(db=db))
    write(folder / "german.html", html_page("Alte Brücke bleibt offen", GERMAN * 2))
    settled()
    strict = Settings(db=db, quality={"languages": ["en"], "severity": {"language_allowed": "critical"}})
    with pytest.raises(Exception, match="data quality check failed"):
        run_ingest([str(folder)], strict)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT run_id FROM file_state").fetchall() == [(first.run_id,)]
        assert con.execute("SELECT count(*) FROM file_state WHERE origin LIKE '%german.html'").fetchone()[0] == 0
    again = run_ingest([str(folder)], Settings(db=db))  # the file the failed run read is read again
    assert (again.inputs, again.new_articles, again.unchanged) == (1, 1, 3)


def test_reject_rate_of_a_rerun_counts_the_unchanged_files(folder, tmp_path):
    """One bad file among several unchanged ones is one reject of all the files considered, not of
    the one file read (as `newsflow validate` reads runs.unchanged)."""
    for i in range(3):  # more files the first run records: exact copies, duplicates
        write(folder / f"copy-{i}.html", html_page("Electric ferry to enter service next spring", FERRY))
    settled()
    db = tmp_path / "w.duckdb"
    assert run_ingest([str(folder)], Settings(db=db)).inputs == 6
    write(folder / "stub.html", html_page("Brief", ["Too short to be an article."]))
    again = run_ingest([str(folder)], Settings(db=db))
    assert (again.inputs, again.rejected, again.unchanged) == (1, 1, 6)
    with duckdb.connect(str(db), read_only=True) as con:
        success, observed = con.execute("SELECT success, observed_value FROM dq_results WHERE run_id = ? AND "
                                        "expectation = 'reject_rate_in_bounds'", [again.run_id]).fetchone()
    assert success, observed  # 1 of 7: within max_reject_rate (0.25); 1 of 1 counted the read file alone
    assert again.dq_failed == 0


def test_the_same_folder_typed_another_way_is_the_same_input(folder, tmp_path, monkeypatch):
    """Relative from any directory, absolute, with ./ or ..: one origin per file (its absolute path),
    so file_state recognises it and documents gets no second row."""
    db = tmp_path / "w.duckdb"
    monkeypatch.chdir(tmp_path)
    first = run_ingest(["in", "./in/missing.html"], Settings(db=db))
    assert (first.inputs, first.new_articles, first.duplicates, first.rejected) == (4, 2, 1, 1)
    before = counts(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert sorted(o for (o,) in con.execute("SELECT origin FROM documents").fetchall()) == \
               sorted(str(folder / n) for n in ("ferry.html", "orchard.html", "sub/ferry-copy.html"))
        assert con.execute("SELECT origin FROM rejects").fetchall() == [(str(folder / "missing.html"),)]
        assert con.execute("SELECT count(*) FROM file_state WHERE origin LIKE '/%'").fetchone()[0] == 3

    for cwd, typed in [(folder / "sub", ".."), (tmp_path, str(folder)), (tmp_path, "./in/../in/"),
                       (folder, ".")]:
        monkeypatch.chdir(cwd)
        again = run_ingest([typed], Settings(db=db))
        assert (again.inputs, again.unchanged) == (0, 3), (cwd, typed)
    monkeypatch.chdir(folder / "sub")
    assert run_ingest(["../ferry.html"], Settings(db=db)).unchanged == 1
    after = counts(db)
    assert {k: after[k] for k in ("articles", "documents", "rejects", "file_state")} == \
           {k: before[k] for k in ("articles", "documents", "rejects", "file_state")}


def test_a_warehouse_with_paths_as_typed_reads_its_files_once_more(folder, tmp_path, monkeypatch):
    """Before origins were absolute, they were stored as typed: the first run after the upgrade reads
    such files once more (duplicates under the absolute path), then counts them unchanged; reprocess
    reads each file once."""
    db = tmp_path / "w.duckdb"
    monkeypatch.chdir(tmp_path)
    run_ingest(["in"], Settings(db=db))
    with duckdb.connect(str(db)) as con:  # what an older newsflow wrote: the paths relative, as typed
        for table in ("documents", "file_state"):
            con.execute(f"UPDATE {table} SET origin = substr(origin, ?)", [len(str(tmp_path)) + 2])
        assert con.execute("SELECT count(*) FROM documents WHERE origin LIKE 'in/%'").fetchone()[0] == 3
    upgraded = run_ingest(["in"], Settings(db=db))
    assert (upgraded.inputs, upgraded.new_articles, upgraded.duplicates, upgraded.unchanged) == (3, 0, 3, 0)
    assert run_ingest([str(folder)], Settings(db=db)).unchanged == 3
    summary = run_reprocess(Settings(db=db))
    assert (summary.inputs, summary.rejected) == (3, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE run_id = ? AND origin LIKE '/%'",
                           [summary.run_id]).fetchone()[0] == 3
