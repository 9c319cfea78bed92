"""Benchmark the near-duplicate stage (and story assignment) at 5k and 50k articles; sweep the labelled set.

    python bench/bench_dedup.py                 # 5k and 50k, each in its own process; prints the ratio
    python bench/bench_dedup.py --sizes 2000    # other sizes
    python bench/bench_dedup.py --sweep         # precision/recall on tests/data/neardup_pairs.jsonl

The corpus is synthetic (seeded): ~600-word texts drawn from a Zipf vocabulary of made-up words, one in
ten an edited copy (3% of words changed, a dateline, the last paragraph dropped) of an earlier one.
Articles arrive in runs of 1,000 at 150 a day; each run is loaded into a DuckDB file, then the timed
stage compares it against everything loaded before, as warehouse/load.py does.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUN = 1000
PER_DAY = 150
WORDS = 600
VOCAB = 30_000
COPY_SHARE = 0.1
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def corpus_batch(rng, vocab, start: int, n: int, recent: list[str]) -> list[tuple[str, str, datetime]]:
    """`n` articles (id, text, published_at) numbered from `start`; copies come from `recent` texts."""
    import numpy as np

    out = []
    for i in range(start, start + n):
        if recent and rng.random() < COPY_SHARE:
            words = recent[int(rng.integers(len(recent)))].split(" ")
            words = words[:int(len(words) * 0.88)]                      # drop the closing paragraph
            for j in rng.choice(len(words), size=len(words) * 3 // 100, replace=False):
                words[j] = vocab[int(rng.integers(VOCAB))]               # change 3% of words
            text = "SOMEWHERE (Wire) - " + " ".join(words)
        else:
            ranks = np.minimum(rng.zipf(1.1, size=WORDS), VOCAB) - 1
            text = " ".join(vocab[r] for r in ranks)
        out.append((f"{i:016x}", text, T0 + timedelta(days=i / PER_DAY)))
    return out


def run_size(n: int) -> dict:
    """Load `n` synthetic articles run by run; time the near-duplicate and story stages."""
    import numpy as np

    from newsflow.warehouse import similarity
    from newsflow.warehouse.db import connect, transaction

    rng = np.random.default_rng(20250101)
    vocab = ["".join(chr(97 + c) for c in rng.integers(0, 26, size=int(rng.integers(3, 10))))
             for _ in range(VOCAB)]
    timings = {"neardup": 0.0, "stories": 0.0, "load": 0.0}
    recent: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for start in range(0, n, RUN):
            batch = corpus_batch(rng, vocab, start, min(RUN, n - start), recent)
            recent = (recent + [t for _, t, _ in batch])[-2000:]
            now = batch[-1][2]
            t = time.perf_counter()
            with transaction(con):
                con.executemany(
                    "INSERT INTO articles (article_id, published_at, text, word_count, content_hash,"
                    " first_seen_at, first_run_id) VALUES (?, ?, ?, 600, ?, ?, 'bench')",
                    [(aid, pub, text, aid, now) for aid, text, pub in batch])
                new = [similarity.NewArticle(aid, text, pub, now) for aid, text, pub in batch]
                timings["load"] += time.perf_counter() - t
                t = time.perf_counter()
                similarity.link_near_duplicates(con, new)
                timings["neardup"] += time.perf_counter() - t
                t = time.perf_counter()
                similarity.assign_stories(con, new)
                timings["stories"] += time.perf_counter() - t
        linked = con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchall()[0][0]
        stories = con.execute("SELECT count(*) FROM stories").fetchall()[0][0]
        con.close()
    return {"articles": n, "neardup_s": round(timings["neardup"], 2), "stories_s": round(timings["stories"], 2),
            "insert_s": round(timings["load"], 2), "near_duplicates": linked, "stories": stories,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_before_mb": round(rss_start / 1024)}


def sweep() -> None:
    """Precision and recall of decide() on the labelled pairs, by shingle size and threshold."""
    from newsflow.transforms import neardup as nd

    pairs = [json.loads(line) for line in (REPO / "tests/data/neardup_pairs.jsonl").read_text().splitlines()]
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    print(f"{len(pairs)} pairs, {sum(p['near_duplicate'] for p in pairs)} near-duplicates")
    print("k  threshold  precision  recall  (tp fp fn)")
    for k in (2, 3, 4, 5):
        params = nd.IndexParams(shingle_size=k, bands=64, rows=2)  # 2-row bands: LSH misses nothing here
        entries = [(nd.entry("a", p["a"]["text"], nd.rank_key(t0, t0, "a"), params),
                    nd.entry("b", p["b"]["text"], nd.rank_key(t0, t0, "b"), params), p["near_duplicate"])
                   for p in pairs]
        for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8):
            tp = fp = fn = 0
            for a, b, label in entries:
                linked = any(m.duplicate_of for m in nd.decide([a, b], [], threshold, params).matches)
                tp += linked and label
                fp += linked and not label
                fn += label and not linked
            print(f"{k}  {threshold:<9}  {tp / max(tp + fp, 1):<9.3f}  {tp / (tp + fn):<6.3f}  ({tp} {fp} {fn})")
    print("\nexact 3-gram Jaccard by kind (min .. max):")
    by_kind: dict[str, list[float]] = {}
    for p in pairs:
        by_kind.setdefault(p["kind"], []).append(nd.jaccard(nd.shingles(p["a"]["text"]), nd.shingles(p["b"]["text"])))
    for kind, js in sorted(by_kind.items()):
        print(f"  {kind:<20} {min(js):.3f} .. {max(js):.3f}  ({len(js)} pairs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size, JSON out
    parser.add_argument("--sweep", action="store_true", help="precision/recall on the labelled pairs")
    args = parser.parse_args(argv)
    if args.sweep:
        sweep()
        return 0
    if args.one:
        print(json.dumps(run_size(args.one)))
        return 0
    results = []
    for n in args.sizes:  # a process per size, so peak memory is that size's own
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{r['articles']:>7} articles: near-dup {r['neardup_s']:>7.2f} s ({r['articles'] / r['neardup_s']:,.0f}/s)"
              f"  stories {r['stories_s']:>7.2f} s  peak RSS {r['peak_rss_mb']} MB"
              f"  ({r['near_duplicates']} near-duplicates, {r['stories']} stories)", flush=True)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        scale = b["articles"] / a["articles"]
        ratio = b["neardup_s"] / a["neardup_s"]
        story_ratio = b["stories_s"] / a["stories_s"]
        print(f"{scale:.0f}x the articles: near-dup time x{ratio:.1f}, stories x{story_ratio:.1f} "
              f"(target <= {1.2 * scale:.0f}x for both)")
        return 0 if max(ratio, story_ratio) <= 1.2 * scale else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
