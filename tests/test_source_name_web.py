"""--source-name names the outlet of URLs given on the command line too (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import duckdb
import pytest

from newsflow.flows.run import run_ingest

from websupport import article, settings

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_source_name_applies_to_urls_given_directly(server, tmp_path):  # noqa: F811
    server.routes["/news/harbour"] = article("harbour")  # the page names no site
    server.routes["/news/budget"] = article("budget")
    run_ingest([server.url("/news/harbour")], settings(tmp_path, source_name="Port Ellery Ledger"))
    run_ingest([server.url("/news/budget")], settings(tmp_path))
    with duckdb.connect(str(tmp_path / "news.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT regexp_extract(d.origin, '[^/]+$'), d.source, a.site_name "
                           "FROM documents d JOIN articles a USING (article_id) ORDER BY 1").fetchall()
    assert rows[1][:2] == ("harbour", "Port Ellery Ledger")
    assert rows[1][2].startswith("127.0.0.1")  # the page's own site name (its host) is kept
    assert rows[0][0] == "budget" and rows[0][1].startswith("127.0.0.1")  # without it: the host, as before
