"""Full-text search: agreement with DuckDB's fts extension, and what indexing and searching cost.

    python bench/bench_search.py                                  # our index: 5k and 50k articles
    python bench/bench_search.py --fts-python /path/to/python      # also DuckDB 1.5.5 + fts, side by side

`--fts-python` names a Python that has duckdb==1.5.5 and duckdb-extension-fts==1.5.5 (the extension
cannot load into our DuckDB 2.0.0; docs/search.md). With it, the script (1) scores the same queries
over the same texts with fts's match_bm25 and with warehouse/search.py and compares the ranked lists
and scores, and (2) times fts's PRAGMA create_fts_index, which must be rerun over the whole table
after every load (fts indexes do not follow inserts).

Agreement corpus: the 80 ground-truth article bodies of ../shared/corpora/fundus-eval (title from the
URL slug) and the five seeds; queries: two to four words drawn (seeded) from each text, plus a few by
hand. Timing corpus: the seeded synthetic articles of bench_dedup.py, loaded in runs of 1,000.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

_FTS_SIDE = r"""
import json, sys, time, duckdb, duckdb_extension_fts, pathlib
ext = next(pathlib.Path(duckdb_extension_fts.__file__).parent.rglob("fts.duckdb_extension"))
spec = json.load(open(sys.argv[1]))
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{ext}'")
con.execute("CREATE TABLE articles (article_id VARCHAR, title VARCHAR, text VARCHAR)")
con.executemany("INSERT INTO articles VALUES (?, ?, ?)", spec["docs"])
started = time.perf_counter()
con.execute("PRAGMA create_fts_index('articles', 'article_id', 'title', 'text')")
index_s = time.perf_counter() - started
out = {"index_s": index_s, "results": []}
started = time.perf_counter()
for q in spec["queries"]:
    rows = con.execute("SELECT article_id, score FROM (SELECT article_id, fts_main_articles.match_bm25(article_id, ?) "
                       "AS score FROM articles) WHERE score IS NOT NULL ORDER BY score DESC, article_id",
                       [q]).fetchall()
    out["results"].append(rows)
out["search_s"] = time.perf_counter() - started
json.dump(out, open(sys.argv[2], "w"))
"""


def ours(docs: list[tuple[str, str | None, str]], queries: list[str]) -> dict:
    """Index and search with warehouse/search.py on a fresh warehouse; timings and ranked results."""
    from datetime import datetime, timezone

    from newsflow.warehouse import search
    from newsflow.warehouse.db import connect

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "w.duckdb")
        now = datetime.now(timezone.utc)
        con.executemany("INSERT INTO articles (article_id, title, text, word_count, content_hash, first_seen_at,"
                        " first_run_id) VALUES (?, ?, ?, 0, ?, ?, 'bench')",
                        [(a, t, x, a, now) for a, t, x in docs])
        started = time.perf_counter()
        search.index_new(con)
        index_s = time.perf_counter() - started
        results = []
        started = time.perf_counter()
        for q in queries:
            _, _, rows = search.search(con, q, limit=len(docs))
            results.append([(r[1], r[0]) for r in rows])
        search_s = time.perf_counter() - started
        con.close()
    return {"index_s": index_s, "search_s": search_s, "results": results}


def fts(python: str, docs, queries) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        spec, out = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec.write_text(json.dumps({"docs": docs, "queries": queries}))
        subprocess.run([python, "-c", _FTS_SIDE, str(spec), str(out)], check=True)
        return json.loads(out.read_text())


def agreement_corpus() -> tuple[list, list[str]]:
    truth = json.loads((SHARED / "corpora" / "fundus-eval" / "ground_truth.json").read_text())
    docs = []
    for name, entry in sorted(truth.items()):
        slug = re.sub(r"[-_]+", " ", entry["url"].rstrip("/").rsplit("/", 1)[-1].split(".")[0])
        docs.append((name, slug or None, entry["body"] if isinstance(entry["body"], str) else json.dumps(entry["body"])))
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        docs.append((path.stem, lines[0], "\n".join(lines[1:])))
    rng = random.Random(1)
    queries = ["bitmain factory united states", "tariffs on chinese mining hardware", "election results",
               "the", "café naïve résumé", "U.S. Texas Florida 2026"]
    for _, title, text in docs:
        words = re.findall(r"[A-Za-z]{4,}", text)
        if words:
            queries.append(" ".join(rng.sample(words, min(len(words), rng.randint(2, 4)))))
    return docs, queries


def compare(python: str) -> dict:
    docs, queries = agreement_corpus()
    a, b = ours(docs, queries), fts(python, docs, queries)
    same_order = same_set = 0
    max_diff = 0.0
    for mine, theirs in zip(a["results"], b["results"]):
        same_set += {d for d, _ in mine} == {d for d, _ in theirs}
        same_order += [d for d, _ in mine] == [d for d, _ in theirs]
        scores = dict(theirs)
        max_diff = max([max_diff] + [abs(s - round(scores.get(d, float("nan")), 4)) for d, s in mine if d in scores])
    return {"docs": len(docs), "queries": len(queries), "same_matches": same_set, "same_ranking": same_order,
            "max_score_diff": max_diff}


def synthetic(n: int) -> list:
    import numpy as np

    from bench.bench_dedup import VOCAB, corpus_batch

    rng = np.random.default_rng(7)
    vocab = [f"w{i}x" for i in range(VOCAB)]
    out, recent = [], []
    for start in range(0, n, 1000):
        batch = corpus_batch(rng, vocab, start, min(1000, n - start), recent)
        recent = [t for _, t, _ in batch][-200:]
        out += [(a, " ".join(t.split()[:8]), t) for a, t, _ in batch]
    return out


def timing(n: int, python: str | None) -> dict:
    """Index n synthetic articles run by run (1,000 each): the last run's indexing cost and the search
    latency; with fts, the full-index rebuild it needs after that run."""
    from datetime import datetime, timezone

    from newsflow.warehouse import search
    from newsflow.warehouse.db import connect

    docs = synthetic(n)
    queries = [" ".join(t.split()[i:i + 3]) for _, _, t in docs[:: max(1, n // 20)] for i in (5,)][:20]
    result = {"articles": n}
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "w.duckdb")
        now = datetime.now(timezone.utc)
        for start in range(0, n, 1000):
            con.executemany("INSERT INTO articles (article_id, title, text, word_count, content_hash, first_seen_at,"
                            " first_run_id) VALUES (?, ?, ?, 0, ?, ?, 'bench')",
                            [(a, t, x, a, now) for a, t, x in docs[start:start + 1000]])
            started = time.perf_counter()
            search.index_new(con)
            result["index_last_run_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        for q in queries:
            search.search(con, q, limit=10)
        result["search_ms"] = round((time.perf_counter() - started) / len(queries) * 1000, 1)
        con.close()
    if python:
        side = fts(python, docs, queries)
        result["fts_rebuild_s"] = round(side["index_s"], 3)
        result["fts_search_ms"] = round(side["search_s"] / len(queries) * 1000, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fts-python", help="a Python with duckdb==1.5.5 and duckdb-extension-fts==1.5.5")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    args = parser.parse_args(argv)
    if args.fts_python:
        print(json.dumps({"agreement": compare(args.fts_python)}))
    for n in args.sizes:
        print(json.dumps(timing(n, args.fts_python)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
