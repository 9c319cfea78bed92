"""HTTP test support: a real threaded server on 127.0.0.1 with scripted routes, and article pages,
feeds and settings for runs against it. The `server` fixture is in conftest.py."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from newsflow.acquire.fetch import Fetcher, FetchError, FetchOptions
from newsflow.settings import Settings

ARTICLE = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Harbour reopens</title>
<link rel="canonical" href="/news/harbour"></head><body><article><h1>Harbour reopens</h1>
<p>The harbour reopened on Tuesday after three weeks of repairs to the sea wall.</p></article></body></html>"""

@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    trickle: float = 0.0  # with chunked encoding: seconds between 11-byte chunks

@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]
    at: float

class Server:
    """A threaded HTTP/1.1 server with a route table and a request log.

    A route is a Reply, a list of Replies (served in turn, the last one repeating) or a function
    of the request headers returning a Reply.
    """

    def __init__(self, host: str = "127.0.0.1", gauge: Gauge | None = None):
        self.routes: dict[str, object] = {}
        self.log: list[Logged] = []
        self.gauge = gauge or Gauge()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the stdlib's name
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.log.append(Logged("GET", self.path, headers, time.monotonic()))
                    hits = sum(1 for e in server.log if e.path == self.path)
                reply = server._reply(self.path, headers, hits)
                # The gauge counts requests in their delay ("being worked on"): a client frees its slot
                # only after the whole reply, so a next request cannot overlap this window, whereas
                # the thread's last lines after the write could, on a busy machine.
                with server.gauge:
                    if reply.delay:
                        time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if "Content-Length" not in reply.headers and "Transfer-Encoding" not in reply.headers:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.headers.get("Transfer-Encoding") == "chunked":
                        size = 11 if reply.trickle else 65536
                        for i in range(0, len(reply.body), size):
                            part = reply.body[i:i + size]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                            self.wfile.flush()
                            time.sleep(reply.trickle)
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, size limit): that is the point of the test

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.httpd.handle_error = lambda request, address: None  # clients hanging up on purpose
        self.port = self.httpd.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for e in self.log if e.path == path)

    def requests(self, path: str) -> list[Logged]:
        return [e for e in self.log if e.path == path]

    def _reply(self, path: str, headers: dict[str, str], hits: int) -> Reply:
        route = self.routes.get(path)
        if route is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        if isinstance(route, list):
            return route[min(hits, len(route)) - 1]
        if callable(route):
            return route(headers)
        return route

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

class Gauge:
    """Counts requests being answered at once, across one or more servers."""

    def __init__(self):
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc):
        with self._lock:
            self.now -= 1

def html(body: bytes = ARTICLE, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": "text/html; charset=utf-8", **headers})

def options(**overrides) -> FetchOptions:
    """Fast settings for tests: no host delay, tiny backoff, short timeouts, private hosts allowed."""
    base = dict(allow_private_hosts=True, min_host_delay=0.0, retries=2, backoff_base=0.001, backoff_max=0.01,
                connect_timeout=2.0, read_timeout=0.5, max_body_bytes=1_000_000)
    return FetchOptions(**{**base, **overrides})

class Sleeps(list):
    """A sleep function that records instead of sleeping; `clock` is its clock, which moves only by
    the seconds slept, so waits computed from it do not depend on how fast the machine is."""

    now = 0.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

def reason_of(fetcher: Fetcher, url: str, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url, **kwargs)
    assert info.value.stage == "fetch"
    return info.value

def versioned(body: bytes, content_type: str):
    """A resource with an ETag that answers 304 to a matching If-None-Match."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'

    def route(headers):
        if headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {"Content-Type": content_type, "ETag": etag})
    return route


TOPICS = ["harbour", "budget", "bridge", "election", "ferry", "orchard", "library", "tram", "museum", "market",
          "school", "stadium"]

def paragraphs(topic: str) -> list[str]:
    return [
        f"The {topic} plan was confirmed on Tuesday by the council of Port Ellery after a long public "
        f"consultation that drew more than four hundred written responses from residents.",
        f"Officials said the {topic} work would begin in the spring and finish before the end of next year, "
        f"with most of the cost covered by a regional grant approved last month.",
        f"Residents who spoke at the meeting welcomed the {topic} decision but asked the council to publish "
        f"a detailed timetable so that local businesses can plan around the disruption.",
    ]

def page(topic: str, *, extra: str = "", charset: str = "utf-8", canonical: str | None = None) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs(topic))
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="{charset}">
<title>{topic.title()} plan confirmed</title>{link}</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{topic.title()} plan confirmed</h1>
{body}
{extra}
</article><footer><p>All rights reserved.</p></footer></body></html>"""

def article(topic: str, **kwargs) -> Reply:
    return Reply(200, page(topic, **kwargs).encode(), {"Content-Type": "text/html; charset=utf-8"})

def versioned_article(topic: str):
    return versioned(page(topic).encode(), "text/html; charset=utf-8")

def settings(tmp_path, **overrides) -> Settings:
    """Fast and local: no host delay, tiny backoff, short timeouts, 127.0.0.1 allowed, no GX."""
    base = dict(db=tmp_path / "news.duckdb", quality={"enabled": False}, allow_private_hosts=True, min_host_delay=0.0,
                retries=2, backoff_base=0.001, backoff_max=0.01, connect_timeout=2.0, read_timeout=0.5,
                max_body_bytes=1_000_000, workers=2, batch_size=4)
    return Settings(**{**base, **overrides})

def query(db, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()

def count(db, table: str) -> int:
    return query(db, f"SELECT count(*) FROM {table}")[0][0]

def site(srv: Server) -> list[str]:
    """Feeds and sitemaps with ETags (304 on a match); returns the listing URLs."""
    u = srv.url
    srv.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
    srv.routes["/rss.xml"] = versioned(f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>
<item><title>Harbour plan confirmed</title><link>{u('/news/harbour?utm_source=rss&utm_medium=feed')}</link>
<pubDate>Tue, 04 Mar 2025 08:30:00 GMT</pubDate></item>
<item><title>Secret memo</title><link>{u('/private/memo')}</link></item></channel></rss>""".encode(),
                                        "application/rss+xml")
    srv.routes["/atom.xml"] = versioned(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ledger</title>
<entry><title>Budget passes</title><link href="{u('/news/budget')}"/><updated>2025-03-05T10:00:00Z</updated></entry>
</feed>""".encode(), "application/atom+xml")
    child = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{u('/news/bridge')}</loc><lastmod>2025-03-06</lastmod></url></urlset>""".encode()
    srv.routes["/sitemap-1.xml.gz"] = versioned(gzip.compress(child, mtime=0), "application/x-gzip")
    srv.routes["/news-sitemap.xml"] = versioned(f"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{u('/news/election')}</loc><news:news><news:publication><news:name>Ledger</news:name>
<news:language>en</news:language></news:publication><news:publication_date>2025-03-07T06:00:00+01:00</news:publication_date>
<news:title>Election called</news:title></news:news></url></urlset>""".encode(), "application/xml")
    srv.routes["/sitemap.xml"] = versioned(f"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{u('/sitemap-1.xml.gz')}</loc></sitemap><sitemap><loc>{u('/news-sitemap.xml')}</loc></sitemap>
</sitemapindex>""".encode(), "application/xml")
    for topic in ("harbour", "budget", "bridge", "election"):
        srv.routes[f"/news/{topic}"] = versioned_article(topic)
    return [u("/rss.xml"), u("/atom.xml"), u("/sitemap.xml")]
