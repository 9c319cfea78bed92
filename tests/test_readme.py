"""The README's examples work as a new user runs them: in order, from a fresh directory, each
`newsflow search` line of Usage after the `newsflow ingest` lines that build its warehouse (real
flows, real DuckDB files); the command that converts an older warehouse's storage format."""

from __future__ import annotations

import re
import shlex

import pytest

from newsflow.cli import main

from conftest import REPO, SEEDS


def usage_commands() -> list[list[str]]:
    """The `newsflow ...` lines of the README's Usage block, without their comments, as argv lists."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Usage\n.*?```sh\n(.*?)```", readme, re.S).group(1)
    return [shlex.split(line, comments=True)[1:] for line in block.splitlines() if line.startswith("newsflow ")]


def test_usage_search_examples_find_articles_after_the_usage_ingests(prefect_harness, tmp_path, monkeypatch,
                                                                    capsys):
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (../shared/seeds beside the repo)")
    commands = usage_commands()
    ingests = [c for c in commands if c[:1] == ["ingest"] and (len(c) == 1 or c[1] == "../shared/seeds")]
    searches = [c for c in commands if c[:1] == ["search"]]
    assert len(ingests) == 2 and searches
    (tmp_path / "shared").symlink_to(SEEDS.parent, target_is_directory=True)  # ../shared, as beside the repo
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for argv in ingests:
        assert main([*argv, "--no-progress"]) == 0, argv
    capsys.readouterr()
    for argv in searches:
        code = main([*argv, "--format", "json"])
        out, err = capsys.readouterr()
        assert code == 0 and out.strip() not in ("", "[]") and "note:" not in err, (argv, out, err)


def test_the_conversion_of_an_older_warehouse_works_as_written(tmp_path):
    """README, "Querying the warehouse": the command that copies a 2.0-format warehouse into 1.5's."""
    import subprocess
    import sys

    import duckdb

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"into the older format.*?```sh\n(\.venv/bin/python .*?)\n```", readme, re.S).group(1)
    with duckdb.connect(str(tmp_path / "newsflow.duckdb")) as con:  # 2.0's format, as before STORAGE_VERSION
        con.execute("CREATE TABLE runs AS SELECT range AS n, MAP(['a'], [range]) AS m FROM range(5)")
        con.execute("COMMENT ON TABLE runs IS 'kept'")
    subprocess.run(command.replace(".venv/bin/python", shlex.quote(sys.executable), 1), shell=True, check=True,
                   cwd=tmp_path)
    with duckdb.connect(str(tmp_path / "converted.duckdb"), read_only=True) as con:
        assert con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchone()[0] == "v1.5.0+"
        assert con.execute("SELECT count(*), sum(m['a']) FROM runs").fetchone() == (5, 10)
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'runs'").fetchone()[0] == "kept"
