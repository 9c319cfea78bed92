"""Metadata repair: a defective value is replaced by the next-best source or set to None, never a reason to hide an article.

Pages declare placeholders (`"datePublished": "0001-01-01T00:00:00Z"`), dates far in the future,
or a title that is only the site's name. Each such value is swapped for the next source that is
plausible (htmldate's date, the page's first <h1>) or dropped, and the swap is written down in
`repairs` (stored on the article), so it can be audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# Kept equal to the published_at_plausible expectation (expectations/suites.py QualityConfig).
EARLIEST_PUBLISHED = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_TOLERANCE = timedelta(hours=14)


@dataclass
class Metadata:
    title: str | None
    published_at: datetime | None
    site_name: str | None
    description: str | None
    repairs: list[str] = field(default_factory=list)


def plausible_date(value: datetime | None, now: datetime | None = None) -> bool:
    """After 1990 and not in the future (date-only values from UTC+14 may be 14 h ahead)."""
    if value is None:
        return False
    now = now or datetime.now(timezone.utc)
    return EARLIEST_PUBLISHED <= value <= now + FUTURE_TOLERANCE


def choose_date(candidates: list[tuple[str, datetime | None]], repairs: list[str],
                now: datetime | None = None) -> datetime | None:
    """The first plausible date of (source, value) pairs; each implausible one skipped is noted in `repairs`."""
    skipped = []
    for source, value in candidates:
        if value is None or any(value.isoformat() in s for s in skipped):
            continue
        if plausible_date(value, now):
            if skipped:
                repairs.append(f"published_at: {'; '.join(skipped)}; used {source} {value.isoformat()}")
            return value
        skipped.append(f"{source} {value.isoformat()} is implausible")
    if skipped:
        repairs.append(f"published_at: {'; '.join(skipped)}; set to NULL")
    return None


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def repair_title(title: str | None, site_name: str | None, h1: str | None, repairs: list[str]) -> str | None:
    """The title, unless it is only the site's name: then the page's <h1>, or None."""
    if not title or not site_name or _squash(title) != _squash(site_name):
        return title or None
    if h1 and _squash(h1) != _squash(site_name):
        repairs.append(f"title: {title!r} is the site name; used the page's <h1>")
        return h1
    repairs.append(f"title: {title!r} is the site name; set to NULL")
    return None
