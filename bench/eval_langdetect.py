"""Language detection on a bounded sample: CPU per article and agreement with the first 5,000 characters.

For each sample size, the language and probability langdetect gives on the first N characters of
every article of both dev sets, the bundled samples and the seeds (extracted, cleaned and
normalized as the pipeline does), against what it gives on the first 5,000 (the sample before
issue 10; the pipeline now uses 2,000: transforms/normalize.py).

Example: .venv/bin/python bench/eval_langdetect.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_extraction as E  # noqa: E402  (the sets and the in-process pipeline)

SIZES = (5000, 3000, 2000, 1500, 1000, 500)


def texts() -> list[str]:
    out = []
    sets = [E.fundus_pages(E.CORPORA / "fundus-eval"), E.readability_pages(E.CORPORA / "readability-news"),
            E.sample_pages()]
    for pages in sets:
        found, _ = E.inprocess_texts(pages)
        out += list(found.values())
    seeds = E.REPO.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        seeds = E.REPO.parent / "shared" / "seeds"
    out += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(seeds.glob("*.txt"))]
    return out


def main() -> int:
    from newsflow.transforms import normalize as N

    articles = texts()
    N.detect_language("warm up the profiles")
    reference = None
    longer = sum(len(t) > 5000 for t in articles)
    print(f"{len(articles)} articles ({longer} longer than 5,000 characters)")
    for size in SIZES:
        N._LANGDETECT_CHARS = size
        started = time.process_time()
        found = [N.detect_language(t) for t in articles]
        ms = (time.process_time() - started) * 1000 / len(articles)
        if reference is None:
            reference = found
        same = sum(a[0] == b[0] for a, b in zip(found, reference))
        drift = max(abs((a[1] or 0) - (b[1] or 0)) for a, b in zip(found, reference))
        moved = sum(a[1] != b[1] for a, b in zip(found, reference))
        print(f"first {size:5} chars: {ms:5.2f} ms/article CPU; same language {same}/{len(articles)}; "
              f"probability changed on {moved} (max by {drift:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
