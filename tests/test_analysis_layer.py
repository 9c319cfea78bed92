"""The SQL analysis layer: outlets for files, public/internal schemas and the catalog, the analysis
views, `newsflow query` (formats, stdin, read-only), `export`, `search` and `tables`.

One warehouse is built for the module with the real ingest flow: the bundled samples, then a
near-duplicate copy of one sample (written here from the first run's text) under --source-name,
then the five seeds, each under its own outlet from a sources file with path globs.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from newsflow import query as q
from newsflow.cli import main
from newsflow.settings import Settings
from newsflow.warehouse import catalog
from newsflow.warehouse.db import connect
from newsflow.warehouse.readonly import open_readonly

from conftest import REPO, SEEDS, write

VIEWS = ("article_sources", "articles_canonical", "rule_hits", "run_history", "source_daily", "story_coverage",
         "syndication")
INTERNAL = ("neardup_bands", "neardup_signatures", "schema_migrations", "search_docs", "search_terms",
            "similarity_index", "story_centroids", "story_df", "story_terms")


def seeds_sources(seeds: Path) -> str:
    """A sources file naming each seed file as its own outlet (path globs, no URLs)."""
    return "".join(f'[[source]]\nname = "seed-{p.name[:3]}"\npaths = ["{seeds}/{p.name[:3]}_*.txt"]\n\n'
                   for p in sorted(seeds.glob("*.txt")))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_harness):
    from newsflow.flows.run import run_ingest

    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (../shared/seeds beside the repo)")
    seeds = SEEDS
    tmp = tmp_path_factory.mktemp("analysis")
    db = tmp / "w.duckdb"
    run_ingest([], Settings(db=db))  # the bundled samples
    con = connect(db)
    text = con.execute("SELECT text FROM articles WHERE title LIKE 'Ferry crews vote%'").fetchone()[0]
    con.close()
    paragraphs = text.split("\n\n")
    # A wire copy: another headline, the last paragraph dropped, two words changed.
    copy = "\n\n".join(paragraphs[:-1]).replace("strike", "walkout", 1).replace("crews", "workers", 1)
    write(tmp / "copy" / "ferry-copy.txt", "Ferry workers back walkout over rosters\n\n" + copy)
    run_ingest([str(tmp / "copy")], Settings(db=db, source_name="Copy Desk Weekly"))
    sources = write(tmp / "seeds.toml", seeds_sources(seeds))
    run_ingest([], Settings(db=db, sources=sources))
    return db


@pytest.fixture
def ro(warehouse):
    con = open_readonly(warehouse)
    yield con
    con.close()


def peek(db: Path, sql: str) -> list[tuple]:
    """Rows of `sql`, on a connection closed at once (DuckDB shares one instance per file in a process)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- outlets for files --------------------------------------------------------------------------

def test_source_name_and_sources_file_paths_name_the_outlet_of_files(ro):
    rows = ro.execute("SELECT d.source, a.site_name FROM documents d JOIN articles a USING (article_id) "
                      "WHERE d.origin LIKE '%ferry-copy.txt'").fetchall()
    assert rows == [("Copy Desk Weekly", "Copy Desk Weekly")]  # a text file names no site: the source does
    seeds = ro.execute("SELECT regexp_extract(origin, '(\\d{3})_[0-9a-f]+\\.txt$', 1), source, site_name "
                       "FROM documents JOIN articles USING (article_id) WHERE source LIKE 'seed-%' ORDER BY 1").fetchall()
    assert len(seeds) == 5 and all(s == f"seed-{n}" == site for n, s, site in seeds)
    # A page that names its site keeps it.
    assert ro.execute("SELECT DISTINCT site_name FROM articles WHERE title LIKE 'Ferry crews vote%'").fetchall() \
        == [("The Harbourline Courier",)]


def test_story_source_count_counts_distinct_outlets(ro):
    counts = ro.execute("SELECT article_count, source_count FROM stories ORDER BY article_count DESC, source_count DESC"
                        ).fetchall()
    assert counts[0] == (5, 5)  # the seed story: five articles from five outlets (was 0)
    ferry = ro.execute("SELECT s.article_count, s.source_count FROM stories s JOIN articles a USING (story_id) "
                       "WHERE a.title LIKE 'Ferry crews vote%'").fetchone()
    assert ferry == (2, 2)


def test_sources_file_path_globs_are_read_against_its_folder(tmp_path):
    from newsflow.acquire.sources import expand_paths, load_sources

    write(tmp_path / "corpus" / "a" / "one.txt", "x")
    write(tmp_path / "corpus" / "b" / "two.html", "x")
    write(tmp_path / "conf" / "sources.toml",
          '[[source]]\nname = "Local Desk"\npaths = ["../corpus/**/*.txt", "../corpus/b"]\n')
    (source,) = load_sources(tmp_path / "conf" / "sources.toml")
    found = [p.resolve() for p in expand_paths(source)]
    assert found == [(tmp_path / "corpus" / "a" / "one.txt").resolve(), (tmp_path / "corpus" / "b").resolve()]


def test_sources_file_plain_path_that_is_missing_is_kept_for_a_not_found_reject(tmp_path):
    from newsflow.acquire.sources import expand_paths, load_sources

    write(tmp_path / "corpus" / "one.txt", "x")
    write(tmp_path / "sources.toml", '[[source]]\nname = "Desk"\npaths = ["corpus/one.txt", "corpus/typo.txt", "none/*.txt"]\n')
    (source,) = load_sources(tmp_path / "sources.toml")
    assert [p.relative_to(tmp_path) for p in expand_paths(source)] == [Path("corpus/one.txt"), Path("corpus/typo.txt")]


# -- schemas and catalog ------------------------------------------------------------------------

def test_internal_tables_are_out_of_the_public_schema(ro):
    public = {r.name for r in catalog.relations(ro)}
    internal = {r.name for r in catalog.relations(ro, "internal")}
    assert set(INTERNAL) <= internal
    assert not public & set(INTERNAL)
    assert {"articles", "documents", "runs", "stories", *VIEWS} <= public


def test_every_public_table_view_and_column_has_a_description(ro):
    missing = [(r.name, c.name) for r in catalog.relations(ro) for c in r.columns if not c.description]
    missing += [(r.name, None) for r in catalog.relations(ro) if not r.description]
    assert missing == []


def test_docs_tables_md_matches_the_live_catalog(warehouse, ro):
    doc = (REPO / "docs" / "tables.md").read_text(encoding="utf-8")
    assert doc == catalog.fresh_markdown(), "docs/tables.md is stale: run `make docs-tables`"
    # and a warehouse with data, migrated across versions, describes itself the same way
    assert catalog.markdown(catalog.relations(ro)) == doc


def test_tables_command_prints_the_catalog(warehouse, capsys):
    code, out, _ = cli(capsys, "tables", "--db", str(warehouse))
    assert code == 0 and "### articles_canonical" in out and "| `outlet` | VARCHAR |" in out


def test_migration_moves_internal_tables_of_an_old_warehouse(tmp_path):
    """A warehouse at version 5 (internal tables in main) keeps its index rows after migrating."""
    from newsflow.warehouse.db import migrations, schema_version

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    for version, name, sql in migrations():
        if version <= 5:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    con.execute("INSERT INTO similarity_index VALUES ('neardup', 'p', 3, now())")
    con.execute("INSERT INTO story_df VALUES ('ferry', 2)")
    con.close()
    con = connect(db)
    assert schema_version(con) == migrations()[-1][0]
    assert con.execute("SELECT name, n_docs FROM internal.similarity_index").fetchall() == [("neardup", 3)]
    assert con.execute("SELECT * FROM internal.story_df").fetchall() == [("ferry", 2)]
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name IN ('similarity_index', 'story_df', 'schema_migrations')").fetchone()[0] == 0
    con.close()


# -- views --------------------------------------------------------------------------------------

@pytest.mark.parametrize("view", VIEWS)
def test_every_view_returns_rows(ro, view):
    assert ro.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0


def test_articles_canonical_has_one_row_per_distinct_article(ro):
    n = ro.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()[0]
    rows = ro.execute("SELECT article_id, outlet, outlets, first_url, documents, copies FROM articles_canonical"
                      ).fetchall()
    assert len(rows) == n == len({r[0] for r in rows})
    ferry = ro.execute("SELECT outlet, outlets, first_url, copies FROM articles_canonical "
                       "WHERE title LIKE 'Ferry crews vote%'").fetchone()
    assert ferry[0] == "The Harbourline Courier" and ferry[1] == "Copy Desk Weekly, The Harbourline Courier"
    assert ferry[2].startswith("https://") and ferry[3] == 1
    hose = ro.execute("SELECT documents, outlets FROM articles_canonical WHERE title LIKE '%hose ban%'").fetchone()
    assert hose == (2, "Dunmore Evening Star, Vale City Post")  # the exact duplicate pair


def test_articles_canonical_outlet_is_the_document_that_created_the_article(tmp_path):
    """Exact copies read in one run share fetched_at: the first document is the non-duplicate one."""
    con = connect(tmp_path / "w.duckdb")
    try:
        con.execute("INSERT INTO articles (article_id, title, text, word_count, content_hash, site_name, "
                    "first_seen_at, first_run_id) VALUES ('a1', 'Hose ban', 'text', 1, 'h1', 'Alpha Post', now(), 'r1')")
        for doc, origin, source, duplicate in (("0000", "/in/b.html", "Beta Times", True),
                                               ("ffff", "/in/a.html", "Alpha Post", False)):
            con.execute("INSERT INTO documents (document_id, run_id, origin, kind, source, fetched_at, raw_sha256, "
                        "article_id, is_duplicate) VALUES (?, 'r1', ?, 'html', ?, TIMESTAMPTZ '2025-05-01 12:00+00', "
                        "'s', 'a1', ?)", [doc, origin, source, duplicate])
        assert con.execute("SELECT outlet, first_origin, outlets FROM articles_canonical").fetchall() == [
            ("Alpha Post", "/in/a.html", "Alpha Post, Beta Times")]
    finally:
        con.close()


def test_story_coverage_leaves_unknown_times_null(ro):
    rows = ro.execute("SELECT published_at, after_first, position FROM story_coverage "
                      "WHERE source_count = 5 ORDER BY position").fetchall()
    assert len(rows) == 5
    dated = [r for r in rows if r[0] is not None]
    assert dated and all(r[1] is not None for r in dated)
    assert all(r[1] is None for r in rows if r[0] is None)  # never the time since ingest
    assert [r[2] for r in rows[:len(dated)]] == list(range(1, len(dated) + 1))  # dated first
    assert all(r[1] < timedelta(days=30) for r in dated)


def test_source_daily_counts_undated_articles_under_a_null_day(ro):
    total = ro.execute("SELECT sum(articles) FROM source_daily").fetchone()[0]
    pairs = ro.execute("SELECT count(*) FROM (SELECT DISTINCT source, article_id FROM documents)").fetchone()[0]
    assert total == pairs  # nothing dropped
    undated = ro.execute("SELECT count(*) FROM articles a WHERE published_at IS NULL").fetchone()[0]
    assert ro.execute("SELECT sum(articles) FROM source_daily WHERE day IS NULL").fetchone()[0] == undated


def test_run_history_has_counts_timings_and_pass_rate(ro):
    rows = ro.execute("SELECT inputs, documents, new_articles, seconds, dq_checks, dq_pass_rate, stage_seconds "
                      "FROM run_history").fetchall()
    assert len(rows) == 3
    assert rows[0][:3] == (18, 17, 16)
    assert all(r[3] > 0 and r[4] > 0 and 0 < r[5] <= 1 and "load" in r[6] for r in rows)


def test_syndication_lists_the_copy(ro):
    rows = ro.execute("SELECT canonical_outlets, copy_outlets, copy_title FROM syndication").fetchall()
    assert rows == [("The Harbourline Courier", "Copy Desk Weekly", "Ferry workers back walkout over rosters")]


# -- query ---------------------------------------------------------------------------------------

SQL = "SELECT title, word_count, published_at FROM articles_canonical WHERE outlet = 'Ridgeview Gazette'"


def test_query_formats(warehouse, capsys):
    db = str(warehouse)
    _, out, _ = cli(capsys, "query", SQL, "--db", db)  # not a terminal: csv
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["title", "word_count", "published_at"] and len(rows) == 2
    assert rows[1][1].isdigit() and rows[1][2].startswith("2025-04-03 19:20:00")
    _, out, _ = cli(capsys, "query", SQL, "--db", db, "--format", "json")
    (obj,) = json.loads(out)
    assert obj["word_count"] == int(rows[1][1]) and obj["published_at"].startswith("2025-04-03T19:20:00")
    _, out, _ = cli(capsys, "query", SQL, "--db", db, "--format", "markdown")
    lines = out.splitlines()
    assert lines[0] == "| title | word_count | published_at |" and lines[1] == "|---|---|---|" and len(lines) == 3
    _, out, _ = cli(capsys, "query", SQL, "--db", db, "--format", "table")
    assert out.splitlines()[1].startswith("| title") and "VARCHAR" in out and out.rstrip().endswith("1 row")


def test_query_table_is_the_default_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert q.default_format(Tty()) == "table" and q.default_format(io.StringIO()) == "csv"


def test_query_reads_sql_from_stdin_and_from_a_file(warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT 1 AS one;\nSELECT count(*) AS n FROM stories"))
    code, out, _ = cli(capsys, "query", "-", "--db", str(warehouse))
    stories = peek(warehouse, "SELECT count(*) FROM stories")[0][0]
    assert code == 0 and out == f"n\n{stories}\n"  # several statements: the last one's result
    path = write(tmp_path / "q.sql", "-- a comment\nSELECT count(*) AS n FROM stories;\n")
    assert cli(capsys, "query", "--file", str(path), "--db", str(warehouse))[1] == f"n\n{stories}\n"


def test_query_errors_keep_duckdb_hints(warehouse, capsys):
    code, _, err = cli(capsys, "query", "SELECT * FROM articles_canonicl", "--db", str(warehouse))
    assert code == 1
    assert 'Did you mean "articles_canonical"' in err and "LINE 1:" in err


@pytest.mark.parametrize("sql, word", [
    ("COPY articles TO '{out}/a.csv'", "COPY"),
    ("COPY (SELECT 1) TO '{out}/b.parquet' (FORMAT parquet)", "COPY"),
    ("EXPORT DATABASE '{out}/exp'", "EXPORT"),
    ("ATTACH '{out}/other.duckdb' AS other", "ATTACH"),
    ("INSTALL fts", "INSTALL"),
    ("LOAD fts", "LOAD"),
    ("SELECT 1; COPY articles TO '{out}/c.csv'", "COPY"),
])
def test_query_refuses_file_database_and_extension_statements(warehouse, tmp_path, capsys, sql, word):
    code, out, err = cli(capsys, "query", sql.format(out=tmp_path), "--db", str(warehouse))
    assert code == 1 and out == ""
    assert f"newsflow query is read-only: {word} is not allowed" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sql, expect", [
    ("SELECT * FROM read_csv('{other}')", "file system operations are disabled"),
    ("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"),
    ("SET enable_external_access = true", "Cannot enable external access while database is running"),
    ("INSERT INTO stories VALUES ('x', 'x', NULL, 0, 0)", "read-only mode"),
    ("DROP VIEW story_coverage", "read-only mode"),
])
def test_query_cannot_read_other_files_or_write(warehouse, tmp_path, capsys, sql, expect):
    other = write(tmp_path / "other.csv", "a,b\n1,2\n")
    code, _, err = cli(capsys, "query", sql.format(other=other), "--db", str(warehouse))
    assert code == 1 and expect in err
    assert peek(warehouse, "SELECT count(*) FROM story_coverage")[0][0] > 0


# -- export --------------------------------------------------------------------------------------

def test_export_parquet_round_trips(warehouse, tmp_path, capsys, request):
    from newsflow.warehouse.export import row_checksum

    out = tmp_path / "export"
    code, text, _ = cli(capsys, "export", "--format", "parquet", "--out", str(out), "--db", str(warehouse))
    assert code == 0 and "manifest.json" in text
    manifest = json.loads((out / "manifest.json").read_text())
    con = duckdb.connect(str(warehouse), read_only=True)
    request.addfinalizer(con.close)
    names = {r.name for r in catalog.relations(con)}
    assert {e["name"] for e in manifest["relations"]} == names
    assert {p.name for p in out.iterdir()} == {f"{n}.parquet" for n in names} | {"manifest.json"}
    for entry in manifest["relations"]:
        assert entry["rows"] == con.execute(f"SELECT count(*) FROM {entry['name']}").fetchone()[0]
        back = duckdb.connect()
        parquet = f"read_parquet('{out / entry['file']}')"
        assert back.execute(f"SELECT count(*) FROM {parquet}").fetchone()[0] == entry["rows"]
        assert row_checksum(back, parquet) == entry["checksum"], entry["name"]
        assert [c["name"] for c in entry["columns"]] == [d[0] for d in back.execute(
            f"SELECT * FROM {parquet} LIMIT 0").description]
        assert all(c["description"] for c in entry["columns"])
    # the checksum is of the warehouse's rows (an interval read back as seconds)
    assert next(e for e in manifest["relations"] if e["name"] == "articles")["checksum"] == row_checksum(con, "articles")
    coverage = next(e for e in manifest["relations"] if e["name"] == "story_coverage")
    assert coverage["checksum"] == row_checksum(con, "(SELECT * REPLACE (epoch(after_first) AS after_first) "
                                                     "FROM story_coverage)")
    assert next(e for e in manifest["relations"] if e["name"] == "articles")["rows"] > 0
    import polars as pl

    for entry in manifest["relations"]:  # and Polars reads every file with the same rows and columns
        frame = pl.read_parquet(out / entry["file"])
        assert frame.height == entry["rows"] and frame.columns == [c["name"] for c in entry["columns"]]


def test_export_csv_is_readable_by_pandas(warehouse, tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "csv"
    code, text, _ = cli(capsys, "export", "--format", "csv", "--out", f"{out}/", "--db", str(warehouse))
    assert code == 0 and text.rstrip().endswith(f"written to {out / 'manifest.json'}")  # `--out dir/`: no `dir//`
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["relations"]:
        frame = pd.read_csv(out / entry["file"])
        assert len(frame) == entry["rows"] and list(frame.columns) == [c["name"] for c in entry["columns"]]


# -- search --------------------------------------------------------------------------------------

def test_search_ranks_the_seed_story_above_unrelated_samples(warehouse, capsys):
    code, out, _ = cli(capsys, "search", "Bitmain factory in the United States", "--db", str(warehouse),
                       "--format", "json", "--limit", "20")
    results = json.loads(out)
    seeds = [i for i, r in enumerate(results) if (r["outlets"] or "").startswith("seed-")]
    others = [i for i, r in enumerate(results) if not (r["outlets"] or "").startswith("seed-")]
    assert code == 0 and len(seeds) == 5
    assert max(seeds) < min(others, default=len(results))
    assert results[0]["score"] > 2 * max((results[i]["score"] for i in others), default=0)


def test_search_filters_by_source_and_since(warehouse, capsys):
    db = str(warehouse)
    out = json.loads(cli(capsys, "search", "hose ban reservoir", "--db", db, "--format", "json")[1])
    assert out[0]["title"].startswith("Water authority announces garden hose ban")
    out = json.loads(cli(capsys, "search", "ferry strike", "--source", "copy desk weekly", "--db", db,
                         "--format", "json")[1])
    assert [r["title"] for r in out] == ["Ferry workers back walkout over rosters"]
    out = json.loads(cli(capsys, "search", "bitmain", "--since", "2025-07-01", "--db", db, "--format", "json")[1])
    assert len(out) == 1 and out[0]["published_at"].startswith("2025-07-29")  # the only dated seed
    out = json.loads(cli(capsys, "search", "bitmain texas", "--all", "--db", db, "--format", "json")[1])
    assert out and all(r["terms_matched"] == 2 for r in out)


def test_search_all_does_not_require_the_stopwords_of_the_query(warehouse, capsys):
    """Stopwords are never indexed, so `--all` requires only the other words (cli help: stopwords ignored)."""
    db = str(warehouse)
    plain = json.loads(cli(capsys, "search", "bitmain texas", "--all", "--db", db, "--format", "json")[1])
    code, out, err = cli(capsys, "search", "the bitmain in texas", "--all", "--db", db, "--format", "json")
    assert code == 0 and err == "" and plain
    assert json.loads(out) == plain  # the same articles, scored the same


# -- make run ------------------------------------------------------------------------------------

def test_make_run_ends_with_example_queries_that_work(warehouse, capsys):
    import shlex
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make not installed")
    out = subprocess.run(["make", "-s", "examples", f"DB={warehouse}"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    commands = [line.strip() for line in out.splitlines() if line.strip().startswith(".venv/bin/newsflow ")]
    assert len(commands) == 2
    for command in commands:
        argv = shlex.split(command)[1:]
        code, text, err = cli(capsys, *argv, "--format", "csv")
        assert code == 0 and len(text.splitlines()) > 1, (command, err)
    makefile = (REPO / "Makefile").read_text()
    run = re.search(r"^run:.*?(?=^\S)", makefile, re.S | re.M).group(0)
    last = run.rstrip().splitlines()[-1].strip().lstrip("@")
    assert last.startswith("$(MAKE)") and "examples" in last


def test_reprocess_keeps_the_outlet_of_files(prefect_harness, tmp_path):
    from newsflow.flows.reprocess import run_reprocess
    from newsflow.flows.run import run_ingest

    write(tmp_path / "in" / "note.txt", "Harbour board approves new ferry timetable\n\n" + " ".join(
        f"The harbour board approved timetable change number {i} for the winter ferry service." for i in range(6)))
    db = tmp_path / "w.duckdb"
    run_ingest([str(tmp_path / "in")], Settings(db=db, source_name="Harbour Notes"))
    run_reprocess(Settings(db=db))
    assert peek(db, "SELECT d.source FROM documents d JOIN runs r USING (run_id) ORDER BY r.started_at") \
        == [("Harbour Notes",), ("Harbour Notes",)]


def test_search_refuses_no_words_and_says_when_every_word_is_a_stopword(warehouse, capsys):
    code, out, err = cli(capsys, "search", " -- ", "--db", str(warehouse))
    assert code == 2 and "no words to search for" in err and out == ""
    code, out, err = cli(capsys, "search", "The and of", "--db", str(warehouse), "--format", "csv")
    assert code == 0 and out.count("\n") == 1 and "every word of 'The and of' is a stopword" in err
    code, out, err = cli(capsys, "search", "the Bitmain", "--db", str(warehouse), "--format", "csv")
    assert code == 0 and out.count("\n") > 1 and err == ""


def test_search_names_the_outlets_when_source_matches_none(warehouse, capsys):
    code, out, err = cli(capsys, "search", "Bitmain", "--source", "seed-03", "--db", str(warehouse), "--format", "csv")
    assert code == 0 and out.count("\n") == 1
    assert "no documents from an outlet named 'seed-03'" in err and "seed-003" in err
    code, out, err = cli(capsys, "search", "Bitmain", "--source", "SEED-003", "--db", str(warehouse), "--format", "csv")
    assert code == 0 and out.count("\n") == 2 and err == ""


def test_search_says_when_articles_are_not_indexed_yet(tmp_path, capsys):
    """A warehouse migrated from before the index: search names what it cannot see; a load indexes it."""
    from newsflow.warehouse import search

    db = tmp_path / "w.duckdb"
    con = connect(db)
    con.execute("INSERT INTO articles (article_id, title, text, word_count, content_hash, first_seen_at, first_run_id)"
                " VALUES ('a1', 'Ferry strike called', 'Ferry crews will strike on Monday.', 6, 'h1', now(), 'r')")
    con.close()
    code, out, err = cli(capsys, "search", "ferry strike", "--db", str(db), "--format", "csv")
    assert code == 0 and out == "score,article_id,title,outlets,published_at,word_count,terms_matched\n"
    assert "1 articles are not indexed yet" in err
    con = connect(db)
    assert search.index_new(con) == 1
    con.close()
    code, out, err = cli(capsys, "search", "ferry strike", "--db", str(db), "--format", "csv")
    assert code == 0 and "a1" in out and err == ""
