"""Sources: the sources file (which outlets, through which feeds and sitemaps, how fast), and
expanding feeds and sitemaps into the article URLs to fetch.

    [defaults]                      # optional; every key a source may set except name/feeds/sitemaps/urls
    rate = "1/s"

    [[source]]
    name = "The Example Ledger"     # the outlet; stored in documents.source
    feeds = ["https://example.org/rss.xml"]
    sitemaps = ["https://example.org/news-sitemap.xml"]
    urls = []                       # single article URLs, optional
    paths = ["archive/ledger/*.html"]  # local files, directories or globs (** recurses), relative to this file
    include = ["*/news/*"]          # globs on the canonical URL, or "re:<regex>"
    exclude = ["re:/(video|live)/"]
    rate = "30/min"                 # requests per second as a number, or "N/s", "N/min", "N/h"

See docs/fetching.md.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsflow.acquire.fetch import Fetcher, FetchResult, Validators
from newsflow.transforms import feeds
from newsflow.transforms.models import Reject, RejectError
from newsflow.transforms.urls import UrlFilter, canonicalize

_SOURCE_KEYS = ("name", "feeds", "sitemaps", "urls", "paths", "include", "exclude", "rate")
_DEFAULT_KEYS = ("include", "exclude", "rate")
_TOP_KEYS = ("defaults", "source")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$", re.I)
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names the file, the source and the key."""


@dataclass(frozen=True)
class Source:
    """One outlet to ingest."""

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    filter: UrlFilter = field(default_factory=UrlFilter)
    rate: float | None = None  # requests per second to this source's hosts; None = the fetcher's default
    paths: tuple[str, ...] = ()  # local files, directories or globs (absolute: resolved against the sources file)

    @property
    def min_delay(self) -> float | None:
        """Seconds between two requests for this source (pass to Fetcher.fetch(min_delay=...))."""
        return 1.0 / self.rate if self.rate else None

    def allows(self, url: str) -> bool:
        return self.filter.allows(url)


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate a sources file; SourcesError says what is wrong and where."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None
    return parse_sources(data, str(path), base=path.parent)


def parse_sources(data: dict, where: str = "sources file", base: Path | None = None) -> list[Source]:
    """Typed sources from an already parsed TOML document."""
    _unknown(data, _TOP_KEYS, where)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise SourcesError(f"{where}: [defaults] must be a table")
    _unknown(defaults, _DEFAULT_KEYS, f"{where}: [defaults]")
    entries = data.get("source")
    if not entries:
        raise SourcesError(f"{where}: no sources; add at least one [[source]] table with a name and feeds, "
                           "sitemaps or urls")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SourcesError(f"{where}: `source` must be written as [[source]] tables")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, 1):
        label = f"{where}: [[source]] #{number}"
        if isinstance(entry.get("name"), str) and entry["name"].strip():
            label += f" ({entry['name'].strip()!r})"
        source = _source({**defaults, **entry}, label, base or Path.cwd())
        if source.name in seen:
            raise SourcesError(f"{label}: name {source.name!r} is already used by [[source]] #{seen[source.name]}")
        seen[source.name] = number
        sources.append(source)
    return sources


def _source(entry: dict, label: str, base: Path) -> Source:
    _unknown(entry, _SOURCE_KEYS, label)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourcesError(f"{label}: key 'name' is required: the outlet's name, e.g. name = \"The Example Ledger\"")
    feeds, sitemaps, urls = (_urls(entry, key, label) for key in ("feeds", "sitemaps", "urls"))
    # Relative paths are read against the sources file's folder, so the file works from any directory.
    paths = tuple(str(base / Path(p).expanduser()) for p in _strings(entry, "paths", label))
    if not (feeds or sitemaps or urls or paths):
        raise SourcesError(f"{label}: give at least one of 'feeds', 'sitemaps', 'urls' or 'paths'")
    include, exclude = (_strings(entry, key, label) for key in ("include", "exclude"))
    try:
        url_filter = UrlFilter(include, exclude)
    except ValueError as exc:
        raise SourcesError(f"{label}: key 'include'/'exclude': {exc}") from None
    return Source(name.strip(), feeds, sitemaps, urls, url_filter, _rate(entry.get("rate"), label), paths)


def expand_paths(source: Source) -> list[Path]:
    """The files and directories the source's path globs name now, in order, each once.

    A glob may match nothing (an empty inbox); a plain path is kept even when it does not exist, so a
    typo in it becomes a `not_found` reject, as a missing input on the command line or in a deployment."""
    import glob

    found: list[Path] = []
    for pattern in source.paths:
        if not glob.has_magic(pattern):
            matches = [Path(pattern)]
        else:
            matches = [Path(m) for m in sorted(glob.glob(pattern, recursive=True)) if Path(m).exists()]
        found += [m for m in matches if m not in found]
    return found


def _unknown(table: dict, known: tuple[str, ...], label: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known keys: {', '.join(known)}"
            raise SourcesError(f"{label}: unknown key '{key}'{hint}")


def _strings(entry: dict, key: str, label: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SourcesError(f"{label}: key '{key}' must be a list of strings, e.g. {key} = [\"...\"]")
    return tuple(v.strip() for v in value)


def _urls(entry: dict, key: str, label: str) -> tuple[str, ...]:
    out = []
    for value in _strings(entry, key, label):
        try:
            url = canonicalize(value)
        except RejectError as exc:
            raise SourcesError(f"{label}: key '{key}': {exc.detail}") from None
        if url not in out:
            out.append(url)
    return tuple(out)


def _rate(value, label: str) -> float | None:
    if value is None:
        return None
    rate: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        rate = float(value)
    elif isinstance(value, str):
        match = _RATE.match(value)
        if match:
            rate = float(match.group(1)) / _PER[match.group(2).lower()]
    if rate is None or rate <= 0:
        raise SourcesError(f"{label}: key 'rate' must be a positive number of requests per second or a "
                           f"string like \"2/s\", \"30/min\" or \"100/h\"; got {value!r}")
    return rate


# -- expanding feeds and sitemaps into article URLs --------------------------------------------------

@dataclass(frozen=True)
class Listed:
    """An article URL to fetch, with what the feed or sitemap said about it."""

    url: str  # canonical
    source: str | None = None
    listing: str | None = None  # the feed/sitemap it came from; None for a URL given directly
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    prefetched: FetchResult | None = None  # the page itself, when a given URL turned out to be an article


@dataclass
class Expansion:
    """What expanding some feeds, sitemaps and URLs gave."""

    articles: list[Listed] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)  # listings that could not be fetched or read
    validators: dict[str, Validators] = field(default_factory=dict)  # for listings fetched (keep for next run)
    unchanged: list[str] = field(default_factory=list)  # listings that answered 304
    filtered: int = 0  # article URLs dropped by include/exclude
    already: int = 0  # article URLs skipped as already ingested and not changed since
    backed_off: int = 0  # article URLs skipped: they failed for good and their back-off runs


def expand(fetcher: Fetcher, urls: list[str], *, source: Source | None = None,
           validators: Mapping[str, Validators] | None = None, fetched: Mapping[str, datetime] | None = None,
           refresh: bool = False, max_depth: int = 3, max_entries: int = 100_000,
           max_listing_bytes: int = feeds.DEFAULT_MAX_BYTES, listings: Collection[str] = (),
           backoff: Mapping[str, datetime] | None = None) -> Expansion:
    """Fetch each URL and turn feeds and sitemaps (recursively, for sitemap indexes) into articles.

    A URL that turns out to be an article page is returned as one, with the fetched page attached so
    it is not fetched twice, unless it is among `listings` (a source's feeds and sitemaps), which
    must be feeds or sitemaps (else reject not_a_feed). `validators` (canonical URL ->
    ETag/Last-Modified) make listing requests conditional; `fetched` (canonical URL -> when it was
    last fetched) skips entries whose listing dates are not newer; `backoff` (URL -> not before)
    skips article URLs, listed or given, that failed for good until then (`listings` and the sitemaps
    an index names are asked for every run). With `refresh` all three are ignored. A listing, entry
    or URL that fails in any way becomes a reject and the rest goes on; a URL given directly that
    failed for good (FetchError not transient) is marked for the back-off.
    """
    out = Expansion()
    seen_listings: set[str] = set()
    seen_articles: set[str] = set()
    validators = {} if refresh else (validators or {})
    fetched = {} if refresh else (fetched or {})
    backoff = {} if refresh else (backoff or {})
    must_list = {c for c in map(_canonical_or_none, listings) if c}  # a bad one is rejected when it comes up
    queue: list[tuple[str, int]] = [(u, 0) for u in urls]
    while queue:
        url, depth = queue.pop(0)
        try:
            entries = _expand_one(fetcher, url, depth, out, seen_listings, seen_articles, source, validators,
                                  fetched, backoff, must_list, max_listing_bytes)
        except RejectError as exc:
            listing = depth > 0 or _canonical_or_none(url) in must_list
            out.rejects.append(Reject(url, exc.stage, exc.reason, exc.detail,
                                      backoff=exc.stage == "fetch" and not exc.transient and not listing))
            continue
        except Exception as exc:  # a bug or a library failure on one listing must not stop the run
            out.rejects.append(Reject(url, "discover", "error", f"{type(exc).__name__}: {exc}"))
            continue
        for entry in entries:
            try:
                if entry.kind == "sitemap":
                    if depth + 1 > max_depth:
                        out.rejects.append(Reject(entry.url, "discover", "too_deep",
                                                  f"sitemap indexes nested more than {max_depth} deep"))
                    else:
                        queue.append((entry.url, depth + 1))
                    continue
                if len(seen_articles) >= max_entries:
                    out.rejects.append(Reject(url, "discover", "too_many_entries",
                                              f"stopped after {max_entries} article URLs"))
                    break
                _add(out, seen_articles, Listed(entry.url, source.name if source else None, url, entry.title,
                                                entry.published, entry.updated), source, fetched, backoff,
                     entry=entry)
            except Exception as exc:  # one odd entry is that entry's reject, never the listing's end
                out.rejects.append(Reject(getattr(entry, "url", url), "discover", "error",
                                          f"{type(exc).__name__}: {exc}"))
    return out


def _expand_one(fetcher: Fetcher, url: str, depth: int, out: Expansion, seen_listings: set[str],
                seen_articles: set[str], source: Source | None, validators: Mapping[str, Validators],
                fetched: Mapping[str, datetime], backoff: Mapping[str, datetime], must_list: set[str],
                max_listing_bytes: int) -> list[feeds.FeedEntry]:
    """Fetch one URL of the queue; the entries to follow if it is a listing (RejectError if it fails)."""
    name = source.name if source else None
    delay = source.min_delay if source else None
    url = canonicalize(url)
    if url in seen_listings:
        return []
    seen_listings.add(url)
    listing_only = url in must_list or depth > 0
    if not listing_only and url in fetched:  # an article given directly and already ingested
        out.already += 1
        return []
    if url in seen_articles:  # given directly and also listed by a feed already read: fetch it once
        return []
    if not listing_only and url in backoff:  # given directly, and it failed for good at a recent try
        out.backed_off += 1
        return []
    result = fetcher.fetch(url, accept="any", validators=validators.get(url), min_delay=delay)
    if result.not_modified:
        out.unchanged.append(url)
        return []
    kind = result.kind
    if kind not in feeds.FEED_KINDS + feeds.SITEMAP_KINDS:
        if listing_only:
            raise RejectError("discover", "not_a_feed", f"listed as a feed or sitemap, but the body is {kind} "
                           f"({result.media_type or 'no Content-Type'})")
        if kind in ("html", "text"):
            _add(out, seen_articles, Listed(url, name, prefetched=result), source, fetched, {}, article=True)
            return []
        result.to_raw(url)  # neither an article nor a listing: unsupported_type, naming the type
    listing = feeds.parse(result.body, result.final_url, max_bytes=max_listing_bytes)
    if result.etag or result.last_modified:
        out.validators[url] = result.validators
    for href in listing.skipped:  # links that are no fetchable URL: each is its own reject, the rest goes on
        out.rejects.append(Reject(href[:2000], "discover", "bad_url", f"listed by {url}: not an http(s) URL "
                                  "that can be fetched"))
    return listing.entries


def _canonical_or_none(url: str) -> str | None:
    try:
        return canonicalize(url)
    except RejectError:
        return None


def _add(out: Expansion, seen: set[str], item: Listed, source: Source | None, fetched: Mapping[str, datetime],
         backoff: Mapping[str, datetime], *, entry: feeds.FeedEntry | None = None, article: bool = False) -> None:
    if item.url in seen:
        return
    if source is not None and not source.allows(item.url):  # every article URL of a source, listed or given
        out.filtered += 1
        return
    if entry is not None and not feeds.needs_fetch(entry, fetched.get(item.url)):
        out.already += 1
        return
    if not article and item.url in backoff:  # failed for good at a recent try: not before its back-off
        out.backed_off += 1
        return
    seen.add(item.url)
    out.articles.append(item)
