"""htmldate `extensive_search` on both dev sets: seconds per page and date accuracy, on and off.

Reference dates: readability-news `publishedTime` (expected-metadata, 9 pages have one); fundus-eval
has no gold date, so the page's own declared timestamp (article:published_time / JSON-LD) is the
reference where it has one, and a date after the crawl date counts as wrong everywhere.
A date is right when its calendar day (UTC) matches the reference.

Example: .venv/bin/python bench/eval_dates.py
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_extraction as E  # noqa: E402  (the sets and the corpus lookup)


def pages():
    """(set, html, url, reference date or None, latest possible date or None) per page."""
    from newsflow.transforms.decode import declared_charset, decode
    from newsflow.transforms.extract import published_in_metadata

    out = []
    truth = json.loads((E.CORPORA / "fundus-eval" / "ground_truth.json").read_text())
    for page in E.fundus_pages(E.CORPORA / "fundus-eval"):
        body = E._read(page.path)
        html = decode(body, declared_charset(body))
        crawl = datetime.fromisoformat(truth[page.key]["crawl_date"]).replace(tzinfo=timezone.utc)
        out.append(("fundus-eval", html, page.url, published_in_metadata(html), crawl))
    for page in E.readability_pages(E.CORPORA / "readability-news"):
        body = E._read(page.path)
        meta = json.loads(gzip.decompress((page.path.parent / "expected-metadata.json.gz").read_bytes()))
        ref = meta.get("publishedTime")
        ref = datetime.fromisoformat(ref.replace("Z", "+00:00")) if ref else None
        if ref is not None and ref.tzinfo is None:
            ref = ref.replace(tzinfo=timezone.utc)
        out.append(("readability-news", decode(body, declared_charset(body)), None, ref, None))
    return out


def main() -> int:
    from htmldate import find_date
    from trafilatura.utils import load_html

    data = pages()
    trees = [load_html(html) for _, html, _, _, _ in data]
    for extensive in (False, True):
        params = {"extensive_search": extensive, "original_date": True, "outputformat": "%Y-%m-%d"}
        started = time.process_time()
        found = [find_date(tree, url=url, **params) for tree, (_, _, url, _, _) in zip(trees, data)]
        seconds = time.process_time() - started
        for name in ("fundus-eval", "readability-news"):
            rows = [(f, ref, latest) for f, (s, _, _, ref, latest) in zip(found, data) if s == name]
            with_ref = [(f, ref) for f, ref, _ in rows if ref is not None]
            right = sum(f == ref.astimezone(timezone.utc).date().isoformat() for f, ref in with_ref)
            late = sum(1 for f, _, latest in rows if f and latest and f > latest.date().isoformat())
            print(f"extensive_search={extensive!s:5} {name:17} found {sum(f is not None for f, _, _ in rows):3}/{len(rows)}"
                  f"  right {right}/{len(with_ref)}  after crawl {late}")
        print(f"extensive_search={extensive!s:5} {1000 * seconds / len(trees):.2f} ms/page (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
