"""The commit reads a run back in chunks (validation, stories) and decides exactly what one whole pass does."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from test_expectations import EN_ONLY, NOW, RUN, clean_frames
from test_quality_flow import GERMAN, LONG_PROMPT
from test_similarity_flow import edited_copy

from newsflow.expectations.runner import FrameRows, validate
from newsflow.flows.run import run_ingest
from newsflow.settings import Settings, load_settings
from newsflow.warehouse import staged

from conftest import FERRY, ORCHARD, html_page, write


def outcome(report) -> tuple:
    """What a validation decided: every dq_results row (but its time), failures, quarantine."""
    rows = [{k: v for k, v in r.items() if k != "validated_at"} for r in report.results]
    return rows, report.critical_failures, report.warnings, report.quarantine, report.passed, report.failed


def defective_frames(n: int = 9) -> dict[str, pd.DataFrame]:
    frames = clean_frames(n)
    a = frames["articles"]
    a.loc[1, "text"] = a.loc[1, "text"] + "\nRelated articles"  # residue: quarantined
    a.loc[4, "language"] = "de"  # quarantined with languages=("en",)
    a.loc[7, "word_count"] = 3  # quarantined
    a.loc[[2, 5], "title"] = None  # 7 of 9 titled (78%): title_present_rate fails at 80% over the run
    return frames


@pytest.mark.parametrize("chunk", [1, 2, 4])
def test_validation_in_chunks_gives_the_whole_runs_report(chunk):
    frames = defective_frames()
    whole = validate(frames, EN_ONLY, RUN, now=NOW)
    assert whole.quarantine and "title_present_rate" in {r["expectation"] for r in whole.results if not r["success"]}
    assert outcome(validate(frames, EN_ONLY, RUN, now=NOW, chunk_rows=chunk)) == outcome(whole)


def test_a_rate_is_judged_over_the_run_not_per_chunk():
    """Untitled articles bunched in one chunk: that chunk is at 0%, the run at 80% (passes)."""
    frames = clean_frames(10)
    frames["articles"].loc[[0, 1], "title"] = None
    whole = validate(frames, None, RUN, now=NOW)
    chunked = validate(frames, None, RUN, now=NOW, chunk_rows=2)
    assert [r for r in chunked.results if r["expectation"] == "title_present_rate"][0]["success"]
    assert outcome(chunked) == outcome(whole)


def test_uniqueness_is_checked_across_chunks():
    frames = clean_frames(6)
    frames["articles"].loc[5, ["article_id", "content_hash"]] = frames["articles"].loc[0, ["article_id", "content_hash"]]
    chunked = validate(frames, None, RUN, now=NOW, chunk_rows=2)  # rows 0 and 5 in different chunks
    assert {"articles.article_id_unique", "articles.content_hash_unique"} <= {
        f.split(" ")[0] for f in chunked.critical_failures}
    assert outcome(chunked) == outcome(validate(frames, None, RUN, now=NOW))


def test_user_expectations_run_in_chunks_or_whole():
    """A user's row check is merged over chunks; a user's column summary runs once over the whole column."""
    user = {"articles": [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "site_name", "regex": "^The "},
         "meta": {"severity": "warning"}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "word_count", "max_value": 10},
         "meta": {"severity": "warning"}},
    ]}
    frames = defective_frames()
    frames["articles"].loc[3, "site_name"] = "Example"
    whole = validate(frames, EN_ONLY, RUN, now=NOW, user=user)
    assert {"expect_column_values_to_match_regex_site_name", "expect_column_max_to_be_between_word_count"} <= {
        r["expectation"] for r in whole.results if not r["success"]}
    assert outcome(validate(frames, EN_ONLY, RUN, now=NOW, user=user, chunk_rows=2)) == outcome(whole)


class Recording:
    """Rows that note the size of every frame they hand out (a spy around the real StagedRows)."""

    def __init__(self, rows, seen: list[tuple[str, int]], name: str):
        self.rows, self.seen, self.name = rows, seen, name
        self.column_names = rows.column_names

    def chunks(self):
        for frame in self.rows.chunks():
            self.seen.append((self.name, len(frame), "text" in frame.columns))
            yield frame

    def columns(self, names):
        frame = self.rows.columns(names)
        self.seen.append((self.name, len(frame), "text" in frame.columns))
        return frame


@pytest.fixture
def corpus(tmp_path, seeds_dir):
    d = tmp_path / "in"
    write(d / "ferry.html", html_page("Electric ferry to enter service next spring", FERRY))
    write(d / "copy.txt", "Estuary gets its first electric ferry\n" + "\n".join(edited_copy(FERRY)))
    write(d / "orchard.html", html_page("Late apple harvest begins", ORCHARD))
    write(d / "german.html", html_page("Alte Brücke bleibt offen", GERMAN * 2, site="Seeblatt"))
    write(d / "residue.html", html_page("Orchard cooperative grows", ORCHARD[:2] + [LONG_PROMPT] + ORCHARD[2:]))
    for seed in sorted(seeds_dir.iterdir()):
        shutil.copy(seed, d / seed.name)
    return d


def tables(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "articles": con.execute("SELECT article_id, duplicate_of, similarity, story_id FROM articles "
                                    "ORDER BY 1").fetchall(),
            "stories": con.execute("SELECT * FROM stories ORDER BY 1").fetchall(),
            "centroids": con.execute("SELECT * FROM internal.story_terms ORDER BY ALL").fetchall(),
            "quarantine": con.execute("SELECT article_id, checks FROM quarantine ORDER BY 1").fetchall(),
            "dq": con.execute("SELECT suite, expectation, column_name, success, observed_value, severity, "
                              "expectation_type FROM dq_results ORDER BY suite, expectation").fetchall(),
        }


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_committed_in_chunks_decides_as_one_pass(corpus, tmp_path, monkeypatch):
    """Real flow, GX and DuckDB: chunks of 3 rows (validation, near-dup, stories) against chunks larger than the run."""
    from newsflow.flows import commit
    from newsflow.warehouse import similarity

    settings = {"quality": {"languages": ["en"]}}
    run_ingest([str(corpus)], Settings(db=tmp_path / "whole.duckdb", **settings))
    seen: list = []
    real_rows = staged.StagedRows
    monkeypatch.setattr(staged, "StagedRows", lambda con, relation, *a, **kw: Recording(
        real_rows(con, relation, *a, **kw), seen, relation))
    monkeypatch.setattr(commit, "VALIDATION_CHUNK", 3)
    monkeypatch.setattr(similarity, "CHUNK", 2)
    summary = run_ingest([str(corpus)], Settings(db=tmp_path / "chunks.duckdb", **settings))

    assert summary.new_articles >= 8 and summary.quarantined == 2
    whole, chunked = tables(tmp_path / "whole.duckdb"), tables(tmp_path / "chunks.duckdb")
    assert chunked == whole
    assert any(dup for _, dup, _, _ in whole["articles"]) and len(whole["quarantine"]) == 2
    # Validation read the articles a few rows at a time; only ids and hashes came whole.
    texts = [n for name, n, text in seen if name == "_run_articles" and text]
    assert len(texts) >= 4 and max(texts) <= 3 and sum(texts) == summary.new_articles + summary.quarantined
    assert all(not text for name, n, text in seen if n > 3)


@pytest.mark.usefixtures("prefect_harness")
def test_stories_assigned_in_slices_of_a_read_chunk_decide_as_one_pass(corpus, tmp_path, monkeypatch):
    """The run's texts read in one chunk, stories assigned (and term counts held) 2 articles at a time."""
    from newsflow.warehouse import similarity

    settings = {"quality": {"languages": ["en"]}}
    run_ingest([str(corpus)], Settings(db=tmp_path / "whole.duckdb", **settings))
    monkeypatch.setattr(similarity, "ASSIGN_CHUNK", 2)
    summary = run_ingest([str(corpus)], Settings(db=tmp_path / "slices.duckdb", **settings))

    assert summary.new_articles >= 8
    whole, sliced = tables(tmp_path / "whole.duckdb"), tables(tmp_path / "slices.duckdb")
    assert sliced == whole and whole["stories"]


def test_the_run_connection_has_a_memory_limit():
    # 256 MiB: a 5k-page commit stays under it, a 50k one spills instead of holding ~360 MB more (BENCHMARKS.md)
    assert int(load_settings().db_memory_limit) == 256 * 2**20
    assert int(load_settings(db_memory_limit="2GiB").db_memory_limit) == 2 * 2**30
    with pytest.raises(ValueError):
        load_settings(db_memory_limit="1KB")


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_under_a_small_memory_limit_commits_what_an_unbounded_one_does(corpus, tmp_path, monkeypatch):
    """The limit is set on the run's own connection, and DuckDB working under it decides nothing differently."""
    from newsflow.warehouse import similarity

    settings = {"quality": {"languages": ["en"]}}
    run_ingest([str(corpus)], Settings(db=tmp_path / "roomy.duckdb", db_memory_limit="4GiB", **settings))
    limits: list[str] = []
    real_backfill = similarity.backfill

    def backfill(con, *args, **kwargs):  # the commit's first stage, on the run's connection
        limits.append(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        return real_backfill(con, *args, **kwargs)

    monkeypatch.setattr(similarity, "backfill", backfill)
    summary = run_ingest([str(corpus)], Settings(db=tmp_path / "small.duckdb", db_memory_limit="64MiB", **settings))
    run_ingest([str(corpus)], Settings(db=tmp_path / "default.duckdb", **settings))

    assert summary.new_articles >= 8
    assert list(dict.fromkeys(limits)) == ["64.0 MiB", "256.0 MiB"]
    assert tables(tmp_path / "small.duckdb") == tables(tmp_path / "roomy.duckdb")


def test_frame_rows_cut_a_frame_in_order():
    frame = clean_frames(5)["articles"]
    chunks = list(FrameRows(frame, 2).chunks())
    assert [len(c) for c in chunks] == [2, 2, 1] and pd.concat(chunks).equals(frame)
    assert [len(c) for c in FrameRows(frame.iloc[:0], 2).chunks()] == [0]  # an empty table is one empty chunk


def test_staged_rows_read_uncommitted_rows_in_insertion_order(tmp_path):
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE t (id VARCHAR, run VARCHAR)")
    con.execute("INSERT INTO t VALUES ('old', 'r0')")
    con.execute("BEGIN")
    con.execute("INSERT INTO t SELECT 'x' || (10 - range)::VARCHAR, 'r1' FROM range(7)")
    rows = staged.StagedRows(con, "t", ["id"], where="run = ?", params=["r1"], chunk=3)
    chunks = list(rows.chunks())
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [i for c in chunks for i in c["id"]] == list(rows.columns(["id"])["id"]) == [f"x{10 - i}" for i in range(7)]
    assert [len(c) for c in staged.StagedRows(con, "t", ["id"], where="run = 'none'").chunks()] == [0]
    con.execute("ROLLBACK")
