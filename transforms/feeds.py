"""Feeds and sitemaps: tell them from HTML by their bytes, and list their entries. No I/O.

Parses RSS 0.9x/1.0/2.0, Atom, JSON Feed, sitemap urlsets, sitemap indexes and Google News
sitemaps, gzip'd or not. The XML parser never expands entities, loads DTDs or touches the
network, documents declaring entities are refused outright (billion laughs, XXE), and gunzipping
stops at a size cap (gzip bombs).
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from newsflow.transforms.models import RejectError
from newsflow.transforms.urls import canonicalize

FEED_KINDS = ("rss", "atom", "jsonfeed")
SITEMAP_KINDS = ("urlset", "sitemapindex")
DEFAULT_MAX_BYTES = 50_000_000  # the sitemap protocol's own limit for one uncompressed file

_GZIP_MAGIC = b"\x1f\x8b"
_STAGE = "discover"

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_RSS1 = "http://purl.org/rss/1.0/"
NS_RSS09 = "http://my.netscape.com/rdf/simple/0.9/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NS_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"

# The first element name after the XML prolog (declaration, comments, processing instructions,
# doctype). Only the head of the document is looked at.
_PROLOG = re.compile(rb"""\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[[^\]]*\][^>]*)?>)*""", re.S | re.I)
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_HTML_HINT = re.compile(rb"<!DOCTYPE\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)


@dataclass(frozen=True)
class FeedEntry:
    """One link a feed or sitemap lists: an article, or (in a sitemap index) a child sitemap."""

    url: str
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None  # Atom <updated>, JSON Feed date_modified, sitemap <lastmod>
    kind: str = "article"  # article | sitemap
    publication: str | None = None  # Google News <news:name>
    language: str | None = None

    @property
    def changed_at(self) -> datetime | None:
        """The latest date the listing gives for this entry; a newer one means refetch it."""
        dates = [d for d in (self.published, self.updated) if d is not None]
        return max(dates) if dates else None


@dataclass
class Listing:
    """A parsed feed or sitemap."""

    kind: str  # rss | atom | jsonfeed | urlset | sitemapindex
    entries: list[FeedEntry] = field(default_factory=list)
    title: str | None = None
    skipped: list[str] = field(default_factory=list)  # links that are not usable http(s) URLs


def needs_fetch(entry: FeedEntry, fetched_at: datetime | None, *, refresh: bool = False) -> bool:
    """Whether a listed entry should be fetched, given when its URL was last fetched (None = never).

    An already ingested URL is fetched again only when the listing dates it after that fetch
    (or with refresh); an entry without dates is never refetched once ingested.
    """
    if refresh or fetched_at is None:
        return True
    changed = entry.changed_at
    return changed is not None and changed > fetched_at


def gunzip_capped(body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Decompress a gzip file, refusing to produce more than `max_bytes` (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise RejectError(_STAGE, "corrupt", f"not a valid gzip file: {exc}") from exc
    if len(out) > max_bytes:
        raise RejectError(_STAGE, "too_large",
                       f"gzip data decompresses past {max_bytes} bytes (setting max_body_bytes)")
    if not inflater.eof:
        raise RejectError(_STAGE, "truncated", "the gzip stream ends early")
    return out


def sniff(body: bytes, content_type: str | None = None) -> str:
    """What `body` is: one of FEED_KINDS or SITEMAP_KINDS, "html", "text" or "unknown".

    Decided from the bytes; the content type only breaks the tie between text and unknown.
    Gzip'd bodies are looked into (a .xml.gz sitemap).
    """
    if body.startswith(_GZIP_MAGIC):
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body[:65536], 65536)
        except zlib.error:
            return "unknown"
    head = _strip_bom(body[:65536]).lstrip()
    if head.startswith(b"{"):
        return "jsonfeed" if b"jsonfeed.org/version" in head[:4096] else "unknown"
    if head.startswith(b"<"):
        if _HTML_HINT.search(head[:4096]) and not re.match(rb"<\?xml", head):
            return "html"
        root = _root_name(head)
        if root in ("rss", "rdf"):
            return "rss"
        if root == "feed":
            return "atom"
        if root in SITEMAP_KINDS:
            return root
        if root == "html" or _HTML_HINT.search(head[:4096]):
            return "html"
        return "unknown"
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime == "text/plain":
        return "text"
    if mime in ("text/html", "application/xhtml+xml"):
        return "html"
    return "unknown"


def parse(body: bytes, base_url: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Listing:
    """Entries of a feed or sitemap (gzip'd or not); RejectError if it is neither or is unsafe."""
    if len(body) > max_bytes:
        raise RejectError(_STAGE, "too_large", f"{len(body)} bytes; the limit is {max_bytes} (setting max_body_bytes)")
    if body.startswith(_GZIP_MAGIC):
        body = gunzip_capped(body, max_bytes)
    kind = sniff(body)
    if kind == "jsonfeed":
        return _parse_jsonfeed(body, base_url)
    if kind not in FEED_KINDS + SITEMAP_KINDS:
        raise RejectError(_STAGE, "not_a_feed",
                       f"neither a feed (RSS, Atom, JSON Feed) nor a sitemap; it looks like {kind}")
    root = _parse_xml(body)
    if kind == "rss":
        return _parse_rss(root, base_url)
    if kind == "atom":
        return _parse_atom(root, base_url)
    return _parse_sitemap(root, kind, base_url)


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _root_name(head: bytes) -> str | None:
    rest = head[_PROLOG.match(head).end():]
    match = _ROOT.match(rest)
    return match.group(2).decode("ascii").lower() if match else None


def _parse_xml(body: bytes):
    from lxml import etree  # lxml comes with trafilatura

    # resolve_entities=False leaves entity references unexpanded (no billion laughs, no XXE); the
    # check after parsing then refuses any document that declares entities at all.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True, recover=True)
    try:
        root = etree.fromstring(_strip_bom(body), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise RejectError(_STAGE, "bad_xml", str(exc)) from exc
    if root is None:
        raise RejectError(_STAGE, "bad_xml", "no XML element found")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # Feeds and sitemaps have no use for entity declarations: refuse rather than guess.
        raise RejectError(_STAGE, "unsafe_xml", "the XML declares entities (<!ENTITY>); refused to read it")
    return root


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _children(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name]


def _child_text(el, *names: str, ns: str | None = None) -> str | None:
    """Text of the first child with one of `names` (local names, optionally in namespace `ns`)."""
    for name in names:
        for child in el:
            if _local(child.tag) == name and (ns is None or child.tag.startswith("{" + ns + "}")):
                text = "".join(child.itertext()).strip()
                if text:
                    return text
    return None


def _url(href: str | None, base: str | None, listing: Listing) -> str | None:
    if not href:
        return None
    try:
        return canonicalize(href, base=base)
    except RejectError:
        listing.skipped.append(href)
        return None


def _parse_rss(root, base_url: str | None) -> Listing:
    listing = Listing("rss")
    channel = next(iter(_children(root, "channel")), None)
    if channel is not None:
        listing.title = _child_text(channel, "title")
    # RSS 0.9x/2.0 put items inside <channel>; RSS 0.90 and 1.0 (RDF) put them beside it.
    items = (_children(channel, "item") if channel is not None else []) + _children(root, "item")
    for item in items:
        link = _child_text(item, "link")
        if not link:
            guid = next(iter(_children(item, "guid")), None)
            if guid is not None and (guid.get("isPermaLink") or "true").lower() == "true" and (guid.text or "").strip():
                link = guid.text.strip()
        if not link:
            link = item.get(f"{{{NS_RDF}}}about")
        url = _url(link, base_url, listing)
        if url:
            listing.entries.append(FeedEntry(
                url=url, title=_child_text(item, "title"),
                published=parse_date(_child_text(item, "pubdate") or _child_text(item, "date", ns=NS_DC)),
                updated=parse_date(_child_text(item, "updated", "modified")),
            ))
    return listing


def _parse_atom(root, base_url: str | None) -> Listing:
    listing = Listing("atom", title=_child_text(root, "title"))
    base_url = _xml_base(root, base_url)
    for entry in _children(root, "entry"):
        entry_base = _xml_base(entry, base_url)
        href = None
        for link in _children(entry, "link"):
            rel = (link.get("rel") or "alternate").lower()
            if rel == "alternate" and link.get("href"):
                href = link.get("href")
                break
        url = _url(href, entry_base, listing)
        if url:
            listing.entries.append(FeedEntry(
                url=url, title=_child_text(entry, "title"),
                published=parse_date(_child_text(entry, "published", "issued")),
                updated=parse_date(_child_text(entry, "updated", "modified")),
            ))
    return listing


def _xml_base(el, base: str | None) -> str | None:
    xml_base = el.get("{http://www.w3.org/XML/1998/namespace}base")
    if not xml_base:
        return base
    return urljoin(base or "", xml_base)


def _parse_sitemap(root, kind: str, base_url: str | None) -> Listing:
    listing = Listing(kind)
    child_tag = "url" if kind == "urlset" else "sitemap"
    for node in _children(root, child_tag):
        url = _url(_child_text(node, "loc"), base_url, listing)
        if not url:
            continue
        news = next((c for c in node if _local(c.tag) == "news"), None)
        title = published = publication = language = None
        if news is not None:
            title = _child_text(news, "title")
            published = parse_date(_child_text(news, "publication_date"))
            pub = next(iter(_children(news, "publication")), None)
            if pub is not None:
                publication = _child_text(pub, "name")
                language = _child_text(pub, "language")
        listing.entries.append(FeedEntry(
            url=url, title=title, published=published, updated=parse_date(_child_text(node, "lastmod")),
            kind="article" if kind == "urlset" else "sitemap", publication=publication, language=language,
        ))
    return listing


def _parse_jsonfeed(body: bytes, base_url: str | None) -> Listing:
    try:
        data = json.loads(_strip_bom(body).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RejectError(_STAGE, "bad_json", f"not valid JSON Feed: {exc}") from exc
    except RecursionError as exc:  # `[[[[...` 100,000 deep: the parser's own depth limit, not a crash
        raise RejectError(_STAGE, "bad_json", "JSON nested too deeply to be a JSON Feed") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
        raise RejectError(_STAGE, "bad_json", "a JSON Feed needs an object with an `items` list")
    listing = Listing("jsonfeed", title=_str(data.get("title")))
    base = _str(data.get("home_page_url")) or base_url
    for item in data.get("items", []):
        if not isinstance(item, dict):
            continue
        url = _url(_str(item.get("url")) or _str(item.get("external_url")), base, listing)
        if url:
            listing.entries.append(FeedEntry(
                url=url, title=_str(item.get("title")),
                published=parse_date(_str(item.get("date_published"))),
                updated=parse_date(_str(item.get("date_modified"))),
            ))
    return listing


def _str(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def parse_date(value: str | None) -> datetime | None:
    """A feed or sitemap date (RFC 822 or W3C/ISO 8601) as an aware UTC datetime, or None."""
    if not value:
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # the sitemap protocol's dates default to UTC
    return parsed.astimezone(timezone.utc)

