"""What a new user meets on the command line: missing inputs and warehouses, notes, verdicts, Ctrl-C,
the lines a run prints, config typos, export folders (the new-user walkthrough's findings)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from newsflow.cli import main
from newsflow.warehouse.db import connect

from conftest import FERRY, ORCHARD, REPO, html_page, import_gx, load_plain, processed, write


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# -- inputs ---------------------------------------------------------------------------------------

def test_a_missing_path_is_a_not_found_reject_and_the_other_inputs_are_ingested(prefect_harness, tmp_path, capsys):
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    missing = tmp_path / "nope.html"
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(tmp_path / "in"), str(missing), "--db", str(db), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 inputs: 1 new article, 0 duplicates, 1 rejected (run ")
    assert "acquire/not_found 1" in out
    assert rows(db, "SELECT origin, stage, reason FROM rejects") == [(str(missing), "acquire", "not_found")]
    assert rows(db, "SELECT count(*) FROM documents") == [(1,)]

    # Only missing inputs: the run reads nothing, keeps its rejects row, and exits 1.
    assert main(["ingest", str(missing), "--db", str(db), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "the one input could not be read (acquire/not_found 1)" in err
    assert rows(db, "SELECT count(*) FROM rejects WHERE reason = 'not_found'") == [(2,)]


def test_an_empty_folder_or_a_glob_matching_nothing_gets_a_note(prefect_harness, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(empty), "--db", str(db), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("0 inputs: 0 new articles, 0 duplicates, 0 rejected")
    assert f"note: no inputs found in {empty}: newsflow reads .html, .htm and .txt files" in err

    sources = write(tmp_path / "sources.toml", f'[[source]]\nname = "Inbox"\npaths = ["{tmp_path}/inbox/*.html"]\n')
    assert main(["ingest", "--sources", str(sources), "--db", str(db), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"note: no inputs found in {tmp_path}/inbox/*.html ({sources})" in err

    # A run that found its files unchanged found them: no note.
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--no-progress"]) == 0
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--no-progress"]) == 0
    assert "note:" not in capsys.readouterr().err


def test_an_html_fragment_is_rejected_saying_it_is_a_fragment(prefect_harness, tmp_path, capsys):
    # One element and no <html> document: trafilatura's "not HTML" (a fragment of two or more is read).
    write(tmp_path / "in" / "fragment.html", f"<article><p>{' '.join(FERRY)}</p></article>")
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--no-progress"]) == 0
    [(stage, reason, detail)] = rows(db, "SELECT stage, reason, detail FROM rejects")
    assert (stage, reason) == ("extract", "no_article")
    assert detail.startswith("no <html> document: an HTML fragment, not a page")


# -- what a run prints ------------------------------------------------------------------------------

def test_reprocess_prints_the_same_lines_as_ingest(prefect_harness, tmp_path, capsys):
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("1 input: 1 new article, 0 duplicates, 0 rejected")
    assert main(["reprocess", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 input: 0 new articles, 1 duplicate, 0 rejected")
    [(passed, failed, run_id)] = rows(db, "SELECT count(*) FILTER (success), count(*) FILTER (NOT success), any_value(run_id) "
                                          "FROM dq_results WHERE run_id = (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1)")
    assert re.search(rf"^dq: {passed} passed, {failed} failed", out, re.M), out


@pytest.mark.slow  # the real `newsflow` program, started as a user starts it
def test_the_query_it_line_can_be_pasted(tmp_path):
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    program = os.path.relpath(Path(sys.executable).parent / "newsflow", REPO)  # .venv/bin/newsflow
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if Path(p).resolve() != Path(sys.executable).parent.resolve())  # not on PATH
    env = {**os.environ, "PATH": path, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([program, "ingest", str(tmp_path / "in"), "--db", str(tmp_path / "my db.duckdb"),
                           "--no-progress"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("Query it: ")]
    assert line.startswith(f"Query it: {program} query ")
    pasted = subprocess.run(shlex.split(line.removeprefix("Query it: ")), cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=300)
    assert pasted.returncode == 0, pasted.stderr
    assert "Electric ferry to enter service" in pasted.stdout


# -- a missing warehouse -----------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["typo.duckdb", "no/such/folder/w.duckdb"])
def test_every_reading_command_says_the_same_about_a_missing_warehouse(tmp_path, capsys, where):
    db = tmp_path / where
    said = set()
    for argv in (["query", "SELECT 1"], ["search", "ferry"], ["export", "--out", str(tmp_path / "x")],
                 ["validate"], ["reprocess"]):
        assert main([*argv, "--db", str(db)]) == 1, argv
        said.add(capsys.readouterr().err)
    assert said == {f"error: no database at {db}; run `newsflow ingest` first or pass --db\n"}
    assert not db.exists() and not (tmp_path / "x").exists()


# -- Ctrl-C -------------------------------------------------------------------------------------------

def snapshot(db: Path) -> dict[str, tuple]:
    """Every table's row count and row checksum."""
    from newsflow.warehouse.export import row_checksum

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        return {t: (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0], row_checksum(con, t)) for t in tables}
    finally:
        con.close()


@pytest.mark.slow  # a real process interrupted as a terminal interrupts it
def test_ctrl_c_mid_run_commits_nothing_and_exits_130(tmp_path, server):
    from newsflow.warehouse.load import RunRecord

    from websupport import Reply

    db = tmp_path / "w.duckdb"
    con = connect(db)
    try:
        load_plain(con, RunRecord("a" * 32, None, datetime.now(timezone.utc)), [processed(1), processed(2)], [])
    finally:
        con.close()
    before = snapshot(db)
    assert before["articles"][0] == 2

    release = threading.Event()
    server.routes["/news/held"] = lambda headers: (release.wait(60), Reply(
        200, html_page("Orchard reopens", ORCHARD).encode(), {"Content-Type": "text/html; charset=utf-8"}))[1]
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    run = subprocess.Popen([sys.executable, "-m", "newsflow", "ingest", str(tmp_path / "in"), server.url("/news/held"),
                            "--allow-private-hosts", "--db", str(db), "--no-progress"],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True,  # a process group of its own, as a terminal's job is
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 300
        while not server.hits("/news/held"):  # mid-run: the page is being fetched
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run never fetched the page"
            time.sleep(0.1)
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        out, err = run.communicate(timeout=120)
    finally:
        release.set()
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, (out, err)
    assert err.strip().splitlines()[-1] == "interrupted; nothing committed", err
    assert "Traceback" not in err and out == ""
    assert snapshot(db) == before


# -- data-quality verdict ---------------------------------------------------------------------------

def test_the_verdict_reads_the_same_in_the_cli_and_the_data_docs(gx_project, tmp_path, monkeypatch, capsys):
    db = tmp_path / "w.duckdb"
    connect(db).close()  # no articles: the expectation added below fails
    monkeypatch.setenv("NEWSFLOW_QUALITY__PROJECT", str(gx_project))
    gx = import_gx()
    context = gx.get_context(mode="file", project_root_dir=str(gx_project))
    context.suites.get("articles").add_expectation(
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1, meta={"severity": "warning"}))

    def heading(docs: Path) -> str:
        return re.search(r"<h1>(.*?)</h1>", (docs / "index.html").read_text()).group(1)

    assert main(["validate", "--db", str(db), "--docs", str(tmp_path / "lenient")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Data quality: passed with warnings (run ")
    assert heading(tmp_path / "lenient") == "Data quality: passed with warnings"

    assert main(["validate", "--db", str(db), "--docs", str(tmp_path / "strict"), "--fail-on", "warning"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("Data quality: FAILED (run ") and "passed" not in out.splitlines()[0]
    assert heading(tmp_path / "strict") == "Data quality: FAILED"
    assert err.startswith("error: 1 warning expectation(s) failed (--fail-on warning)")
    with duckdb.connect(str(db), read_only=True) as con:  # the runs rows agree with the exit codes
        rows = con.execute("SELECT status, error FROM runs WHERE kind = 'validate' ORDER BY started_at").fetchall()
    assert [status for status, _ in rows] == ["completed", "failed"]
    assert rows[0][1] is None and "articles.table_row_count_to_be_between" in rows[1][1].replace("expect_", "")


# -- options and settings ---------------------------------------------------------------------------

def test_verbose_is_an_option_only_of_the_commands_that_run_prefect(tmp_path, capsys):
    for command in ("ingest", "reprocess", "serve"):
        assert main([command, "--help"]) == 0
        assert "--verbose" in capsys.readouterr().out, command
    for command in ("query", "search", "export", "tables", "validate", "config"):
        assert main([command, "--help"]) == 0
        help_text = capsys.readouterr().out
        assert "--verbose" not in help_text and "--debug" in help_text, command
    assert main(["config", "-v"]) == 2
    assert "No such option '-v'" in capsys.readouterr().err


def test_a_misspelt_key_in_the_config_file_names_the_file_and_the_key(tmp_path, monkeypatch, capsys):
    config = write(tmp_path / "bad.toml", 'dbb = "x.duckdb"\n[fetch]\nuser_agnt = "x"\n')
    monkeypatch.setenv("NEWSFLOW_CONFIG", str(config))
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert f"{config}: dbb names no setting (did you mean db?)" in err
    assert f"{config}: [fetch] user_agnt names no setting (did you mean user_agent?)" in err
    assert "NEWSFLOW_DBB" not in err and "NEWSFLOW_FETCH__USER_AGNT" not in err

    write(config, "workers = \"many\"\n")  # a bad value: where it was set, not a variable never set
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert f"setting workers ({config}):" in err and "NEWSFLOW_WORKERS" not in err

    monkeypatch.delenv("NEWSFLOW_CONFIG")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSFLOW_FETCH__USER_AGNT", "x")  # a group's option mistyped in the environment
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "NEWSFLOW_FETCH__USER_AGNT names no setting (did you mean NEWSFLOW_FETCH__USER_AGENT?)" in err
    assert "newsflow.toml" not in err


# -- export -----------------------------------------------------------------------------------------

def test_export_replaces_an_earlier_export_of_another_format(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    connect(db).close()
    out = tmp_path / "export"
    notes = write(out / "notes.txt", "mine")
    assert main(["export", "--format", "csv", "--out", str(out), "--db", str(db)]) == 0
    csv_files = {e["file"] for e in json.loads((out / "manifest.json").read_text())["relations"]}
    assert csv_files and all((out / f).is_file() for f in csv_files)
    capsys.readouterr()

    assert main(["export", "--format", "parquet", "--out", str(out), "--db", str(db)]) == 0
    assert f"removed {len(csv_files)} files of the earlier export there" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert {p.name for p in out.iterdir()} == {e["file"] for e in manifest["relations"]} | {"manifest.json", "notes.txt"}
    assert notes.read_text() == "mine"  # not ours: left alone

    foreign = tmp_path / "other"
    write(foreign / "manifest.json", '{"name": "someone else\'s"}')
    assert main(["export", "--out", str(foreign), "--db", str(db)]) == 1
    assert "is not the manifest of a newsflow export" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["manifest.json"]
