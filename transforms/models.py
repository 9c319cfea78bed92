"""Plain data passed between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RawDocument:
    """One input's bytes as read or fetched, before any parsing."""

    origin: str
    kind: str  # "html" or "text"
    body: bytes
    url: str | None = None
    source: str | None = None
    fetched_at: datetime | None = None
    raw_sha256: str = ""
    charset: str | None = None  # declared by the HTTP Content-Type header; beats the page's <meta>


@dataclass
class Extracted:
    """Article text and metadata pulled out of one page or text file."""

    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    charset_note: str | None = None  # how decoding overruled the declared charset, if it did
    removed: list[Removed] = field(default_factory=list)  # what the structural (HTML) stage cut
    repairs: list[str] = field(default_factory=list)  # metadata values replaced or dropped, and why


@dataclass(frozen=True)
class Removed:
    """A piece of boilerplate taken out by the cleaning rule named `rule` at `stage` (html | text)."""

    rule: str
    segment: str
    stage: str = "text"


@dataclass
class Cleaned:
    text: str
    removed: list[Removed] = field(default_factory=list)


@dataclass
class Article:
    """A normalized article, ready for dedup and loading."""

    text: str
    title: str | None
    authors: list[str]
    published_at: datetime | None
    language: str | None
    language_prob: float | None
    word_count: int
    content_hash: str
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    repairs: list[str] = field(default_factory=list)

    @property
    def article_id(self) -> str:
        return self.content_hash[:16]


class RejectError(Exception):
    """An input that cannot become an article; `stage` and `reason` go to the rejects table."""

    transient = False  # a later run may succeed (the fetcher's FetchError sets it per failure)

    def __init__(self, stage: str, reason: str, detail: str = ""):
        super().__init__(f"{stage}/{reason}: {detail}" if detail else f"{stage}/{reason}")
        self.stage = stage
        self.reason = reason
        self.detail = detail


@dataclass
class Processed:
    """One input that became an article, with where it came from and what cleaning removed."""

    origin: str
    kind: str
    raw_sha256: str
    fetched_at: datetime
    article: Article
    removed: list[Removed] = field(default_factory=list)
    url: str | None = None
    source: str | None = None
    fetch: FetchInfo | None = None  # for fetched URLs: what the response and the listing said
    charset_note: str | None = None  # e.g. "utf-8 (declared iso-8859-1, but the bytes are UTF-8)"


@dataclass(frozen=True)
class Reject:
    """One input that could not be loaded, and why."""

    origin: str
    stage: str
    reason: str
    detail: str = ""
    # A URL that failed for good (not transient): url_state remembers it with a back-off, so later
    # runs do not fetch it again at once (warehouse.fetchstate.failure_rows).
    backoff: bool = False


@dataclass(frozen=True)
class FetchInfo:
    """How a fetched article was found and what the server said (documents' fetch columns, url_state)."""

    url: str  # the canonical URL asked for (url_state key)
    final_url: str  # after redirects
    canonical_url: str  # rel=canonical (same registrable domain only), else the canonicalized final URL
    http_status: int
    declared_canonical: str | None = None  # the page's rel=canonical as written, even to another host
    content_type: str | None = None  # the whole Content-Type header
    etag: str | None = None
    last_modified: str | None = None
    listing_url: str | None = None  # the feed or sitemap that named it
    listed_title: str | None = None
    listed_published_at: datetime | None = None
    listed_updated_at: datetime | None = None


@dataclass(frozen=True)
class Unchanged:
    """A URL that needs no loading: 304 Not Modified, or its rel=canonical URL is already ingested."""

    url: str
    why: str  # not_modified | known_canonical
    status: int
    fetched_at: datetime
    kind: str | None  # html | text | listing; None when a 304 does not say
    etag: str | None = None
    last_modified: str | None = None
    raw_sha256: str | None = None

    @property
    def origin(self) -> str:
        """The input it stands for (every item a batch sees has one)."""
        return self.url


@dataclass
class UrlState:
    """What the warehouse knows about URLs before a run."""

    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # url -> (etag, last-modified)
    fetched: dict[str, datetime] = field(default_factory=dict)  # article URLs ingested -> last fetched
    backoff: dict[str, datetime] = field(default_factory=dict)  # URLs that failed for good -> not before
    failures: dict[str, int] = field(default_factory=dict)  # URL -> permanent failures in a row


@dataclass(frozen=True)
class StateRow:
    canonical_url: str
    etag: str | None
    last_modified: str | None
    last_status: int | None  # the HTTP status; None for a failure without one (private_address, robots...)
    last_fetched_at: datetime
    raw_sha256: str | None
    kind: str | None
    failures: int = 0  # permanent failures in a row; 0 after any success
    retry_after: datetime | None = None
