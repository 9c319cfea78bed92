"""Extraction quality gate: ingest the fundus-eval pages through the real flow and score the stored text.

Every page goes through `flows.run.run_ingest` (Prefect flow: read → extract → clean → normalize →
load) into a temporary DuckDB file; the stored `articles.text` is scored against the marked article
body in `ground_truth.json`, next to plain trafilatura (default settings) on the same pages.

The metric is the corpus README's: tokens are `\\w+` matches, shingles are 4-grams of tokens counted
as a multiset, per-page precision = |out ∩ truth| / |out| and recall = |out ∩ truth| / |truth|,
both averaged over pages; F1 is the harmonic mean of the two averages. A page the pipeline rejected
(or lost) scores P = R = 0.

Exits 1 when F1 is below the floor pinned in bench/eval_floor.json (which only ever moves up).

Example: .venv/bin/python bench/eval_extraction.py --json reports/eval.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "fundus-eval"
FLOOR_FILE = REPO / "bench" / "eval_floor.json"
_TOKEN = re.compile(r"\w+")

sys.path.insert(0, str(REPO))  # run as a script from anywhere: import the repo's packages
for _key, _value in {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                     "GX_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}.items():
    os.environ.setdefault(_key, _value)


def shingles(text: str, n: int = 4) -> Counter:
    """The multiset of n-grams of `\\w+` tokens."""
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def page_score(output: str | None, truth: str) -> tuple[float, float]:
    """(precision, recall) of one page; a missing or empty output scores (0, 0)."""
    out, gold = shingles(output or ""), shingles(truth)
    if not out or not gold:
        return 0.0, 0.0
    overlap = sum((out & gold).values())
    return overlap / sum(out.values()), overlap / sum(gold.values())


def summarize(scores: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Averaged precision and recall, and F1 as their harmonic mean."""
    p = sum(s[0] for s in scores.values()) / len(scores)
    r = sum(s[1] for s in scores.values()) / len(scores)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def pipeline_texts(html_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Ingest `html_dir` through the Prefect flow; stored text and reject reasons, by file name."""
    import duckdb

    from newsflow.flows.run import run_ingest
    from newsflow.settings import Settings

    with tempfile.TemporaryDirectory(prefix="newsflow-eval-") as tmp:
        db = Path(tmp) / "eval.duckdb"
        run_ingest([str(html_dir)], Settings(db=db))
        con = duckdb.connect(str(db), read_only=True)
        try:
            # Quarantined articles are stored too (held back by a data-quality check, e.g. the one
            # French page in this "English" set): extraction quality does not depend on that policy.
            stored = con.execute(
                "SELECT d.origin, t.text FROM documents d JOIN "
                "(SELECT article_id, text FROM articles UNION ALL SELECT article_id, text FROM quarantine) t "
                "USING (article_id)").fetchall()
            rejected = con.execute("SELECT origin, stage || '/' || reason FROM rejects").fetchall()
        finally:
            con.close()
    return {Path(o).name: t for o, t in stored}, {Path(o).name: why for o, why in rejected}


def trafilatura_texts(html_dir: Path, truth: dict) -> dict[str, str]:
    """Plain trafilatura (default settings, url given) on each page: the baseline."""
    import trafilatura

    from newsflow.transforms.decode import declared_charset, decode

    texts = {}
    for name, entry in truth.items():
        body = gzip.decompress((html_dir / name).read_bytes())
        doc = trafilatura.bare_extraction(decode(body, declared_charset(body)), url=entry["url"], with_metadata=True)
        texts[name] = (doc.text or "") if doc else ""
    return texts


def publisher(name: str) -> str:
    return name.split(".")[0].rsplit("_", 1)[0]


def per_publisher(scores: dict[str, tuple[float, float]]) -> dict[str, dict[str, float]]:
    groups: dict[str, dict] = {}
    for name, score in scores.items():
        groups.setdefault(publisher(name), {})[name] = score
    return {pub: summarize(group) for pub, group in sorted(groups.items())}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder with html/ and ground_truth.json [default: <repo>/../shared/corpora/fundus-eval]")
    parser.add_argument("--json", type=Path, help="also write all scores to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    truth_file, html_dir = args.corpus / "ground_truth.json", args.corpus / "html"
    if not truth_file.is_file() or not html_dir.is_dir():
        print(f"error: no corpus at {args.corpus} (expected ground_truth.json and html/); "
              "check out shared/ beside the repo or pass --corpus DIR", file=sys.stderr)
        return 2
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    gold = {name: "\n".join(entry["body"]) for name, entry in truth.items()}

    started = time.monotonic()
    stored, rejected = pipeline_texts(html_dir)
    flow_seconds = time.monotonic() - started
    baseline_texts = trafilatura_texts(html_dir, truth)

    ours = {name: page_score(stored.get(name), gold[name]) for name in gold}
    base = {name: page_score(baseline_texts[name], gold[name]) for name in gold}
    o, b = summarize(ours), summarize(base)
    floor = json.loads(FLOOR_FILE.read_text())["f1_floor"]

    print(f"fundus-eval: {len(gold)} pages, {len({publisher(n) for n in gold})} publishers "
          f"(pipeline run {flow_seconds:.1f}s)")
    print(f"{'':22}{'P':>7}{'R':>7}{'F1':>7}")
    print(f"{'trafilatura (plain)':22}{b['precision']:7.3f}{b['recall']:7.3f}{b['f1']:7.3f}")
    print(f"{'newsflow (stored)':22}{o['precision']:7.3f}{o['recall']:7.3f}{o['f1']:7.3f}")
    print(f"F1 {o['f1']:.4f} vs {b['f1']:.4f}: delta {o['f1'] - b['f1']:+.4f}, ratio {o['f1'] / b['f1']:.4f}; floor {floor}")
    lost = sorted(n for n in gold if n not in stored)
    if lost:
        print(f"{len(lost)} page(s) not stored, scored P=R=0: "
              + ", ".join(f"{n} ({rejected.get(n, 'lost')})" for n in lost))
    print("five worst pages:")
    for name in sorted(ours, key=lambda n: (sum(ours[n]), n))[:5]:
        print(f"  {name:30} P={ours[name][0]:.3f} R={ours[name][1]:.3f}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "newsflow": o, "trafilatura": b, "floor": floor, "not_stored": {n: rejected.get(n, "lost") for n in lost},
            "per_publisher": {"newsflow": per_publisher(ours), "trafilatura": per_publisher(base)},
            "pages": {n: {"newsflow": ours[n], "trafilatura": base[n]} for n in sorted(gold)},
        }, indent=2) + "\n")

    if o["f1"] < floor:
        print(f"FAIL: F1 {o['f1']:.4f} is below the floor {floor} pinned in {FLOOR_FILE.relative_to(REPO)}; "
              "find the pages that got worse with --json before changing extraction or the rules", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
