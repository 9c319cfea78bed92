"""The whole ingest flow against a real HTTP server on 127.0.0.1: feeds, sitemaps, faults, politeness,
the private-address guard, incremental runs and reprocessing, asserted in the warehouse tables."""

from __future__ import annotations

import gzip

import pytest

from newsflow.cli import main
from newsflow.flows.run import run_ingest

from websupport import (  # noqa: I001
    Reply,
    Server,
    article,
    count,
    page,
    paragraphs,
    query,
    settings,
    site,
    versioned,
    versioned_article,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")



















# -- feeds, sitemaps, listing metadata, and a second run that only asks conditionally ---------------

def test_feeds_and_sitemaps_load_once_with_listing_metadata_and_a_second_run_adds_nothing(server, tmp_path):
    roots = site(server)
    u = server.url
    # The article is also named directly, twice, with tracking parameters and a fragment.
    inputs = roots + [u("/news/harbour?fbclid=abc&utm_campaign=x"), u("/news/harbour#comments")]
    first = run_ingest(inputs, settings(tmp_path))
    db = tmp_path / "news.duckdb"

    loaded = {r[0]: r for r in query(db, "SELECT origin, source, listing_url, listed_title, listed_published_at, "
                                         "listed_updated_at, http_status, content_type, final_url FROM documents")}
    assert sorted(loaded) == sorted(u(f"/news/{t}") for t in ("harbour", "budget", "bridge", "election"))
    assert count(db, "articles") == 4 and first.new_articles == 4
    assert server.hits("/news/harbour") == 1  # tracking-parameter variants: fetched once, stored once
    assert server.hits("/robots.txt") == 1  # once per host per run
    assert query(db, "SELECT origin, stage, reason FROM rejects") == [(u("/private/memo"), "fetch", "robots")]
    assert server.hits("/private/memo") == 0

    harbour = loaded[u("/news/harbour")]
    assert harbour[2] == u("/rss.xml") and harbour[3] == "Harbour plan confirmed"  # listed before named directly
    assert harbour[4].isoformat().startswith("2025-03-04T08:30:00")
    budget, bridge, election = loaded[u("/news/budget")], loaded[u("/news/bridge")], loaded[u("/news/election")]
    assert budget[2] == u("/atom.xml") and budget[3] == "Budget passes"
    assert budget[5].isoformat().startswith("2025-03-05T10:00:00")
    assert bridge[2] == u("/sitemap-1.xml.gz") and bridge[5].isoformat().startswith("2025-03-06")  # gzip'd child
    assert election[2] == u("/news-sitemap.xml") and election[3] == "Election called"
    assert election[4].isoformat().startswith("2025-03-07T05:00:00")
    assert budget[6] == 200 and budget[7] == "text/html; charset=utf-8" and budget[8] == u("/news/budget")
    assert {r[1] for r in loaded.values()} == {"127.0.0.1"}  # the outlet defaults to the domain
    states = dict(query(db, "SELECT canonical_url, kind FROM url_state"))
    assert states[u("/rss.xml")] == "listing" and states[u("/news/budget")] == "html"
    sha = query(db, "SELECT raw_sha256 FROM documents WHERE origin = ?", u("/news/budget"))[0][0]
    assert (tmp_path / "news.duckdb.raw" / sha[:2] / sha[2:4] / f"{sha}.gz").is_file()

    before = {t: count(db, t) for t in ("documents", "articles", "rejects", "url_state")}
    mark = len(server.log)
    second = run_ingest(inputs, settings(tmp_path))
    again = [e for e in server.log[mark:] if e.path != "/robots.txt"]
    assert again and all("if-none-match" in e.headers for e in again)  # only conditional requests
    assert {e.path for e in again} == {"/rss.xml", "/atom.xml", "/sitemap.xml"}  # 304s stop the expansion
    assert second.inputs == 0 and second.new_articles == 0
    assert second.unchanged == 3 and second.already_ingested == 1  # the article named directly
    assert {t: count(db, t) for t in before} == before
    assert query(db, "SELECT inputs, unchanged, already_ingested FROM runs WHERE run_id = ?", second.run_id) \
        == [(0, 3, 1)]

    mark = len(server.log)
    refreshed = run_ingest(inputs, settings(tmp_path, refresh=True))
    assert server.hits("/news/budget") == 2 and "if-none-match" not in server.log[-1].headers
    assert refreshed.inputs == 5 and refreshed.duplicates == 4 and refreshed.rejected == 1  # + robots


def test_changed_listing_refetches_only_the_articles_it_dates_after_their_last_fetch(server, tmp_path):
    site(server)
    u = server.url
    first = run_ingest([u("/sitemap.xml")], settings(tmp_path))
    assert first.new_articles == 2  # bridge (gzip'd child sitemap) and election (news sitemap)
    # Both listings change: the child now dates the bridge story after our fetch; the news sitemap
    # still dates the election story before it.
    child = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{u('/news/bridge')}</loc><lastmod>2099-01-01</lastmod></url></urlset>""".encode()
    server.routes["/sitemap-1.xml.gz"] = versioned(gzip.compress(child, mtime=0), "application/x-gzip")
    for path in ("/sitemap.xml", "/news-sitemap.xml"):
        body = server.routes[path]({}).body
        server.routes[path] = versioned(body + b"\n<!-- changed -->", "application/xml")
    second = run_ingest([u("/sitemap.xml")], settings(tmp_path))
    assert server.hits("/news/bridge") == 2 and server.hits("/news/election") == 1
    assert second.already_ingested == 1 and second.unchanged == 1  # bridge answered 304: the page itself is unchanged


def test_reject_rate_of_a_rerun_counts_the_pages_that_answered_304(server, tmp_path):
    """Pages a re-run asks for again and finds unchanged (304) are considered, as runs.unchanged counts
    them: one bad new page among them is not a 100% reject rate."""
    u = server.url
    topics = ["harbour", "budget", "bridge", "election", "ferry"]
    for topic in topics:
        server.routes[f"/news/{topic}"] = versioned_article(topic)

    def sitemap(paths: list[str]):  # every page dated after any fetch: each is asked for again
        return versioned(('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                          + "".join(f"<url><loc>{u(p)}</loc><lastmod>2099-01-01</lastmod></url>" for p in paths)
                          + "</urlset>").encode(), "application/xml")

    server.routes["/sitemap.xml"] = sitemap([f"/news/{t}" for t in topics])
    checked = settings(tmp_path, quality={"enabled": True})
    assert run_ingest([u("/sitemap.xml")], checked).inputs == 5
    server.routes["/news/stub"] = Reply(200, b"<html><body><p>Too short to keep.</p></body></html>",
                                        {"Content-Type": "text/html; charset=utf-8"})
    server.routes["/sitemap.xml"] = sitemap([f"/news/{t}" for t in topics] + ["/news/stub"])
    again = run_ingest([u("/sitemap.xml")], checked)
    assert (again.inputs, again.rejected, again.unchanged) == (1, 1, 5)
    [(success, observed)] = query(tmp_path / "news.duckdb", "SELECT success, observed_value FROM dq_results "
                                  "WHERE run_id = ? AND expectation = 'reject_rate_in_bounds'", again.run_id)
    assert success, observed  # 1 of 6 (max_reject_rate 0.25); 1 of 1 counted the page read alone


# -- every fault has its outcome ----------------------------------------------------------------------

CP1252 = ("<!DOCTYPE html><html><head><meta charset=\"windows-1252\"><title>Caf\u00e9 reopens</title></head><body>"
          "<article><h1>Caf\u00e9 reopens</h1>" + "".join(f"<p>{p} The caf\u00e9\u2019s owner said \u201cwelcome\u201d.</p>"
                                                        for p in paragraphs("caf\u00e9"))
          + "</article></body></html>").encode("cp1252")
CHINESE = "".join(f"<p>{s}</p>" for s in [
    "港口管理局星期二宣布，新的电动渡轮将于明年春天投入使用，取代两艘已经运营三十年的柴油船。",
    "官员表示，新船可以搭载一百八十名乘客，并在每个码头停靠期间充电，充电设施由地区拨款支付。",
    "依赖渡轮的通勤者欢迎更安静的船只，但询问冬季的时刻表是否保持不变，因为大雾经常延误第一班船。",
    "管理局预计燃料费用将节省大约百分之四十，并计划在首航之前举办一次公众开放日，让市民参观新船。",
])
GB2312 = (f"<!DOCTYPE html><html><head><title>电动渡轮明年投入使用</title></head><body><article>"
          f"<h1>电动渡轮明年投入使用</h1>{CHINESE}</article></body></html>").encode("gb2312")
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
PLAIN = ("Tram line extension approved\nBy Dana Whitfield\n\n" + "\n\n".join(paragraphs("tram"))).encode()


def test_each_fault_is_loaded_once_or_rejected_with_its_reason(server, tmp_path):
    srv, u = server, server.url
    srv.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n")
    srv.routes["/ok"] = article("ferry")
    srv.routes["/old"] = Reply(301, headers={"Location": "/new?utm_source=x"})
    srv.routes["/new"] = article("orchard")
    srv.routes["/loop-a"] = Reply(302, headers={"Location": "/loop-b"})
    srv.routes["/loop-b"] = Reply(302, headers={"Location": "/loop-a"})
    srv.routes["/flaky"] = [Reply(500, b"oops"), article("library")]
    srv.routes["/busy"] = [Reply(429, b"slow down", {"Retry-After": "1"}), article("museum")]
    srv.routes["/down"] = Reply(503, b"down")
    srv.routes["/slow"] = Reply(200, page("market").encode(), {"Content-Type": "text/html"}, delay=2.0)
    srv.routes["/huge"] = Reply(200, b"<html>" + b"x" * 1_500_000, {"Content-Type": "text/html"})
    srv.routes["/bomb"] = Reply(200, gzip.compress(b"<p>" + b"a" * 30_000_000, mtime=0, compresslevel=9),
                                {"Content-Type": "text/html", "Content-Encoding": "gzip"})
    srv.routes["/laughs.xml"] = Reply(200, LAUGHS, {"Content-Type": "application/rss+xml"})
    srv.routes["/cp1252"] = Reply(200, CP1252, {"Content-Type": "text/html"})  # charset from <meta>
    srv.routes["/gb2312"] = Reply(200, GB2312, {"Content-Type": "text/html; charset=GB2312"})  # from the header
    srv.routes["/plain"] = Reply(200, PLAIN, {"Content-Type": "text/plain; charset=utf-8"})
    srv.routes["/image"] = Reply(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, {"Content-Type": "image/png"})
    srv.routes["/private/page"] = article("school")
    paths = ["/ok", "/old", "/loop-a", "/missing", "/flaky", "/busy", "/down", "/slow", "/huge", "/bomb",
             "/laughs.xml", "/cp1252", "/gb2312", "/plain", "/image", "/private/page", "/ok?utm_source=a",
             "ftp://127.0.0.1/file"]
    inputs = [p if "://" in p else u(p) for p in paths]
    summary = run_ingest(inputs, settings(tmp_path, min_words=5))
    db = tmp_path / "news.duckdb"

    docs = dict(query(db, "SELECT origin, final_url FROM documents"))
    assert sorted(docs) == sorted(u(p) for p in ("/ok", "/old", "/flaky", "/busy", "/cp1252", "/gb2312", "/plain"))
    assert docs[u("/old")] == u("/new")  # redirect followed, tracking parameter dropped
    rejects = {origin: (stage, reason) for origin, stage, reason in query(db, "SELECT origin, stage, reason FROM rejects")}
    assert rejects == {
        u("/loop-a"): ("fetch", "redirect_loop"),
        u("/missing"): ("fetch", "http_404"),
        u("/down"): ("fetch", "http_503"),
        u("/slow"): ("fetch", "timeout"),
        u("/huge"): ("fetch", "too_large"),
        u("/bomb"): ("fetch", "too_large"),
        u("/laughs.xml"): ("discover", "unsafe_xml"),
        u("/image"): ("fetch", "unsupported_type"),
        u("/private/page"): ("fetch", "robots"),
        "ftp://127.0.0.1/file": ("discover", "unsupported_scheme"),
    }
    assert summary.inputs == len(docs) + len(rejects) == count(db, "documents") + count(db, "rejects")
    assert srv.hits("/missing") == 1  # 4xx: not retried
    assert srv.hits("/flaky") == 2 and srv.hits("/busy") == 2  # 500 then 200; 429 with Retry-After then 200
    assert srv.hits("/down") == 3  # retries=2: three tries, then the reject
    assert srv.hits("/ok") == 1  # the tracking-parameter variant is the same URL
    busy = srv.requests("/busy")
    assert busy[1].at - busy[0].at >= 0.9  # Retry-After: 1 was honoured
    texts = dict(query(db, "SELECT d.origin, a.text FROM documents d JOIN articles a USING (article_id)"))
    assert "café’s owner said “welcome”" in texts[u("/cp1252")]
    assert "新的电动渡轮将于明年春天投入使用" in texts[u("/gb2312")]
    assert "The tram plan was confirmed" in texts[u("/plain")]
    assert query(db, "SELECT kind FROM documents WHERE origin = ?", u("/plain")) == [("text",)]
    detail = query(db, "SELECT detail FROM rejects WHERE origin = ?", u("/image"))[0][0]
    assert "image/png" in detail


# -- the private-address guard ------------------------------------------------------------------------

def test_redirect_to_loopback_is_refused_with_the_guard_on(tmp_path):
    # The "public" site is on 127.0.0.2, exempted through allowed_networks; it redirects to 127.0.0.1.
    public, internal = Server("127.0.0.2"), Server("127.0.0.1")
    try:
        internal.routes["/admin"] = article("stadium")
        public.routes["/to-internal"] = Reply(302, headers={"Location": internal.url("/admin")})
        public.routes["/ok"] = article("ferry")
        summary = run_ingest([public.url("/to-internal"), public.url("/ok"), internal.url("/admin")],
                             settings(tmp_path, allow_private_hosts=False, allowed_networks=["127.0.0.2/32"]))
        db = tmp_path / "news.duckdb"
        assert query(db, "SELECT origin FROM documents") == [(public.url("/ok"),)]
        assert sorted(query(db, "SELECT origin, stage, reason FROM rejects")) == sorted([
            (public.url("/to-internal"), "fetch", "private_address"),
            (internal.url("/admin"), "fetch", "private_address")])
        assert internal.log == []  # not even robots.txt
        assert summary.inputs == 3
    finally:
        public.close()
        internal.close()


# -- the sources file through the CLI -------------------------------------------------------------------

def test_sources_file_with_include_exclude_patterns_through_the_cli(server, tmp_path, monkeypatch, capsys):
    roots = site(server)
    server.routes["/news/budget-live"] = versioned_article("tram")
    server.routes["/atom.xml"] = Reply(200, f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ledger</title>
<entry><title>Budget passes</title><link href="{server.url('/news/budget')}"/></entry>
<entry><title>Live</title><link href="{server.url('/news/budget-live')}"/></entry>
<entry><title>Video</title><link href="{server.url('/video/clip')}"/></entry></feed>""".encode(),
                                       {"Content-Type": "application/atom+xml"})
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[defaults]
exclude = ["*-live"]

[[source]]
name = "The Example Ledger"
feeds = ["{roots[0]}", "{roots[1]}"]
include = ["*/news/*"]
rate = "100/s"

[[source]]
name = "Ledger Sitemaps"
sitemaps = ["{roots[2]}"]
exclude = ["re:/news/elect"]
""")
    for key, value in {"QUALITY__ENABLED": "false", "FETCH__MIN_HOST_DELAY": "0", "FETCH__RETRIES": "0"}.items():
        monkeypatch.setenv(f"NEWSFLOW_{key}", value)
    db = tmp_path / "cli.duckdb"
    code = main(["ingest", "--sources", str(sources), "--db", str(db), "--allow-private-hosts",
                 "--user-agent", "TestBot/1.0 (+mailto:ops@example.org)", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert sorted(query(db, "SELECT origin, source FROM documents")) == sorted([
        (server.url("/news/harbour"), "The Example Ledger"), (server.url("/news/budget"), "The Example Ledger"),
        (server.url("/news/bridge"), "Ledger Sitemaps")])
    assert server.hits("/news/budget-live") == server.hits("/video/clip") == server.hits("/news/election") == 0
    # budget-live (the defaults' exclude), /video/ and /private/ (not included), election (excluded)
    assert "4 filtered out" in out
    assert {e.headers["user-agent"] for e in server.log} == {"TestBot/1.0 (+mailto:ops@example.org)"}

    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "A"\nfeds = ["https://example.org/rss.xml"]\n')
    assert main(["ingest", "--sources", str(bad), "--db", str(db)]) == 2
    assert "unknown key 'feds' (did you mean 'feeds'?)" in capsys.readouterr().err


# -- reprocess after a rule change, without any request -------------------------------------------------

def test_reprocess_after_a_rule_change_uses_the_stored_bodies(server, tmp_path, monkeypatch):
    from newsflow.flows.reprocess import run_reprocess
    from newsflow.transforms import clean as clean_module
    from newsflow.transforms.rules import RULES, Rule

    credit = "Reporting by the harbour desk with help from the night editors."
    server.routes["/story"] = article("harbour", extra=f"<p>{credit}</p>")
    local = tmp_path / "local.html"
    local.write_text(page("budget", extra=f"<p>{credit}</p>"))
    cfg = settings(tmp_path)
    run_ingest([server.url("/story"), str(local)], cfg)
    db = tmp_path / "news.duckdb"
    assert all(credit in t for (t,) in query(db, "SELECT text FROM articles"))
    requests = len(server.log)

    monkeypatch.setattr(clean_module.clean, "__defaults__",
                        (RULES + (Rule("credit_line", r"^Reporting by the .* desk"),),))
    summary = run_reprocess(cfg)
    assert len(server.log) == requests  # nothing fetched
    assert summary.inputs == 2 and summary.new_articles == 2
    rows = query(db, "SELECT d.origin, a.text, d.listing_url, d.http_status FROM documents d "
                     "JOIN articles a USING (article_id) WHERE d.run_id = ?", summary.run_id)
    assert len(rows) == 2 and all(credit not in text for _, text, _, _ in rows)
    assert {origin: status for origin, _, _, status in rows} == {server.url("/story"): 200, str(local): None}
    assert query(db, "SELECT count(*) FROM removed_segments WHERE rule = 'credit_line'") == [(2,)]
