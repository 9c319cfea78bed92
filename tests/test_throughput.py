"""Speed work must not change results: what the flow stores equals the plain transform functions' output."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from newsflow.acquire.files import Item, kind_of
from newsflow.acquire.read import read_item
from newsflow.settings import Settings
from newsflow.transforms.clean import clean
from newsflow.transforms.extract import extract
from newsflow.transforms.models import RejectError
from newsflow.transforms.normalize import normalize

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FIELDS = ("text", "title", "authors", "published_at", "language", "language_prob", "word_count", "content_hash",
          "site_name", "description")
TEXT_FIELDS = ("text", "language", "language_prob", "word_count", "content_hash")


@pytest.fixture(scope="module")
def dev_pages(tmp_path_factory) -> Path:
    """The 120 dev-set pages (fundus-eval, readability-news) copied into one folder, as .html.gz."""
    fundus, readability = CORPORA / "fundus-eval" / "html", CORPORA / "readability-news" / "pages"
    if not fundus.is_dir() or not readability.is_dir():
        pytest.skip(f"dev-set corpora not found at {CORPORA}")
    folder = tmp_path_factory.mktemp("dev-pages")
    for page in sorted(fundus.glob("*.html.gz")):
        shutil.copyfile(page, folder / page.name)  # copies: links inside a scanned folder are not followed
    for page in sorted(readability.glob("*/source.html.gz")):
        shutil.copyfile(page, folder / f"{page.parent.name}.html.gz")
    return folder


def reference(path: Path, settings: Settings):
    """(article fields, canonical_url, removed segments) by calling the transforms in turn; or the reject."""
    try:
        raw = read_item(Item(str(path), kind_of(path)), settings.max_file_bytes)
        extracted = extract(raw)
        cleaned = clean(extracted.text)
        article = normalize(extracted, cleaned, settings.min_words)
    except RejectError as exc:
        return ("rejected", exc.stage, exc.reason)
    fields = tuple(getattr(article, f) for f in FIELDS)
    return fields, article.canonical_url, [(r.rule, r.segment) for r in extracted.removed + cleaned.removed]


def stored(db: Path, run_id: str) -> dict[str, object]:
    """The same shape, read back from the warehouse for one run, by origin.

    An exact copy's document points at the first copy's articles row, so a duplicate's metadata
    (title, authors, ...) is that of the first copy: for those, only the text fields are kept.
    """
    out: dict[str, object] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        docs = con.execute(
            f"SELECT d.origin, d.canonical_url, d.document_id, d.is_duplicate, {', '.join('a.' + f for f in FIELDS)} "
            "FROM documents d JOIN articles a USING (article_id) WHERE d.run_id = ?", [run_id]).fetchall()
        removed: dict[str, list] = {}
        for document_id, rule, segment in con.execute(
                "SELECT document_id, rule, segment FROM removed_segments JOIN documents USING (document_id) "
                "WHERE run_id = ? ORDER BY document_id, position", [run_id]).fetchall():
            removed.setdefault(document_id, []).append((rule, segment))
        for origin, canonical, document_id, duplicate, *fields in docs:
            fields[FIELDS.index("authors")] = list(fields[FIELDS.index("authors")])
            out[origin] = (_own(fields, duplicate), canonical, removed.get(document_id, []))
        for origin, stage, reason in con.execute(
                "SELECT origin, stage, reason FROM rejects WHERE run_id = ?", [run_id]).fetchall():
            out[origin] = ("rejected", stage, reason)
    return out


def _own(fields, duplicate: bool) -> tuple:
    """The fields a document's own page decided: all of them, or only the text's for a duplicate."""
    return tuple(v if not duplicate or f in TEXT_FIELDS else "<first copy's>" for f, v in zip(FIELDS, fields))


def test_stored_texts_equal_the_plain_transforms_first_run_and_rerun(prefect_harness, dev_pages, tmp_path):
    from newsflow.flows.run import run_ingest

    # Unchanged files read again (not skipped as unchanged): the batch cache's re-run path.
    settings = Settings(db=tmp_path / "dev.duckdb", quality={"enabled": False}, skip_unchanged_files=False)
    first = run_ingest([str(dev_pages)], settings)
    again = run_ingest([str(dev_pages)], settings)
    expected = {str(p): reference(p, settings) for p in sorted(dev_pages.iterdir())}
    assert len(expected) == 120 and sum(e[0] != "rejected" for e in expected.values()) > 100
    for summary in (first, again):
        got = stored(settings.db, summary.run_id)
        assert set(got) == set(expected)
        for origin, want in expected.items():
            have = got[origin]
            if want[0] != "rejected" and have[0] != "rejected":
                duplicate = "<first copy's>" in have[0]
                want = (_own(want[0], duplicate), *want[1:])
            assert have == want, f"run {summary.run_id}, {Path(origin).name}"
    assert again.new_articles == 0 and again.duplicates == first.new_articles + first.duplicates
