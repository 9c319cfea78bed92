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
