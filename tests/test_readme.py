"""The README's Usage examples work as a new user runs them: in order, from a fresh directory, each
`newsflow search` line after the `newsflow ingest` lines that build its warehouse (real flows, real
DuckDB files)."""

from __future__ import annotations

import re
import shlex

import pytest

from newsflow.cli import main

from conftest import REPO, SEEDS

pytestmark = pytest.mark.usefixtures("prefect_harness")


def usage_commands() -> list[list[str]]:
    """The `newsflow ...` lines of the README's Usage block, without their comments, as argv lists."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Usage\n.*?```sh\n(.*?)```", readme, re.S).group(1)
    return [shlex.split(line, comments=True)[1:] for line in block.splitlines() if line.startswith("newsflow ")]


def test_usage_search_examples_find_articles_after_the_usage_ingests(tmp_path, monkeypatch, capsys):
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
