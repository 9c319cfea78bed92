"""Shared fixtures: a Prefect test harness (one temporary API per session) and article writers."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def prefect_harness():
    """Real Prefect flows against a temporary local API (no server needed)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (../shared/seeds beside the repo)")
    return SEEDS


def html_page(title: str, paragraphs: list[str], *, site: str = "The Example Ledger",
              published: str = "2025-03-04T08:30:00+00:00", extra_body: str = "") -> str:
    """A realistic small article page with nav, share bar, rail and footer around the body."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="Dana Whitfield">
<link rel="canonical" href="https://example.org/news/{abs(hash(title)) % 10**6}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav></header>
<main><article><h1>{title}</h1>
{body}
{extra_body}
</article>
<aside><h2>More For You</h2><ul><li><a href="/a">Unrelated teaser headline one</a></li>
<li><a href="/b">Another teaser headline two</a></li></ul></aside></main>
<footer><p>© 2025 {site}. All rights reserved.</p></footer>
</body></html>"""


def write(path: Path, content: str | bytes, *, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real `prefect server start` on 127.0.0.1 (temporary PREFECT_HOME, free port); its API URL.

    For tests whose child processes need a shared API with a scheduler. Always stopped at the end.
    """
    from newsflow.flows.serve import start_server, stop_server

    home = tmp_path_factory.mktemp("prefect-home")
    api_url, proc = start_server(home, free_port())
    try:
        yield api_url
    finally:
        stop_server(proc)
