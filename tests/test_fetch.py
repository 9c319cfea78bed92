"""The fetcher against a real threaded HTTP server on 127.0.0.1 (no mocks except where named)."""

from __future__ import annotations

import gzip
import threading
import time
import zlib

import brotli
import httpx
import pytest

from newsflow.acquire.fetch import Fetcher, FetchError
from newsflow.acquire.sources import Source, expand
from newsflow.transforms import feeds
from newsflow.transforms.models import RejectError
from newsflow.transforms.urls import UrlFilter, canonicalize

from websupport import ARTICLE, Gauge, Reply, Server, Sleeps, html, options, reason_of, site

# -- the server --------------------------------------------------------------------------------------



















# -- articles, types, encodings ---------------------------------------------------------------------

def test_article_is_fetched_with_our_user_agent_and_validators(server):
    server.routes["/news/harbour"] = html(ETag='"v1"', **{"Last-Modified": "Tue, 04 Mar 2025 08:30:00 GMT"})
    with Fetcher(options(user_agent="TestBot/1.0 (+mailto:ops@example.org)")) as fetcher:
        result = fetcher.fetch(server.url("/news/harbour"))
    assert result.status == 200 and result.body == ARTICLE and result.kind == "html"
    assert result.etag == '"v1"' and result.last_modified == "Tue, 04 Mar 2025 08:30:00 GMT"
    request = server.requests("/news/harbour")[0]
    assert request.headers["user-agent"] == "TestBot/1.0 (+mailto:ops@example.org)"
    assert {"gzip", "deflate", "br"} <= {e.strip() for e in request.headers["accept-encoding"].split(",")}
    raw = result.to_raw(origin=server.url("/news/harbour"), source="Ledger")
    assert raw.kind == "html" and raw.url == server.url("/news/harbour") and len(raw.raw_sha256) == 64


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", lambda b: gzip.compress(b, mtime=0)),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
    ("br", brotli.compress),
])
def test_compressed_bodies_are_decoded(server, encoding, compress):
    server.routes["/a"] = html(compress(ARTICLE), **{"Content-Encoding": encoding})
    with Fetcher(options()) as fetcher:
        assert fetcher.fetch(server.url("/a")).body == ARTICLE


def test_plain_text_is_read_as_text_and_other_types_are_rejected_with_their_type(server):
    server.routes["/note.txt"] = Reply(200, b"A plain text dispatch.\n", {"Content-Type": "text/plain; charset=utf-8"})
    server.routes["/report.pdf"] = Reply(200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"})
    with Fetcher(options()) as fetcher:
        text = fetcher.fetch(server.url("/note.txt"))
        assert text.kind == "text" and text.to_raw("x").kind == "text"
        rejected = reason_of(fetcher, server.url("/report.pdf"))
        server.routes["/blob"] = Reply(200, b"\x89PNG\r\n\x1a\n\0\0", {"Content-Type": "application/octet-stream"})
        server.routes["/untyped"] = Reply(200, ARTICLE)
        assert reason_of(fetcher, server.url("/blob")).reason == "unsupported_type"
        assert fetcher.fetch(server.url("/untyped")).kind == "html"
    assert rejected.reason == "unsupported_type" and "application/pdf" in rejected.detail
    assert server.hits("/report.pdf") == 1


@pytest.mark.parametrize("name, body, content_type, expected", [
    ("cp1252 by header", "<html><body><p>Caf\u00e9 \u2013 \u201cquoted\u201d \u20ac5</p></body></html>".encode("cp1252"),
     "text/html; charset=windows-1252", "Caf\u00e9 \u2013 \u201cquoted\u201d \u20ac5"),
    ("cp1252 undeclared", "<html><body><p>Caf\u00e9 cr\u00e8me \u2013 na\u00efve</p></body></html>".encode("cp1252"),
     "text/html", "Caf\u00e9 cr\u00e8me \u2013 na\u00efve"),
    ("gb2312 by meta", '<html><head><meta charset="gb2312"></head><body><p>\u6e2f\u53e3\u5728\u4fee\u590d\u540e\u91cd\u65b0\u5f00\u653e</p></body></html>'.encode("gb2312"),
     "text/html", "\u6e2f\u53e3\u5728\u4fee\u590d\u540e\u91cd\u65b0\u5f00\u653e"),
    ("gb2312 by header", "<html><body><p>\u6e2f\u53e3\u5728\u4fee\u590d\u540e\u91cd\u65b0\u5f00\u653e</p></body></html>".encode("gb2312"),
     "text/html; charset=GB2312", "\u6e2f\u53e3\u5728\u4fee\u590d\u540e\u91cd\u65b0\u5f00\u653e"),
    ("shift_jis by header", "<html><body><p>\u6e2f\u304c\u518d\u958b\u3057\u305f</p></body></html>".encode("shift_jis"),
     "text/html; charset=Shift_JIS", "\u6e2f\u304c\u518d\u958b\u3057\u305f"),
    ("utf-8 with BOM", b"\xef\xbb\xbf<html><body><p>Z\xc3\xbcrich</p></body></html>", "text/html", "Z\u00fcrich"),
])
def test_charset_from_header_meta_or_detection(server, name, body, content_type, expected):
    server.routes["/page"] = Reply(200, body, {"Content-Type": content_type})
    with Fetcher(options()) as fetcher:
        assert expected in fetcher.fetch(server.url("/page")).text()


# -- redirects ---------------------------------------------------------------------------------------

def test_redirects_are_followed_and_recorded(server):
    server.routes["/old"] = Reply(301, headers={"Location": "/mid?utm_source=x"})
    server.routes["/mid"] = Reply(302, headers={"Location": server.url("/new")})
    server.routes["/new"] = html()
    with Fetcher(options()) as fetcher:
        result = fetcher.fetch(server.url("/old"))
    assert result.final_url == server.url("/new")
    assert result.redirects == (server.url("/mid"), server.url("/new"))
    assert [e.path for e in server.log] == ["/robots.txt", "/old", "/mid", "/new"]


def test_redirect_loop_and_too_many_redirects(server):
    server.routes["/a"] = Reply(302, headers={"Location": "/b"})
    server.routes["/b"] = Reply(302, headers={"Location": "/a"})
    for i in range(10):
        server.routes[f"/hop{i}"] = Reply(301, headers={"Location": f"/hop{i + 1}"})
    with Fetcher(options(max_redirects=3)) as fetcher:
        assert reason_of(fetcher, server.url("/a")).reason == "redirect_loop"
        too_many = reason_of(fetcher, server.url("/hop0"))
    assert too_many.reason == "too_many_redirects" and "max_redirects" in too_many.detail
    assert server.hits("/hop4") == 0  # stopped after 3 redirects (4 requests)


# -- faults and retries ------------------------------------------------------------------------------

def test_404_is_not_retried(server):
    with Fetcher(options()) as fetcher:
        rejected = reason_of(fetcher, server.url("/missing"))
    assert rejected.reason == "http_404" and rejected.status == 404 and not rejected.transient
    assert server.hits("/missing") == 1


def test_fetch_rejected_survives_pickling():  # tasks may run in other processes
    import pickle

    copy = pickle.loads(pickle.dumps(FetchError("http_503", "x", status=503, transient=True)))
    assert (copy.stage, copy.reason, copy.detail, copy.status, copy.transient) == ("fetch", "http_503", "x", 503, True)


def test_500_then_200_is_retried_with_backoff(server):
    server.routes["/flaky"] = [Reply(500), html()]
    sleeps = Sleeps()
    with Fetcher(options(backoff_base=0.5, backoff_max=10), sleep=sleeps) as fetcher:
        assert fetcher.fetch(server.url("/flaky")).status == 200
    assert server.hits("/flaky") == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5  # backoff_base with jitter in [0.5, 1]


def test_persistent_500_becomes_http_500_after_the_last_try(server):
    server.routes["/down"] = Reply(503)
    sleeps = Sleeps()
    with Fetcher(options(retries=3, backoff_base=1, backoff_max=3), sleep=sleeps) as fetcher:
        rejected = reason_of(fetcher, server.url("/down"))
    assert rejected.reason == "http_503" and rejected.transient
    assert server.hits("/down") == 4
    assert sleeps[0] <= 1 and sleeps[1] <= 2 and sleeps[2] <= 3 and sleeps[2] >= 1  # doubling, capped


def test_429_honours_retry_after(server):
    server.routes["/busy"] = [Reply(429, headers={"Retry-After": "7"}), html()]
    sleeps = Sleeps()
    with Fetcher(options(), sleep=sleeps, clock=sleeps.clock) as fetcher:
        assert fetcher.fetch(server.url("/busy")).status == 200
    assert server.hits("/busy") == 2
    assert sleeps == [7.0]


def test_429_with_a_very_long_retry_after_gives_up_at_once(server):
    server.routes["/busy"] = Reply(429, headers={"Retry-After": "3600"})
    with Fetcher(options(max_retry_after=60)) as fetcher:
        rejected = reason_of(fetcher, server.url("/busy"))
    assert rejected.reason == "http_429" and "max_retry_after" in rejected.detail
    assert server.hits("/busy") == 1


def test_slow_response_times_out(server):
    server.routes["/slow"] = Reply(200, ARTICLE, {"Content-Type": "text/html"}, delay=1.5)
    with Fetcher(options(read_timeout=0.3, retries=1)) as fetcher:
        start = time.monotonic()
        rejected = reason_of(fetcher, server.url("/slow"))
    assert rejected.reason == "timeout" and rejected.transient
    assert server.hits("/slow") == 2
    assert time.monotonic() - start < 2.4  # two full replies would take 3 s


def test_trickling_body_is_cut_off_by_the_total_timeout(server):
    server.routes["/trickle"] = Reply(200, b"<html><body>" + b"<p>more</p>" * 40,
                                      {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}, trickle=0.05)
    with Fetcher(options(total_timeout=0.5, read_timeout=0.3, retries=0)) as fetcher:
        start = time.monotonic()
        rejected = reason_of(fetcher, server.url("/trickle"))
    # each piece beat read_timeout; the whole body would take 2 s
    assert rejected.reason == "timeout" and time.monotonic() - start < 1.6


def test_faults_injected_through_the_transport_seam():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if len(calls) < 4:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, content=ARTICLE, headers={"Content-Type": "text/html"})

    resolver = lambda host, port: ["93.184.216.34"]  # noqa: E731 - a public address, no DNS needed
    with Fetcher(options(allow_private_hosts=False), transport=httpx.MockTransport(handler),
                 resolver=resolver) as fetcher:
        assert fetcher.fetch("http://news.example/a").body == ARTICLE
    assert calls == ["/robots.txt", "/a", "/a", "/a"]

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    with Fetcher(options(allow_private_hosts=False, retries=1, obey_robots=False),
                 transport=httpx.MockTransport(refuse), resolver=resolver) as fetcher:
        rejected = reason_of(fetcher, "http://news.example/a")
    assert rejected.reason == "connection_error" and "2 tries" in rejected.detail


# -- size limits -------------------------------------------------------------------------------------

def test_oversized_body_is_rejected_by_content_length_before_reading(server):
    server.routes["/big"] = html(b"x" * 2_000_000)
    with Fetcher(options(max_body_bytes=1_000_000)) as fetcher:
        rejected = reason_of(fetcher, server.url("/big"))
    assert rejected.reason == "too_large" and "max_body_bytes" in rejected.detail


def test_oversized_chunked_body_is_rejected_while_streaming(server):
    server.routes["/big"] = Reply(200, b"<html>" + b"x" * 3_000_000,
                                  {"Content-Type": "text/html", "Transfer-Encoding": "chunked"})
    with Fetcher(options(max_body_bytes=1_000_000)) as fetcher:
        assert reason_of(fetcher, server.url("/big")).reason == "too_large"


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", lambda b: gzip.compress(b, compresslevel=1, mtime=0)),
    ("br", lambda b: brotli.compress(b, quality=1))])
def test_compression_bomb_is_stopped_at_the_limit(server, encoding, compress):
    bomb = compress(b"\0" * 50_000_000)  # 50 MB of zeros in well under the 1 MB limit
    assert len(bomb) < 500_000
    server.routes["/bomb"] = html(bomb, **{"Content-Encoding": encoding})
    with Fetcher(options(max_body_bytes=1_000_000)) as fetcher:
        rejected = reason_of(fetcher, server.url("/bomb"))
    assert rejected.reason == "too_large" and "decompresses" in rejected.detail


# -- robots.txt and politeness -----------------------------------------------------------------------

def test_robots_txt_is_fetched_once_and_obeyed(server):
    server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
    server.routes["/news/a"] = html()
    server.routes["/news/b"] = html()
    server.routes["/private/c"] = html()
    with Fetcher(options()) as fetcher:
        fetcher.fetch(server.url("/news/a"))
        rejected = reason_of(fetcher, server.url("/private/c"))
        fetcher.fetch(server.url("/news/b"))
    assert rejected.reason == "robots" and "/private/c" in rejected.detail
    assert server.hits("/robots.txt") == 1 and server.hits("/private/c") == 0


def test_robots_txt_for_us_by_name(server):
    server.routes["/robots.txt"] = Reply(200, b"User-agent: newsflow\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    with Fetcher(options()) as fetcher:
        assert reason_of(fetcher, server.url("/news/a")).reason == "robots"


def test_unreachable_robots_txt_keeps_us_off_the_host(server):
    server.routes["/robots.txt"] = Reply(500)
    server.routes["/news/a"] = html()
    with Fetcher(options(retries=1)) as fetcher:
        rejected = reason_of(fetcher, server.url("/news/a"))
        reason_of(fetcher, server.url("/news/a"))
    assert rejected.reason == "robots" and rejected.transient
    assert server.hits("/robots.txt") == 2 and server.hits("/news/a") == 0  # one robots fetch (2 tries)


def test_crawl_delay_and_min_host_delay_space_requests(server):
    server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nCrawl-delay: 0.3\n")
    for name in "abc":
        server.routes[f"/{name}"] = html()
    sleeps = Sleeps()
    with Fetcher(options(min_host_delay=0.1), sleep=sleeps, clock=sleeps.clock) as fetcher:
        for name in "abc":
            fetcher.fetch(server.url(f"/{name}"))
    assert [e.path for e in server.log] == ["/robots.txt", "/a", "/b", "/c"]
    # robots.txt -> /a: min_host_delay (the Crawl-delay is not known yet); then the larger of the two
    assert sleeps == pytest.approx([0.1, 0.3, 0.3])


def test_source_rate_raises_the_host_delay(server):
    server.routes["/a"] = html()
    sleeps = Sleeps()
    with Fetcher(options(obey_robots=False), sleep=sleeps, clock=sleeps.clock) as fetcher:
        fetcher.fetch(server.url("/a"), min_delay=5.0)
        fetcher.fetch(server.url("/a"), min_delay=5.0)
    assert sleeps == [5.0]


def test_per_host_and_global_concurrency_limits():
    gauge = Gauge()
    servers = [Server(gauge=gauge), Server(gauge=gauge)]
    try:
        for srv in servers:
            srv.routes["/slow"] = Reply(200, ARTICLE, {"Content-Type": "text/html"}, delay=0.15)
        with Fetcher(options(per_host_concurrency=2, concurrency=3, obey_robots=False)) as fetcher:
            threads = [threading.Thread(target=fetcher.fetch, args=(srv.url("/slow"),))
                       for srv in servers for _ in range(4)]
            [t.start() for t in threads]
            [t.join() for t in threads]
        assert gauge.peak == 3
        per_host = Gauge()
        only = Server(gauge=per_host)
        only.routes["/slow"] = Reply(200, ARTICLE, {"Content-Type": "text/html"}, delay=0.15)
        with Fetcher(options(per_host_concurrency=2, concurrency=10, obey_robots=False)) as fetcher:
            threads = [threading.Thread(target=fetcher.fetch, args=(only.url("/slow"),)) for _ in range(6)]
            [t.start() for t in threads]
            [t.join() for t in threads]
        only.close()
        assert per_host.peak == 2 and only.hits("/slow") == 6
    finally:
        [srv.close() for srv in servers]


def test_one_bad_host_does_not_stall_the_others():
    bad, good = Server(), Server()
    try:
        bad.routes["/a"] = Reply(200, ARTICLE, {"Content-Type": "text/html"}, delay=3.0)
        good.routes["/a"] = html()
        done: dict[str, float] = {}
        errors: list[str] = []
        start = time.monotonic()
        with Fetcher(options(per_host_concurrency=2, concurrency=4, read_timeout=2.0, retries=0)) as fetcher:
            def run(srv, key):
                try:
                    fetcher.fetch(srv.url("/a"))
                except RejectError as exc:
                    errors.append(exc.reason)
                done[key] = time.monotonic() - start

            threads = [threading.Thread(target=run, args=(srv, f"{name}{i}"))
                       for i in range(4) for srv, name in ((bad, "bad"), (good, "good"))]
            [t.start() for t in threads]
            [t.join() for t in threads]
        # every good fetch is done before the first bad one times out (ordered, not timed: a loaded
        # machine slows both; a good fetch waiting behind the bad host would finish after it)
        assert max(v for k, v in done.items() if k.startswith("good")) < min(v for k, v in done.items() if k.startswith("bad"))
        assert errors == ["timeout"] * 4
    finally:
        bad.close()
        good.close()


# -- canonical URLs and conditional requests ---------------------------------------------------------

def test_tracking_parameter_variants_fetch_one_url(server):
    server.routes["/news/harbour?id=7"] = html()
    variants = [server.url(p) for p in (
        "/news/harbour?id=7&utm_source=twitter&utm_medium=social",
        "/news/harbour?fbclid=IwAR0abc&id=7",
        "/news/harbour?id=7&gclid=EAIaIQ#comments",
        "/news/./harbour?id=7",
    )]
    assert len({canonicalize(v) for v in variants}) == 1
    with Fetcher(options()) as fetcher:
        results = [fetcher.fetch(v) for v in variants]
    assert {r.url for r in results} == {server.url("/news/harbour?id=7")}
    assert {e.path for e in server.log} == {"/robots.txt", "/news/harbour?id=7"}


def _conditional(headers: dict[str, str]) -> Reply:
    if headers.get("if-none-match") == '"v1"':
        return Reply(304, headers={"ETag": '"v1"'})
    return html(ETag='"v1"', **{"Last-Modified": "Tue, 04 Mar 2025 08:30:00 GMT"})


def test_conditional_request_gives_not_modified(server):
    server.routes["/news/a"] = _conditional
    with Fetcher(options()) as fetcher:
        first = fetcher.fetch(server.url("/news/a"))
        second = fetcher.fetch(server.url("/news/a"), validators=first.validators)
    assert second.not_modified and second.status == 304 and second.body == b""
    sent = server.requests("/news/a")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Tue, 04 Mar 2025 08:30:00 GMT"


# -- the private-address guard -----------------------------------------------------------------------

def test_guard_refuses_loopback_directly_and_after_dns(server):
    server.routes["/a"] = html()
    with Fetcher(options(allow_private_hosts=False)) as fetcher:
        direct = reason_of(fetcher, server.url("/a"))
        by_name = reason_of(fetcher, f"http://localhost:{server.port}/a")
    assert direct.reason == by_name.reason == "private_address"
    assert "127.0.0.1" in by_name.detail and "allow_private_hosts" in by_name.detail
    assert server.log == []  # not even robots.txt was asked for


def test_guard_checks_every_redirect_hop():
    # The "public" site is on 127.0.0.2, exempted by allowed_networks; it redirects to 127.0.0.1.
    public, internal = Server("127.0.0.2"), Server("127.0.0.1")
    try:
        internal.routes["/admin"] = html()
        public.routes["/to-ip"] = Reply(302, headers={"Location": internal.url("/admin")})
        public.routes["/to-name"] = Reply(302, headers={"Location": f"http://localhost:{internal.port}/admin"})
        public.routes["/to-file"] = Reply(302, headers={"Location": "file:///etc/passwd"})
        public.routes["/ok"] = html()
        with Fetcher(options(allow_private_hosts=False, allowed_networks=("127.0.0.2/32",))) as fetcher:
            assert fetcher.fetch(public.url("/ok")).status == 200
            assert reason_of(fetcher, public.url("/to-ip")).reason == "private_address"
            assert reason_of(fetcher, public.url("/to-name")).reason == "private_address"
            assert reason_of(fetcher, public.url("/to-file")).reason == "unsupported_scheme"
            assert reason_of(fetcher, "ftp://example.org/file").reason == "unsupported_scheme"
        assert internal.log == []
        assert public.hits("/to-ip") == public.hits("/to-name") == 1
    finally:
        public.close()
        internal.close()


def test_connection_goes_to_the_address_the_guard_checked():
    # news.test exists only in our resolver: a successful fetch proves the connection used the checked
    # address rather than a second DNS lookup (which is where DNS rebinding would strike).
    srv = Server("127.0.0.2")
    try:
        srv.routes["/a"] = html()
        resolver = lambda host, port: ["127.0.0.2"] if host == "news.test" else []  # noqa: E731
        with Fetcher(options(allow_private_hosts=False, allowed_networks=("127.0.0.2/32",)),
                     resolver=resolver) as fetcher:
            assert fetcher.fetch(f"http://news.test:{srv.port}/a").body == ARTICLE
        assert srv.requests("/a")[0].headers["host"] == f"news.test:{srv.port}"
        rebinding = lambda host, port: ["127.0.0.2", "127.0.0.1"]  # noqa: E731 - one bad address is enough
        with Fetcher(options(allow_private_hosts=False, allowed_networks=("127.0.0.2/32",)),
                     resolver=rebinding) as fetcher:
            assert reason_of(fetcher, f"http://news.test:{srv.port}/a").reason == "private_address"
    finally:
        srv.close()


@pytest.mark.parametrize("address, label", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"), ("172.16.5.4", "private"),
    ("169.254.169.254", "link-local"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("::1", "loopback"),
    ("fe80::1", "link-local"), ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "non-global"),
    ("93.184.216.34", None), ("2606:4700::1111", None),
])
def test_guard_address_table(address, label):
    with Fetcher(options(allow_private_hosts=False)) as fetcher:
        assert fetcher.guard.why_blocked(address) == label


# -- feeds and sitemaps end to end -------------------------------------------------------------------

def test_expand_filters_by_source_and_takes_articles_given_directly(server):
    site(server)
    source = Source("Ledger", filter=UrlFilter(include=("*/news/*",), exclude=("*/budget",)), rate=100)
    with Fetcher(options()) as fetcher:
        expansion = expand(fetcher, [server.url("/atom.xml"), server.url("/rss.xml"), server.url("/news/bridge"),
                                     server.url("/missing.xml")], source=source)
    assert [item.url for item in expansion.articles] == [server.url("/news/harbour"), server.url("/news/bridge")]
    assert expansion.articles[1].prefetched is not None and expansion.articles[1].source == "Ledger"
    assert expansion.filtered == 2  # /news/budget excluded, /private/memo not included
    assert [(r.origin, r.stage, r.reason) for r in expansion.rejects] == [(server.url("/missing.xml"), "fetch", "http_404")]
    assert server.hits("/news/bridge") == 1


def test_sitemap_index_cycles_and_depth_are_bounded(server):
    def index(*children):
        locs = "".join(f"<sitemap><loc>{server.url(c)}</loc></sitemap>" for c in children)
        return Reply(200, f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'
                     .encode(), {"Content-Type": "application/xml"})

    server.routes["/self.xml"] = index("/self.xml", "/d1.xml")
    server.routes["/d1.xml"] = index("/d2.xml")
    server.routes["/d2.xml"] = index("/d3.xml")
    with Fetcher(options()) as fetcher:
        expansion = expand(fetcher, [server.url("/self.xml")], max_depth=2)
    assert server.hits("/self.xml") == 1 and server.hits("/d3.xml") == 0
    assert [(r.origin, r.reason) for r in expansion.rejects] == [(server.url("/d3.xml"), "too_deep")]


def test_billion_laughs_feed_is_fetched_but_refused_by_the_parser(server):
    server.routes["/laughs.xml"] = Reply(200, b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>""", {"Content-Type": "application/rss+xml"})
    with Fetcher(options()) as fetcher:
        result = fetcher.fetch(server.url("/laughs.xml"), accept="any")
    assert result.kind == "rss"
    with pytest.raises(RejectError) as info:
        feeds.parse(result.body, result.final_url)
    assert info.value.reason == "unsafe_xml"


def test_gzip_bomb_sitemap_is_capped(server):
    bomb = gzip.compress(b"<urlset>" + b" " * 20_000_000, compresslevel=1, mtime=0)
    server.routes["/sitemap.xml.gz"] = Reply(200, bomb, {"Content-Type": "application/x-gzip"})
    with Fetcher(options()) as fetcher:
        result = fetcher.fetch(server.url("/sitemap.xml.gz"), accept="any")
    assert len(result.body) == len(bomb)  # the gzip file itself is small
    with pytest.raises(RejectError) as info:
        feeds.parse(result.body, result.final_url, max_bytes=5_000_000)
    assert info.value.reason == "too_large"
