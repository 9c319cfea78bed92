"""The web side of a run: URLs and sources files in, fetched pages out (discover and fetch stages).

    discover_web  CLI URLs and each source's feeds/sitemaps/urls → WebItems (listing metadata attached)
    fetch_stage   WebItems → FetchedItem (raw body stored, ready for extract) | Unchanged | Reject

One Fetcher per run does every request (robots.txt once per host, politeness across threads); the
flow (newsflow.flows.fetching) opens it and runs both stages in its own process, whatever the runner.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from newsflow.acquire import rawstore
from newsflow.acquire.fetch import Fetcher, FetchResult, Validators
from newsflow.acquire.sources import Expansion, Listed, Source, expand
from newsflow.transforms.models import (
    FetchInfo,
    Processed,
    RawDocument,
    Reject,
    RejectError,
    StateRow,
    Unchanged,
    UrlState,
)
from newsflow.transforms.urls import canonical_link, canonicalize, domain_of, same_site

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(value: str) -> bool:
    """An input that names a URL (any scheme: non-http ones are rejected, not read as files)."""
    return bool(_URL.match(value))


def split_inputs(inputs: list[str]) -> tuple[list[str], list[str]]:
    """(paths, urls) from the inputs a user gave, each in the order given."""
    return [i for i in inputs if not is_url(i)], [i for i in inputs if is_url(i)]


@dataclass(frozen=True)
class WebItem:
    """An article URL to fetch, with what its feed or sitemap said about it."""

    origin: str  # the canonical URL
    listed: Listed
    min_delay: float | None = None  # the source's rate
    kind: str = "url"


@dataclass(frozen=True)
class FetchedItem:
    """A fetched article page, ready for extract (acquire hands `raw` on)."""

    origin: str
    kind: str  # html | text
    raw: RawDocument
    info: FetchInfo


@dataclass
class WebDiscovery:
    """What expanding the run's URLs and sources gave."""

    items: list[WebItem] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    listings: list[StateRow] = field(default_factory=list)  # url_state rows for feeds and sitemaps
    unchanged: int = 0  # listings that answered 304
    already: int = 0  # article URLs skipped as already ingested (not fetched)
    filtered: int = 0  # article URLs dropped by a source's include/exclude
    backed_off: int = 0  # URLs skipped: they failed for good and their back-off still runs


def discover_web(fetcher: Fetcher, urls: list[str], sources: list[Source], state: UrlState,
                 max_listing_bytes: int, source_name: str | None = None) -> WebDiscovery:
    """Expand CLI URLs and every source into article items; sources are expanded side by side.

    A slow or failing host only delays its own source. Results are merged in the order given, so
    the tables do not depend on timing; an article named twice is fetched once (first naming wins).
    """
    # URLs given directly belong to --source-name's outlet when one is named (else their host's).
    cli = Source(source_name, urls=tuple(urls)) if source_name else None
    groups: list[tuple[Source | None, list[str]]] = [(cli, urls)] if urls else []
    # A source's `urls` are articles: include/exclude decide before any request is made.
    groups += [(s, [*s.feeds, *s.sitemaps, *(u for u in s.urls if s.allows(u))]) for s in sources]
    unwanted = sum(1 for s in sources for u in s.urls if not s.allows(u))
    validators = {u: Validators(e, m) for u, (e, m) in state.validators.items()}

    def run(group):
        source, roots = group
        listings = [*source.feeds, *source.sitemaps] if source else []
        try:
            return source, expand(fetcher, roots, source=source, validators=validators, fetched=state.fetched,
                                  max_listing_bytes=max_listing_bytes, listings=listings, backoff=state.backoff)
        except Exception as exc:  # expand isolates each URL; this is the last line: one source, not the run
            failed = Expansion()
            failed.rejects = [Reject(u, "discover", "error", f"{type(exc).__name__}: {exc}") for u in roots]
            return source, failed

    out = WebDiscovery()
    if not groups:
        return out
    expansions = _map_threads(run, groups, min(8, len(groups)), "discover")
    seen: set[str] = set()
    now = datetime.now(timezone.utc)
    out.filtered += unwanted
    for source, expansion in expansions:
        for listed in expansion.articles:
            if listed.url not in seen:
                seen.add(listed.url)
                out.items.append(WebItem(listed.url, listed, source.min_delay if source else None))
        out.rejects += expansion.rejects
        out.listings += [StateRow(u, v.etag, v.last_modified, 200, now, None, "listing")
                         for u, v in expansion.validators.items()]
        out.listings += [StateRow(u, None, None, 304, now, None, "listing") for u in expansion.unchanged]
        out.unchanged += len(expansion.unchanged)
        out.already += expansion.already
        out.filtered += expansion.filtered
        out.backed_off += expansion.backed_off
    return out


def fetch_stage(items: list, fetcher: Fetcher | None, state: UrlState, raw_dir: Path, threads: int) -> list:
    """Fetch the WebItems among `items` (in parallel); other items pass through unchanged, in order."""
    web = [i for i, item in enumerate(items) if isinstance(item, WebItem)]
    if not web:
        return list(items)
    if fetcher is None:
        raise ValueError("web items need a Fetcher")
    out = list(items)
    results = _map_threads(lambda i: fetch_one(items[i], fetcher, state, raw_dir), web,
                           max(1, min(threads, len(web))), "fetch")
    for i, result in zip(web, results):
        out[i] = result
    return out


def _map_threads(fn, items: list, workers: int, name: str) -> list:
    """`fn` over `items` in a thread pool, in order. Interrupted (Ctrl-C, a cancelled run's SIGTERM),
    it does not wait for requests in flight, so the run unwinds now (write lock, writer slot, its
    Prefect state) rather than after the slowest read."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    try:
        results = list(pool.map(fn, items))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def fetch_one(item: WebItem, fetcher: Fetcher, state: UrlState, raw_dir: Path) -> FetchedItem | Unchanged | Reject:
    """Fetch one article URL; 304s and pages whose canonical URL is already ingested are Unchanged."""
    listed = item.listed
    try:
        result = listed.prefetched
        if result is None:
            known = state.validators.get(listed.url)
            result = fetcher.fetch(listed.url, validators=Validators(*known) if known else Validators(),
                                   min_delay=item.min_delay)
        if result.not_modified:
            return Unchanged(listed.url, "not_modified", 304, result.fetched_at, None, result.etag,
                             result.last_modified)
        raw = result.to_raw(origin=listed.url, source=listed.source or domain_of(result.final_url))
        canonical, declared = _canonical(result, raw)
        if canonical != listed.url and canonical in state.fetched:
            # Reached by another link, and that article is already in the warehouse: keep it once.
            return Unchanged(listed.url, "known_canonical", result.status, result.fetched_at, raw.kind,
                             result.etag, result.last_modified, raw.raw_sha256)
        rawstore.put(raw_dir, raw.body)  # before the load transaction; content-addressed, so idempotent
    except RejectError as exc:  # one that failed for good (not transient) is remembered with a back-off
        return Reject(listed.url, exc.stage, exc.reason, exc.detail,
                      backoff=exc.stage == "fetch" and not exc.transient)
    except Exception as exc:  # a bug or a library failure on one URL must not stop the run (nor park the URL)
        return Reject(listed.url, "fetch", "error", f"{type(exc).__name__}: {exc}")
    info = FetchInfo(url=listed.url, final_url=result.final_url, canonical_url=canonical, declared_canonical=declared,
                     http_status=result.status,
                     content_type=result.headers.get("content-type"), etag=result.etag,
                     last_modified=result.last_modified, listing_url=listed.listing, listed_title=listed.title,
                     listed_published_at=listed.published, listed_updated_at=listed.updated)
    return FetchedItem(listed.url, raw.kind, raw, info)


def _canonical(result: FetchResult, raw: RawDocument) -> tuple[str, str | None]:
    """(canonical URL, what the page declared): its rel=canonical (HTML only), else the final URL.

    A rel=canonical outside the registrable domain of the final URL (the host that sent the text)
    is only recorded: otherwise any page could claim another outlet's URL and have the real
    article skipped as "already ingested" (and its URL mapped to the claimant's text).
    """
    final = canonicalize(result.final_url)
    if raw.kind != "html":
        return final, None
    declared = canonical_link(result.text(), result.final_url)
    if declared is None:
        return final, None
    if same_site(declared, result.final_url):  # the host that served the text vouches for its own domain only
        return declared, declared
    return final, declared


def with_fetch_info(outcome, item):
    """Attach what the fetch said to an article that came from the web."""
    if isinstance(item, FetchedItem) and isinstance(outcome, Processed):
        outcome.fetch = item.info
        outcome.article.canonical_url = item.info.canonical_url
    return outcome
