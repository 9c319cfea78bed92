"""Hostile and careless web inputs (issue 14), against real servers on 127.0.0.1: nothing a feed, site
or page does may stop, hang or poison a run."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from newsflow.acquire.fetch import Fetcher, FetchOptions
from newsflow.acquire.sources import Source, expand
from newsflow.cli import main
from newsflow.flows.run import run_ingest
from newsflow.transforms.urls import UrlFilter, canonicalize
from newsflow.warehouse.db import connect
from newsflow.warehouse.fetchstate import read_state

from websupport import Reply, Server, article, options, page, query, reason_of, settings


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 (tests/test_fetch.py)."""
    srv = Server()
    yield srv
    srv.close()


JSONFEED_HEAD = b'{"version": "https://jsonfeed.org/version/1.1", "title": "deep", "items": '


# -- one bad entry, listing or host never stops the others -----------------------------------------------

def test_malformed_link_is_a_reject_and_the_rest_of_the_feed_goes_on(server):
    server.routes["/rss.xml"] = Reply(200, f"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><title>Broken</title><link>http://[::1/x</link></item>
<item><title>Good</title><link>{server.url('/news/good')}</link></item></channel></rss>""".encode(),
                                      {"Content-Type": "application/rss+xml"})
    with Fetcher(options()) as fetcher:
        expansion = expand(fetcher, [server.url("/rss.xml")])
    assert [a.url for a in expansion.articles] == [server.url("/news/good")]
    assert [(r.origin, r.stage, r.reason) for r in expansion.rejects] == [("http://[::1/x", "discover", "bad_url")]


def test_canonicalize_rejects_a_malformed_url_even_with_a_base():
    from newsflow.transforms.models import RejectError

    with pytest.raises(RejectError) as info:
        canonicalize("http://[::1/x", base="https://example.org/feed")
    assert info.value.reason == "bad_url"


def test_deeply_nested_json_feed_is_a_reject_not_a_crash(server):
    deep = JSONFEED_HEAD + b"[" * 100_000 + b"]" * 100_000 + b"}"
    server.routes["/deep.json"] = Reply(200, deep, {"Content-Type": "application/feed+json"})
    server.routes["/ok.json"] = Reply(200, JSONFEED_HEAD + json.dumps(
        [{"url": server.url("/news/ok")}]).encode() + b"}", {"Content-Type": "application/feed+json"})
    with Fetcher(options()) as fetcher:
        expansion = expand(fetcher, [server.url("/deep.json"), server.url("/ok.json")])
    assert [a.url for a in expansion.articles] == [server.url("/news/ok")]
    assert [(r.origin, r.reason) for r in expansion.rejects] == [(server.url("/deep.json"), "bad_json")]


def test_bad_sources_sit_beside_good_ones_and_the_run_loads_the_good(prefect_harness, server, tmp_path, monkeypatch, capsys):
    server.routes["/bad.xml"] = Reply(200, b'<?xml version="1.0"?><rss version="2.0"><channel><item>'
                                      b"<link>http://[::1/x</link></item></channel></rss>",
                                      {"Content-Type": "application/rss+xml"})
    server.routes["/deep.json"] = Reply(200, JSONFEED_HEAD + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                        {"Content-Type": "application/feed+json"})
    server.routes["/good.xml"] = Reply(200, f"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><link>{server.url('/news/harbour')}</link></item></channel></rss>""".encode(),
                                       {"Content-Type": "application/rss+xml"})
    server.routes["/news/harbour"] = article("harbour")
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[[source]]
name = "Broken"
feeds = ["{server.url('/bad.xml')}", "{server.url('/deep.json')}"]

[[source]]
name = "Good"
feeds = ["{server.url('/good.xml')}"]
""")
    for key, value in {"QUALITY__ENABLED": "false", "FETCH__MIN_HOST_DELAY": "0", "FETCH__RETRIES": "0"}.items():
        monkeypatch.setenv(f"NEWSFLOW_{key}", value)
    db = tmp_path / "w.duckdb"
    code = main(["ingest", "--sources", str(sources), "--db", str(db), "--allow-private-hosts", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert query(db, "SELECT origin, source FROM documents") == [(server.url("/news/harbour"), "Good")]
    assert sorted(query(db, "SELECT stage, reason FROM rejects")) == [("discover", "bad_json"),
                                                                     ("discover", "bad_url")]


# -- one deadline per request, a budget per host ---------------------------------------------------------

class SlowHeaders:
    """A raw TCP server that sends a status line, then one header byte every `interval` seconds.

    It gives up after `limit` seconds so a client that never times out still ends (and fails the test).
    """

    def __init__(self, interval: float = 0.1, limit: float = 6.0):
        self.interval, self.limit = interval, limit
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        end = time.monotonic() + self.limit
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while time.monotonic() < end and not self._stop.is_set():
                conn.sendall(b"a")
                time.sleep(self.interval)
        except OSError:
            pass  # the client hung up: what a deadline does
        finally:
            conn.close()

    def close(self):
        self._stop.set()
        self.sock.close()


def test_headers_trickled_one_byte_at_a_time_hit_the_total_deadline():
    slow = SlowHeaders(interval=0.1)
    try:
        with Fetcher(options(total_timeout=0.8, read_timeout=0.5, retries=2, obey_robots=False)) as fetcher:
            start = time.monotonic()
            rejected = reason_of(fetcher, slow.url("/a"))
            took = time.monotonic() - start
    finally:
        slow.close()
    assert rejected.reason == "timeout" and "total_timeout" in rejected.detail
    assert took < 2.0, f"took {took:.1f}s"  # one deadline, not one per header byte
    assert slow.connections == 1  # a request cut off by the deadline is not retried


def test_trickling_body_is_not_retried_after_the_deadline(server):
    server.routes["/trickle"] = Reply(200, b"<html><body>" + b"<p>more</p>" * 200,
                                      {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}, trickle=0.05)
    with Fetcher(options(total_timeout=0.4, read_timeout=0.3, retries=3)) as fetcher:
        start = time.monotonic()
        rejected = reason_of(fetcher, server.url("/trickle"))
    assert rejected.reason == "timeout" and server.hits("/trickle") == 1
    assert time.monotonic() - start < 3.0  # the whole body would take 10 s


def test_a_slow_host_uses_up_its_budget_and_only_its_own_urls_wait(server):
    fast = Server()
    try:
        for i in range(4):
            server.routes[f"/slow/{i}"] = Reply(200, page("harbour").encode(), {"Content-Type": "text/html"},
                                                delay=0.3)
        fast.routes["/news/a"] = article("budget")
        with Fetcher(options(host_budget=0.5, obey_robots=False)) as fetcher:
            outcomes = []
            for i in range(4):
                try:
                    fetcher.fetch(server.url(f"/slow/{i}"))
                    outcomes.append("ok")
                except Exception as exc:  # noqa: BLE001 - the reason is what is asserted
                    outcomes.append(getattr(exc, "reason", type(exc).__name__))
            assert fetcher.fetch(fast.url("/news/a")).status == 200  # another host: its own budget
    finally:
        fast.close()
    assert outcomes == ["ok", "ok", "host_budget", "host_budget"]
    assert server.hits("/slow/2") == server.hits("/slow/3") == 0


def test_host_budget_and_deadline_settings_reach_the_fetcher(tmp_path):
    opts = settings(tmp_path, host_budget=42.0, total_timeout=7.0).fetch
    assert (opts.host_budget, opts.total_timeout) == (42.0, 7.0)
    assert FetchOptions().host_budget == 600.0


# -- robots.txt per RFC 9309 -----------------------------------------------------------------------------

def test_robots_wildcards_and_end_anchors_are_obeyed(server):
    server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /*?print=\nDisallow: /private$\n"
                                         b"Allow: /news/*.html$\nDisallow: /news/\n", {"Content-Type": "text/plain"})
    for path in ("/news/a?print=1", "/private", "/private/ok", "/news/story.html", "/news/story.html?x=1", "/x"):
        server.routes[path.split("?")[0]] = article("harbour")
    with Fetcher(options()) as fetcher:
        assert reason_of(fetcher, server.url("/news/a?print=1")).reason == "robots"
        assert reason_of(fetcher, server.url("/private")).reason == "robots"
        assert reason_of(fetcher, server.url("/news/story.html?x=1")).reason == "robots"  # $ ends the path
        for ok in ("/private/ok", "/news/story.html", "/x"):
            assert fetcher.fetch(server.url(ok)).status == 200
    assert server.hits("/private") == 0 and server.hits("/news/a?print=1") == 0


# -- listings that are not listings; include/exclude on every URL -----------------------------------------

def test_a_feed_that_answers_with_html_is_not_a_feed(server, tmp_path):
    server.routes["/feed"] = article("harbour")
    with Fetcher(options()) as fetcher:
        expansion = expand(fetcher, [server.url("/feed")], source=Source("S", feeds=(server.url("/feed"),)),
                           listings=[server.url("/feed")])
    assert expansion.articles == []
    assert [(r.stage, r.reason) for r in expansion.rejects] == [("discover", "not_a_feed")]


def test_sources_feed_answering_html_is_rejected_and_direct_urls_are_filtered(prefect_harness, server, tmp_path):
    server.routes["/feed"] = article("harbour")
    server.routes["/video/clip"] = article("budget")
    server.routes["/news/ok"] = article("bridge")
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[[source]]
name = "Ledger"
feeds = ["{server.url('/feed')}"]
urls = ["{server.url('/video/clip')}", "{server.url('/news/ok')}"]
include = ["*/news/*"]
""")
    summary = run_ingest([], settings(tmp_path, sources=sources))
    db = tmp_path / "news.duckdb"
    assert query(db, "SELECT origin FROM documents") == [(server.url("/news/ok"),)]
    assert query(db, "SELECT origin, stage, reason FROM rejects") == [(server.url("/feed"), "discover", "not_a_feed")]
    assert summary.filtered == 1 and server.hits("/video/clip") == 0


# -- rel=canonical across hosts --------------------------------------------------------------------------

def test_a_page_cannot_claim_another_hosts_url(prefect_harness, server, tmp_path):
    victim = Server()
    try:
        real = f"http://localhost:{victim.port}/news/real"  # another host name (same machine, for the test)
        victim.routes["/news/real"] = article("harbour")
        server.routes["/evil"] = article("budget", canonical=real)
        cfg = settings(tmp_path)
        run_ingest([server.url("/evil")], cfg)
        db = tmp_path / "news.duckdb"
        assert query(db, "SELECT canonical_url, declared_canonical FROM documents") == [(server.url("/evil"), real)]

        summary = run_ingest([real], cfg)  # the real article is fetched and stands for its own URL
        assert victim.hits("/news/real") == 1 and summary.new_articles == 1
        rows = query(db, "SELECT a.text FROM documents d JOIN articles a USING (article_id) WHERE d.origin = ?", real)
        assert len(rows) == 1 and "harbour" in rows[0][0] and "budget" not in rows[0][0]
    finally:
        victim.close()


def test_same_site_canonical_still_counts_as_ingested(prefect_harness, server, tmp_path):
    server.routes["/amp/story"] = article("harbour", canonical=server.url("/news/story"))
    cfg = settings(tmp_path)
    run_ingest([server.url("/amp/story")], cfg)
    summary = run_ingest([server.url("/news/story")], cfg)
    assert server.hits("/news/story") == 0 and summary.already_ingested == 1


def test_read_state_ignores_canonical_urls_poisoned_before_the_fix(tmp_path):
    db = tmp_path / "old.duckdb"
    con = connect(db)
    try:
        con.execute("INSERT INTO documents (document_id, run_id, origin, kind, url, canonical_url, fetched_at, "
                    "raw_sha256, article_id, is_duplicate) VALUES "
                    "('d1', 'r', 'https://evil.example/p', 'html', 'https://evil.example/p', "
                    "'https://news.example.org/real', now(), 'x', 'a', false), "
                    "('d2', 'r', 'https://www.example.org/amp/1', 'html', 'https://www.example.org/amp/1', "
                    "'https://news.example.org/one', now(), 'x', 'a', false), "
                    "('d3', 'r', '/tmp/page.html', 'html', NULL, 'https://news.example.org/file', now(), 'x', 'a', false)")
        state = read_state(con)
    finally:
        con.close()
    assert "https://news.example.org/real" not in state.fetched
    assert {"https://news.example.org/one", "https://news.example.org/file"} <= set(state.fetched)


# -- permanent failures are remembered -------------------------------------------------------------------

def test_404_is_remembered_and_not_fetched_again_when_the_listing_changes(prefect_harness, server, tmp_path):
    def feed(n: int) -> Reply:
        items = "".join(f"<item><link>{server.url(p)}</link></item>" for p in ("/news/gone", f"/news/new{n}"))
        return Reply(200, f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode(),
                     {"Content-Type": "application/rss+xml", "ETag": f'"v{n}"'})

    server.routes["/rss.xml"] = [feed(1), feed(2)]
    server.routes["/news/new1"] = article("harbour")
    server.routes["/news/new2"] = article("budget")
    cfg = settings(tmp_path)
    first = run_ingest([server.url("/rss.xml")], cfg)
    assert first.reject_reasons == {"fetch/http_404": 1} and server.hits("/news/gone") == 1
    db = tmp_path / "news.duckdb"
    (failures, status, until), = query(db, "SELECT failures, last_status, retry_after FROM url_state "
                                           "WHERE canonical_url = ?", server.url("/news/gone"))
    assert failures == 1 and status == 404
    assert until > datetime.now(timezone.utc) + timedelta(hours=20)

    second = run_ingest([server.url("/rss.xml")], cfg)  # the feed changed; /news/gone is still listed
    assert server.hits("/news/gone") == 1 and server.hits("/news/new2") == 1
    assert second.backed_off == 1 and second.new_articles == 1

    run_ingest([server.url("/rss.xml")], settings(tmp_path, refresh=True))  # --refresh tries it anyway
    assert server.hits("/news/gone") == 2


# -- encoding ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["header", "meta"])
def test_utf8_page_labelled_latin1_is_stored_as_utf8_and_noted(prefect_harness, server, tmp_path, where):
    extra = "<p>The Café owner’s new menu starts at €5 for a coffee and a pastry, she said on Tuesday.</p>"
    body = page("harbour", extra=extra, charset="iso-8859-1" if where == "meta" else "utf-8").encode("utf-8")
    content_type = "text/html; charset=iso-8859-1" if where == "header" else "text/html"
    server.routes["/news/cafe"] = Reply(200, body, {"Content-Type": content_type})
    run_ingest([server.url("/news/cafe")], settings(tmp_path))
    db = tmp_path / "news.duckdb"
    (text, note), = query(db, "SELECT a.text, d.charset_note FROM documents d JOIN articles a USING (article_id)")
    assert "Café owner’s new menu starts at €5" in text and "Ã" not in text
    assert note == "utf-8 (declared iso-8859-1, but the bytes are UTF-8)"


def test_a_page_labelled_latin1_that_is_latin1_stays_latin1():
    from newsflow.transforms.decode import decode_noted

    assert decode_noted("Café, naïve, 5 €".encode("cp1252"), "iso-8859-1") == ("Café, naïve, 5 €", None)


def test_duckdb_url_state_columns_exist_after_migration(tmp_path):
    con = connect(tmp_path / "m.duckdb")
    try:
        cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'url_state'").fetchall()}
    finally:
        con.close()
    assert {"failures", "retry_after"} <= cols


def test_filter_applies_to_articles_given_directly(server):
    server.routes["/video/clip"] = article("budget")
    source = Source("S", urls=(server.url("/video/clip"),), filter=UrlFilter(include=("*/news/*",)))
    with Fetcher(options()) as fetcher:
        expansion = expand(fetcher, list(source.urls), source=source)
    assert expansion.articles == [] and expansion.filtered == 1  # fetched (it might have been a feed), not kept

