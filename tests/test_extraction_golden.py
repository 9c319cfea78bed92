"""Extraction output is byte-identical to the recorded fingerprints of every dev-set page.

tests/data/extraction_golden.json holds, per page, a sha256 of each stored field (text, title,
authors, date, language, hash, removed segments, ...) as the code gave them when it was written
(`python bench/extraction_golden.py --write`). A speed change must leave every one of them as it is;
an intended change of extraction (a rule, a trafilatura upgrade) rewrites the file in the same commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import extraction_golden as golden  # noqa: E402


def test_every_dev_page_stores_what_the_golden_file_records():
    pages = golden.dev_pages()
    if len(pages) < 120:
        pytest.skip(f"dev-set corpora not found at {golden.CORPORA}")
    expected = {k: v for k, v in json.loads(golden.GOLDEN.read_text()).items() if k in pages}
    assert len(expected) == len(pages)
    assert golden.differences(expected, golden.fingerprints(pages)) == []


def test_a_changed_field_is_reported(tmp_path):
    """The comparison itself: one field's change on one page is named (so the test above can fail)."""
    pages = dict(list(golden.dev_pages().items())[:2])
    if not pages:
        pytest.skip("dev-set corpora not found")
    actual = golden.fingerprints(pages)
    name = next(iter(actual))
    altered = {**actual, name: {**actual[name], "title": "0" * 20}}
    assert golden.differences(altered, actual) == [f"{name}: title"]


def test_share_in_a_page_is_the_share_over_all_its_shingles():
    """extract._share_in (the standfirst and live-post checks) = _share over every shingle of the page."""
    import gzip

    from trafilatura.utils import load_html

    from newsflow.transforms.extract import _share, _share_in, _shingles, visible_text

    pages = list(golden.dev_pages().values())[:30]
    if not pages:
        pytest.skip("dev-set corpora not found")
    shares = []
    for path in pages:
        page = visible_text(load_html(gzip.decompress(path.read_bytes())))
        for part in (_shingles(page[:300]), _shingles(page[-500:]), _shingles("the of and to in a that is was he for it"), set()):
            shares.append(_share_in(part, page))
            assert shares[-1] == _share(part, _shingles(page))
    assert 0 < sum(shares) < len(shares)  # both found and missing shingles were checked
