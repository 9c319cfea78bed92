"""Wall time of one ingest run per task runner (threads, processes, dask) on the samples and a generated corpus.

    .venv/bin/python bench/bench_runners.py [--pages 600] [--workers 2] [--batch-size 25]

Every runner ingests the same inputs into a fresh DuckDB file, in this one process, after a warm-up
run that pays for Prefect's temporary API; Dask starts its local cluster inside the timed run.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

WORDS = ("council harbour ferry budget reservoir library clinic storm orchard market pilots residents "
         "schedule repairs evening volunteers station funding report district weather transit school").split()


def generate(folder: Path, pages: int, seed: int = 7) -> Path:
    """`pages` distinct article pages with nav, teaser rail and footer around 8-14 paragraphs."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        paras = "\n".join(f"<p>{' '.join(rng.choice(WORDS) for _ in range(rng.randint(30, 60))).capitalize()}.</p>"
                          for _ in range(rng.randint(8, 14)))
        (folder / f"page-{i:05d}.html").write_text(
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title} | The Ledger</title>"
            f"<meta property='article:published_time' content='2025-03-04T08:30:00+00:00'></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><main><article><h1>{title}</h1>{paras}"
            f"</article><aside><h2>More For You</h2><ul><li><a href='/a'>Teaser one</a></li></ul></aside></main>"
            f"<footer><p>© 2025 The Ledger. All rights reserved.</p></footer></body></html>", encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--runners", default="threads,processes,dask")
    args = parser.parse_args()

    from newsflow.flows.run import run_ingest
    from newsflow.settings import SAMPLES_DIR, Settings

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpora = {"samples": SAMPLES_DIR, f"generated-{args.pages}": generate(tmp / "gen", args.pages)}
        run_ingest([str(SAMPLES_DIR)], Settings(db=tmp / "warmup.duckdb", quality={"enabled": False}))
        print(f"{'corpus':<16} {'runner':<10} {'inputs':>6} {'seconds':>8} {'vs threads':>10}")
        for name, corpus in corpora.items():
            base = None
            for runner in args.runners.split(","):
                settings = Settings(db=tmp / f"{name}-{runner}.duckdb", runner=runner, workers=args.workers,
                                    batch_size=args.batch_size, quality={"enabled": False})
                started = time.perf_counter()
                summary = run_ingest([str(corpus)], settings)
                seconds = time.perf_counter() - started
                base = base or seconds
                print(f"{name:<16} {runner:<10} {summary.inputs:>6} {seconds:>8.2f} {seconds / base:>9.2f}x",
                      flush=True)


if __name__ == "__main__":
    main()
