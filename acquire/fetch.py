"""HTTP fetching: a polite, bounded, SSRF-guarded client that returns bytes or raises RejectError.

One `Fetcher` lives for one run. It keeps per-host state (robots.txt, crawl delay, the time the next
request may start, a concurrency slot count) and a global concurrency limit, and is safe to share
between the threads Prefect runs tasks in. Every failure ends as `FetchError` with
stage "fetch" and a short reason (see docs/fetching.md); `transient` says whether a later run
may succeed: a transient failure is tried again next run, any other is remembered with a back-off.

The test seam is the constructor: pass an `httpx.BaseTransport` (e.g. `httpx.MockTransport`) to
inject faults, a `resolver` to control DNS answers, and `sleep`/`clock` to observe waits.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from protego import Protego

from newsflow.acquire.options import FetchOptions
from newsflow.transforms.decode import declared_charset, decode
from newsflow.transforms.feeds import sniff
from newsflow.transforms.models import RawDocument, RejectError
from newsflow.transforms.urls import SCHEMES, canonicalize, host_of

try:  # brotli is optional: without it "br" is simply not offered to servers
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

ROBOTS_AGENT = "newsflow"  # the product token robots.txt groups are matched against

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
# Types an article URL may have when the server sends no (or a generic) type: decided by sniffing.
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# 501 and 505 say the server will never do it; other 5xx may pass.
_RETRY_STATUSES = frozenset({429}) | (frozenset(range(500, 600)) - {501, 505})
_ENCODINGS = ("gzip", "x-gzip", "deflate", "identity") + (("br",) if brotli else ())


@dataclass(frozen=True)
class Validators:
    """What a previous fetch of a URL returned, to make the next request conditional."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class FetchResult:
    """One fetched URL. On a 304 `not_modified` is True and `body` is empty."""

    url: str  # the canonical URL asked for
    final_url: str  # where the redirects ended
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    fetched_at: datetime
    redirects: tuple[str, ...] = ()
    not_modified: bool = False

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset the Content-Type header declares, if any."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'").lower()
        return None

    @property
    def raw_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def kind(self) -> str:
        """html, text, rss, atom, jsonfeed, urlset, sitemapindex or unknown (from the bytes)."""
        if self.media_type in TEXT_TYPES:
            found = sniff(self.body, self.media_type)
            return found if found not in ("html", "unknown") else "text"
        found = sniff(self.body, self.media_type)
        if found == "unknown" and self.media_type in HTML_TYPES:
            return "html"
        return found

    def text(self) -> str:
        """The body as text: charset from the header, else the page's <meta>, else detection."""
        return decode(self.body, self.charset or declared_charset(self.body))

    def to_raw(self, origin: str, source: str | None = None) -> RawDocument:
        """The RawDocument the extract stage reads; only for html and text results."""
        kind = self.kind
        if kind not in ("html", "text"):
            raise FetchError("unsupported_type", f"{self.media_type or 'no Content-Type'}: the body is {kind}, "
                                "not an HTML or text article", status=self.status)
        return RawDocument(origin=origin, kind=kind, body=self.body, url=self.final_url, source=source,
                           fetched_at=self.fetched_at, raw_sha256=self.raw_sha256, charset=self.charset)


class FetchError(RejectError):
    """A URL that could not be fetched. `transient` failures (timeouts, connection and DNS errors, 429
    and 5xx, an unreachable robots.txt, the host budget) may succeed on a later run; the others
    (4xx, guard, robots rules, size, type, redirects) would fail the same way, so the URL is
    remembered in url_state with a back-off (acquire/web.py, warehouse/fetchstate.py)."""

    def __init__(self, reason: str, detail: str = "", *, status: int | None = None, transient: bool = False):
        super().__init__("fetch", reason, detail)
        self.status = status
        self.transient = transient

    def __reduce__(self):  # keyword-only arguments do not survive the default exception pickling
        return (_fetch_rejected, (self.reason, self.detail, self.status, self.transient))


def _fetch_rejected(reason: str, detail: str, status: int | None, transient: bool) -> FetchError:
    return FetchError(reason, detail, status=status, transient=transient)


class _Blocked(Exception):
    """Raised from inside the connection layer when a host resolves to a guarded address."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the order the system gives them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class AddressGuard:
    """Refuses non-public addresses (loopback, private, link-local, multicast, reserved...)."""

    def __init__(self, options: FetchOptions, resolver: Resolver):
        self.enabled = not options.allow_private_hosts
        self.allowed = tuple(ipaddress.ip_network(n, strict=False) for n in options.allowed_networks)
        self.resolver = resolver

    def why_blocked(self, address: str) -> str | None:
        """Why a connection to `address` is refused, or None if it is allowed."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allowed):
            return None
        for label in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
            if getattr(ip, f"is_{label}"):
                return label.replace("_", "-")
        if not ip.is_global:
            return "non-global"  # shared address space (100.64/10), documentation ranges, ...
        return None

    def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses, all checked; _Blocked if any is refused (no mixing tricks)."""
        host = host.strip("[]")
        try:
            ipaddress.ip_address(host.split("%")[0])
            addresses = [host]
        except ValueError:
            try:
                addresses = self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise FetchError("dns_error", f"{host}: {exc}", transient=True) from exc
        if not addresses:
            raise FetchError("dns_error", f"{host}: no addresses", transient=True)
        if self.enabled:
            for address in addresses:
                why = self.why_blocked(address)
                if why:
                    raise _Blocked(f"{host} resolves to {address} ({why}); set allow_private_hosts "
                                   "(--allow-private-hosts) or allowed_networks to fetch from it")
        return addresses


# The deadline of the request this thread is sending (monotonic seconds). httpx offers per-operation
# timeouts only, and a server sending one header byte a second never trips them; the network
# stream below consults this before every connect, read and write instead.
_DEADLINE = threading.local()


def _remaining(timeout: float | None, what: str) -> float | None:
    """`timeout` cut down to what is left of this thread's request deadline; times out when none is."""
    import httpcore

    at = getattr(_DEADLINE, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        _DEADLINE.hit = True
        raise (httpcore.ConnectTimeout if what == "connect" else httpcore.ReadTimeout)(
            "the request took longer than total_timeout")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A network stream whose every read and write ends by the request's deadline."""

    def __init__(self, inner):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, _remaining(timeout, "read"))
        except Exception:
            if getattr(_DEADLINE, "at", None) is not None and time.monotonic() >= _DEADLINE.at:
                _DEADLINE.hit = True
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, "write"))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout, "connect")))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _GuardedBackend:
    """httpcore network backend that connects only to addresses the guard accepted.

    Resolving here, at connect time, and connecting to the very address that was checked closes
    the DNS-rebinding gap between a pre-check and the connection.
    """

    def __init__(self, guard: AddressGuard):
        import httpcore

        self._inner = httpcore.SyncBackend()
        self._guard = guard

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        import httpcore

        error: Exception | None = None
        for address in self._guard.resolve(host, port):
            try:
                return _DeadlineStream(self._inner.connect_tcp(address, port, _remaining(timeout, "connect"),
                                                               local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error  # type: ignore[misc]

    def connect_unix_socket(self, *args, **kwargs):  # pragma: no cover - never configured
        raise _Blocked("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def guarded_transport(guard: AddressGuard) -> httpx.HTTPTransport:
    """The default transport: httpx's, with connections pinned to guard-checked addresses."""
    import httpcore

    transport = httpx.HTTPTransport(retries=0, trust_env=False)
    # httpx does not expose the network backend; swap the pool it built for one that uses ours.
    transport._pool.close()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=100,  # SSL_CERT_FILE is honoured
        max_keepalive_connections=20, keepalive_expiry=5.0, http1=True, http2=False, retries=0,
        network_backend=_GuardedBackend(guard),
    )
    return transport


@dataclass
class _Host:
    """Politeness state for one scheme://host:port."""

    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    crawl_delay: float = 0.0
    robots: Protego | None = None
    spent: float = 0.0  # seconds of request time used in this run (host_budget)
    robots_loaded: bool = False
    robots_error: str | None = None  # robots.txt unreachable: the whole host is off limits


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


class Fetcher:
    """Fetch URLs politely and safely; use as a context manager or call close()."""

    def __init__(self, options: FetchOptions | None = None, *, transport: httpx.BaseTransport | None = None,
                 resolver: Resolver | None = None, validators: Mapping[str, Validators] | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None):
        self.options = options or FetchOptions()
        self.guard = AddressGuard(self.options, resolver or system_resolver)
        self.validators = validators or {}
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        timeout = httpx.Timeout(self.options.read_timeout, connect=self.options.connect_timeout)
        self._client = httpx.Client(
            transport=transport or guarded_transport(self.guard), timeout=timeout, follow_redirects=False,
            trust_env=False, headers={"User-Agent": self.options.user_agent, "Accept-Encoding": ", ".join(
                e for e in _ENCODINGS if e not in ("x-gzip", "identity"))},
        )
        self._global = threading.BoundedSemaphore(self.options.concurrency)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- the public call -------------------------------------------------------------------------

    def fetch(self, url: str, *, validators: Validators | None = None, accept: str = "article",
              min_delay: float | None = None) -> FetchResult:
        """GET `url`, following redirects by hand so each hop is checked.

        `accept="article"` refuses types other than HTML and plain text (before reading the body);
        `accept="any"` leaves that to the caller (feeds, sitemaps). `min_delay` raises the host
        delay for this request (a source's rate). Conditional headers come from `validators`, else
        from the map the Fetcher was given. Raises FetchError.
        """
        try:
            start = canonicalize(url)
        except RejectError as exc:
            raise FetchError(exc.reason, exc.detail) from None
        given = validators or self.validators.get(start)
        conditional = given.headers() if given else {}
        current, chain = start, [start]
        for _ in range(self.options.max_redirects + 1):
            response = self._get(current, conditional, accept, min_delay)
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"http_{response.status}", "redirect without a Location header",
                                        status=response.status)
                try:
                    target = canonicalize(location, base=current)
                except RejectError as exc:
                    raise FetchError(exc.reason, f"redirect from {current} to {location}: {exc.detail}") from None
                if target in chain:
                    raise FetchError("redirect_loop", " -> ".join([*chain, target]), status=response.status)
                chain.append(target)
                current = target
                continue
            fetched_at = datetime.now(timezone.utc)
            if response.status == 304:
                return FetchResult(start, current, 304, response.headers, b"", fetched_at, tuple(chain[1:]), True)
            if not 200 <= response.status < 300:  # 300, 305 and other oddities
                raise FetchError(f"http_{response.status}", current, status=response.status)
            result = FetchResult(start, current, response.status, response.headers, response.body, fetched_at,
                                 tuple(chain[1:]))
            if accept == "article" and result.media_type in _GENERIC_TYPES and result.kind not in ("html", "text"):
                raise FetchError("unsupported_type", f"{result.media_type or 'no Content-Type'}, and the body "
                                    f"looks like {result.kind}, not HTML or text", status=response.status)
            return result
        raise FetchError("too_many_redirects",
                            f"more than {self.options.max_redirects} redirects (setting max_redirects): "
                            + " -> ".join(chain))

    # -- one hop, with robots, the guard, politeness and retries ----------------------------------

    def _get(self, url: str, conditional: dict[str, str], accept: str, min_delay: float | None,
             *, robots: bool = True, max_bytes: int | None = None, truncate: bool = False) -> _Response:
        host_key = host_of(url)
        if urlsplit(url).scheme not in SCHEMES:
            raise FetchError("unsupported_scheme", url)
        host = self._host(host_key)
        try:  # the guard before robots.txt: a refused host gets no request at all, not even that one
            self.guard.resolve(*_host_port(url))
        except _Blocked as exc:
            raise FetchError("private_address", exc.detail) from None
        if robots and self.options.obey_robots:
            self._check_robots(url, host_key, host)
        attempt = 0
        while True:
            wait: float | None = None
            host_paused = False
            self._check_budget(host_key, host)
            with self._slot(host, min_delay):
                self._check_budget(host_key, host)  # others may have used it up while this one waited
                started = time.monotonic()
                _DEADLINE.at, _DEADLINE.hit = started + self.options.total_timeout, False
                try:
                    response = self._send(url, conditional, accept, max_bytes or self.options.max_body_bytes,
                                          truncate)
                except _Blocked as exc:
                    raise FetchError("private_address", exc.detail) from None
                except httpx.TimeoutException as exc:
                    if _DEADLINE.hit or time.monotonic() - started >= self.options.total_timeout:
                        raise FetchError("timeout", f"no complete response within total_timeout="
                                            f"{self.options.total_timeout:g}s (connect, headers and body; "
                                            f"try {attempt + 1}, not retried)", transient=True) from None
                    failure = FetchError("timeout", f"{type(exc).__name__} after {attempt + 1} tries "
                                            f"(settings connect_timeout/read_timeout)", transient=True)
                except httpx.TransportError as exc:
                    failure = FetchError("connection_error", f"{type(exc).__name__}: {exc} "
                                            f"(after {attempt + 1} tries)", transient=True)
                else:
                    if response.status not in _RETRY_STATUSES:
                        if response.status < 400 or response.status in _REDIRECTS:
                            return response
                        # 501 and 505 are not worth another try now, but a server's fault may be
                        # mended by the next run; a 4xx is the URL's own.
                        raise FetchError(f"http_{response.status}", url, status=response.status,
                                         transient=response.status >= 500)
                    failure = FetchError(f"http_{response.status}", f"{url} (after {attempt + 1} tries)",
                                            status=response.status, transient=True)
                    wait = _retry_after(response.headers.get("retry-after"), self._wall())
                    if wait is not None:
                        if wait > self.options.max_retry_after:
                            failure.detail += (f"; Retry-After {wait:.0f}s exceeds max_retry_after="
                                               f"{self.options.max_retry_after:.0f}s")
                            raise failure
                        with host.lock:  # the whole host asked for a pause, not just this URL
                            host.next_start = max(host.next_start, self._clock() + wait)
                        host_paused = True  # the next _slot() waits it out
                finally:
                    _DEADLINE.at = None
                    with host.lock:
                        host.spent += time.monotonic() - started
            if attempt >= self.options.retries:
                raise failure
            if wait is None:
                wait = min(self.options.backoff_max, self.options.backoff_base * 2 ** attempt)
                wait *= self._rng.uniform(0.5, 1.0)  # jitter: hosts recovering are not hit in lockstep
            attempt += 1
            if not host_paused:
                self._sleep(wait)

    def _send(self, url: str, conditional: dict[str, str], accept: str, max_bytes: int,
              truncate: bool) -> _Response:
        with self._client.stream("GET", url, headers=conditional) as stream:
            headers = {k.lower(): v for k, v in stream.headers.items()}
            response = _Response(stream.status_code, headers)
            if not 200 <= stream.status_code < 300:
                return response  # redirects, 304 and errors: the body is not needed
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if accept == "article" and media not in HTML_TYPES | TEXT_TYPES | _GENERIC_TYPES:
                raise FetchError("unsupported_type", f"{media}: only HTML and plain text pages are read",
                                    status=stream.status_code)
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes and not truncate:
                raise FetchError("too_large", f"Content-Length {length} bytes; the limit is {max_bytes} "
                                    "(setting max_body_bytes)", status=stream.status_code)
            deadline = (getattr(_DEADLINE, "at", None) or time.monotonic() + self.options.total_timeout)
            response.body = _read_body(stream, headers.get("content-encoding", ""), max_bytes, truncate,
                                       lambda: time.monotonic() > deadline)
            return response

    # -- politeness --------------------------------------------------------------------------------

    def _host(self, key: str) -> _Host:
        with self._hosts_lock:
            if key not in self._hosts:
                self._hosts[key] = _Host(threading.BoundedSemaphore(self.options.per_host_concurrency))
            return self._hosts[key]

    @contextmanager
    def _slot(self, host: _Host, min_delay: float | None) -> Iterator[None]:
        # Order matters: the host slot and the delay are waited for before taking a global slot, so a
        # slow or rate-limited host holds at most per_host_concurrency of the global slots.
        with host.slots:
            delay = max(self.options.min_host_delay, host.crawl_delay, min_delay or 0.0)
            with host.lock:
                now = self._clock()
                start = max(now, host.next_start)
                host.next_start = start + delay
            if start > now:
                self._sleep(start - now)
            with self._global:
                yield

    def _check_budget(self, host_key: str, host: _Host) -> None:
        if host.spent >= self.options.host_budget:
            raise FetchError("host_budget", f"{host_key} used {host.spent:.0f}s of requests in this run "
                                f"(setting host_budget={self.options.host_budget:g}); its other URLs wait for "
                                "the next run", transient=True)

    def _check_robots(self, url: str, host_key: str, host: _Host) -> None:
        with host.robots_lock:  # one fetch per host, even with many threads asking at once
            if not host.robots_loaded:
                self._load_robots(host_key, host)
                host.robots_loaded = True
        if host.robots_error:
            raise FetchError("robots", host.robots_error, transient=True)
        if host.robots is not None and not host.robots.can_fetch(url, ROBOTS_AGENT):
            raise FetchError("robots", f"{host_key}/robots.txt disallows {urlsplit(url).path or '/'}")

    def _load_robots(self, host_key: str, host: _Host) -> None:
        url = host_key + "/robots.txt"
        current = url
        try:
            for _ in range(5):  # RFC 9309: follow at least five redirects
                response = self._get(current, {}, "any", None, robots=False,
                                     max_bytes=self.options.robots_max_bytes, truncate=True)
                if response.status in _REDIRECTS and response.headers.get("location"):
                    try:
                        current = canonicalize(response.headers["location"], base=current)
                    except RejectError as exc:  # a malformed Location: robots.txt is unreachable
                        raise FetchError(exc.reason, exc.detail) from None
                    continue
                break
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return  # no robots.txt (or not for us to read): everything is allowed
            # RFC 9309 2.3.1.4: an unreachable robots.txt means assume everything is disallowed.
            host.robots_error = f"{url} could not be fetched ({exc.reason}: {exc.detail}); the host is skipped"
            return
        if not 200 <= response.status < 300:
            return
        text = response.body.decode("utf-8", errors="replace")
        lines = text.splitlines()
        # Protego follows RFC 9309: `*` and `$` in paths, the longest match wins, Allow wins a tie.
        try:
            host.robots = Protego.parse(text)
        except Exception as exc:  # a robots.txt the parser chokes on: treat the host as unreachable
            host.robots_error = f"{url} could not be parsed ({type(exc).__name__}); the host is skipped"
            return
        delay = crawl_delay(lines, ROBOTS_AGENT)
        if delay:
            host.crawl_delay = min(delay, self.options.max_crawl_delay)

    def _wall(self) -> datetime:
        return datetime.now(timezone.utc)


def crawl_delay(lines: list[str], agent: str) -> float | None:
    """The Crawl-delay for `agent` (its own group, else `*`); fractions allowed, unlike urllib's."""
    delays: dict[str, float] = {}
    group: list[str] = []
    in_agents = False
    for line in lines:
        key, _, value = line.split("#", 1)[0].partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            group = group + [value.lower()] if in_agents else [value.lower()]
            in_agents = True
            continue
        in_agents = False
        if key == "crawl-delay":
            try:
                seconds = float(value)
            except ValueError:
                continue
            for name in group:
                delays.setdefault(name, seconds)
    agent = agent.lower()
    for name, seconds in delays.items():
        if name != "*" and name in agent:
            return seconds
    return delays.get("*")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


class _Decoder:
    """Streaming Content-Encoding decoder that never produces more than `limit` bytes."""

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._deflate_first = True
        elif encoding == "br" and brotli is not None:
            self._brotli = brotli.Decompressor()
        elif encoding not in ("", "identity"):
            raise FetchError("unsupported_encoding", f"Content-Encoding {encoding!r} is not supported")

    def feed(self, data: bytes) -> bytes:
        budget = self.limit - self.produced + 1  # one byte past the limit proves it was passed
        try:
            if self.encoding in ("", "identity"):
                out = data
            elif self.encoding == "br":
                out = self._brotli.process(data, output_buffer_limit=budget)
                while len(out) < budget and not self._brotli.can_accept_more_data():
                    out += self._brotli.process(b"", output_buffer_limit=budget - len(out))
            else:
                out = self._inflate(data, budget)
        except (zlib.error, getattr(brotli, "error", zlib.error)) as exc:
            raise FetchError("bad_encoding", f"{self.encoding} body could not be decoded: {exc}") from exc
        self.produced += len(out)
        return out

    def _inflate(self, data: bytes, budget: int) -> bytes:
        if self.encoding == "deflate" and self._deflate_first:
            self._deflate_first = False
            try:
                return self._zlib.decompress(data, budget)
            except zlib.error:
                # Some servers send raw deflate without the zlib header; browsers accept both.
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._zlib.decompress(data, budget)


def _read_body(stream: httpx.Response, encoding: str, max_bytes: int, truncate: bool,
               expired: Callable[[], bool]) -> bytes:
    encoding = encoding.strip().lower()
    if stream.is_stream_consumed:
        # In-memory transports (httpx.MockTransport) hand over a body httpx has already read and
        # decoded; there is no stream left to bound, only the size to check.
        chunks_in, encoding = [stream.content], ""
    else:
        chunks_in = stream.iter_raw()  # as the network delivers (httpcore reads up to 64 KiB at a time)
    if "," in encoding:
        raise FetchError("unsupported_encoding", f"stacked Content-Encoding {encoding!r} is not supported")
    decoder = _Decoder(encoding, max_bytes)
    chunks: list[bytes] = []
    wire = 0
    for raw in chunks_in:
        wire += len(raw)
        chunks.append(decoder.feed(raw))
        if expired():
            raise httpx.ReadTimeout("the body took longer than total_timeout")
        if decoder.produced > max_bytes or wire > max_bytes:
            if truncate:
                return b"".join(chunks)[:max_bytes]
            what = "decompresses to more than" if decoder.produced > max_bytes and encoding not in ("", "identity") \
                else "is larger than"
            raise FetchError("too_large", f"the body {what} {max_bytes} bytes (setting max_body_bytes)")
    return b"".join(chunks)
