"""Extraction: HTML through trafilatura, plain text through the text reader."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from newsflow.transforms.decode import declared_charset, decode_noted
from newsflow.transforms.models import Extracted, RawDocument, Rejected
from newsflow.transforms.textreader import read_text, to_utc

_OPEN_HTML = re.compile(r"<html[\s>]", re.I)
_CLOSE_HTML = re.compile(r"</html\s*>", re.I)
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
# Third-party embeds quoted inside the body (posts from X/Twitter, Instagram, TikTok, Facebook,
# Threads, Bluesky, Reddit): their text is somebody else's post, not the article. These are the
# platforms' own embed classes, so they look the same on every outlet.
_PRUNE_XPATH = [
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'twitter-video')"
    " or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')"
    " or contains(@class, 'text-post-media') or contains(@class, 'bluesky-embed')"
    " or contains(@class, 'reddit-embed') or contains(@class, 'fb-xfbml-parse-ignore')]",
    "//div[contains(@class, 'fb-post')]",
    # Teaser cards for other stories dropped between paragraphs: "promo" is the usual CMS name for
    # such a card (matched as a whole class token; "promo-banner" or "promotion" are not cut).
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' promo ')]",
]
_WORDS = re.compile(r"\w+")
_STANDFIRST_MIN_WORDS = 8


def extract(raw: RawDocument) -> Extracted:
    """Decode and extract one document by its kind."""
    if raw.kind == "html":
        html, note = decode_noted(raw.body, raw.charset or declared_charset(raw.body))
        extracted = extract_html(html, raw.url)
        extracted.charset_note = note
        return extracted
    if raw.kind == "text":
        text, note = decode_noted(raw.body, raw.charset)
        extracted = read_text(text)
        if not extracted.text.strip():
            raise Rejected("extract", "no_article", "the file holds no text")
        extracted.charset_note = note
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
        date_extraction_params=_DATE_PARAMS, prune_xpath=_PRUNE_XPATH,
    )
    if doc is None or not (doc.text or "").strip():
        raise Rejected("extract", "no_article", "trafilatura found no main text in the page")
    text = drop_leading_title(doc.text, doc.title)
    return Extracted(
        text=add_standfirst(text, doc.description, html),
        title=doc.title or None,
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()],
        published_at=published_in_metadata(html) or parse_timestamp(doc.date),
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


def add_standfirst(text: str, description: str | None, html: str) -> str:
    """The text with the standfirst (dek) on top when trafilatura left it out.

    Outlets print the page's meta description as the dek under the headline, often outside the
    element trafilatura takes as the body. It is added only when it is printed on the page (so
    a description that exists only as metadata never enters the text) and not already in `text`.
    """
    if not description or len(_WORDS.findall(description)) < _STANDFIRST_MIN_WORDS:
        return text
    dek = _shingles(description)
    if _share(dek, _shingles(text)) >= 0.5 or _share(dek, _shingles(_visible_text(html))) < 0.8:
        return text
    return f"{description.strip()}\n{text}"


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w.casefold() for w in _WORDS.findall(text)]
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def _share(part: set, whole: set) -> float:
    """How much of `part` is in `whole` (0 when `part` is empty)."""
    return len(part & whole) / len(part) if part else 0.0


def _visible_text(html: str) -> str:
    """The text a reader sees in the page body: no head, scripts, styles or templates."""
    import lxml.html

    try:
        try:
            tree = lxml.html.fromstring(html)
        except ValueError:  # a str that carries an XML encoding declaration
            tree = lxml.html.fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (ValueError, lxml.etree.ParserError):  # unparsable: no standfirst rather than a failed page
        return ""
    for node in tree.xpath("//head|//script|//style|//noscript|//template"):
        node.drop_tree()
    return tree.text_content()


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


_PUBLISHED_META = re.compile(
    r"""<meta\s[^>]*(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|og:article:published_time|"""
    r"""datePublished|pubdate|publishdate|parsely-pub-date|sailthru\.date|dc\.date\.issued|dcterms\.created)["'][^>]*>""",
    re.I)
_CONTENT = re.compile(r"""content\s*=\s*["']([^"']+)["']""", re.I)
_JSONLD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


def published_in_metadata(html: str) -> datetime | None:
    """The publication timestamp a page declares in standard metadata, when it has a time of day.

    htmldate (via trafilatura) often settles on a date-only source and drops the time; the
    declared `article:published_time` / JSON-LD `datePublished` is exact when present.
    """
    head = html[:200_000]
    values = [c.group(1) for m in _PUBLISHED_META.finditer(head) if (c := _CONTENT.search(m.group(0)))]
    values += _JSONLD_PUBLISHED.findall(head)
    for value in values:
        if "T" in value and (stamp := parse_timestamp(value.strip().replace("Z", "+00:00"))):
            return stamp
    return None


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO date or timestamp as an aware UTC datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        return to_utc(datetime.fromisoformat(value))
    except ValueError:
        return None
