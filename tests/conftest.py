"""Shared fixtures: a Prefect test harness (one temporary API per session) and article writers."""

from __future__ import annotations

import atexit
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

# An isolated Prefect home per test session: results, the ephemeral database and profiles never
# touch the user's ~/.prefect, and a PREFECT_API_URL in the environment does not send test runs to
# the user's server. Set before anything imports prefect.
PREFECT_TEST_HOME = tempfile.mkdtemp(prefix="newsflow-tests-prefect-")
os.environ["PREFECT_HOME"] = PREFECT_TEST_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_PROFILES_PATH", None)
atexit.register(shutil.rmtree, PREFECT_TEST_HOME, True)
os.environ.setdefault("DO_NOT_TRACK", "1")
# A loaded machine (CI, parallel jobs) can take longer than the default 20 s to start the ephemeral API.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
NOW = datetime(2025, 5, 1, 12, tzinfo=timezone.utc)

FERRY = [
    "The harbour authority in Port Ellery confirmed on Tuesday that its electric ferry will enter "
    "service next spring, replacing two diesel boats that have crossed the estuary for three decades.",
    "Officials said the new vessel carries 180 passengers and charges its batteries during the "
    "eleven-minute turnaround at each pier, using a shore connection paid for by a regional grant.",
    "Commuters who rely on the crossing welcomed the quieter boat but asked whether the timetable "
    "would stay the same during the winter months, when fog often delays the first sailing.",
    "The authority expects fuel savings of roughly forty percent and plans a public open day on the "
    "vessel before it carries its first paying passengers.",
]

ORCHARD = [
    "Growers in the Vell Valley began picking a late apple harvest this week after a wet summer "
    "pushed ripening back by almost a fortnight, according to the local producers' cooperative.",
    "The cooperative said yields look close to average, though hail in July marked part of the crop, "
    "which will go to juice and cider makers rather than supermarket shelves.",
    "Seasonal workers arrived later than usual, and several farms shared crews to keep the picking "
    "on schedule before the first frosts expected at the end of the month.",
]

GERMAN = [
    "Die Stadtverwaltung hat am Montag beschlossen, die alte Steinbrücke für Radfahrer offen zu halten, "
    "während flussaufwärts eine neue Brücke gebaut wird. Damit endet ein Jahr voller Diskussionen.",
    "Die Bauarbeiten sollen im Frühjahr beginnen und etwa zwei Jahre dauern, teilte die Verwaltung mit. "
    "Anwohner hatten zuvor mehr als dreitausend Unterschriften gesammelt.",
]


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


def prefect_api(api_url: str, path: str, body: dict | None = None) -> tuple[int, str]:
    """Call the Prefect REST API (POST with a body, else GET); (status, body text).

    A busy SQLite server answers 503 to a retryable error; like Prefect's own client, ask again.
    """
    request = urllib.request.Request(f"{api_url}{path}", data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    for attempt in range(6):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == 5:
                return exc.code, exc.read().decode()
        time.sleep(2 ** attempt / 4)
    raise AssertionError("unreachable")


def prefect_json(api_url: str, path: str, body: dict | None = None):
    """`prefect_api` for calls that must succeed: the decoded JSON answer."""
    status, text = prefect_api(api_url, path, body)
    assert 200 <= status < 300, f"{path}: {status} {text[:500]}"
    return json.loads(text)


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


def processed(i: int, text: str | None = None):
    """A normalized article as a batch would return it, numbered `i` (distinct text per number)."""
    from newsflow.transforms.models import Article, Processed, Removed
    from newsflow.transforms.normalize import content_hash

    text = text or f"Article number {i} about the regional rail timetable change and its effects. " * 5
    article = Article(text, f"Title {i}", ["A. Writer"], NOW, "en", 0.99, len(text.split()), content_hash(text))
    return Processed(f"/in/{i}.txt", "text", f"{i:064x}", NOW, article, [Removed("share", "Share this")])


def load_plain(con, run, processed_items, rejects, **settings):
    """The production write stages (flows.commit.commit_run) without validation: no Prefect, no GX."""
    from newsflow.flows.commit import commit_run
    from newsflow.settings import Settings

    return commit_run(con, Settings(quality={"enabled": False}, **settings), run, processed_items, rejects)


def hold_lock(db) -> subprocess.Popen:
    """Another process that holds the warehouse open until killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


SERVER_FIXTURES = {"prefect_harness", "prefect_server"}

# Test files whose tests validate into the shipped GX project (expectations/gx/uncommitted, inside the
# checkout). Under pytest-xdist (make test) two workers could write its history and Data Docs at once:
# their tests take a lock on it, one at a time across workers.
SHIPPED_GX_PROJECT_WRITERS = {"test_deployments.py", "test_quality_flow.py"}
SHIPPED_GX_PROJECT_LOCK = Path(tempfile.gettempdir()) / f"newsflow-tests-gx-{hashlib.sha256(str(REPO).encode()).hexdigest()[:12]}.lock"


@pytest.fixture(autouse=True)
def _one_writer_of_the_shipped_gx_project(request):
    if request.node.path.name not in SHIPPED_GX_PROJECT_WRITERS:
        yield
        return
    import fcntl

    with open(SHIPPED_GX_PROJECT_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, after the test
        yield


def pytest_collection_modifyitems(config, items):
    """Tests that start a Prefect API (temporary or real) are `slow`: `make test-fast` leaves them out."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 with scripted routes (tests/websupport.py); closed after the test."""
    from websupport import Server

    srv = Server()
    yield srv
    srv.close()


ROOMS = ["newsflow.transforms", "newsflow.acquire", "newsflow.warehouse", "newsflow.expectations", "newsflow.flows"]


def package_modules() -> dict[str, Path]:
    """Every newsflow module and its source file, found through the installed package mapping."""
    import importlib

    out = {}
    for name in ["newsflow", *ROOMS]:
        package = importlib.import_module(name)
        root = Path(package.__file__).parent
        files = root.glob("*.py") if name == "newsflow" else root.rglob("*.py")
        for file in files:
            rel = file.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([name, *parts])] = file
    return out


def import_gx():
    """great_expectations, imported with its analytics off."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations

    return great_expectations


@pytest.fixture
def gx_project(tmp_path) -> Path:
    """A copy of the shipped GX project (without its validation history), as a user's checkout."""
    root = tmp_path / "dq"
    shutil.copytree(REPO / "expectations" / "gx", root / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    return root

