"""What the commit's index stages compute from an article's title and text alone, computed ahead.

The near-duplicate shingles and signature, the search terms and the story term counts depend on
nothing but the article's title and text, so other processes can make them (flows/ahead.py) while
the commit's own thread dedups and validates. A stage uses them only for an article whose title and
text, as it reads them back from the warehouse, have the same `digest`, so every decision is the one
it would make computing them itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from newsflow.transforms import fulltext, neardup, stories

NEARDUP, SEARCH, STORIES = "neardup", "search", "stories"
PARTS = (NEARDUP, SEARCH, STORIES)


@dataclass(frozen=True)
class Signed:
    """`neardup.entry`'s shingles and signature, and the parameters they were made with."""

    params: neardup.IndexParams
    shingles: np.ndarray
    signature: np.ndarray


Lookup = Callable[[str, "str | None", str, str], object]
"""(article_id, title, text, part) -> that part of `compute(title, text)` made ahead, or None:
NEARDUP a Signed, SEARCH {field: fulltext.terms}, STORIES stories.term_counts."""


def digest(title: str | None, text: str) -> bytes:
    """Identifies the (title, text) pair the parts were made from."""
    h = hashlib.blake2b(digest_size=16)
    h.update(b"\x00" if title is None else b"\x01" + title.encode("utf-8", "surrogatepass"))
    h.update(b"\x00" + text.encode("utf-8", "surrogatepass"))
    return h.digest()


def compute(title: str | None, text: str, params: neardup.IndexParams = neardup.DEFAULT_PARAMS) -> dict[str, object]:
    """Each part for one article, exactly as the commit's stages would compute it."""
    sh = neardup.shingles(text, params.shingle_size)
    return {NEARDUP: Signed(params, sh, neardup.signature(sh, params)),
            SEARCH: {"title": fulltext.terms(title), "text": fulltext.terms(text)},
            STORIES: stories.term_counts(text, title)}
