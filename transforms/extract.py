"""Extraction: HTML through trafilatura, plain text through the text reader."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from transforms.decode import declared_charset, decode
from transforms.models import Extracted, RawDocument, Rejected
from transforms.textreader import read_text, to_utc

_OPEN_HTML = re.compile(r"<html[\s>]", re.I)
_CLOSE_HTML = re.compile(r"</html\s*>", re.I)
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def extract(raw: RawDocument) -> Extracted:
    """Decode and extract one document by its kind."""
    if raw.kind == "html":
        return extract_html(decode(raw.body, declared_charset(raw.body)), raw.url)
    if raw.kind == "text":
        extracted = read_text(decode(raw.body))
        if not extracted.text.strip():
            raise Rejected("extract", "no_article", "the file holds no text")
        return extracted
    raise Rejected("extract", "unsupported_type", f"no extractor for {raw.kind!r}")


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Main text and metadata of an HTML page (trafilatura.bare_extraction)."""
    import trafilatura  # heavy import, kept off the CLI's start-up path

    if not html.strip():
        raise Rejected("extract", "empty", "the page is empty")
    if _OPEN_HTML.search(html) and not _CLOSE_HTML.search(html):
        raise Rejected("extract", "truncated", "the page opens <html> but never closes it: it was cut off")
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        date_extraction_params=_DATE_PARAMS,
    )
    if doc is None or not (doc.text or "").strip():
        raise Rejected("extract", "no_article", "trafilatura found no main text in the page")
    return Extracted(
        text=drop_leading_title(doc.text, doc.title),
        title=doc.title or None,
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()],
        published_at=parse_timestamp(doc.date),
        canonical_url=doc.url or None,
        site_name=doc.sitename or (urlsplit(doc.url).hostname if doc.url else None),
        description=doc.description or None,
    )


def drop_leading_title(text: str, title: str | None) -> str:
    """The text without a first paragraph that only repeats the headline (trafilatura keeps an <h1>)."""
    first, _, rest = text.strip().partition("\n")
    if title and rest.strip() and _squash(first) == _squash(title):
        return rest
    return text


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO date or timestamp as an aware UTC datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        return to_utc(datetime.fromisoformat(value))
    except ValueError:
        return None
