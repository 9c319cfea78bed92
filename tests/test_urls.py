"""URL canonicalization, include/exclude patterns, rel=canonical, and the sources file."""

from __future__ import annotations

import pytest

from newsflow.acquire.sources import SourcesError, load_sources, parse_sources
from newsflow.transforms.models import RejectError
from newsflow.transforms.urls import UrlFilter, canonical_link, canonicalize, domain_of, host_of, is_tracking_param


@pytest.mark.parametrize("given, expected", [
    ("HTTP://Example.COM/News", "http://example.com/News"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/a/b/", "https://example.com/a/b/"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/%7euser/caf%c3%a9", "https://example.com/~user/caf%C3%A9"),
    ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
    ("https://b\u00fccher.de/", "https://xn--bcher-kva.de/"),
    ("https://example.com/s?q=a+b&page=2", "https://example.com/s?page=2&q=a%20b"),
    ("https://example.com/a?utm_source=x&utm_medium=y&utm_campaign=z", "https://example.com/a"),
    ("https://example.com/a?id=3&fbclid=IwAR&gclid=Cj0&msclkid=1&mc_cid=2&_ga=3", "https://example.com/a?id=3"),
    ("https://example.com/a?b=2&a=1&a=0", "https://example.com/a?a=1&a=0&b=2"),
    ("https://example.com/a?flag", "https://example.com/a?flag="),
    ("  https://example.com/a  ", "https://example.com/a"),
    ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
])
def test_canonicalize(given, expected):
    assert canonicalize(given) == expected


def test_canonicalize_is_idempotent_and_merges_tracking_variants():
    variants = [
        "https://news.example/story?id=7",
        "https://NEWS.example:443/story?utm_source=twitter&id=7",
        "https://news.example/story?id=7&fbclid=abc#comments",
        "https://news.example/./story?gclid=x&id=7&utm_campaign=spring",
    ]
    assert {canonicalize(v) for v in variants} == {"https://news.example/story?id=7"}
    assert canonicalize(canonicalize(variants[1])) == canonicalize(variants[1])


def test_relative_urls_resolve_against_a_base():
    assert canonicalize("../b?utm_source=x", base="https://example.com/x/y/z") == "https://example.com/x/b"


@pytest.mark.parametrize("given, reason", [
    ("ftp://example.com/file", "unsupported_scheme"),
    ("file:///etc/passwd", "unsupported_scheme"),
    ("javascript:alert(1)", "unsupported_scheme"),
    ("example.com/news", "unsupported_scheme"),
    ("http:///path-only", "bad_url"),
    ("http://user:secret@example.com/", "bad_url"),
    ("http://example.com:99999/", "bad_url"),
])
def test_canonicalize_refuses(given, reason):
    with pytest.raises(RejectError) as info:
        canonicalize(given)
    assert info.value.reason == reason and "secret" not in info.value.detail


def test_tracking_params_and_hosts():
    assert is_tracking_param("UTM_Source") and is_tracking_param("fbclid") and not is_tracking_param("id")
    assert host_of("https://Example.com:443/a?b") == "https://example.com"
    assert host_of("http://example.com:8080/a") == "http://example.com:8080"
    assert domain_of("https://www.example.co.uk/a") == "example.co.uk"


def test_url_filter_globs_and_regexes():
    f = UrlFilter(include=("*/news/*", "re:/politics/\\d+"), exclude=("*/news/live/*", "re:[?&]amp=1"))
    assert f.allows("https://example.org/news/harbour")
    assert f.allows("https://example.org/politics/2025/x")
    assert not f.allows("https://example.org/sport/match")
    assert not f.allows("https://example.org/news/live/today")
    assert not f.allows("https://example.org/news/a?amp=1")
    assert UrlFilter().allows("https://anything.example/")
    with pytest.raises(ValueError, match="re:\\(unclosed"):
        UrlFilter(include=("re:(unclosed",))


@pytest.mark.parametrize("html, expected", [
    ('<head><link rel="canonical" href="https://example.org/a?utm_source=x"></head>', "https://example.org/a"),
    ("<head><LINK REL='Canonical' HREF='/news/b'></head>", "https://example.org/news/b"),
    ('<head><link href="/c" rel="alternate canonical"></head>', "https://example.org/c"),
    ('<head><link rel="stylesheet" href="/s.css"></head>', None),
    ('<head></head><body><link rel="canonical" href="/late"></body>', None),
    ('<head><link rel="canonical" href="javascript:void(0)"></head>', None),
    ("", None),
])
def test_canonical_link(html, expected):
    assert canonical_link(html, "https://example.org/page?x=1") == expected


# -- the sources file --------------------------------------------------------------------------------

SOURCES = """
[defaults]
rate = "1/s"
exclude = ["*/video/*"]

[[source]]
name = "The Example Ledger"
feeds = ["https://example.org/rss.xml?utm_source=feedly", "https://example.org/atom.xml"]
sitemaps = ["https://example.org/news-sitemap.xml"]
include = ["*/news/*"]
rate = "30/min"

[[source]]
name = "Harbour Gazette"
urls = ["https://gazette.example/story/1"]
"""


def test_sources_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES)
    ledger, gazette = load_sources(path)
    assert ledger.name == "The Example Ledger"
    assert ledger.feeds == ("https://example.org/rss.xml", "https://example.org/atom.xml")
    assert ledger.rate == 0.5 and ledger.min_delay == 2.0
    assert ledger.allows("https://example.org/news/a") and not ledger.allows("https://example.org/news/video/a")
    assert not ledger.allows("https://example.org/sport/a")
    assert gazette.urls == ("https://gazette.example/story/1",) and gazette.rate == 1.0
    assert gazette.allows("https://gazette.example/story/1") and not gazette.allows("https://gazette.example/video/x")


@pytest.mark.parametrize("text, message", [
    ('[[source]]\nname = "A"\nfeds = ["https://a.example/rss"]\n',
     "[[source]] #1 ('A'): unknown key 'feds' (did you mean 'feeds'?)"),
    ('[[source]]\nfeeds = ["https://a.example/rss"]\n', "[[source]] #1: key 'name' is required"),
    ('[[source]]\nname = "A"\n', "[[source]] #1 ('A'): give at least one of 'feeds', 'sitemaps', 'urls' or 'paths'"),
    ('[[source]]\nname = "A"\nfeeds = "https://a.example/rss"\nrate = "fast"\n', "key 'rate' must be a positive"),
    ('[[source]]\nname = "A"\nfeeds = ["ftp://a.example/rss"]\n', "key 'feeds': 'ftp://a.example/rss': only http"),
    ('[[source]]\nname = "A"\nfeeds = [1]\n', "key 'feeds' must be a list of strings"),
    ('[[source]]\nname = "A"\nurls = ["https://a.example/"]\ninclude = ["re:("]\n', "invalid regular expression"),
    ('[[source]]\nname = "A"\nurls = ["https://a.example/"]\n[[source]]\nname = "A"\nurls = ["https://b.example/"]\n',
     "[[source]] #2 ('A'): name 'A' is already used by [[source]] #1"),
    ('[default]\nrate = 1\n', "unknown key 'default' (did you mean 'defaults'?)"),
    ('[defaults]\nname = "x"\n[[source]]\nname = "A"\nurls = ["https://a.example/"]\n', "[defaults]: unknown key 'name'"),
    ('', "no sources"),
])
def test_sources_errors_name_the_bad_key(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourcesError) as info:
        load_sources(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_sources_file_problems(tmp_path):
    with pytest.raises(SourcesError, match="no such file"):
        load_sources(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[source]\nname=")
    with pytest.raises(SourcesError, match="not valid TOML"):
        load_sources(bad)


def test_rates():
    def rate(value):
        return parse_sources({"source": [{"name": "A", "urls": ["https://a.example/"], "rate": value}]})[0].rate

    assert rate(2) == 2.0 and rate("2/s") == 2.0 and rate("120/min") == 2.0 and rate("3600/h") == 1.0
    assert rate(0.25) == 0.25
    for bad in (0, -1, True, "2 per minute", "0/s"):
        with pytest.raises(SourcesError):
            rate(bad)
