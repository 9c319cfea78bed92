"""The fetcher's options: the one place their defaults are defined (settings group `fetch`).

Kept apart from the client (acquire/fetch.py) so reading settings does not import httpx.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsflow import VERSION

# Honest by default: the product and version, nothing invented. Operators should add a way to reach them
# (setting fetch.user_agent / --user-agent), e.g. "newsflow/0.1.0 (+mailto:news-ops@example.org)".
DEFAULT_USER_AGENT = f"newsflow/{VERSION}"


class FetchOptions(BaseModel):
    """Every knob of the fetcher, with defaults suited to crawling other people's sites (settings group `fetch`)."""

    # allow_inf_nan=False: an infinite timeout or budget is a usage error, not a run that never ends.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1, description=(
        "User-Agent header sent with every request; add a URL or e-mail site owners can reach you at"))
    connect_timeout: float = Field(10.0, gt=0, description="seconds to wait for a TCP/TLS connection")
    read_timeout: float = Field(30.0, gt=0, description="seconds to wait for each piece of the response (not the whole body)")
    total_timeout: float = Field(120.0, gt=0, description=(
        "wall-clock seconds one request may take: connect, headers and body together (a server trickling "
        "bytes is cut off); a request that hits it is not retried"))
    host_budget: float = Field(600.0, gt=0, description=(
        "seconds of requests one host may use in a run; its URLs after that are rejected as host_budget"))
    max_body_bytes: int = Field(20_000_000, ge=1, description=(
        "larger bodies are rejected as too_large; counted while streaming, after decompression"))
    max_redirects: int = Field(5, ge=0, description="redirect hops followed before too_many_redirects")
    retries: int = Field(3, ge=0, description="extra tries after a timeout, connection error, 429 or 5xx (0 = try once)")
    backoff_base: float = Field(1.0, ge=0, description="first retry waits about this many seconds, then doubles (with jitter)")
    backoff_max: float = Field(60.0, ge=0, description="longest wait between two tries, whatever the backoff says")
    max_retry_after: float = Field(120.0, ge=0, description=(
        "a Retry-After longer than this gives up on the URL at once instead of stalling the run"))
    min_host_delay: float = Field(1.0, ge=0, description=(
        "seconds between the starts of two requests to one host (robots Crawl-delay can raise it)"))
    max_crawl_delay: float = Field(30.0, ge=0, description="robots.txt Crawl-delay values above this are capped")
    per_host_concurrency: int = Field(2, ge=1, description="requests in flight to one host")
    concurrency: int = Field(16, ge=1, description="requests in flight in total")
    obey_robots: bool = Field(True, description="fetch robots.txt once per host per run and obey it (reason robots)")
    robots_max_bytes: int = Field(512_000, ge=1, description=(
        "only this much of a robots.txt is read (RFC 9309 asks for at least 500 KiB)"))
    allow_private_hosts: bool = Field(False, description=(
        "fetch from loopback, private, link-local and other non-public addresses (intranets, tests)"))
    allowed_networks: tuple[str, ...] = Field((), description=(
        'non-public networks exempt from the guard, e.g. ["10.20.0.0/16"]: narrower than allow_private_hosts'))

    @field_validator("user_agent")
    @classmethod
    def _user_agent_is_a_header_value(cls, value: str) -> str:
        # HTTP header values are ASCII in practice (httpx refuses others mid-run); say so up front.
        bad = [c for c in value if not " " <= c <= "~"]
        if bad:
            raise ValueError(f"must be printable ASCII (an HTTP header); {bad[0]!r} is not, e.g. write "
                             "'newsflow/1.0 (+https://example.org/bot)'")
        return value
