"""CPU milliseconds per page of each piece of newsflow's per-page work, against plain trafilatura.extract.

    python bench/stage_costs.py [--pages 100]

One process, CPU time (time.process_time), on the first pages of the bench corpus (bench/corpus.py):
what `extract()` adds over trafilatura (the one lxml parse, the structural stage, metadata,
htmldate's extensive_search, the standfirst and key-points lookups on the shared tree; beside them
what a second parse would cost), and what clean and normalize (langdetect, the folded hash) cost. CPU time is far
less noisy than wall time on a shared machine, so these figures explain the throughput table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()

    import trafilatura
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    from newsflow.acquire.files import Item
    from newsflow.acquire.read import read_item
    from newsflow.transforms import extract as ex
    from newsflow.transforms import normalize as N
    from newsflow.transforms.clean import clean
    from newsflow.transforms.decode import declared_charset, decode
    from newsflow.transforms.normalize import content_hash, detect_language, normalize, normalize_text
    from newsflow.transforms.pagemeta import page_metadata
    from newsflow.transforms.structure import strip_structure

    N.load_language_profiles()  # once per process, as the workers' preload does (~0.3 s: not a page's cost)
    folder = HERE / ".corpus" / f"v{corpus.VERSION}-1000"
    corpus.generate(folder, 1000)
    raws = [read_item(Item(str(p), "html"), 10**9) for p in sorted(folder.iterdir())[:args.pages]]
    htmls = [decode(r.body, declared_charset(r.body)) for r in raws]
    n = len(raws)
    costs: dict[str, float] = {}

    def cost(name, fn):
        started = time.process_time()
        out = [fn(i) for i in range(n)]
        costs[name] = (time.process_time() - started) * 1000 / n
        return out

    common = dict(with_metadata=True, include_comments=False, include_tables=False, prune_xpath=ex._PRUNE_XPATH)
    cost("trafilatura.extract(bytes) [the bare loop]", lambda i: trafilatura.extract(raws[i].body))
    extracted = cost("newsflow extract() (all of it)", lambda i: ex.extract(raws[i]))
    cost("  bare_extraction(html), metadata, extensive_search", lambda i: trafilatura.bare_extraction(
        htmls[i], date_extraction_params={**ex._DATE_PARAMS, "extensive_search": True}, **common))
    cost("  bare_extraction(html), metadata, no extensive_search", lambda i: trafilatura.bare_extraction(
        htmls[i], date_extraction_params={**ex._DATE_PARAMS, "extensive_search": False}, **common))
    cost("  bare_extraction(html), no metadata", lambda i: trafilatura.bare_extraction(
        htmls[i], **{**common, "with_metadata": False}))
    # extract()'s own path: one parse, and every later step works on that tree
    cost("  (not done) trafilatura's load_html: lxml.html's Python class lookup", lambda i: load_html(htmls[i]))
    trees = cost("  parse_html (the one parse)", lambda i: ex.parse_html(htmls[i]))
    cost("  structural stage (strip_structure, in place)", lambda i: strip_structure(trees[i]))
    cost("  metadata: trafilatura extract_metadata (before)", lambda i: extract_metadata(trees[i], None, ex._DATE_PARAMS))
    cost("  metadata: page_metadata, stored fields only (now)", lambda i: page_metadata(trees[i], None, ex._DATE_PARAMS))
    cost("  bare_extraction(shared tree), no metadata, as extract() calls it", lambda i: trafilatura.bare_extraction(
        trees[i], **{**common, "with_metadata": False, "include_tables": ex.INCLUDE_TABLES}))
    cost("  standfirst lookup: visible_text(shared tree)", lambda i: ex.visible_text(trees[i]))
    cost("  key points lookup: key_points(shared tree)", lambda i: ex.key_points(trees[i]))
    cost("  (not done) a second parse: visible_text(html)", lambda i: ex.visible_text(htmls[i]))
    cost("  decode", lambda i: decode(raws[i].body, declared_charset(raws[i].body)))
    cleaned = cost("clean()", lambda i: clean(extracted[i].text))
    cost("normalize() (all of it)", lambda i: normalize(extracted[i], cleaned[i], 25))
    texts = [normalize_text(c.text) for c in cleaned]
    cost(f"  detect_language (first {N._LANGDETECT_CHARS} chars)", lambda i: detect_language(texts[i]))
    cost("  content_hash (NFKC fold + sha256)", lambda i: content_hash(texts[i]))
    cost("  normalize_text", lambda i: normalize_text(cleaned[i].text))
    width = max(map(len, costs))
    print(f"{n} pages, CPU ms per page")
    for name, ms in costs.items():
        print(f"{name:<{width}}  {ms:7.1f}")


if __name__ == "__main__":
    main()
