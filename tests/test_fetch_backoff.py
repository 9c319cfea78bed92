"""What the next run does with a URL that failed (review finding 3): a failure that would happen again
is remembered in url_state with a back-off and not fetched again before it ends; a transient one is
fetched again; --refresh fetches everything; and docs/fetching.md's reject table says the same.

Real HTTP servers on 127.0.0.1 (tests/websupport.py), a real Fetcher, a real DuckDB file.
"""

from __future__ import annotations

import re
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsflow.acquire.fetch import Fetcher, system_resolver
from newsflow.acquire.sources import Source
from newsflow.acquire.web import FetchedItem, discover_web, fetch_stage
from newsflow.flows.run import run_ingest
from newsflow.transforms.models import Reject, UrlState
from newsflow.warehouse.db import connect
from newsflow.warehouse.fetchstate import failure_rows, read_state, rows_for, write_state

from websupport import Reply, Server, article, options, query, settings

REPO = Path(__file__).resolve().parent.parent
AFTER_BACKOFF, AGAIN = "after its back-off", "fetched again"
RSS = "application/rss+xml"


def feed(*links: str) -> Reply:
    items = "".join(f"<item><link>{link}</link></item>" for link in links)
    return Reply(200, f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode(),
                 {"Content-Type": RSS})


def one_run(db: Path, tmp_path: Path, urls: list[str], sources: list[Source] = (), *, refresh: bool = False,
            resolver=None, **opts):
    """Discover, fetch and record url_state as an ingest run does (flows/ingest.py), without the
    extract and load stages: (discovery, {url: outcome of the fetch stage}, rejects)."""
    con = connect(db)
    try:
        state = UrlState() if refresh else read_state(con)
    finally:
        con.close()
    # A generous read timeout (websupport's is 0.5 s): on a loaded machine a slow reply must not turn
    # into a transient timeout and a retry that changes the hit counts; the timeout case sets its own.
    with Fetcher(options(**{"read_timeout": 5.0, **opts}), resolver=resolver) as fetcher:
        found = discover_web(fetcher, urls, list(sources), state, 1_000_000)
        fetched = fetch_stage(found.items, fetcher, state, tmp_path / "raw", 4)
    rejects = found.rejects + [o for o in fetched if isinstance(o, Reject)]
    con = connect(db)
    try:
        write_state(con, "run", [], rows_for([], [], found.listings, failure_rows(rejects, state)))
    finally:
        con.close()
    return found, {o.origin: o for o in fetched}, rejects


def doc_rows() -> list[tuple[str, list[str], str, str]]:
    """(stage, reasons, meaning, next run) of each row of docs/fetching.md's reject table."""
    text = (REPO / "docs" / "fetching.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in ("fetch", "discover"):
            rows.append((cells[0], re.findall(r"`([a-z_0-9]+)`", cells[1]), cells[2], cells[3]))
    return rows


def doc_row(reason: str, meaning: str | None = None) -> tuple:
    """The table's one fetch row for `reason` (and `meaning`, if given); an http_NNN the table does
    not name falls in the row of the status class it names (http_501 in the 5xx row)."""
    rows = [r for r in doc_rows() if r[0] == "fetch" and (meaning is None or meaning in r[2])]
    found = [r for r in rows if reason in r[1]]
    if not found and reason.startswith("http_"):
        found = [r for r in rows if any(x.startswith("http_") and x[5] == reason[5] for x in r[1])]
    assert len(found) == 1, f"docs/fetching.md: {len(found)} fetch rows for {reason} ({meaning}): {found}"
    return found[0]


def doc_next_run(reason: str, meaning: str | None = None) -> str:
    return doc_row(reason, meaning)[3]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def other():
    """A second host (another port on 127.0.0.1): robots.txt is per host."""
    srv = Server()
    yield srv
    srv.close()


# Each case (named by its reject reason): the routes on `server` (`other` for robots_unreachable), the URL
# the feed lists, and the fetcher options of the first run.
def _cases(server: Server, other: Server) -> dict:
    u = server.url
    loop = {"/news/loop-a": Reply(302, headers={"Location": "/news/loop-b"}),
            "/news/loop-b": Reply(302, headers={"Location": "/news/loop-a"})}
    return {
        "http_403": ({"/news/x": Reply(403, b"no")}, u("/news/x"), {}),
        "http_410": ({"/news/x": Reply(410, b"gone")}, u("/news/x"), {}),
        "http_302": ({"/news/x": Reply(302)}, u("/news/x"), {}),  # a redirect with no Location
        "unsupported_type": ({"/news/x": Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"})},
                             u("/news/x"), {}),
        "too_large": ({"/news/x": Reply(200, b"<p>words</p>" * 400, {"Content-Type": "text/html"})},
                      u("/news/x"), {"max_body_bytes": 2000}),
        "redirect_loop": (loop, u("/news/loop-a"), {}),
        "too_many_redirects": ({"/news/r1": Reply(302, headers={"Location": "/news/r2"}),
                                "/news/r2": Reply(302, headers={"Location": "/news/r3"}),
                                "/news/r3": article("harbour")}, u("/news/r1"), {"max_redirects": 1}),
        "unsupported_scheme": ({"/news/x": Reply(302, headers={"Location": "ftp://files.example/x"})},
                               u("/news/x"), {}),
        "bad_url": ({"/news/x": Reply(302, headers={"Location": f"http://me:secret@127.0.0.1:{server.port}/y"})},
                    u("/news/x"), {}),
        "unsupported_encoding": ({"/news/x": Reply(200, b"<p>x</p>", {"Content-Type": "text/html",
                                                                      "Content-Encoding": "bogus"})},
                                 u("/news/x"), {}),
        "bad_encoding": ({"/news/x": Reply(200, b"not gzip at all", {"Content-Type": "text/html",
                                                                     "Content-Encoding": "gzip"})},
                         u("/news/x"), {}),
        "robots": ({"/robots.txt": Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}),
                    "/private/x": article("harbour")}, u("/private/x"), {}),
        "private_address": ({}, f"http://127.0.0.2:{server.port}/news/x",
                            {"allow_private_hosts": False, "allowed_networks": ("127.0.0.1/32",)}),
        # transient
        "http_503": ({"/news/x": Reply(503, b"busy")}, u("/news/x"), {"retries": 0}),
        "http_501": ({"/news/x": Reply(501, b"no")}, u("/news/x"), {}),
        "http_429": ({"/news/x": Reply(429, b"slow down")}, u("/news/x"), {"retries": 0}),
        "timeout": ({"/news/x": Reply(200, b"<p>late</p>", {"Content-Type": "text/html"}, delay=1.5)},
                    u("/news/x"), {"retries": 0, "read_timeout": 0.3}),
        "connection_error": ({}, f"http://127.0.0.1:{closed_port()}/news/x", {"retries": 0, "obey_robots": False}),
        "dns_error": ({}, "http://no-such-host.test/news/x", {}),
        "host_budget": ({"/news/x": article("harbour")}, u("/news/x"), {"host_budget": 0.0001, "obey_robots": False}),
        "robots_unreachable": ({"/robots.txt": Reply(503, b"down"), "/news/x": article("harbour")},
                               other.url("/news/x"), {"retries": 0}),
    }


PERMANENT = ["http_403", "http_410", "http_302", "unsupported_type", "too_large", "redirect_loop",
             "too_many_redirects", "unsupported_scheme", "bad_url", "unsupported_encoding", "bad_encoding",
             "robots", "private_address"]
TRANSIENT = ["http_503", "http_501", "http_429", "timeout", "connection_error", "dns_error", "host_budget",
             "robots_unreachable"]


def _no_such_host(host: str, port: int) -> list[str]:
    if host == "no-such-host.test":
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return system_resolver(host, port)


@pytest.mark.parametrize("case", PERMANENT + TRANSIENT)
def test_the_next_run_backs_off_a_permanent_failure_and_fetches_a_transient_one_again(server, other, tmp_path,
                                                                                       case):
    routes, url, first = _cases(server, other)[case]
    meaning = _meaning(case)
    target = other if case == "robots_unreachable" else server
    target.routes.update(routes)
    server.routes["/rss.xml"] = feed(url)
    reason = "robots" if case == "robots_unreachable" else case
    path = "/" + url.split("/", 3)[3]
    db = tmp_path / "news.duckdb"

    found, out, _ = one_run(db, tmp_path, [server.url("/rss.xml")], resolver=_no_such_host, **first)
    assert isinstance(out[url], Reject) and out[url].reason == reason, out[url]
    hits = target.hits(path)
    rows = query(db, "SELECT failures, last_status, retry_after FROM url_state WHERE canonical_url = ?", url)

    again = {**first, "host_budget": 600.0} if case == "host_budget" else first  # a new run, a new budget
    second, out2, _ = one_run(db, tmp_path, [server.url("/rss.xml")], resolver=_no_such_host, **again)
    permanent = case in PERMANENT
    if permanent:
        (failures, status, until), = rows
        assert failures == 1 and until > datetime.now(timezone.utc) + timedelta(hours=20)
        assert status == (int(reason[5:]) if reason.startswith("http_") else None)
        assert url not in out2 and second.backed_off == 1 and target.hits(path) == hits  # not asked again
    else:
        assert rows == [] and second.backed_off == 0
        assert url in out2  # fetched again: a document, or the same failure
        assert case == "host_budget" or (isinstance(out2[url], Reject) and out2[url].reason == reason)
        if case == "host_budget":
            assert isinstance(out2[url], FetchedItem)
        if hits:
            assert target.hits(path) > hits
    assert doc_next_run(reason, meaning) == (AFTER_BACKOFF if permanent else AGAIN), \
        f"docs/fetching.md's reject table disagrees with the code for {case}"


def test_a_url_given_directly_is_backed_off_too_and_refresh_fetches_it(server, tmp_path):
    server.routes["/news/x"] = Reply(403, b"no")
    db, url = tmp_path / "news.duckdb", server.url("/news/x")
    one_run(db, tmp_path, [url])
    second, out, rejects = one_run(db, tmp_path, [url])
    assert server.hits("/news/x") == 1 and second.backed_off == 1 and not rejects and not out
    third, _, rejects = one_run(db, tmp_path, [url], refresh=True)  # --refresh: no state, every URL tried
    assert server.hits("/news/x") == 2 and [r.reason for r in rejects] == ["http_403"] and third.backed_off == 0
    (failures,), = query(db, "SELECT failures FROM url_state WHERE canonical_url = ?", url)
    assert failures == 1  # refresh starts the count anew (it reads no state)


def test_a_second_failure_in_a_row_doubles_the_back_off(server, tmp_path):
    server.routes["/news/x"] = Reply(403, b"no")
    server.routes["/rss.xml"] = feed(server.url("/news/x"))
    db, url = tmp_path / "news.duckdb", server.url("/news/x")
    one_run(db, tmp_path, [server.url("/rss.xml")])
    con = connect(db)
    try:  # the first back-off has run out
        con.execute("UPDATE url_state SET retry_after = now() - INTERVAL 1 MINUTE WHERE canonical_url = ?", [url])
    finally:
        con.close()
    second, out, _ = one_run(db, tmp_path, [server.url("/rss.xml")])
    assert server.hits("/news/x") == 2 and out[url].reason == "http_403" and second.backed_off == 0
    (failures, until), = query(db, "SELECT failures, retry_after FROM url_state WHERE canonical_url = ?", url)
    assert failures == 2 and until > datetime.now(timezone.utc) + timedelta(hours=44)


def test_a_sources_feed_that_fails_for_good_is_still_asked_for_every_run(server, tmp_path):
    server.routes["/rss.xml"] = Reply(403, b"no")
    server.routes["/sitemap.xml"] = article("harbour")  # a page, not a sitemap
    source = Source("Ledger", feeds=(server.url("/rss.xml"),), sitemaps=(server.url("/sitemap.xml"),))
    db = tmp_path / "news.duckdb"
    _, _, first = one_run(db, tmp_path, [], [source])
    assert sorted((r.stage, r.reason) for r in first) == [("discover", "not_a_feed"), ("fetch", "http_403")]
    second, _, again = one_run(db, tmp_path, [], [source])
    assert server.hits("/rss.xml") == 2 and server.hits("/sitemap.xml") == 2 and len(again) == 2
    assert second.backed_off == 0 and query(db, "SELECT count(*) FROM url_state WHERE failures > 0") == [(0,)]
    for stage, reason in (("discover", "bad_xml"), ("discover", "not_a_feed")):
        cells = [r[3] for r in doc_rows() if r[0] == stage and reason in r[1]]
        assert cells == ["read again"], (reason, cells)


def _meaning(case: str) -> str | None:
    return {"robots": "disallows", "robots_unreachable": "could not be fetched"}.get(case)


def test_every_fetch_row_of_the_doc_table_is_checked_against_the_code_above():
    rows = [r for r in doc_rows() if r[0] == "fetch"]
    assert {r[3] for r in rows} == {AFTER_BACKOFF, AGAIN}
    checked = {doc_row("robots" if c == "robots_unreachable" else c, _meaning(c))[2] for c in PERMANENT + TRANSIENT}
    # `error` is a bug caught per URL: nothing a server does provokes it.
    assert [r[1] for r in rows if r[2] not in checked] == [["error"]]


# -- the flow: a scheduled run over a feed, and a URL given every run -----------------------------------------

def test_ingest_backs_off_urls_that_failed_for_good_and_retries_transient_ones(prefect_harness, server, tmp_path):
    u = server.url
    server.routes["/rss.xml"] = [feed(u("/news/forbidden"), u("/news/pdf"), u("/news/busy"), u("/news/one")),
                                 feed(u("/news/forbidden"), u("/news/pdf"), u("/news/busy"), u("/news/one"),
                                      u("/news/two"))]
    server.routes["/news/forbidden"] = Reply(403, b"no")
    server.routes["/news/pdf"] = Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"})
    server.routes["/news/busy"] = Reply(503, b"busy")
    server.routes["/news/gone"] = Reply(410, b"gone")
    server.routes["/news/one"] = article("harbour")
    server.routes["/news/two"] = article("budget")
    inputs = [u("/rss.xml"), u("/news/gone")]  # a feed, and an article URL given every run
    cfg = settings(tmp_path, retries=0)
    first = run_ingest(inputs, cfg)
    assert first.reject_reasons == {"fetch/http_403": 1, "fetch/unsupported_type": 1, "fetch/http_503": 1,
                                    "fetch/http_410": 1} and first.new_articles == 1
    db = tmp_path / "news.duckdb"
    assert dict(query(db, "SELECT canonical_url, last_status FROM url_state WHERE failures = 1")) == {
        u("/news/forbidden"): 403, u("/news/pdf"): None, u("/news/gone"): 410}

    second = run_ingest(inputs, cfg)  # the feed changed: one new article, the failures still listed
    hits = {p: server.hits(p) for p in ("/news/forbidden", "/news/pdf", "/news/gone", "/news/busy")}
    assert hits == {"/news/forbidden": 1, "/news/pdf": 1, "/news/gone": 1, "/news/busy": 2}
    assert second.backed_off == 3 and second.new_articles == 1 and second.reject_reasons == {"fetch/http_503": 1}
    assert "3 backed off after a permanent failure" in second.line()

    server.routes["/news/forbidden"] = article("bridge")  # it opened up; --refresh finds out
    third = run_ingest(inputs, settings(tmp_path, retries=0, refresh=True))
    assert server.hits("/news/forbidden") == 2 and server.hits("/news/gone") == 2 and third.backed_off == 0
    assert query(db, "SELECT failures, retry_after, last_status FROM url_state WHERE canonical_url = ?",
                 u("/news/forbidden")) == [(0, None, 200)]  # a document clears the record
