"""docs/analysis.md reproduces: the seeds are ingested as the document says, every SQL block is run
again and its output must equal the Markdown table printed under it.

`python tests/test_analysis_doc.py --write` rewrites the tables from a fresh run (then read the diff).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import REPO, SEEDS  # noqa: E402

DOC = REPO / "docs" / "analysis.md"
# A ```sql block, then (after a blank line) the table printed for it, or a PLACEHOLDER line.
_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n\n(?P<out>(?:\|[^\n]*\n)+|PLACEHOLDER\n)", re.S)


def build(db: Path, readme_first: bool = False) -> None:
    """The warehouse of the document: its sources file, paths pointed at the seeds. `readme_first`:
    after README's `newsflow ingest ../shared/seeds` into the same file (no outlets yet)."""
    from newsflow.flows.run import run_ingest
    from newsflow.settings import Settings

    if readme_first:
        run_ingest([str(SEEDS)], Settings(db=db))
    toml = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    sources = db.parent / "seeds.toml"
    sources.write_text(toml.replace("../shared/seeds", str(SEEDS)), encoding="utf-8")
    run_ingest([], Settings(db=db, sources=sources))


def outputs(db: Path, doc: str) -> list[tuple[str, str, str]]:
    """(sql, table in the document, table the warehouse gives now) for every query in the document."""
    from newsflow import query as q
    from newsflow.warehouse import readonly

    con = readonly.open_readonly(db)
    try:
        found = []
        for m in _BLOCK.finditer(doc):
            names, types, rows = readonly.run(con, m.group("sql"))
            found.append((m.group("sql"), m.group("out"), q.render("markdown", names, types, rows)))
        return found
    finally:
        con.close()


@pytest.mark.parametrize("readme_first", [False, True], ids=["doc-alone", "after-readme"])
def test_analysis_md_reproduces(prefect_harness, tmp_path, readme_first):
    """The document's tables, on its own warehouse and on the one README's seeds example left: the
    same files read again under their outlets give the same stories and counts."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (../shared/seeds beside the repo)")
    db = tmp_path / "seeds.duckdb"
    build(db, readme_first)
    found = outputs(db, DOC.read_text(encoding="utf-8"))
    assert len(found) >= 4
    for sql, documented, now in found:
        assert documented == now, f"docs/analysis.md is out of date for:\n{sql}"


def test_no_long_seed_line_is_copied_into_the_repository():
    """The seeds are other people's writing: no line of 80+ characters from them may be tracked here."""
    import subprocess

    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}")
    long_lines = {line.strip() for p in SEEDS.glob("*.txt") for line in p.read_text(encoding="utf-8").splitlines()
                  if len(line.strip()) >= 80}
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        path = REPO / name
        if path.suffix in {".gz", ".duckdb"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        assert not [line for line in long_lines if line in text], f"{name} quotes a seed line"


if __name__ == "__main__" and "--write" in sys.argv:
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=120):
        db = Path(tmp) / "seeds.duckdb"
        build(db)
        doc = DOC.read_text(encoding="utf-8")
        for sql, documented, now in outputs(db, doc):
            doc = doc.replace(f"```sql\n{sql}```\n\n{documented}", f"```sql\n{sql}```\n\n{now}", 1)
        DOC.write_text(doc, encoding="utf-8")
