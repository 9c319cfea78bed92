"""Feed and sitemap detection and parsing, including hostile XML."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import pytest

from newsflow.transforms import feeds
from newsflow.transforms.models import RejectError

BASE = "https://example.org/"

RSS_091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old Ledger</title><link>https://example.org/</link>
<item><title>Caf\xe9 opens</title><link>https://example.org/news/cafe</link></item></channel></rss>"""

RSS_10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>RDF Ledger</title></channel>
<item rdf:about="https://example.org/news/rdf-1"><title>First</title><link>https://example.org/news/rdf-1</link>
<dc:date>2025-03-04T08:30:00+01:00</dc:date></item>
<item rdf:about="https://example.org/news/rdf-2"><title>Second</title></item>
</rdf:RDF>"""

RSS_20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Ledger</title>
<item><title>Harbour reopens</title><link>https://Example.org/news/harbour?utm_source=rss#top</link>
<pubDate>Tue, 04 Mar 2025 08:30:00 +0000</pubDate></item>
<item><title>Guid only</title><guid>https://example.org/news/guid</guid><dc:date>2025-03-05</dc:date></item>
<item><title>Not a permalink</title><guid isPermaLink="false">tag:example.org,2025:1</guid></item>
<item><title>Relative</title><link>/news/relative</link></item>
<item><title>Mailto</title><link>mailto:editor@example.org</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/blog/"><title>Atom Ledger</title>
<entry><title type="html">Budget &amp; tax</title><link rel="edit" href="https://example.org/edit/1"/>
<link rel="alternate" type="text/html" href="budget"/><published>2025-03-05T10:00:00Z</published>
<updated>2025-03-06T11:00:00Z</updated></entry>
<entry><title>No rel</title><link href="https://example.org/news/norel"/><updated>2025-03-07T00:00:00-05:00</updated></entry>
</feed>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON Ledger",
 "home_page_url": "https://example.org/", "items": [
  {"id": "1", "url": "https://example.org/news/json-1", "title": "One", "date_published": "2025-03-04T08:30:00Z"},
  {"id": "2", "external_url": "news/json-2", "date_modified": "2025-03-05T09:00:00+02:00"},
  {"id": "3", "content_text": "no url"}]}"""

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://example.org/news/a</loc><lastmod>2025-03-04</lastmod></url>
<url><loc>https://example.org/news/b</loc><lastmod>2025-03-04T08:30:00+00:00</lastmod></url>
<url><loc>https://example.org/news/c</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://example.org/sitemap-2025-03.xml.gz</loc><lastmod>2025-03-31</lastmod></sitemap>
<sitemap><loc>https://example.org/news-sitemap.xml</loc></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://example.org/news/election</loc>
<news:news><news:publication><news:name>The Example Ledger</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2025-03-07T06:00:00+01:00</news:publication_date><news:title>Election called</news:title></news:news>
</url></urlset>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><item><title>&lol3;</title><link>https://example.org/x</link></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://example.org/&xxe;</loc></url></urlset>"""


@pytest.mark.parametrize("body, kind", [
    (RSS_091, "rss"), (RSS_10, "rss"), (RSS_20, "rss"), (ATOM, "atom"), (JSON_FEED, "jsonfeed"),
    (URLSET, "urlset"), (INDEX, "sitemapindex"), (NEWS, "urlset"), (gzip.compress(URLSET), "urlset"),
    (b"\xef\xbb\xbf" + RSS_20, "rss"),
    (b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>", "html"),
    (b"<html><body><p>x</p></body></html>", "html"),
    (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "html"),
    (b"<!-- a comment --><?xml-stylesheet href='x'?><rss version='2.0'/>", "rss"),
    (b'{"not": "a feed"}', "unknown"),
    (b"%PDF-1.7", "unknown"),
])
def test_sniff_decides_from_the_bytes(body, kind):
    assert feeds.sniff(body, "application/octet-stream") == kind


def test_sniff_uses_the_type_only_for_text():
    assert feeds.sniff(b"Plain words.", "text/plain; charset=utf-8") == "text"
    assert feeds.sniff(b"Plain words.", None) == "unknown"


def test_rss_091_with_netscape_doctype():
    listing = feeds.parse(RSS_091, BASE)
    assert listing.kind == "rss" and listing.title == "Old Ledger"
    assert [(e.url, e.title) for e in listing.entries] == [("https://example.org/news/cafe", "Caf\u00e9 opens")]


def test_rss_10_rdf():
    listing = feeds.parse(RSS_10, BASE)
    assert [e.url for e in listing.entries] == ["https://example.org/news/rdf-1", "https://example.org/news/rdf-2"]
    assert listing.entries[0].published == datetime(2025, 3, 4, 7, 30, tzinfo=timezone.utc)


def test_rss_20_links_guids_and_dates():
    listing = feeds.parse(RSS_20, "https://example.org/feeds/rss.xml")
    assert [e.url for e in listing.entries] == [
        "https://example.org/news/harbour", "https://example.org/news/guid", "https://example.org/news/relative"]
    assert listing.entries[0].published == datetime(2025, 3, 4, 8, 30, tzinfo=timezone.utc)
    assert listing.entries[1].published == datetime(2025, 3, 5, tzinfo=timezone.utc)
    assert listing.skipped == ["mailto:editor@example.org"]


def test_atom_alternate_links_and_xml_base():
    listing = feeds.parse(ATOM, BASE)
    assert listing.title == "Atom Ledger"
    budget, norel = listing.entries
    assert budget.url == "https://example.org/blog/budget" and budget.title == "Budget & tax"
    assert budget.published == datetime(2025, 3, 5, 10, tzinfo=timezone.utc)
    assert budget.changed_at == datetime(2025, 3, 6, 11, tzinfo=timezone.utc)
    assert norel.url == "https://example.org/news/norel" and norel.updated.hour == 5


def test_json_feed():
    listing = feeds.parse(JSON_FEED, BASE)
    assert [e.url for e in listing.entries] == ["https://example.org/news/json-1", "https://example.org/news/json-2"]
    assert listing.entries[1].updated == datetime(2025, 3, 5, 7, tzinfo=timezone.utc)


def test_urlset_lastmod_defaults_to_utc():
    listing = feeds.parse(URLSET, BASE)
    assert [e.updated for e in listing.entries] == [
        datetime(2025, 3, 4, tzinfo=timezone.utc), datetime(2025, 3, 4, 8, 30, tzinfo=timezone.utc), None]
    assert all(e.kind == "article" for e in listing.entries)


def test_sitemap_index_lists_child_sitemaps():
    listing = feeds.parse(INDEX, BASE)
    assert listing.kind == "sitemapindex"
    assert [(e.url, e.kind) for e in listing.entries] == [
        ("https://example.org/sitemap-2025-03.xml.gz", "sitemap"), ("https://example.org/news-sitemap.xml", "sitemap")]


def test_google_news_sitemap_metadata():
    (entry,) = feeds.parse(NEWS, BASE).entries
    assert entry.title == "Election called" and entry.publication == "The Example Ledger" and entry.language == "en"
    assert entry.published == datetime(2025, 3, 7, 5, tzinfo=timezone.utc)


def test_gzipped_sitemap():
    assert len(feeds.parse(gzip.compress(URLSET), BASE).entries) == 3


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(b"<urlset>" + b" " * 20_000_000, compresslevel=1)
    with pytest.raises(RejectError) as info:
        feeds.parse(bomb, BASE, max_bytes=1_000_000)
    assert info.value.reason == "too_large" and "max_body_bytes" in info.value.detail


def test_truncated_and_corrupt_gzip():
    data = gzip.compress(URLSET)
    with pytest.raises(RejectError) as info:
        feeds.parse(data[: len(data) // 2], BASE)
    assert info.value.reason == "truncated"
    with pytest.raises(RejectError) as info:
        feeds.gunzip_capped(b"\x1f\x8b" + b"garbage" * 10)
    assert info.value.reason == "corrupt"


HIDDEN_LAUGHS = BILLION_LAUGHS.replace(b"<!DOCTYPE lolz [", b"<!DOCTYPE lolz [<!-- <rss> -->")
CDATA_MENTION = b"""<?xml version="1.0"?><rss version="2.0"><channel><item><title>XXE explained</title>
<link>https://example.org/xxe</link><description><![CDATA[Write <!ENTITY x SYSTEM "file:///etc/passwd"> and...]]>
</description></item></channel></rss>"""


def test_entities_mentioned_in_content_are_fine():
    assert [e.url for e in feeds.parse(CDATA_MENTION, BASE).entries] == ["https://example.org/xxe"]


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, HIDDEN_LAUGHS], ids=["billion-laughs", "external-entity", "hidden"])
def test_entity_declarations_are_refused(body):
    with pytest.raises(RejectError) as info:
        feeds.parse(body, BASE)
    assert info.value.reason == "unsafe_xml" and info.value.stage == "discover"


def test_html_is_not_a_feed():
    with pytest.raises(RejectError) as info:
        feeds.parse(b"<!DOCTYPE html><html><body>hi</body></html>", BASE)
    assert info.value.reason == "not_a_feed" and "html" in info.value.detail


def test_oversized_listing_is_refused():
    with pytest.raises(RejectError) as info:
        feeds.parse(URLSET, BASE, max_bytes=100)
    assert info.value.reason == "too_large"


@pytest.mark.parametrize("value, expected", [
    ("Tue, 04 Mar 2025 08:30:00 GMT", datetime(2025, 3, 4, 8, 30, tzinfo=timezone.utc)),
    ("Tue, 04 Mar 2025 08:30:00 EST", datetime(2025, 3, 4, 13, 30, tzinfo=timezone.utc)),
    ("2025-03-04T08:30:00Z", datetime(2025, 3, 4, 8, 30, tzinfo=timezone.utc)),
    ("2025-03-04T08:30:00.123+02:00", datetime(2025, 3, 4, 6, 30, 0, 123000, tzinfo=timezone.utc)),
    ("2025-03-04", datetime(2025, 3, 4, tzinfo=timezone.utc)),
    ("yesterday", None), ("", None), (None, None),
])
def test_parse_date(value, expected):
    assert feeds.parse_date(value) == expected


def test_needs_fetch_skips_entries_already_ingested():
    fetched = datetime(2025, 3, 5, tzinfo=timezone.utc)
    old = feeds.FeedEntry("https://example.org/a", updated=datetime(2025, 3, 4, tzinfo=timezone.utc))
    new = feeds.FeedEntry("https://example.org/a", published=datetime(2025, 3, 4, tzinfo=timezone.utc),
                      updated=datetime(2025, 3, 6, tzinfo=timezone.utc))
    undated = feeds.FeedEntry("https://example.org/a")
    assert feeds.needs_fetch(old, None) and feeds.needs_fetch(undated, None)
    assert not feeds.needs_fetch(old, fetched) and not feeds.needs_fetch(undated, fetched)
    assert feeds.needs_fetch(new, fetched)
    assert feeds.needs_fetch(old, fetched, refresh=True)
