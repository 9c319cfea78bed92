"""The similarity stages' options: the one place their defaults are defined (settings group `similarity`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass


@dataclass(frozen=True, config=ConfigDict(extra="forbid", use_attribute_docstrings=True))
class SimilarityOptions:
    """Thresholds of the near-duplicate and story stages (docs/dedup.md)."""

    neardup_threshold: Annotated[float, Field(ge=0.47, le=1.0)] = 0.5
    """exact word-3-gram Jaccard at or above which two articles are near-duplicates"""
    story_threshold: Annotated[float, Field(gt=0, le=1.0)] = 0.22
    """TF-IDF cosine between an article and a story centroid at or above which the article joins it"""
    story_window_hours: Annotated[float, Field(gt=0)] = 72.0
    """a dated article joins only stories whose articles lie within this many hours of its own"""

    @property
    def story_window(self) -> timedelta:
        return timedelta(hours=self.story_window_hours)
