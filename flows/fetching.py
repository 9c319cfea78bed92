"""The web stages of a run, in the flow's own process for every runner: discover-web and fetch.

One Fetcher per run does every request, so robots.txt is read once per host and host delays hold
across all of the run's URLs; the CPU-heavy stages after it run wherever the runner puts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import task
from prefect.cache_policies import NONE

from newsflow.acquire.fetch import Fetcher
from newsflow.acquire.sources import Source, load_sources
from newsflow.acquire.web import WebDiscovery, discover_web, fetch_stage, is_url
from newsflow.settings import Settings
from newsflow.transforms.models import UrlState
from newsflow.warehouse.db import connect
from newsflow.warehouse.fetchstate import read_state


def sources_of(settings: Settings) -> list[Source]:
    """The sources file named by the settings, read and checked (SourcesError says what is wrong)."""
    return load_sources(settings.sources) if settings.sources else []


@contextmanager
def run_fetcher(inputs: list[str] | None, settings: Settings) -> Iterator[Fetcher | None]:
    """The run's one Fetcher when it has URLs or a sources file, else None."""
    if not settings.sources and not any(is_url(i) for i in inputs or []):
        yield None
        return
    with Fetcher(settings.fetch) as fetcher:
        yield fetcher


def read_url_state(settings: Settings) -> UrlState:
    """What earlier runs fetched (empty with refresh: nothing is conditional, nothing skipped)."""
    if settings.refresh:
        return UrlState()
    con = connect(settings.db, lock_timeout=settings.lock_timeout)
    try:
        return read_state(con)
    finally:
        con.close()


@task(name="discover-web", cache_policy=NONE)
def discover_web_task(fetcher: Fetcher, urls: list[str], sources: list[Source], state: UrlState,
                      settings: Settings) -> WebDiscovery:
    """Fetch the run's feeds and sitemaps and list the article URLs to fetch."""
    return discover_web(fetcher, urls, sources, state, settings.fetch.max_body_bytes, settings.source_name)


@task(name="fetch", cache_policy=NONE)
def fetch_task(items: list, fetcher: Fetcher, state: UrlState, settings: Settings) -> list:
    """Fetch the run's article URLs in parallel (the Fetcher's limits apply); files pass through."""
    return fetch_stage(items, fetcher, state, settings.raw_store(), settings.fetch.concurrency)
