"""Fingerprints of what extraction stores for each dev-set page, to prove a speed change moved nothing.

    python bench/extraction_golden.py --check            # this code against tests/data/extraction_golden.json
    python bench/extraction_golden.py --write            # record this code's output (after an intended change)
    python bench/extraction_golden.py --check --corpus 1000   # also the first 1,000 bench corpus pages

Each page goes through read -> extract -> clean -> normalize, and every stored field (text, title,
authors, published date, language and probability, word count, hash, canonical URL, site name,
description, metadata repairs, removed segments with rule and stage; or the reject's stage and
reason) is kept as a sha256, so the file holds no text of the dev set. `tests/test_extraction_golden.py`
runs the check over the 120 dev-set pages. The file is regenerated only when extraction is meant to
change (a new rule, a trafilatura upgrade); a speed change must pass it as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "tests" / "data" / "extraction_golden.json"
CORPORA = HERE.parents[1] / "shared" / "corpora"
FIELDS = ("text", "title", "authors", "published_at", "language", "language_prob", "word_count", "content_hash",
          "canonical_url", "site_name", "description", "repairs")


def dev_pages(corpora: Path = CORPORA) -> dict[str, Path]:
    """The 120 dev-set pages by a stable name (fundus-eval/<file>, readability-news/<folder>)."""
    pages = {f"fundus-eval/{p.name}": p for p in sorted((corpora / "fundus-eval" / "html").glob("*.html.gz"))}
    pages.update({f"readability-news/{p.parent.name}": p
                  for p in sorted((corpora / "readability-news" / "pages").glob("*/source.html.gz"))})
    return pages


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, default=str).encode()).hexdigest()[:20]


def fingerprint(path: Path, kind: str | None = None) -> dict[str, str]:
    """Field name -> sha256 (shortened) of what the transforms give for the page at `path`."""
    from newsflow.acquire.files import Item, kind_of
    from newsflow.acquire.read import read_item
    from newsflow.settings import Settings
    from newsflow.transforms.clean import clean
    from newsflow.transforms.extract import extract
    from newsflow.transforms.models import RejectError
    from newsflow.transforms.normalize import normalize

    settings = Settings()
    try:
        raw = read_item(Item(str(path), kind or kind_of(path)), settings.max_file_bytes)
        extracted = extract(raw)
        cleaned = clean(extracted.text)
        article = normalize(extracted, cleaned, settings.min_words)
    except RejectError as exc:
        return {"rejected": _digest([exc.stage, exc.reason])}
    out = {f: _digest(getattr(article, f)) for f in FIELDS}
    out["removed"] = _digest([[r.rule, r.segment, r.stage] for r in extracted.removed + cleaned.removed])
    return out


def fingerprints(pages: dict[str, Path]) -> dict[str, dict[str, str]]:
    return {name: fingerprint(path, "html") for name, path in pages.items()}


def differences(expected: dict, actual: dict) -> list[str]:
    """One line per page and field that differs (or a page missing on either side)."""
    lines = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None or got is None:
            lines.append(f"{name}: {'not in the golden file' if want is None else 'not checked'}")
            continue
        changed = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        if changed:
            lines.append(f"{name}: {', '.join(changed)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true")
    action.add_argument("--check", action="store_true")
    parser.add_argument("--corpus", type=int, default=0, help="also the first N bench corpus pages (bench/.corpus)")
    args = parser.parse_args()
    pages = dev_pages()
    if args.corpus:
        sys.path.insert(0, str(HERE))
        import corpus

        folder = HERE / ".corpus" / f"v{corpus.VERSION}-{max(args.corpus, 1000)}"
        corpus.generate(folder, max(args.corpus, 1000))
        pages.update({f"corpus/{p.name}": p for p in sorted(folder.iterdir())[:args.corpus]})
    actual = fingerprints(pages)
    if args.write:
        GOLDEN.write_text(json.dumps(actual, indent=0, sort_keys=True) + "\n")
        print(f"wrote {len(actual)} pages to {GOLDEN}")
        return
    expected = json.loads(GOLDEN.read_text())
    if not args.corpus:
        expected = {k: v for k, v in expected.items() if not k.startswith("corpus/")}
    else:
        expected = {k: v for k, v in expected.items() if k in actual}
    diff = differences(expected, actual)
    print("\n".join(diff) or f"{len(actual)} pages: every stored field identical")
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
