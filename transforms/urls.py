"""URL handling: canonical form, tracking parameters, include/exclude patterns, rel=canonical. No I/O."""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from newsflow.transforms.models import RejectError

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say how a reader arrived, never which page they get. Exact names, then
# prefixes. Kept as data so a rule change is a one-line diff.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
    "oly_enc_id", "vero_id", "vero_conv", "wickedid", "rb_clickid", "s_cid", "ncid", "cmpid",
    "ito", "spm", "__twitter_impression", "at_medium", "at_campaign", "at_custom1", "at_custom2",
    "at_custom3", "at_custom4", "ns_source", "ns_mchannel", "ns_campaign", "ns_linkname", "ns_fee",
    "sr_share", "smid", "soc_src", "soc_trk",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__hs")

# RFC 3986 unreserved characters never need escaping; everything else outside these stays escaped.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_HEX_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def is_tracking_param(name: str) -> bool:
    """True for query parameters such as utm_source, fbclid or gclid."""
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonicalize(url: str, base: str | None = None) -> str:
    """The one spelling of `url` used as its identity.

    Lower-case scheme and host (IDNA-encoded), no default port, no fragment, no tracking
    parameters, remaining parameters sorted, `.`/`..` segments resolved and percent-escapes
    normalized. Relative URLs are resolved against `base`. Raises RejectError("discover", ...) for
    non-http(s) schemes and URLs without a host.
    """
    url = url.strip()
    try:  # urljoin parses too: a malformed link (`http://[::1/x`) must be a reject, not a crash
        if base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RejectError("discover", "bad_url", f"{url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise RejectError("discover", "unsupported_scheme",
                       f"{url!r}: only http and https URLs are fetched" if scheme
                       else f"{url!r}: not a URL (no http:// or https://)")
    host = _host(parts.hostname or "", url)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        # Credentials in a URL are an accident waiting to leak into the warehouse; keep them out.
        raise RejectError("discover", "bad_url", f"{_redact(url)}: URLs with user:password are not fetched")
    path = _path(parts.path)
    query = _query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """scheme://host[:port] of a URL: the unit robots.txt and politeness apply to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" if port == DEFAULT_PORTS.get(scheme) else f"{scheme}://{host}:{port}"


def domain_of(url: str) -> str:
    """The host without a leading www., used as the default outlet name for a URL."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def registrable_domain(url: str) -> str:
    """The host's registrable domain ("eTLD+1" by the Public Suffix List): news.example.co.uk -> example.co.uk.

    An IP address or a host the list does not know stands for itself.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or ":" in host or host.replace(".", "").isdigit():
        return host
    from tld import get_fld  # bundled Public Suffix List; never fetched

    try:
        return get_fld(host, fix_protocol=True, fail_silently=True) or host
    except Exception:  # a malformed host is its own domain
        return host


def same_site(a: str, b: str) -> bool:
    """Whether two URLs share a registrable domain (www.example.org and news.example.org do)."""
    try:
        return bool(registrable_domain(a)) and registrable_domain(a) == registrable_domain(b)
    except ValueError:
        return False


def _host(host: str, url: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise RejectError("discover", "bad_url", f"{url!r}: no host name")
    if ":" in host:  # IPv6 literal
        return f"[{host}]"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        if host.isascii():
            return host  # e.g. underscores, which IDNA refuses but DNS and browsers accept
        raise RejectError("discover", "bad_url", f"{url!r}: host {host!r} is not a valid domain name") from None


def _path(path: str) -> str:
    if not path:
        return "/"
    path = _HEX_ESCAPE.sub(_normalize_escape, path)
    trailing = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
    path = posixpath.normpath(path)
    if path.startswith("//"):  # normpath keeps a leading // (POSIX allows it); URLs do not need it
        path = "/" + path.lstrip("/")
    if trailing and path != "/":
        path += "/"
    return quote(path, safe=_PATH_SAFE)


def _normalize_escape(match: re.Match) -> str:
    char = chr(int(match.group(0)[1:], 16))
    if char.isascii() and (char.isalnum() or char in "-._~"):
        return char
    return match.group(0).upper()


def _query(query: str) -> str:
    if not query:
        return ""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k)]
    pairs.sort(key=lambda kv: kv[0])  # stable: repeated keys keep their order
    return urlencode(pairs, quote_via=quote, safe="/:@!$'()*,;~")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


@dataclass(frozen=True)
class UrlFilter:
    """Include/exclude patterns for one source.

    A pattern is a glob matched against the whole canonical URL (`*/news/*`), or a regular
    expression searched in it when written `re:...`. A URL passes when it matches some include
    pattern (or there are none) and no exclude pattern.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for pattern in (*self.include, *self.exclude):
            compile_pattern(pattern)  # fail at load time, naming the bad pattern

    def allows(self, url: str) -> bool:
        if self.include and not any(_matches(p, url) for p in self.include):
            return False
        return not any(_matches(p, url) for p in self.exclude)


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern:
    """The regex for a glob or `re:` pattern; ValueError names the pattern if it is invalid."""
    if pattern.startswith("re:"):
        try:
            return re.compile(pattern[3:])
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return re.compile(fnmatch.translate(pattern))


def _matches(pattern: str, url: str) -> bool:
    regex = compile_pattern(pattern)
    return bool(regex.search(url) if pattern.startswith("re:") else regex.match(url))


class _CanonicalLink(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.href is None and tag == "link":
            values = {k.lower(): (v or "") for k, v in attrs}
            if "canonical" in values.get("rel", "").lower().split() and values.get("href", "").strip():
                self.href = values["href"].strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "head" and self.href is None:
            self.href = ""  # the <head> is over: stop looking


def canonical_link(html: str, page_url: str) -> str | None:
    """The page's <link rel="canonical"> as a canonical URL, or None if absent or unusable."""
    parser = _CanonicalLink()
    head = html[: 256 * 1024]  # the link lives in <head>; do not parse megabytes of body for it
    try:
        parser.feed(head)
    except Exception:  # HTMLParser is lenient; a failure here just means no usable link
        return None
    if not parser.href:
        return None
    try:
        return canonicalize(parser.href, base=page_url)
    except RejectError:
        return None

