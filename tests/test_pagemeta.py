"""transforms/pagemeta.py gives exactly what trafilatura's own metadata functions give, on every dev-set page."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest
from trafilatura.metadata import extract_author, extract_metadata
from trafilatura.utils import load_html

from newsflow.transforms.decode import declared_charset, decode
from newsflow.transforms.extract import _DATE_PARAMS
from newsflow.transforms.pagemeta import fallback_author, page_metadata
from newsflow.transforms.structure import strip_structure

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import extraction_golden as golden  # noqa: E402

STORED = ("title", "author", "url", "date", "sitename", "description")


@pytest.fixture(scope="module")
def trees():
    pages = golden.dev_pages()
    if len(pages) < 120:
        pytest.skip(f"dev-set corpora not found at {golden.CORPORA}")
    out = {}
    for name, path in pages.items():
        body = gzip.decompress(path.read_bytes())
        tree = load_html(decode(body, declared_charset(body)))
        strip_structure(tree)  # the tree extract() reads metadata from
        out[name] = tree
    return out


def test_fallback_author_is_trafilaturas_extract_author(trees):
    found = 0
    for name, tree in trees.items():
        expected = extract_author(tree)
        assert fallback_author(tree) == expected, name
        found += expected is not None
    assert found > 20  # the fallback is exercised, not only its None


def test_page_metadata_is_extract_metadata_for_the_stored_fields(trees):
    for name, tree in trees.items():
        want, got = extract_metadata(tree, None, _DATE_PARAMS), page_metadata(tree, None, _DATE_PARAMS)
        assert [getattr(got, f) for f in STORED] == [getattr(want, f) for f in STORED], name


def test_discarded_parts_do_not_give_the_author():
    """A byline inside a comment list or a <figure> is not the author; the text around a <time> closes up."""
    tree = load_html("<html><body><div class='comments'><span class='author'>Rita Reader</span></div>"
                     "<figure><p class='byline'>Pat Photo</p></figure>"
                     "<p class='byline'>By<time>today</time>Ana Ruiz</p></body></html>")
    assert fallback_author(tree) == extract_author(tree) == "ByAna Ruiz"
